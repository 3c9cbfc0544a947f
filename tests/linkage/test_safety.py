"""The safety checks of a model auto-link: personal ID, twins and fuzzy given names, namesakes,
the rarity exemption and the per-extract "not in this registry" prior."""

from __future__ import annotations

from dataclasses import replace

import pytest

from oncegov.kit.text import keying_distance
from oncegov.linkage.extract import SectorRecord
from oncegov.linkage.features import commune_index
from oncegov.linkage.rules import RegistryPerson
from oncegov.linkage.safety import (
    GIVEN_NAME_DIFFERS,
    NAMESAKE,
    PERSONAL_ID_DIFFERS,
    TWIN,
    Checker,
    SafetySettings,
    absent_share,
    differing_names,
    one_typo_apart,
    population,
)
from tests.linkage.records import sector_record

COMMUNES = commune_index([("04001", "Phường Thục Phán"), ("04002", "Xã Hòa An")])
SETTINGS = SafetySettings(
    population_size=100_000_000,
    max_expected_namesakes=0.01,
    absent_prior_share=0.03,
    absent_prior_weight=20,
)
ANNA = RegistryPerson(
    personal_id="004185000001",
    full_name="Nông Thị Hoa",
    birth_year=1985,
    birth_month=5,
    birth_day=17,
    sex="F",
    old_id_number="085123456",
    commune_code="04001",
    phone="0912345678",
    household_code="HH1",
)


def _record(**changes: object) -> SectorRecord:
    return sector_record(**{"full_name": "Nông Thị Hoa", "sex": "F", **changes})


def _filler(count: int) -> list[RegistryPerson]:
    """Many people of one common name, so that name is not rare in this registry."""
    return [
        replace(
            ANNA,
            personal_id=f"0042{i:08d}",
            full_name="Nông Thị Hoa" if i % 2 else "Hoàng Văn Minh",
            birth_year=1950 + i % 50,
            birth_month=1 + i % 12,
            birth_day=1 + i % 28,
            old_id_number=None,
            phone=None,
            household_code=f"F{i}",
        )
        for i in range(2, count + 2)
    ]


def _checker(people: list[RegistryPerson], settings: SafetySettings = SETTINGS) -> Checker:
    return Checker({p.personal_id: p for p in people}, population(people), COMMUNES, settings)


def test_name_and_birth_date_alone_do_not_auto_link_a_common_name() -> None:
    checker = _checker([ANNA, *_filler(2000)])
    assert checker.hold(_record(), ANNA.personal_id) == NAMESAKE


@pytest.mark.parametrize(
    "changes",
    [
        {"phone": "+84 912 345 678"},  # the same phone, written another way
        {"address": "Phường Thục Phán, Cao Bằng"},  # the same commune
        {"old_id_number": "085123456"},  # the old ID
    ],
)
def test_an_identifier_or_the_place_corroborates(changes: dict[str, object]) -> None:
    checker = _checker([ANNA, *_filler(2000)])
    assert checker.hold(_record(**changes), ANNA.personal_id) is None


def test_a_registered_residence_other_than_the_current_one_agrees_on_place() -> None:
    moved = replace(ANNA, commune_code="04002", other_communes=("04001",))
    checker = _checker([moved, *_filler(2000)])
    record = _record(address="Phường Thục Phán, Cao Bằng")  # the permanent residence
    assert checker.hold(record, moved.personal_id) is None


def test_another_commune_is_no_corroboration() -> None:
    checker = _checker([ANNA, *_filler(2000)])
    record = _record(address="Xã Hòa An, Cao Bằng")
    assert checker.hold(record, ANNA.personal_id) == NAMESAKE


def test_a_name_rare_in_the_whole_population_needs_no_corroboration() -> None:
    rare = replace(ANNA, full_name="Lục Thị Quyên Khoa", personal_id="004185999999")
    people = [rare, *_filler(100_000)]
    checker = _checker(people)
    record = _record(full_name="Lục Thị Quyên Khoa")
    assert checker.expected_namesakes(record, rare) < SETTINGS.max_expected_namesakes
    assert checker.hold(record, rare.personal_id) is None
    # …unless the record places that person in another commune: evidence of another person.
    elsewhere = replace(record, address="Xã Hòa An, Cao Bằng")
    assert checker.hold(elsewhere, rare.personal_id) == NAMESAKE
    # …and the same name known only by its birth year is not rare any more.
    by_year = replace(record, birth_month=None, birth_day=None)
    assert checker.hold(by_year, rare.personal_id) == NAMESAKE


def test_a_record_carrying_another_personal_id_is_held() -> None:
    checker = _checker([ANNA])
    record = _record(personal_id="001190000123", phone="0912345678")
    assert checker.hold(record, ANNA.personal_id) == PERSONAL_ID_DIFFERS


def test_a_personal_id_one_keying_error_away_is_the_candidates() -> None:
    checker = _checker([ANNA, *_filler(2000)])
    swapped = _record(personal_id="004185000010")  # the last two digits swapped
    changed = _record(personal_id="004185000007")  # one digit changed
    assert checker.hold(swapped, ANNA.personal_id) is None
    assert checker.hold(changed, ANNA.personal_id) is None
    # …and it is person-level: it tells a typo in the given name from a sibling.
    assert checker.hold(replace(changed, full_name="Nông Thị Hao"), ANNA.personal_id) is None
    two_off = _record(personal_id="004185000099")
    assert checker.hold(two_off, ANNA.personal_id) == PERSONAL_ID_DIFFERS


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [("hoa", "hoa", 0), ("hoa", "hao", 1), ("hoa", "ho", 1), ("hoa", "hoaa", 1), ("tc", "quy", 3)],
)
def test_keying_distance(a: str, b: str, distance: int) -> None:
    assert keying_distance(a, b) == distance == keying_distance(b, a)


@pytest.mark.parametrize(
    ("written", "held", "close"),
    [
        ("004185000001", "004185000001", True),
        ("004185000001", "004185000007", True),
        ("004185000010", "004185000001", True),
        ("004185000100", "004185000001", False),  # not neighbours
        ("004185000099", "004185000001", False),
        ("00418500001", "004185000001", False),
    ],
)
def test_one_typo_apart(written: str, held: str, close: bool) -> None:
    assert one_typo_apart(written, held) is close


def test_the_candidates_own_personal_id_does_not_vouch_for_a_differing_name() -> None:
    """A relative's ID is how the records of a twin absent from the registry are written."""
    checker = _checker([ANNA, *_filler(50)])
    record = _record(full_name="Nông Thị Huệ", personal_id=ANNA.personal_id, phone=ANNA.phone)
    assert checker.hold(record, ANNA.personal_id) == GIVEN_NAME_DIFFERS
    # With the same name, the ID corroborates a record that names no place.
    assert (
        checker.hold(replace(record, full_name=ANNA.full_name, phone=None), ANNA.personal_id)
        is None
    )


def test_a_mistyped_name_beside_the_id_and_birth_date() -> None:
    twin = replace(ANNA, personal_id="004185000003", full_name="Nông Thị Huệ", old_id_number=None)
    hoa = replace(ANNA, personal_id="004299999999", full_name="Lý Thị Hòa", household_code="H2")
    lone = replace(ANNA, personal_id="004185000004", household_code="H4")
    checker = _checker([ANNA, twin, hoa, lone, *_filler(50)])
    typo = _record(full_name="Nông Thị Hoaa", personal_id=lone.personal_id)
    assert checker.mistyped_name(typo, lone.personal_id)
    # Not when the birth date differs, the person has a twin, the word is someone's given
    # name (a sister's, perhaps) or two keying errors away.
    assert not checker.mistyped_name(replace(typo, birth_day=18), lone.personal_id)
    assert not checker.mistyped_name(typo, ANNA.personal_id)
    assert not checker.mistyped_name(replace(typo, full_name="Nông Thị Hòa"), lone.personal_id)
    assert not checker.mistyped_name(replace(typo, full_name="Nông Thị Hxx"), lone.personal_id)


def test_a_twin_never_auto_links_on_a_differing_given_name() -> None:
    other = replace(ANNA, personal_id="004185000003", full_name="Nông Thị Huệ", old_id_number=None)
    checker = _checker([ANNA, other, *_filler(50)])
    assert checker.counts.twins == {ANNA.personal_id, other.personal_id}
    # Huế/Huệ-style: one letter apart, same household phone and commune, even with the old ID.
    record = _record(full_name="Nông Thị Hoa", phone="0912345678", old_id_number="085123456")
    assert checker.hold(record, other.personal_id) == TWIN
    # The same given name links: the twin is the other person.
    assert checker.hold(record, ANNA.personal_id) is None


def test_a_differing_given_name_that_people_bear_needs_a_person_level_id() -> None:
    hoa = replace(ANNA, personal_id="004299999999", full_name="Lý Thị Hòa", household_code="H2")
    checker = _checker([ANNA, hoa, *_filler(50)])
    # Phone and commune are the household's: a sister called Hòa shares them.
    household_only = _record(full_name="Nông Thị Hòa", phone="0912345678")
    assert checker.hold(household_only, ANNA.personal_id) == GIVEN_NAME_DIFFERS
    with_old_id = replace(household_only, old_id_number="085123456")
    assert checker.hold(with_old_id, ANNA.personal_id) is None
    # A given name nobody bears is a keying error: the household's phone confirms it.
    typo = _record(full_name="Nông Thị Hao", phone="0912345678")
    assert not checker.bears_a_name(typo.full_name, [("hao", "hao")])
    assert checker.hold(typo, ANNA.personal_id) is None
    # Two keying errors away is another name, whether or not anyone bears it.
    far = _record(full_name="Nông Thị Tc", phone="0912345678")
    assert checker.hold(far, ANNA.personal_id) == GIVEN_NAME_DIFFERS
    # …and not alone: nothing beyond the name and birth date is still a namesake.
    assert checker.hold(replace(typo, phone=None), ANNA.personal_id) == NAMESAKE


@pytest.mark.parametrize(
    ("record_name", "registry_name", "fuzzy"),
    [
        ("Nông Thị Hoa", "Nông Thị Hoa", False),
        ("NONG THI HOA", "Nông Thị Hoa", False),  # folded: nothing to compare the marks by
        ("Hoa Nông Thị", "Nông Thị Hoa", False),  # given name first
        ("Nông Hoa", "Nông Thị Hoa", False),  # Thị left out
        ("Nông Văn Hùng", "Nông Văn Hưng", True),  # both marked, marks differ
        ("Nong Van Hung", "Nông Văn Hưng", False),  # the record has no marks
        ("Nông Văn Hùn", "Nông Văn Hùng", True),
        ("Thị Hạnh Dương", "Dương Thị Hạnh", False),  # an order the kit cannot read
        ("Thị Phinh Dương", "Dương Thị Hạnh", True),
        ("Nông Văn", "Nông Văn Dũng", True),  # the given name left out
    ],
)
def test_fuzzy_given_names(record_name: str, registry_name: str, fuzzy: bool) -> None:
    differing, missing = differing_names(record_name, registry_name)
    assert (bool(differing) or missing) is fuzzy


def test_two_registry_people_with_one_name_and_birth_date_are_namesakes() -> None:
    same = replace(ANNA, personal_id="004185000009", household_code="HH9")
    other = replace(ANNA, personal_id="004185000010", full_name="Nông Thị Hồng")
    checker = _checker([ANNA, same, other])
    assert checker.namesakes(_record(), [ANNA.personal_id, same.personal_id])
    assert not checker.namesakes(_record(), [ANNA.personal_id, other.personal_id])


def test_the_absent_share_is_estimated_from_ids_the_registry_does_not_hold() -> None:
    known = {f"00418500{i:04d}": None for i in range(100)}
    held = [_record(record_key=f"h{i}", personal_id=pid) for i, pid in enumerate(known)]
    absent = [_record(record_key=f"a{i}", personal_id=f"00119000{i:04d}") for i in range(100)]
    without = [_record(record_key=f"n{i}") for i in range(500)]  # no ID: say nothing
    estimate, with_id, not_held = absent_share(held + absent + without, known, SETTINGS)
    assert (with_id, not_held) == (200, 100)
    assert estimate == pytest.approx((100 + 20 * 0.03) / 220)
    # With no IDs at all, the settings' share stands.
    assert absent_share(without, known, SETTINGS)[0] == pytest.approx(0.03)
