"""The labelled extract generator: deterministic, labels right, each corruption as described."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace

from oncegov.kit.text import fold, tone_marks_on_first_vowel
from oncegov.linkage.extract import parse_birth_date
from oncegov.linkage.synthetic import Person, Rates, SectorRow, generate, namesakes

NAMES = [
    "Nông Văn Dũng",
    "Hoàng Thị Mai",
    "Lục Văn Tuấn",
    "Bế Thị Hoa",
    "Đàm Văn Lĩnh",
    "Sầm Thị Thủy",
    "Hà Hòa",
]
COMMUNES = ["Phường Thục Phán", "Xã Hòa An", "Xã Trùng Khánh"]
# No corruption at all: each test turns on the ones it looks at.
NONE = Rates(
    has_personal_id=0.0,
    has_old_id=0.0,
    no_diacritics=0.0,
    typo=0.0,
    given_name_first=0.0,
    day_month_swapped=0.0,
    year_only=0.0,
    old_district=0.0,
    not_in_registry=0.0,
    placeholder_date=0.0,
    year_off_by_one=0.0,
    year_month_only=0.0,
    middle_name_changed=0.0,
    old_tone_marks=0.0,
    upper_ascii=0.0,
    moved_commune=0.0,
    namesake=0.0,
    twin=0.0,
)


def _people(n: int = 2000) -> list[Person]:
    rng = random.Random(3)
    return [
        Person(
            personal_id=f"004{i:09d}",
            full_name=rng.choice(NAMES),
            birth_year=rng.randint(1950, 2010),
            birth_month=rng.randint(1, 12),
            birth_day=rng.randint(1, 28),
            sex=rng.choice("MF"),
            commune_name=COMMUNES[i // 2 % len(COMMUNES)],
            old_id_number=f"08{i:07d}" if i % 2 else None,
            phone=f"09{i:08d}" if i % 3 else None,
            household_code=f"HK{i // 2:06d}",  # two per household
        )
        for i in range(n)
    ]


def test_same_seed_same_extract_and_unique_keys() -> None:
    people = _people()
    first, second = generate(people, 500, seed=9), generate(people, 500, seed=9)
    assert first == second
    assert generate(people, 500, seed=10) != first
    assert len({row.record_key for row in first}) == 500


ABSENT = ("not_in_registry", "namesake", "twin")


def test_labels_point_at_the_right_person() -> None:
    people = {p.personal_id: p for p in _people()}
    for row in generate(list(people.values()), 1000):
        if row.truth is None:
            assert len(set(row.corruptions) & set(ABSENT)) == 1
            assert row.personal_id == "" and row.old_id_number == ""
            continue
        assert not set(row.corruptions) & set(ABSENT)
        person = people[row.truth]
        assert row.sex == person.sex
        year = str(person.birth_year)
        if "year_off_by_one" in row.corruptions:
            year = str((parse_birth_date(row.date_of_birth) or (0,))[0])
            assert abs(int(year) - person.birth_year) == 1
        assert year in row.date_of_birth
        if row.personal_id:
            assert row.personal_id == row.truth
        if row.old_id_number:
            assert row.old_id_number == person.old_id_number


def test_each_corruption_does_what_it_says() -> None:
    every = replace(NONE, no_diacritics=1.0, given_name_first=1.0, year_only=1.0, old_district=1.0)
    people = {p.personal_id: p for p in _people(200)}
    for row in generate(list(people.values()), 200, rates=every):
        person = people[row.truth or ""]
        assert row.full_name == row.full_name.encode("ascii", "ignore").decode()  # no accents
        assert fold(row.full_name).split()[-1] == fold(person.full_name).split()[0]
        assert row.date_of_birth == str(person.birth_year)
        assert "Huyện" in row.address or "Thành phố" in row.address
        assert row.personal_id == ""


def _only(rates: Rates, size: int = 300) -> tuple[dict[str, Person], list[SectorRow]]:
    people = {p.personal_id: p for p in _people(size)}
    return people, generate(list(people.values()), size, rates=rates)


def test_placeholder_dates_replace_day_and_month() -> None:
    people, rows = _only(replace(NONE, placeholder_date=1.0))
    written = Counter(row.date_of_birth[:5] for row in rows)
    assert set(written) == {"01/01", "01/07", "00/00"}
    assert min(written.values()) > 50
    for row in rows:
        assert row.corruptions == ("placeholder_date",)
        assert row.date_of_birth[6:] == str(people[row.truth or ""].birth_year)


def test_year_off_by_one_keeps_day_and_month() -> None:
    people, rows = _only(replace(NONE, year_off_by_one=1.0))
    shifts = Counter()
    for row in rows:
        person = people[row.truth or ""]
        year, month, day = parse_birth_date(row.date_of_birth) or (0, 0, 0)
        assert (month, day) == (person.birth_month, person.birth_day)
        shifts[year - person.birth_year] += 1
        assert row.corruptions == ("year_off_by_one",)
    assert set(shifts) == {-1, 1}


def test_year_and_month_only_in_three_written_forms() -> None:
    people, rows = _only(replace(NONE, year_month_only=1.0))
    forms = Counter()
    for row in rows:
        person = people[row.truth or ""]
        assert parse_birth_date(row.date_of_birth) == (person.birth_year, person.birth_month, None)
        text = row.date_of_birth
        forms["words" if text.startswith("tháng") else "iso" if text[4] == "-" else "slash"] += 1
        assert row.corruptions == ("year_month_only",)
    assert set(forms) == {"slash", "iso", "words"}


def test_a_middle_thi_or_van_is_dropped_or_added() -> None:
    people, rows = _only(replace(NONE, middle_name_changed=1.0))
    for row in rows:
        person = people[row.truth or ""]
        written, registry = fold(row.full_name).split(), fold(person.full_name).split()
        assert (written[0], written[-1]) == (registry[0], registry[-1])
        if len(registry) == 3:  # Nông Văn Dũng → Nông Dũng
            assert len(written) == 2
        else:  # Hà Hòa → Hà Thị Hòa / Hà Văn Hòa, by sex
            assert written[1] == {"F": "thi", "M": "van"}[person.sex]
        assert row.corruptions == ("middle_name_changed",)


def test_old_tone_placement_only_where_it_shows() -> None:
    people, rows = _only(replace(NONE, old_tone_marks=1.0))
    for row in rows:
        person = people[row.truth or ""]
        if person.full_name in ("Sầm Thị Thủy", "Hà Hòa"):
            assert row.full_name in ("Sầm Thị Thuỷ", "Hà Hoà")
            assert row.corruptions == ("old_tone_marks",)
            assert tone_marks_on_first_vowel(row.full_name) == person.full_name
        else:
            assert (row.full_name, row.corruptions) == (person.full_name, ())


def test_upper_case_ascii_names() -> None:
    people, rows = _only(replace(NONE, upper_ascii=1.0, no_diacritics=1.0))
    for row in rows:
        assert row.full_name == fold(people[row.truth or ""].full_name).upper()
        assert row.corruptions == ("upper_ascii",)


def test_a_moved_person_names_another_commune_of_the_province() -> None:
    people, rows = _only(replace(NONE, moved_commune=1.0))
    for row in rows:
        person = people[row.truth or ""]
        named = [c for c in COMMUNES if c in row.address]
        assert len(named) == 1 and named[0] != person.commune_name
        assert row.corruptions == ("moved_commune",)


def test_namesakes_outside_the_registry_share_name_and_birth_date_only() -> None:
    people, rows = _only(replace(NONE, namesake=1.0, has_personal_id=1.0, has_old_id=1.0))
    for row in rows:
        assert row.truth is None and row.corruptions == ("namesake",)
        assert (row.personal_id, row.old_id_number, row.phone) == ("", "", "")
    by_key = {p.personal_id: p for p in people.values()}
    chosen = random.Random(5).sample(list(by_key.values()), len(rows))
    for row, person in zip(rows, chosen, strict=True):
        assert row.full_name == person.full_name
        born = f"{person.birth_day:02d}/{person.birth_month:02d}/{person.birth_year}"
        assert row.date_of_birth == born
        assert person.commune_name not in row.address


def test_twins_outside_the_registry_share_household_and_birth_date() -> None:
    people, rows = _only(replace(NONE, twin=1.0, has_personal_id=1.0, has_old_id=1.0))
    chosen = random.Random(5).sample(list(people.values()), len(rows))
    for row, person in zip(rows, chosen, strict=True):
        assert row.truth is None and row.corruptions == ("twin",)
        assert (row.personal_id, row.old_id_number) == ("", "")
        assert row.phone in ("", person.phone or "")
        written, registry = fold(row.full_name).split(), fold(person.full_name).split()
        assert written[:-1] == registry[:-1] and written[-1] != registry[-1]
        changed = sum(a != b for a, b in zip(written[-1], registry[-1], strict=False))
        assert 1 <= changed + abs(len(written[-1]) - len(registry[-1])) <= 2
        born = f"{person.birth_day:02d}/{person.birth_month:02d}/{person.birth_year}"
        assert row.date_of_birth == born
        assert row.address.startswith("Tổ ") and (person.commune_name or "") in row.address
    # The two members of one household live in the same hamlet.
    mates = [p for p in people.values() if p.household_code == "HK000000"]
    homes = {r.address for r in generate(mates, 2, rates=NONE)}
    assert len(homes) == 1


def test_swapped_dates_and_rates_are_roughly_kept() -> None:
    rows = generate(_people(), 2000, rates=Rates(day_month_swapped=1.0, year_only=0.0))
    swapped = [r for r in rows if r.date_of_birth[:2] <= "12"]
    assert swapped  # days up to 12 are written in the month's place
    default = generate(_people(), 2000)
    share = sum(bool(r.personal_id) for r in default) / len(default)
    assert 0.25 < share < 0.35
    absent = sum(r.truth is None for r in default) / len(default)
    assert 0.015 < absent < 0.05
    lookalikes = sum(("namesake" in r.corruptions) or ("twin" in r.corruptions) for r in default)
    assert 0.005 < lookalikes / len(default) < 0.025
    seen = Counter(c for r in default for c in r.corruptions)
    for label in (
        "placeholder_date",
        "year_off_by_one",
        "year_month_only",
        "middle_name_changed",
        "old_tone_marks",
        "upper_ascii",
        "moved_commune",
        "namesake",
        "twin",
    ):
        assert seen[label] > 0, label


def test_namesakes_are_reported() -> None:
    people = _people()
    twins = [people[0], Person(**{**_as_dict(people[0]), "personal_id": "004999999999"})]
    assert namesakes(twins) == {
        (
            fold(people[0].full_name),
            people[0].birth_year,
            people[0].birth_month,
            people[0].birth_day,
        ): 2
    }


def _as_dict(person: Person) -> dict[str, object]:
    return {name: getattr(person, name) for name in Person.__slots__}
