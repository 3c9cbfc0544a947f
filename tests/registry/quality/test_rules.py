"""Each rule fires on a crafted bad record and stays quiet on clean and borderline ones."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from oncegov.registry.quality.rules import RULES
from tests.fixtures import (
    COMMUNE_A,
    COMMUNE_B,
    OTHER_PROVINCE_COMMUNE,
    make_citizen,
    make_household,
    personal_id_for,
)
from tests.registry.quality.helpers import family, findings, member, run


def test_a_clean_family_has_no_findings(db: Session) -> None:
    household, head, others = family(db, "HK-CLEAN-1")
    result = run(db)
    concerned = {head.personal_id, household.code, *(c.personal_id for c in others)}
    found = [f for f in findings(db).values() if set(f.subject_key.split("|")) & concerned]
    assert found == []
    assert {c.rule for c in result.rules} == {rule.code for rule in RULES}


def test_id_inconsistent_with_sex_year_or_malformed(db: Session) -> None:
    _, clean, _ = family(db, "HK-ID-1")
    wrong_sex = make_citizen(db, sex="F", birth_year=1985, personal_id=personal_id_for("M", 1985))
    wrong_year = make_citizen(db, sex="M", birth_year=1985, personal_id=personal_id_for("M", 1990))
    malformed = make_citizen(db, sex="M", birth_year=1985, personal_id="00408512AB01")
    run(db)
    found = findings(db, "id_inconsistent")
    assert set(found) == {wrong_sex.personal_id, wrong_year.personal_id, malformed.personal_id}
    assert "sex" in found[wrong_sex.personal_id].detail
    assert "1990" in found[wrong_year.personal_id].detail
    assert "digits" in found[malformed.personal_id].detail
    assert found[wrong_sex.personal_id].commune_code == COMMUNE_A
    assert clean.personal_id not in found


def test_missing_required_fields_of_a_living_person(db: Session) -> None:
    household = make_household(db, "HK-MISS-1")
    no_ethnicity = member(db, household, "head", ethnicity_code="")
    no_address = member(db, household, "child", permanent_address=None)
    no_household = make_citizen(db)  # permanent resident of the province, no household
    foreigner = make_citizen(  # a foreign temporary resident needs neither
        db,
        nationality="CN",
        permanent_commune_code=None,
        permanent_address=None,
        temporary_commune_code=COMMUNE_B,
        temporary_address="Tổ 1",
    )
    dead = make_citizen(
        db,
        status="deceased",
        date_of_death=dt.date(2020, 1, 1),
        ethnicity_code="",
        current_commune_code=None,
    )
    no_phone = member(db, household, "spouse", phone=None)
    household.head_personal_id = no_ethnicity.personal_id
    run(db)
    found = findings(db, "missing_required")
    assert found[no_ethnicity.personal_id].detail == "Missing: ethnicity_code"
    assert found[no_address.personal_id].detail == "Missing: permanent_address"
    assert found[no_household.personal_id].detail == "Missing: household_code"
    assert foreigner.personal_id not in found
    assert dead.personal_id not in found
    assert no_phone.personal_id not in found
    assert found[no_ethnicity.personal_id].subject_kind == "citizen"


def test_probable_duplicates_by_name_and_birth_or_old_id(db: Session) -> None:
    household, _, _ = family(db, "HK-DUP-1")
    first = member(db, household, "child", full_name="Nông Văn Dũng", birth_year=1995)
    # Same person in western order, without accents, registered elsewhere in the province.
    second = make_citizen(
        db, full_name="Dung Van Nong", birth_year=1995, permanent_commune_code=COMMUNE_B
    )
    year_only = make_citizen(
        db, full_name="Nông Văn Dũng", birth_year=1995, birth_month=None, birth_day=None
    )
    other_day = make_citizen(db, full_name="Nông Văn Dũng", birth_year=1995, birth_day=18)
    old_a = make_citizen(db, full_name="Hà Văn Tâm", old_id_number="085123456")
    old_b = make_citizen(db, full_name="Hà Thị Thu", old_id_number="085123456")
    elsewhere = make_citizen(
        db,
        full_name="Nông Văn Dũng",
        birth_year=1995,
        permanent_commune_code=OTHER_PROVINCE_COMMUNE,
        current_commune_code=OTHER_PROVINCE_COMMUNE,
    )
    run(db)
    found = findings(db, "probable_duplicate")
    name_pair = "|".join(sorted((first.personal_id, second.personal_id)))
    old_pair = "|".join(sorted((old_a.personal_id, old_b.personal_id)))
    assert set(found) == {name_pair, old_pair}
    assert found[name_pair].subject_kind == "pair"
    assert "same name and date of birth (1995-05-17)" in found[name_pair].detail
    assert "same old ID number 085123456" in found[old_pair].detail
    for lone in (year_only, other_day, elsewhere):
        assert all(lone.personal_id not in key for key in found)


def test_deceased_head_of_household(db: Session) -> None:
    named, head, _ = family(db, "HK-DH-1")
    head.status, head.date_of_death = "deceased", dt.date(2024, 3, 1)
    related = make_household(db, "HK-DH-2")
    by_relationship = member(
        db, related, "head", status="deceased", date_of_death=dt.date(2023, 1, 1)
    )
    _, living_head, _ = family(db, "HK-DH-3")
    db.flush()
    run(db)
    found = findings(db, "deceased_head")
    assert set(found) == {head.personal_id, by_relationship.personal_id}
    assert f"named head of household {named.code}" in found[head.personal_id].detail
    assert "relationship 'head'" in found[by_relationship.personal_id].detail
    assert living_head.personal_id not in found


def test_deceased_person_still_resident_or_in_household(db: Session) -> None:
    household, _, _ = family(db, "HK-DR-1")
    resident = make_citizen(db, status="deceased", date_of_death=dt.date(2022, 2, 2))
    in_household = member(
        db,
        household,
        "parent",
        birth_year=1940,
        status="deceased",
        date_of_death=dt.date(2021, 1, 1),
        current_commune_code=None,
    )
    settled = make_citizen(
        db,
        status="deceased",
        date_of_death=dt.date(2022, 2, 2),
        current_commune_code=None,
        current_address=None,
    )
    run(db)
    found = findings(db, "deceased_resident")
    assert "current residence in commune 01273" in found[resident.personal_id].detail
    assert "member of household HK-DR-1" in found[in_household.personal_id].detail
    assert settled.personal_id not in found


def test_household_without_head(db: Session) -> None:
    no_head = make_household(db, "HK-NH-1")
    member(db, no_head, "child")
    clean, head_elsewhere, _ = family(db, "HK-NH-2")
    wrong = make_household(db, "HK-NH-3", COMMUNE_B, head=head_elsewhere.personal_id)
    ghost = make_household(db, "HK-NH-4", head="004085999999")
    outside = make_household(db, "HK-NH-5", OTHER_PROVINCE_COMMUNE)
    run(db)
    found = findings(db, "household_without_head")
    assert set(found) == {no_head.code, wrong.code, ghost.code}
    assert found[no_head.code].detail == "No head named"
    assert found[wrong.code].commune_code == COMMUNE_B
    assert "member of household HK-NH-2" in found[wrong.code].detail
    assert "not in the registry" in found[ghost.code].detail
    assert clean.code not in found and outside.code not in found


def test_implausible_age(db: Session) -> None:
    household, _, _ = family(db, "HK-AGE-1")
    too_old = member(db, household, "grandparent", birth_year=1905)  # 121 on 2026-11-28
    just_120 = member(db, household, "grandparent", birth_year=1906)
    dead_old = make_citizen(
        db,
        birth_year=1901,
        status="deceased",
        date_of_death=dt.date(1990, 1, 1),
        current_commune_code=None,
    )
    died_before_birth = make_citizen(
        db,
        birth_year=1985,
        status="deceased",
        date_of_death=dt.date(1985, 5, 16),
        current_commune_code=None,
    )
    died_on_birthday = make_citizen(
        db,
        birth_year=1985,
        status="deceased",
        date_of_death=dt.date(1985, 5, 17),
        current_commune_code=None,
    )
    run(db)
    found = findings(db, "implausible_age")
    assert set(found) == {too_old.personal_id, died_before_birth.personal_id}
    assert "aged 121" in found[too_old.personal_id].detail
    assert "before birth 1985-05-17" in found[died_before_birth.personal_id].detail
    for fine in (just_120, dead_old, died_on_birthday):
        assert fine.personal_id not in found


def test_implausible_relationships(db: Session) -> None:
    household, head, (spouse, *_rest) = family(db, "HK-REL-1", head_year=1980)
    older_child = member(db, household, "child", birth_year=1979)
    young_parent = member(db, household, "parent", birth_year=1975)
    spouse.spouse_personal_id = spouse.personal_id
    db.flush()
    run(db)
    found = findings(db, "implausible_relationship")
    assert set(found) == {older_child.personal_id, young_parent.personal_id, spouse.personal_id}
    assert "-1 years apart" in found[older_child.personal_id].detail
    assert "5 years apart" in found[young_parent.personal_id].detail
    assert found[spouse.personal_id].detail == "Spouse is the person themself"
    assert head.personal_id not in found
