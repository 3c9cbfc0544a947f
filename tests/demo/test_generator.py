"""The generated population: deterministic, consistent, and shaped like Cao Bằng's."""

from __future__ import annotations

import unicodedata
from collections import Counter, defaultdict
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from oncegov.demo import profiles, service
from oncegov.demo.generator import Population
from oncegov.demo.profiles import ProvinceInfo
from oncegov.demo.rows import (
    BIRTH_COMMUNE,
    BIRTH_DAY,
    BIRTH_MONTH,
    BIRTH_YEAR,
    CURRENT_COMMUNE,
    DATE_OF_DEATH,
    ETHNICITY,
    FATHER,
    FOLDED,
    FULL_NAME,
    HH_CODE,
    HH_COMMUNE,
    HH_HEAD,
    HOUSEHOLD,
    KEY,
    MOTHER,
    OLD_ID,
    PERMANENT_COMMUNE,
    PHONE,
    PID,
    RELATIONSHIP,
    RELIGION,
    SEX,
    SPOUSE,
    STATUS,
    TEMPORARY_COMMUNE,
)
from oncegov.errors import ValidationFailed
from oncegov.kit import personal_id as pid
from oncegov.kit.text import fold, name_key
from oncegov.registry.reference import ETHNIC_GROUPS, RELATIONSHIPS, RELIGIONS
from tests.demo.conftest import SEED, SMALL

Row = tuple[Any, ...]
REFERENCE_YEAR = profiles.REFERENCE_DATE.year


@pytest.fixture(scope="module")
def province(demo_engine: Engine) -> ProvinceInfo:
    with Session(demo_engine) as session:
        return service.province_info(session, "04")


def _generate(engine: Engine, scale: float, seed: int) -> Population:
    with Session(engine) as session:
        return service.generate_population(session, scale=scale, seed=seed)


def _living(population: Population) -> list[Row]:
    return [c for c in population.citizens if c[STATUS] == "living"]


def _is_visitor(row: Row) -> bool:
    return row[TEMPORARY_COMMUNE] is not None and not row[PID].startswith("004")


def _faulty_households(population: Population) -> set[str]:
    return set(population.faults["deceased_head"]) | set(
        population.faults["household_without_head"]
    )


# --- determinism ------------------------------------------------------------------------------


def test_same_seed_and_scale_give_identical_data(demo_engine: Engine) -> None:
    first = _generate(demo_engine, SMALL, SEED)
    second = _generate(demo_engine, SMALL, SEED)
    assert len(first.citizens) > 900
    assert first.digest() == second.digest()
    assert first.citizens == second.citizens


def test_another_seed_or_scale_gives_other_data(demo_engine: Engine) -> None:
    base = _generate(demo_engine, SMALL, SEED).digest()
    assert _generate(demo_engine, SMALL, SEED + 1).digest() != base
    assert _generate(demo_engine, SMALL * 2, SEED).digest() != base


def test_scale_shrinks_the_population(medium_population: Population) -> None:
    # Scale 1.0 ≈ 550,000 living people; scale 0.02 ≈ 11,000.
    assert 10_800 <= len(_living(medium_population)) <= 11_400


def test_scale_out_of_range_is_refused(demo_db: Session) -> None:
    for scale in (0.0, -1.0, 100.0):
        with pytest.raises(ValidationFailed) as caught:
            service.generate_population(demo_db, scale=scale)
        assert caught.value.field == "scale"


# --- people -----------------------------------------------------------------------------------


def test_personal_ids_are_unique_and_match_birth_year_and_sex(
    medium_population: Population,
) -> None:
    numbers = [c[PID] for c in medium_population.citizens]
    assert len(set(numbers)) == len(numbers)
    for row in medium_population.citizens:
        pid.check_consistency(row[PID], birth_year=row[BIRTH_YEAR], sex=row[SEX])
    locals_ = [c for c in medium_population.citizens if not _is_visitor(c)]
    assert all(c[PID].startswith("004") for c in locals_)


def test_every_commune_code_is_in_the_province(
    medium_population: Population, province: ProvinceInfo
) -> None:
    codes = {c.code for c in province.communes}
    for household in medium_population.households:
        assert household[HH_COMMUNE] in codes
        assert household[HH_CODE].startswith(household[HH_COMMUNE] + "-")
    for row in medium_population.citizens:
        if _is_visitor(row):
            assert row[TEMPORARY_COMMUNE] in codes
            assert row[CURRENT_COMMUNE] == row[TEMPORARY_COMMUNE]
        else:
            assert row[PERMANENT_COMMUNE] in codes
            assert row[BIRTH_COMMUNE] in codes
            assert row[CURRENT_COMMUNE] in codes | {None}
    assert len({h[HH_COMMUNE] for h in medium_population.households}) == len(codes)


def test_names_are_nfc_with_matching_search_keys(medium_population: Population) -> None:
    for row in medium_population.citizens:
        full = row[FULL_NAME]
        assert unicodedata.normalize("NFC", full) == full
        assert len(full.split()) == 3
        assert row[FOLDED] == fold(full)
        assert row[KEY] == name_key(full)


def test_codes_come_from_the_reference_lists(medium_population: Population) -> None:
    for row in medium_population.citizens:
        assert row[ETHNICITY] in ETHNIC_GROUPS
        assert row[RELIGION] in RELIGIONS
        assert row[RELATIONSHIP] is None or row[RELATIONSHIP] in RELATIONSHIPS


def test_ethnic_mix_is_close_to_cao_bang(medium_population: Population) -> None:
    living = _living(medium_population)
    counts = Counter(c[ETHNICITY] for c in living)
    share = {code: 100 * n / len(living) for code, n in counts.items()}
    expected = {"02": 41, "07": 31, "08": 10, "09": 10, "01": 5, "15": 1.5}
    # A small population is lumpy (whole households, Mông and Dao in a few communes).
    tolerance = {"02": 3.5, "07": 3.5, "08": 2.5, "09": 2.5, "01": 1.5, "15": 1}
    for code, target in expected.items():
        assert abs(share.get(code, 0) - target) <= tolerance[code], (code, share)
    assert share.get("43", 0) <= 1.5  # Lô Lô
    others = 100 - sum(share.get(code, 0) for code in [*expected, "43"])
    assert 0 < others <= 2.5


def test_mong_names_come_from_mong_families(medium_population: Population) -> None:
    mong_heads = [
        c for c in medium_population.citizens if c[ETHNICITY] == "08" and c[RELATIONSHIP] == "head"
    ]
    families = Counter(c[FULL_NAME].split()[0] for c in mong_heads)
    assert set(families) <= {
        "Giàng",
        "Vàng",
        "Sùng",
        "Lý",
        "Thào",
        "Hầu",
        "Vừ",
        "Lầu",
        "Mua",
        "Ly",
        "Hờ",
        "Chảo",
        "Tráng",
        "Cử",
        "Lù",
    }
    assert len(families) >= 8


def test_age_pyramid_has_a_broad_base_and_narrows_after_sixty(
    medium_population: Population,
) -> None:
    living = _living(medium_population)
    ages = Counter(min(16, (REFERENCE_YEAR - c[BIRTH_YEAR]) // 5) for c in living)
    share = {group: 100 * n / len(living) for group, n in ages.items()}
    children = share[0] + share[1] + share[2]
    elderly = sum(share.get(g, 0) for g in range(12, 17))
    assert 22 <= children <= 32
    assert 8 <= elderly <= 16
    assert children > 2 * elderly
    decades = [share[g] + share[g + 1] for g in (10, 12, 14)]  # 50-59, 60-69, 70-79
    assert decades[0] > decades[1] > decades[2] > share[16] > 0  # … > 80+
    assert share[12] > share[14] > share[15]  # 60-64 > 70-74 > 75-79
    oldest = max(REFERENCE_YEAR - c[BIRTH_YEAR] for c in living)
    assert 85 <= oldest <= 101


def test_sex_ratio_is_about_one(medium_population: Population) -> None:
    sexes = Counter(c[SEX] for c in _living(medium_population))
    assert 0.92 <= sexes["M"] / sexes["F"] <= 1.08


def test_some_old_records_know_only_the_year_or_month(medium_population: Population) -> None:
    partial = [c for c in medium_population.citizens if c[BIRTH_DAY] is None]
    assert partial, "no partial birth dates at all"
    assert all(c[BIRTH_YEAR] < 1975 for c in partial)
    assert any(c[BIRTH_MONTH] is None for c in partial)
    assert any(c[BIRTH_MONTH] is not None for c in partial)
    assert len(partial) < 0.05 * len(medium_population.citizens)


def test_old_ids_and_phones_belong_to_adults(medium_population: Population) -> None:
    with_old_id = [c for c in medium_population.citizens if c[OLD_ID]]
    with_phone = [c for c in medium_population.citizens if c[PHONE]]
    adults = [c for c in _living(medium_population) if REFERENCE_YEAR - c[BIRTH_YEAR] >= 25]
    assert len(with_old_id) > 0.4 * len(adults)
    assert all(len(c[OLD_ID]) == 9 and c[OLD_ID].isdigit() for c in with_old_id)
    assert len({c[OLD_ID] for c in with_old_id}) == len(with_old_id)
    assert all(REFERENCE_YEAR - c[BIRTH_YEAR] >= 17 for c in with_old_id + with_phone)
    assert all(len(c[PHONE]) == 10 and c[PHONE].startswith("0") for c in with_phone)


def test_religion_is_mostly_none_protestants_mostly_mong(medium_population: Population) -> None:
    living = _living(medium_population)
    religions = Counter(c[RELIGION] for c in living)
    assert religions["none"] > 0.9 * len(living)
    assert religions["buddhism"] > 0
    protestants = Counter(c[ETHNICITY] for c in living if c[RELIGION] == "protestantism")
    assert protestants["08"] > sum(protestants.values()) / 2


def test_temporary_residents_come_from_other_provinces(medium_population: Population) -> None:
    visitors = [c for c in medium_population.citizens if _is_visitor(c)]
    living = _living(medium_population)
    assert 0.015 * len(living) <= len(visitors) <= 0.04 * len(living)
    for row in visitors:
        assert row[PID][:3] != "004"
        assert row[PERMANENT_COMMUNE] != row[TEMPORARY_COMMUNE]
        assert row[HOUSEHOLD] is None
    assert len({c[PID][:3] for c in visitors}) >= 4


# --- households and relationships ----------------------------------------------------------


def _members(population: Population) -> dict[str, list[Row]]:
    members: dict[str, list[Row]] = defaultdict(list)
    for row in population.citizens:
        if row[HOUSEHOLD] is not None:
            members[row[HOUSEHOLD]].append(row)
    return members


def test_household_heads_exist_and_live_in_their_household(
    medium_population: Population,
) -> None:
    members = _members(medium_population)
    faulty = _faulty_households(medium_population)
    codes = [h[HH_CODE] for h in medium_population.households]
    assert len(set(codes)) == len(codes)
    for household in medium_population.households:
        code = household[HH_CODE]
        heads = [m for m in members[code] if m[RELATIONSHIP] == "head"]
        assert len(heads) == 1, code
        if code in faulty:
            continue
        assert household[HH_HEAD] == heads[0][PID]
        assert heads[0][STATUS] == "living"


def test_household_sizes_are_realistic(medium_population: Population) -> None:
    members = _members(medium_population)
    sizes = [len([m for m in rows if m[STATUS] == "living"]) for rows in members.values()]
    assert 3.4 <= sum(sizes) / len(sizes) <= 4.4
    by_group: dict[bool, list[int]] = defaultdict(list)
    for rows in members.values():
        head = next(m for m in rows if m[RELATIONSHIP] == "head")
        by_group[head[ETHNICITY] in ("08", "09")].append(len(rows))
    mean_highland = sum(by_group[True]) / len(by_group[True])
    mean_other = sum(by_group[False]) / len(by_group[False])
    assert mean_highland > mean_other + 0.6
    assert max(sizes) <= 14


def test_relationships_link_the_right_people(medium_population: Population) -> None:
    by_pid = {c[PID]: c for c in medium_population.citizens}
    members = _members(medium_population)
    for row in medium_population.citizens:
        if row[SPOUSE] is not None:
            spouse = by_pid[row[SPOUSE]]
            assert spouse[SPOUSE] == row[PID]
            assert spouse[SEX] != row[SEX]
        for link, sex in ((FATHER, "M"), (MOTHER, "F")):
            if row[link] is not None:
                parent = by_pid[row[link]]
                assert parent[SEX] == sex
                assert row[BIRTH_YEAR] - parent[BIRTH_YEAR] >= 15
    for code, rows in members.items():
        head = next(m for m in rows if m[RELATIONSHIP] == "head")
        spouses = [m for m in rows if m[RELATIONSHIP] == "spouse"]
        assert len(spouses) <= 1
        if spouses:
            assert head[SPOUSE] == spouses[0][PID]
        couple = {head[PID], *(s[PID] for s in spouses)}
        for member in rows:
            if member[RELATIONSHIP] == "child":
                linked = {member[FATHER], member[MOTHER]} - {None}
                assert linked, code
                # one parent may be a deceased spouse of the head, on record outside the home
                assert linked & couple, code
            if member[RELATIONSHIP] == "parent":
                assert member[PID] in (head[FATHER], head[MOTHER])
    kinds = Counter(c[RELATIONSHIP] for c in medium_population.citizens)
    for relationship in ("head", "spouse", "child", "parent", "grandchild", "child_in_law"):
        assert kinds[relationship] > 0, relationship


def test_deceased_people_are_on_record_but_not_at_home(medium_population: Population) -> None:
    deceased = [c for c in medium_population.citizens if c[STATUS] == "deceased"]
    faulty_heads = set(medium_population.faults["deceased_head"])
    assert 0.005 * len(medium_population.citizens) < len(deceased)
    assert len(deceased) < 0.05 * len(medium_population.citizens)
    for row in deceased:
        death = row[DATE_OF_DEATH]
        assert death is not None
        assert row[BIRTH_YEAR] < death.year
        assert death <= profiles.REFERENCE_DATE
        if row[HOUSEHOLD] in faulty_heads:
            assert row[RELATIONSHIP] == "head"
            continue
        assert row[HOUSEHOLD] is None
        assert row[CURRENT_COMMUNE] is None
    referenced = {c[FATHER] for c in medium_population.citizens} | {
        c[SPOUSE] for c in medium_population.citizens
    }
    assert any(row[PID] in referenced for row in deceased)


def test_a_handful_of_deliberate_faults(medium_population: Population) -> None:
    faults = medium_population.faults
    assert set(faults) == {"deceased_head", "household_without_head", "probable_duplicate"}
    households = {h[HH_CODE]: h for h in medium_population.households}
    by_pid = {c[PID]: c for c in medium_population.citizens}
    assert 1 <= len(faults["deceased_head"]) <= 10
    for code in faults["deceased_head"]:
        assert by_pid[households[code][HH_HEAD]][STATUS] == "deceased"
    assert 1 <= len(faults["household_without_head"]) <= 10
    for code in faults["household_without_head"]:
        assert households[code][HH_HEAD] is None
    assert 1 <= len(faults["probable_duplicate"]) <= 20
    for number in faults["probable_duplicate"]:
        copy = by_pid[number]
        twins = [
            c
            for c in medium_population.citizens
            if c[FULL_NAME] == copy[FULL_NAME]
            and c[BIRTH_YEAR : BIRTH_DAY + 1] == copy[BIRTH_YEAR : BIRTH_DAY + 1]
            and c[PID] != number
        ]
        assert twins, number
    # Nothing else is faulty: every other household has a living head.
    faulty = _faulty_households(medium_population)
    assert sum(1 for h in medium_population.households if h[HH_HEAD] is None) == len(
        faults["household_without_head"]
    )
    assert all(
        by_pid[h[HH_HEAD]][STATUS] == "living"
        for h in medium_population.households
        if h[HH_CODE] not in faulty
    )
