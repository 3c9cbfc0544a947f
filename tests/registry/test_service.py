"""registry.service: scoped, audited reads; accent- and order-free search; versioned changes."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from oncegov.audit.models import AuditEntry
from oncegov.errors import NotFound, ValidationFailed
from oncegov.kit import personal_id as pid
from oncegov.kit.actor import Actor
from oncegov.registry import service as registry
from oncegov.registry.models import Citizen, RegistryChange
from oncegov.units.schemas import UnitScope
from tests.fixtures import COMMUNE_A, COMMUNE_B, make_citizen, make_household

OFFICER = Actor("officer", "xa.thucphan", "Officer Thục Phán", channel="web")
COMMUNE_A_ONLY = UnitScope(frozenset({COMMUNE_A}))
COMMUNE_B_ONLY = UnitScope(frozenset({COMMUNE_B}))
PURPOSE = "Record verification"


def _audit_count(db: Session) -> int:
    return int(db.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def _last_audit(db: Session) -> AuditEntry:
    entry = db.scalar(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1))
    assert entry is not None
    return entry


def _found(results: list[registry.CitizenSummary]) -> set[str]:
    return {r.personal_id for r in results}


# --- reads and their audit entries -------------------------------------------------------------


def test_get_citizen_returns_the_record_and_audits_the_read(db: Session) -> None:
    citizen = make_citizen(db, full_name="Nông Văn Dũng", sex="M", birth_year=1985)
    before = _audit_count(db)
    out = registry.get_citizen(
        db, OFFICER, citizen.personal_id, purpose="Dossier 2026-001", scope=COMMUNE_A_ONLY
    )
    assert (out.full_name, out.date_of_birth, out.sex) == ("Nông Văn Dũng", "1985-05-17", "M")
    assert _audit_count(db) == before + 1
    entry = _last_audit(db)
    assert (entry.action, entry.actor_id, entry.actor_kind) == (
        "registry.read",
        "xa.thucphan",
        "officer",
    )
    assert (entry.purpose, entry.subject_personal_id) == ("Dossier 2026-001", citizen.personal_id)


def test_reads_without_a_purpose_are_refused_and_not_audited(db: Session) -> None:
    citizen = make_citizen(db)
    before = _audit_count(db)
    for read in (registry.get_citizen, registry.history, registry.household_of):
        with pytest.raises(ValidationFailed) as caught:
            read(db, OFFICER, citizen.personal_id, purpose="  ", scope=COMMUNE_A_ONLY)
        assert caught.value.field == "purpose"
    with pytest.raises(ValidationFailed) as caught:
        registry.search_citizens(db, OFFICER, "nong", purpose="", scope=COMMUNE_A_ONLY)
    assert caught.value.field == "purpose"
    assert _audit_count(db) == before


def test_every_read_function_writes_an_audit_entry(db: Session) -> None:
    head = make_citizen(db, full_name="Hoàng Văn Thụ", sex="M", birth_year=1960)
    make_household(db, "HK-T-0001", head=head.personal_id)
    head.household_code = "HK-T-0001"
    child = make_citizen(
        db, full_name="Hoàng Thị Lan", sex="F", birth_year=1990, household_code="HK-T-0001"
    )
    db.flush()

    before = _audit_count(db)
    registry.search_citizens(db, OFFICER, "hoang", purpose=PURPOSE, scope=COMMUNE_A_ONLY)
    search = _last_audit(db)
    assert (search.action, search.purpose) == ("registry.search", PURPOSE)
    assert '"results": 2' in search.detail

    household = registry.household_of(
        db, OFFICER, child.personal_id, purpose=PURPOSE, scope=COMMUNE_A_ONLY
    )
    assert household is not None
    assert household.head_personal_id == head.personal_id
    assert _found(household.members) == {head.personal_id, child.personal_id}
    member_reads = db.scalars(
        select(AuditEntry).where(AuditEntry.action == "registry.read_household")
    ).all()
    assert {e.subject_personal_id for e in member_reads} == {head.personal_id, child.personal_id}

    registry.history(db, OFFICER, child.personal_id, purpose=PURPOSE, scope=COMMUNE_A_ONLY)
    assert (_last_audit(db).action, _last_audit(db).subject_personal_id) == (
        "registry.read_history",
        child.personal_id,
    )

    registry.match_by_name_and_birth(
        db, OFFICER, full_name="Lan Thi Hoang", date_of_birth="1990", purpose=PURPOSE
    )
    assert _last_audit(db).action == "registry.match"
    # search + two household members + history + match
    assert _audit_count(db) == before + 5


# --- search and matching ------------------------------------------------------------------------


def test_search_by_name_ignores_accents_and_word_order(db: Session) -> None:
    dung = make_citizen(db, full_name="Nông Văn Dũng", sex="M", birth_year=1985)
    other = make_citizen(db, full_name="Nông Thị Ánh", sex="F", birth_year=1990)
    for query in ("nong van dung", "NÔNG VĂN DŨNG", "dung van nong", "Dũng Nông Văn"):
        found = registry.search_citizens(db, OFFICER, query, purpose=PURPOSE, scope=COMMUNE_A_ONLY)
        assert dung.personal_id in _found(found), query
        assert other.personal_id not in _found(found), query
    by_prefix = registry.search_citizens(db, OFFICER, "nong", purpose=PURPOSE, scope=COMMUNE_A_ONLY)
    assert {dung.personal_id, other.personal_id} <= _found(by_prefix)


def test_search_by_exact_personal_id(db: Session) -> None:
    citizen = make_citizen(db)
    make_citizen(db)
    found = registry.search_citizens(
        db, OFFICER, f" {citizen.personal_id} ", purpose=PURPOSE, scope=COMMUNE_A_ONLY
    )
    assert _found(found) == {citizen.personal_id}


def test_search_with_birth_date_narrows_and_partial_dates_match(db: Session) -> None:
    exact = make_citizen(db, full_name="Lý Văn Sơn", sex="M", birth_year=1970)
    year_only = make_citizen(
        db, full_name="Lý Văn Sơn", sex="M", birth_year=1970, birth_month=None, birth_day=None
    )
    other_day = make_citizen(db, full_name="Lý Văn Sơn", sex="M", birth_year=1970, birth_day=3)
    other_year = make_citizen(db, full_name="Lý Văn Sơn", sex="M", birth_year=1971)

    def search(query: str) -> set[str]:
        return _found(
            registry.search_citizens(db, OFFICER, query, purpose=PURPOSE, scope=COMMUNE_A_ONLY)
        )

    # The record that knows only the year matches any full date in that year.
    assert search("ly van son 17/5/1970") == {exact.personal_id, year_only.personal_id}
    assert search("son ly van 1970-05-17") == {exact.personal_id, year_only.personal_id}
    assert search("ly van son 1970") == {
        exact.personal_id,
        year_only.personal_id,
        other_day.personal_id,
    }
    assert other_year.personal_id in search("ly van son 1971")


def test_search_needs_two_letters(db: Session) -> None:
    with pytest.raises(ValidationFailed) as caught:
        registry.search_citizens(db, OFFICER, "n", purpose=PURPOSE, scope=COMMUNE_A_ONLY)
    assert caught.value.field == "q"


def test_match_by_name_and_birth_finds_candidates(db: Session) -> None:
    full = make_citizen(db, full_name="Đàm Thị Hoa", sex="F", birth_year=1988)
    year_only = make_citizen(
        db, full_name="Đàm Thị Hoa", sex="F", birth_year=1988, birth_month=None, birth_day=None
    )
    make_citizen(db, full_name="Đàm Thị Hoa", sex="F", birth_year=1989)
    make_citizen(db, full_name="Đàm Thị Hồng", sex="F", birth_year=1988)
    found = registry.match_by_name_and_birth(
        db, OFFICER, full_name="Hoa Thi Dam", date_of_birth="1988-05-17", purpose=PURPOSE
    )
    assert _found(found) == {full.personal_id, year_only.personal_id}


def test_match_rejects_bad_input_naming_the_field(db: Session) -> None:
    with pytest.raises(ValidationFailed) as caught:
        registry.match_by_name_and_birth(
            db, OFFICER, full_name="Đàm Thị Hoa", date_of_birth="17/05/1988", purpose=PURPOSE
        )
    assert caught.value.field == "date_of_birth"
    with pytest.raises(ValidationFailed) as caught:
        registry.match_by_name_and_birth(
            db, OFFICER, full_name="  ", date_of_birth="1988", purpose=PURPOSE
        )
    assert caught.value.field == "full_name"


# --- unit scope ---------------------------------------------------------------------------------


def test_citizen_outside_the_commune_scope_is_not_found(db: Session) -> None:
    citizen = make_citizen(db, full_name="Nông Văn Dũng")  # registered in commune A
    before = _audit_count(db)
    for read in (registry.get_citizen, registry.history, registry.household_of):
        with pytest.raises(NotFound) as caught:
            read(db, OFFICER, citizen.personal_id, purpose=PURPOSE, scope=COMMUNE_B_ONLY)
        assert caught.value.field == "personal_id"
    # The same answer as for a number nobody has.
    with pytest.raises(NotFound) as unknown:
        registry.get_citizen(db, OFFICER, "004085999999", purpose=PURPOSE, scope=COMMUNE_B_ONLY)
    assert unknown.value.message == caught.value.message
    assert _audit_count(db) == before  # nothing was read
    found = registry.search_citizens(
        db, OFFICER, "nong van dung", purpose=PURPOSE, scope=COMMUNE_B_ONLY
    )
    assert citizen.personal_id not in _found(found)
    with pytest.raises(NotFound):
        registry.record_change(
            db,
            OFFICER,
            citizen.personal_id,
            {"phone": "0912345678"},
            reason="x",
            scope=COMMUNE_B_ONLY,
        )


def test_temporary_residents_are_in_scope_of_their_commune(db: Session) -> None:
    citizen = make_citizen(db, temporary_commune_code=COMMUNE_B, temporary_address="Tổ 9")
    out = registry.get_citizen(
        db, OFFICER, citizen.personal_id, purpose=PURPOSE, scope=COMMUNE_B_ONLY
    )
    assert out.temporary_commune_code == COMMUNE_B


# --- changes ------------------------------------------------------------------------------------


def test_record_change_writes_a_new_version_with_old_and_new_values(db: Session) -> None:
    citizen = make_citizen(db, full_name="Nông Văn Dũng", phone=None)
    out = registry.record_change(
        db,
        OFFICER,
        citizen.personal_id,
        {"phone": "0912345678", "full_name": "Nông Văn Dũng Anh"},
        reason="Citizen's request with ID card",
        legal_reference="Đơn số 12/2026",
        scope=COMMUNE_A_ONLY,
    )
    assert (out.version, out.phone, out.full_name) == (2, "0912345678", "Nông Văn Dũng Anh")
    change = db.scalar(
        select(RegistryChange).where(
            RegistryChange.entity_key == citizen.personal_id, RegistryChange.version == 2
        )
    )
    assert change is not None
    assert change.changes["phone"] == [None, "0912345678"]
    assert change.changes["full_name"] == ["Nông Văn Dũng", "Nông Văn Dũng Anh"]
    assert (change.actor, change.reason, change.legal_reference, change.source) == (
        "officer:xa.thucphan",
        "Citizen's request with ID card",
        "Đơn số 12/2026",
        "edit",
    )
    # The derived search keys follow the new name.
    stored = db.scalar(select(Citizen).where(Citizen.personal_id == citizen.personal_id))
    assert stored is not None and stored.name_key == "anh dung nong van"
    entry = _last_audit(db)
    assert (entry.action, entry.subject_personal_id, entry.purpose) == (
        "registry.change",
        citizen.personal_id,
        "Citizen's request with ID card",
    )
    history = registry.history(
        db, OFFICER, citizen.personal_id, purpose=PURPOSE, scope=COMMUNE_A_ONLY
    )
    assert [h.version for h in history] == [2, 1]


def test_record_change_refuses_a_change_that_changes_nothing(db: Session) -> None:
    citizen = make_citizen(db, phone="0912345678")
    with pytest.raises(ValidationFailed) as caught:
        registry.record_change(
            db, OFFICER, citizen.personal_id, {"phone": "0912345678"}, reason="same"
        )
    assert caught.value.field == "changes"


def test_record_change_requires_a_reason(db: Session) -> None:
    citizen = make_citizen(db)
    with pytest.raises(ValidationFailed) as caught:
        registry.record_change(
            db, OFFICER, citizen.personal_id, {"phone": "0912345678"}, reason=" "
        )
    assert caught.value.field == "reason"


@pytest.mark.parametrize(
    ("updates", "field"),
    [
        ({"phone": "not a phone"}, "phone"),
        ({"ethnicity_code": "99"}, "ethnicity_code"),
        ({"email": "nobody-at-example"}, "email"),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth"),
        ({"permanent_commune_code": "99999"}, "permanent_commune_code"),
        ({"personal_id": "004085000001"}, "personal_id"),
        ({"status": "deceased", "date_of_death": "1900-01-01"}, "date_of_death"),
    ],
)
def test_record_change_rejects_invalid_values_naming_the_field(
    db: Session, updates: dict[str, str | None], field: str
) -> None:
    citizen = make_citizen(db, sex="M", birth_year=1985)
    with pytest.raises(ValidationFailed) as caught:
        registry.record_change(db, OFFICER, citizen.personal_id, updates, reason="test")
    assert caught.value.field == field
    assert citizen.version == 1


def test_changing_birth_year_against_the_personal_id_is_refused(db: Session) -> None:
    citizen = make_citizen(db, sex="M", birth_year=1985)
    with pytest.raises(ValidationFailed) as caught:
        registry.record_change(
            db, OFFICER, citizen.personal_id, {"date_of_birth": "1986"}, reason="typo"
        )
    assert caught.value.field == "personal_id"


def test_partial_birth_date_can_be_completed(db: Session) -> None:
    citizen = make_citizen(db, sex="F", birth_year=1950, birth_month=None, birth_day=None)
    out = registry.get_citizen(db, OFFICER, citizen.personal_id, purpose=PURPOSE)
    assert out.date_of_birth == "1950"
    out = registry.record_change(
        db, OFFICER, citizen.personal_id, {"date_of_birth": "1950-03-08"}, reason="Birth cert."
    )
    assert out.date_of_birth == "1950-03-08"
    change = registry.history(db, OFFICER, citizen.personal_id, purpose=PURPOSE)[0]
    assert change.changes == {"birth_month": [None, 3], "birth_day": [None, 8]}


# --- new numbers --------------------------------------------------------------------------------


def test_allocate_personal_id_returns_unique_valid_numbers(db: Session) -> None:
    prefix = pid.prefix_for("004", "F", 2026)
    taken = make_citizen(db, personal_id=f"{prefix}000002", sex="F", birth_year=2026)
    numbers = [
        registry.allocate_personal_id(db, birth_province_code="004", sex="F", birth_year=2026)
        for _ in range(25)
    ]
    assert len(set(numbers)) == 25
    assert taken.personal_id not in numbers  # an existing number is skipped
    for number in numbers:
        parsed = pid.check_consistency(number, birth_year=2026, sex="F")
        assert parsed.province_code == "004"
    assert numbers[0] == f"{prefix}000001"


def test_allocate_personal_id_rejects_unknown_sex_and_province(db: Session) -> None:
    with pytest.raises(ValidationFailed) as caught:
        registry.allocate_personal_id(db, birth_province_code="004", sex="X", birth_year=2026)
    assert caught.value.field == "sex"
    with pytest.raises(ValidationFailed) as caught:
        registry.allocate_personal_id(db, birth_province_code="003", sex="M", birth_year=2026)
    assert caught.value.field == "birth_province_code"
