"""The labelled extract generator: deterministic, labels right, each corruption as described."""

from __future__ import annotations

import random

from oncegov.kit.text import fold
from oncegov.linkage.synthetic import Person, Rates, generate, namesakes

NAMES = ["Nông Văn Dũng", "Hoàng Thị Mai", "Lục Văn Tuấn", "Bế Thị Hoa", "Đàm Văn Lĩnh"]


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
            commune_name="Phường Thục Phán",
            old_id_number=f"08{i:07d}" if i % 2 else None,
        )
        for i in range(n)
    ]


def test_same_seed_same_extract_and_unique_keys() -> None:
    people = _people()
    first, second = generate(people, 500, seed=9), generate(people, 500, seed=9)
    assert first == second
    assert generate(people, 500, seed=10) != first
    assert len({row.record_key for row in first}) == 500


def test_labels_point_at_the_right_person() -> None:
    people = {p.personal_id: p for p in _people()}
    for row in generate(list(people.values()), 1000):
        if row.truth is None:
            assert "not_in_registry" in row.corruptions
            assert row.personal_id == ""
            continue
        person = people[row.truth]
        assert row.sex == person.sex
        assert str(person.birth_year) in row.date_of_birth
        if row.personal_id:
            assert row.personal_id == row.truth
        if row.old_id_number:
            assert row.old_id_number == person.old_id_number


def test_each_corruption_does_what_it_says() -> None:
    every = Rates(
        no_diacritics=1.0,
        typo=0.0,
        given_name_first=1.0,
        day_month_swapped=0.0,
        year_only=1.0,
        old_district=1.0,
        not_in_registry=0.0,
        has_personal_id=0.0,
    )
    people = {p.personal_id: p for p in _people(200)}
    for row in generate(list(people.values()), 200, rates=every):
        person = people[row.truth or ""]
        assert row.full_name == row.full_name.encode("ascii", "ignore").decode()  # no accents
        assert fold(row.full_name).split()[-1] == fold(person.full_name).split()[0]
        assert row.date_of_birth == str(person.birth_year)
        assert "Huyện" in row.address or "Thành phố" in row.address
        assert row.personal_id == ""


def test_swapped_dates_and_rates_are_roughly_kept() -> None:
    rows = generate(_people(), 2000, rates=Rates(day_month_swapped=1.0, year_only=0.0))
    swapped = [r for r in rows if r.date_of_birth[:2] <= "12"]
    assert swapped  # days up to 12 are written in the month's place
    default = generate(_people(), 2000)
    share = sum(bool(r.personal_id) for r in default) / len(default)
    assert 0.25 < share < 0.35
    absent = sum(r.truth is None for r in default) / len(default)
    assert 0.005 < absent < 0.04


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
