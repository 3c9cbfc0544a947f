"""The independent extract generator: determinism, pattern rates, and the labels' promises
(namesakes, twins, identifiers), on a made-up population (no database)."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable

import pytest

from oncegov.kit.text import fold
from oncegov.linkage.synthetic_independent import (
    OLD_DISTRICTS,
    PATTERNS,
    LabelledRecord,
    PatternRates,
    RegistryPerson,
    edit_distance,
    extract_style,
    flip_tone_placement,
    generate,
    household_locality,
    strip_diacritics,
)
from tests.linkage_independent.population import make_people

SIZE = 20_000
SEED = 17
RATES = PatternRates()


@pytest.fixture(scope="module")
def people() -> list[RegistryPerson]:
    return make_people(40_000)


@pytest.fixture(scope="module")
def records(people: list[RegistryPerson]) -> list[LabelledRecord]:
    return generate(people, SIZE, seed=SEED)


@pytest.fixture(scope="module")
def by_id(people: list[RegistryPerson]) -> dict[str, RegistryPerson]:
    return {p.personal_id: p for p in people}


# --- helpers ------------------------------------------------------------------------------------

_DMY = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_YMD = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def full_date(written: str) -> tuple[int, int, int] | None:
    """(day, month, year) of a date written in full, in any of the generator's forms."""
    if match := _YMD.fullmatch(written):
        return int(match[3]), int(match[2]), int(match[1])
    if match := _DMY.fullmatch(written):
        return int(match[1]), int(match[2]), int(match[3])
    return None


def birth(person: RegistryPerson) -> tuple[int | None, int | None, int]:
    return person.birth_day, person.birth_month, person.birth_year


def bare_commune(commune_name: str) -> str:
    """``"Xã Nam Tuấn"`` → ``"nam tuan"``."""
    return fold(commune_name).split(" ", 1)[1]


def commune_segment(address: str) -> str | None:
    """The folded bare commune name written in an address (xã/phường, full or abbreviated)."""
    for segment in address.split(","):
        folded = fold(segment)
        for prefix in ("xa ", "phuong ", "x.", "p."):
            if folded.startswith(prefix):
                return folded[len(prefix) :].strip()
    return None


def assert_rate(name: str, hits: int, base: int, rate: float, slack: float = 0.15) -> None:
    """``hits`` of ``base`` is ``rate`` within four standard deviations plus ``slack`` × rate
    (some patterns are no-ops on a few records: a swap of 05/05, a typo on a two-letter word)."""
    assert base > 0, name
    observed = hits / base
    sigma = math.sqrt(rate * (1 - rate) / base)
    assert abs(observed - rate) <= 4 * sigma + slack * rate, (name, hits, base, observed, rate)


def count(records: Iterable[LabelledRecord], pattern: str) -> int:
    return sum(pattern in r.patterns for r in records)


def true_records(
    records: list[LabelledRecord],
    by_id: dict[str, RegistryPerson],
    keep: Callable[[RegistryPerson], bool] = lambda p: True,
) -> list[LabelledRecord]:
    return [r for r in records if r.truth is not None and keep(by_id[r.truth])]


# --- determinism, shape -------------------------------------------------------------------------


def test_same_seed_same_records_other_seed_other_records(people: list[RegistryPerson]) -> None:
    first = generate(people[:8_000], 3_000, seed=3)
    assert first == generate(people[:8_000], 3_000, seed=3)
    assert first != generate(people[:8_000], 3_000, seed=4)


def test_record_keys_are_unique_ten_digit_codes(records: list[LabelledRecord]) -> None:
    keys = [r.record_key for r in records]
    assert len(keys) == SIZE == len(set(keys))
    assert all(len(k) == 10 and k.isdigit() for k in keys)


def test_every_pattern_appears_and_only_known_names(records: list[LabelledRecord]) -> None:
    seen = Counter(p for r in records for p in r.patterns)
    assert set(seen) == set(PATTERNS)


def test_sex_is_coded_one_zero_or_empty(records: list[LabelledRecord]) -> None:
    assert {r.sex for r in records} == {"1", "0", ""}
    assert all(r.sex for r in records if "sex_missing" not in r.patterns)


def test_most_records_carry_zero_or_one_pattern(
    records: list[LabelledRecord], by_id: dict[str, RegistryPerson]
) -> None:
    own = true_records(records, by_id)
    sizes = Counter(min(len(r.patterns), 4) for r in own)
    assert (sizes[0] + sizes[1]) / len(own) > 0.6
    assert sizes[2] / len(own) > 0.1
    assert sizes[3] / len(own) > 0.03
    assert sizes[0] / len(own) > 0.25


# --- who is in the extract ----------------------------------------------------------------------


def test_kinds_come_in_exact_shares(records: list[LabelledRecord]) -> None:
    for kind in ("namesake", "twin", "absentee"):
        assert count(records, kind) == round(SIZE * getattr(RATES, kind)), kind
    strangers = [r for r in records if r.truth is None]
    assert len(strangers) == count(records, "namesake") + count(records, "twin") + count(
        records, "absentee"
    )


def test_each_registry_person_appears_at_most_once(records: list[LabelledRecord]) -> None:
    truths = [r.truth for r in records if r.truth is not None]
    assert len(truths) == len(set(truths))


def test_namesakes_share_name_and_birth_with_someone_in_another_commune(
    records: list[LabelledRecord], people: list[RegistryPerson]
) -> None:
    by_name_birth: dict[tuple[str, tuple[int | None, int | None, int]], list[RegistryPerson]] = {}
    for person in people:
        by_name_birth.setdefault((fold(person.full_name), birth(person)), []).append(person)
    registry_ids = {p.personal_id for p in people}
    namesakes = [r for r in records if "namesake" in r.patterns]
    assert namesakes
    for record in namesakes:
        assert record.truth is None
        assert record.personal_id not in registry_ids
        written = full_date(record.date_of_birth)
        assert written is not None, record
        day, month, year = written
        twins = by_name_birth.get((fold(record.full_name), (day, month, year)), [])
        commune = commune_segment(record.address)
        assert commune is not None, record
        assert any(bare_commune(p.commune_name or "") != commune for p in twins), record


def test_twins_share_household_and_birth_with_a_name_a_letter_or_two_apart(
    records: list[LabelledRecord], people: list[RegistryPerson]
) -> None:
    by_family_birth: dict[tuple[str, tuple[int | None, int | None, int]], list[RegistryPerson]]
    by_family_birth = {}
    for person in people:
        stem = fold(person.full_name.rsplit(" ", 1)[0])
        by_family_birth.setdefault((stem, birth(person)), []).append(person)
    registry_ids = {p.personal_id for p in people}
    twins = [r for r in records if "twin" in r.patterns]
    assert twins
    for record in twins:
        assert record.truth is None
        assert record.personal_id not in registry_ids
        written = full_date(record.date_of_birth)
        assert written is not None, record
        stem, _, given = record.full_name.rpartition(" ")
        siblings = [
            p
            for p in by_family_birth.get((fold(stem), written), [])
            if household_locality(p) in record.address
            and bare_commune(p.commune_name or "") == commune_segment(record.address)
        ]
        assert siblings, record
        ascii_only = "name_upper_ascii" in record.patterns or "name_ascii" in record.patterns
        assert any(names_apart(s, given, ascii_only) for s in siblings), record


def names_apart(sibling: RegistryPerson, given: str, ascii_only: bool) -> bool:
    """The twin's given name is 1–2 edits from the sibling's (after folding, for records that
    lost their diacritics: Hùng/Hưng both become HUNG, the hardest case)."""
    theirs = sibling.full_name.rsplit(" ", 1)[1]
    if ascii_only:
        return edit_distance(fold(theirs), fold(given)) <= 2
    return 1 <= edit_distance(theirs.lower(), given.lower()) <= 2


def test_absentees_are_strangers(
    records: list[LabelledRecord], people: list[RegistryPerson]
) -> None:
    registry_ids = {p.personal_id for p in people}
    for record in records:
        if "absentee" in record.patterns:
            assert record.truth is None
            assert record.personal_id not in registry_ids


# --- identifiers --------------------------------------------------------------------------------


def test_own_records_carry_another_persons_id_only_when_labelled_wrong(
    records: list[LabelledRecord], people: list[RegistryPerson]
) -> None:
    registry_ids = {p.personal_id for p in people}
    old_id_holders = {p.old_id_number: p.personal_id for p in people if p.old_id_number}
    wrong_ids = 0
    for record in records:
        if record.truth is None:
            continue
        # Any other number, another registry person's or nobody's, is a labelled slip.
        if record.personal_id and record.personal_id != record.truth:
            assert any(p.startswith("personal_id_wrong") for p in record.patterns), record
            if record.personal_id in registry_ids:
                wrong_ids += 1
        holder = old_id_holders.get(record.old_id_number)
        if holder is not None and holder != record.truth:
            assert any(p.startswith("old_id_wrong") for p in record.patterns), record
    assert wrong_ids >= count(records, "personal_id_wrong_relative") > 0


def test_strangers_never_carry_a_registry_identifier_but_twins_may_share_a_phone(
    records: list[LabelledRecord], people: list[RegistryPerson]
) -> None:
    registry_ids = {p.personal_id for p in people}
    old_ids = {p.old_id_number for p in people if p.old_id_number}
    phones = {p.phone for p in people if p.phone}
    strangers = [r for r in records if r.truth is None]
    for record in strangers:
        assert record.personal_id not in registry_ids
        assert record.old_id_number not in old_ids
        if record.phone in phones:
            assert "twin" in record.patterns and "phone_relative" in record.patterns, record
    assert any("phone_relative" in r.patterns for r in strangers)


def test_identifier_rates(records: list[LabelledRecord], by_id: dict[str, RegistryPerson]) -> None:
    own = true_records(records, by_id)
    with_pid = [r for r in own if r.personal_id]
    assert_rate("carry_personal_id", len(with_pid), len(own), RATES.carry_personal_id)
    for name in ("personal_id_wrong_digit", "personal_id_wrong_relative"):
        assert_rate(name, count(with_pid, name), len(with_pid), getattr(RATES, name), 0.4)
    with_old = [r for r in own if r.old_id_number]
    for name in ("old_id_wrong_digit", "old_id_wrong_relative"):
        assert_rate(name, count(with_old, name), len(with_old), getattr(RATES, name), 0.4)
    with_phone = [r for r in own if r.phone]
    for name in ("phone_wrong_digit", "phone_relative"):
        assert_rate(name, count(with_phone, name), len(with_phone), getattr(RATES, name), 0.4)


# --- dates --------------------------------------------------------------------------------------


def test_date_pattern_rates(
    records: list[LabelledRecord], by_id: dict[str, RegistryPerson]
) -> None:
    full = true_records(records, by_id, lambda p: p.birth_day is not None)
    style = extract_style(SEED)
    assert_rate(
        "date_placeholder", count(full, "date_placeholder"), len(full), style.placeholder_share
    )
    for name in ("date_year_off", "date_year_month", "date_year_only"):
        assert_rate(name, count(full, name), len(full), getattr(RATES, name))
    assert_rate(
        "date_day_month_swapped",
        count(full, "date_day_month_swapped"),
        len(full),
        RATES.date_day_month_swapped,
    )
    partial = true_records(records, by_id, lambda p: p.birth_day is None)
    assert count(partial, "date_registry_partial") == len(partial) > 0
    assert count(full, "date_registry_partial") == 0


def test_date_forms(records: list[LabelledRecord]) -> None:
    forms = {
        "date_form_dash": re.compile(r"\d\d-\d\d-\d{4}"),
        "date_form_unpadded": re.compile(r"\d{1,2}/\d{1,2}/\d{4}"),
        "date_form_iso": re.compile(r"\d{4}-\d\d-\d\d"),
        "date_form_dot": re.compile(r"\d\d\.\d\d\.\d{4}"),
    }
    plain = [r for r in records if "date_registry_partial" not in r.patterns]
    for name, form in forms.items():
        labelled = [r for r in plain if name in r.patterns]
        assert_rate(name, len(labelled), len(plain), RATES.date_other_form / 4, 0.3)
        assert all(form.fullmatch(r.date_of_birth) for r in labelled), name
    default = [r for r in plain if not any(p.startswith("date_") for p in r.patterns)]
    assert all(re.fullmatch(r"\d\d/\d\d/\d{4}", r.date_of_birth) for r in default)
    for record in records:
        if "date_year_only" in record.patterns:
            assert re.fullmatch(r"\d{4}", record.date_of_birth)
        if "date_year_month" in record.patterns:
            assert re.search(r"\d{4}", record.date_of_birth)
            assert not _DMY.fullmatch(record.date_of_birth)


def test_swapped_and_year_off_dates_keep_the_rest(
    records: list[LabelledRecord], by_id: dict[str, RegistryPerson]
) -> None:
    for record in true_records(records, by_id, lambda p: p.birth_day is not None):
        person = by_id[record.truth or ""]
        if "date_day_month_swapped" in record.patterns:
            month, day, year = (int(x) for x in record.date_of_birth.split("/"))
            assert (day, month, year) == birth(person) and day != month
        if "date_year_off" in record.patterns:
            written = full_date(record.date_of_birth)
            assert written is not None
            assert abs(written[2] - person.birth_year) == 1
            assert written[1] == person.birth_month


def test_placeholders_dominate_the_day_month_table(records: list[LabelledRecord]) -> None:
    pairs = Counter()
    for record in records:
        if match := re.fullmatch(r"(\d\d)/(\d\d)/\d{4}", record.date_of_birth):
            pairs[f"{match[1]}/{match[2]}"] += 1
    style = extract_style(SEED)
    fixed = {"01/01", "01/07", "00/00", "31/12", "15/06"}
    heaviest = max((w, label) for label, w in style.placeholder_weights if label in fixed)[1]
    top_three = [pair for pair, _ in pairs.most_common(3)]
    # (01/01 also takes the year-only registry dates written with a day-only placeholder)
    assert top_three[0] in fixed and heaviest in top_three, (top_three, heaviest)
    top_count = pairs[top_three[0]]
    counts = sorted(pairs.values())
    assert top_count > 3 * counts[len(counts) // 2]


def test_placeholder_share_and_mix_differ_between_extracts() -> None:
    styles = [extract_style(seed) for seed in range(6)]
    shares = [s.placeholder_share for s in styles]
    assert max(shares) > 1.5 * min(shares)
    spread = RATES.placeholder_spread
    low, high = RATES.date_placeholder * (1 - spread), RATES.date_placeholder * (1 + spread)
    assert all(low <= share <= high for share in shares)
    assert len({max(s.placeholder_weights, key=lambda lw: lw[1])[0] for s in styles}) > 1


# --- names --------------------------------------------------------------------------------------


def test_name_pattern_rates(
    records: list[LabelledRecord], by_id: dict[str, RegistryPerson]
) -> None:
    own = true_records(records, by_id)
    n = len(own)
    assert_rate(
        "name_upper_ascii", count(records, "name_upper_ascii"), SIZE, RATES.name_upper_ascii
    )
    assert_rate("name_ascii", count(records, "name_ascii"), SIZE, RATES.name_ascii)
    typos = sum(any(p.startswith("name_typo_") for p in r.patterns) for r in own)
    assert_rate("name_typo", typos, n, RATES.name_typo, 0.25)
    assert_rate("name_given_first", count(own, "name_given_first"), n, RATES.name_given_first)
    assert_rate("name_extra_spaces", count(own, "name_extra_spaces"), n, RATES.name_extra_spaces)

    def common_middle(p: RegistryPerson) -> bool:
        return any(m in ("Thị", "Văn") for m in p.full_name.split()[1:-1])

    with_common = true_records(records, by_id, common_middle)
    assert_rate(
        "name_middle_dropped",
        count(with_common, "name_middle_dropped"),
        len(with_common),
        RATES.name_middle_dropped,
    )
    without = true_records(records, by_id, lambda p: not common_middle(p))
    # (drawn after a possible drop of another middle name, hence the slack)
    assert_rate(
        "name_middle_added",
        count(without, "name_middle_added"),
        len(without),
        RATES.name_middle_added,
        0.3,
    )
    flippable = true_records(
        records, by_id, lambda p: any(flip_tone_placement(t) for t in p.full_name.split())
    )
    assert_rate(
        "name_tone_placement",
        count(flippable, "name_tone_placement"),
        len(flippable),
        RATES.name_tone_placement,
    )


def test_name_patterns_do_what_they_say(
    records: list[LabelledRecord], by_id: dict[str, RegistryPerson]
) -> None:
    for record in true_records(records, by_id):
        name = by_id[record.truth or ""].full_name
        if "name_upper_ascii" in record.patterns:
            assert record.full_name == record.full_name.upper()
            assert record.full_name == strip_diacritics(record.full_name)
        if "name_extra_spaces" in record.patterns:
            assert record.full_name != " ".join(record.full_name.split())
        if "name_middle_dropped" in record.patterns:
            assert len(record.full_name.split()) == len(name.split()) - 1
        if "name_middle_added" in record.patterns:
            assert len(record.full_name.split()) == len(name.split()) + 1
        if not record.patterns or record.patterns == ("sex_missing",):
            assert record.full_name == name


def test_tone_placement_flips_only_open_oa_oe_uy() -> None:
    assert flip_tone_placement("Hoà") == "Hòa"
    assert flip_tone_placement("Hòa") == "Hoà"
    assert flip_tone_placement("Thuỷ") == "Thủy"
    assert flip_tone_placement("Khỏe") == "Khoẻ"
    assert flip_tone_placement("HOÀ") == "HÒA"
    assert flip_tone_placement("Hoàng") is None
    assert flip_tone_placement("Quý") is None
    assert flip_tone_placement("Hoa") is None
    assert strip_diacritics("Đàm Thị Hoà") == "Dam Thi Hoa"
    assert edit_distance("Hùng", "Hưng") == 1
    assert edit_distance("Lan", "Lanh") == 1


# --- places -------------------------------------------------------------------------------------


def test_address_pattern_rates(
    records: list[LabelledRecord], by_id: dict[str, RegistryPerson]
) -> None:
    own = true_records(records, by_id)
    assert_rate("address_moved", count(own, "address_moved"), len(own), RATES.address_moved)
    assert_rate(
        "address_abbreviated",
        count(records, "address_abbreviated"),
        SIZE,
        RATES.address_abbreviated,
    )
    not_twins = [r for r in records if "twin" not in r.patterns]
    assert_rate(
        "address_commune_only",
        count(not_twins, "address_commune_only"),
        len(not_twins),
        RATES.address_commune_only,
    )
    with_hamlet = [r for r in not_twins if "address_commune_only" not in r.patterns]
    assert_rate(
        "address_hamlet_variant",
        count(with_hamlet, "address_hamlet_variant"),
        len(with_hamlet),
        RATES.address_hamlet_variant,
        0.25,
    )
    local = [r for r in records if "absentee" not in r.patterns]
    assert_rate(
        "address_old_district",
        count(local, "address_old_district"),
        len(local),
        RATES.address_old_district,
    )


def test_moved_records_name_another_commune(
    records: list[LabelledRecord], by_id: dict[str, RegistryPerson]
) -> None:
    for record in true_records(records, by_id):
        person = by_id[record.truth or ""]
        written = commune_segment(record.address)
        if "address_moved" in record.patterns:
            assert written != bare_commune(person.commune_name or ""), record
        elif "address_old_commune" not in record.patterns:
            assert written == bare_commune(person.commune_name or ""), record


def test_old_districts_and_abbreviations_are_written(records: list[LabelledRecord]) -> None:
    old = [r for r in records if "address_old_district" in r.patterns]
    assert all(re.search(r"\b(huyện|Huyện|H\.|thành phố|Thành phố|TP\.)", r.address) for r in old)
    short = [r for r in records if "address_abbreviated" in r.patterns]
    assert all(re.search(r"\b(X|P|TT|T)\.", r.address) for r in short)
    assert any("TT." in r.address for r in short)


def test_every_cao_bang_commune_has_its_former_district() -> None:
    from vietnam_provinces import Ward

    communes = [w.name for w in Ward.iter_all() if int(w.province_code) == 4]
    assert len(communes) == 56
    table = OLD_DISTRICTS["cao bang"]
    assert all(bare_commune(name) in table for name in communes)


# --- arguments ----------------------------------------------------------------------------------


def test_bad_arguments_are_refused(people: list[RegistryPerson]) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        PatternRates(namesake=1.5)
    with pytest.raises(ValueError, match="add up"):
        PatternRates(namesake=0.5, twin=0.3, absentee=0.3)
    with pytest.raises(ValueError, match="registry people"):
        generate(people[:100], 1_000)
    assert generate(people, 0) == []
