"""Correction requests: filing (validation, limits, double submits), the scoped queue, taking,
correcting through a new registry version, rejecting, and the audit trail."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from oncegov.errors import Conflict, NotFound, ValidationFailed
from oncegov.identity.accounts.models import EidAccount
from oncegov.registry.corrections import service
from oncegov.registry.corrections.models import CorrectionRequest
from oncegov.registry.corrections.schemas import CorrectionFiling
from oncegov.registry.models import Citizen, RegistryChange
from tests.fixtures import COMMUNE_A, COMMUNE_B, make_citizen
from tests.registry.corrections.conftest import (
    EVERYWHERE,
    IN_A,
    IN_B,
    OFFICER_A,
    OFFICER_B,
    audit_entries,
    citizen_actor,
    filing,
)


def _file(db: Session, citizen: Citizen, report: CorrectionFiling | None = None) -> int:
    return service.file_request(
        db, citizen_actor(citizen), citizen.personal_id, report or filing()
    ).id


def _count(db: Session) -> int:
    return int(db.scalar(select(func.count()).select_from(CorrectionRequest)) or 0)


# --- filing -----------------------------------------------------------------------------------


def test_filing_opens_a_request_in_the_citizens_commune_and_audits_it(
    db: Session, citizen: Citizen, account: EidAccount
) -> None:
    out = service.file_request(
        db,
        citizen_actor(citizen),
        citizen.personal_id,
        filing(("household", "full_name", "full_name")),
        account_id=account.id,
    )
    assert (out.status, out.commune_code, out.personal_id) == (
        "open",
        COMMUNE_A,
        citizen.personal_id,
    )
    assert out.fields == ["full_name", "household"]  # form order, no repeats
    assert out.proposed_value == "Nông Văn Dũng"
    stored = db.get(CorrectionRequest, out.id)
    assert stored is not None and stored.filed_by_account_id == account.id
    (entry,) = audit_entries(db, "corrections.file")
    assert (entry.actor_kind, entry.subject_personal_id) == ("citizen", citizen.personal_id)
    assert entry.purpose == service.FILING_PURPOSE
    assert f'"request": {out.id}' in entry.detail


@pytest.mark.parametrize(
    ("report", "field"),
    [
        (filing(fields=()), "fields"),
        (filing(fields=("personal_id",)), "fields"),
        (filing(fields=("shoe_size",)), "fields"),
        (filing(description="   "), "description"),
        (filing(description="x" * 1001), "description"),
        (filing(proposed_value="y" * 501), "proposed_value"),
    ],
)
def test_invalid_reports_name_the_field(
    db: Session, citizen: Citizen, report: CorrectionFiling, field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        _file(db, citizen, report)
    assert refused.value.field == field
    assert _count(db) == 0
    assert audit_entries(db, "corrections.file") == []


def test_a_report_sent_twice_files_once(db: Session, citizen: Citizen) -> None:
    first = _file(db, citizen)
    again = _file(db, citizen, filing(description="  " + filing().description + " "))
    assert again == first
    assert _count(db) == 1
    assert len(audit_entries(db, "corrections.file")) == 1


def test_at_most_three_waiting_requests_per_citizen(db: Session, citizen: Citizen) -> None:
    ids = [_file(db, citizen, filing(description=f"Error number {n}")) for n in range(3)]
    with pytest.raises(Conflict) as refused:
        _file(db, citizen, filing(description="One too many"))
    assert (refused.value.code, refused.value.field) == ("too_many_open_requests", "fields")
    assert refused.value.params["limit"] == service.MAX_ACTIVE_PER_CITIZEN
    # Another citizen is not affected; and once one is handled, there is room again.
    other = make_citizen(db)
    _file(db, other, filing(description="Error number 0"))
    service.reject(db, OFFICER_A, IN_A, ids[0], "The birth certificate agrees with the record")
    _file(db, citizen, filing(description="One too many"))


def test_filing_for_a_citizen_not_in_the_registry_is_not_found(db: Session) -> None:
    with pytest.raises(NotFound):
        service.file_request(db, OFFICER_A, "004085999999", filing())


def test_own_record_is_read_through_the_registry_and_audited(db: Session, citizen: Citizen) -> None:
    record = service.own_record(db, citizen_actor(citizen), citizen.personal_id)
    assert record.citizen.full_name == "Nông Văn Dung"
    (entry,) = audit_entries(db, "registry.read")
    assert (entry.actor_kind, entry.actor_id) == ("citizen", citizen.personal_id)
    assert (entry.subject_personal_id, entry.purpose) == (
        citizen.personal_id,
        service.OWN_RECORD_PURPOSE,
    )


def test_requests_of_lists_only_the_citizens_own_newest_first(
    db: Session, citizen: Citizen
) -> None:
    first = _file(db, citizen)
    second = _file(db, citizen, filing(("sex",), "I am a woman"))
    _file(db, make_citizen(db), filing())
    assert [r.id for r in service.requests_of(db, citizen.personal_id)] == [second, first]


# --- the queue and scoping --------------------------------------------------------------------


def test_the_queue_shows_requests_of_citizens_in_scope_only(db: Session, citizen: Citizen) -> None:
    in_a = _file(db, citizen)
    lives_in_b = make_citizen(db, permanent_commune_code=COMMUNE_B, current_commune_code=COMMUNE_B)
    in_b = _file(db, lives_in_b)
    # Registered in A permanently, staying in B: both communes see it, as they see the record.
    staying_in_b = make_citizen(db, temporary_commune_code=COMMUNE_B)
    both = _file(db, staying_in_b)
    assert [r.id for r in service.list_queue(db, IN_A).items] == [in_a, both]
    assert [r.id for r in service.list_queue(db, IN_B).items] == [in_b, both]
    page = service.list_queue(db, EVERYWHERE)
    assert (page.total, [r.id for r in page.items]) == (3, [in_a, in_b, both])
    with pytest.raises(NotFound):
        service.request_detail(db, OFFICER_B, IN_B, in_a)
    for action in (service.take, lambda *a: service.reject(*a, "No")):
        with pytest.raises(NotFound):
            action(db, OFFICER_B, IN_B, in_a)
    with pytest.raises(NotFound):
        service.resolve_corrected(db, OFFICER_B, IN_B, in_a, {"full_name": "Nông Văn Dũng"})
    assert db.get(CorrectionRequest, in_a).status == "open"  # type: ignore[union-attr]


def test_queue_filters_by_status(db: Session, citizen: Citizen) -> None:
    waiting = _file(db, citizen)
    taken = _file(db, citizen, filing(("sex",), "Wrong sex"))
    rejected = _file(db, citizen, filing(("hometown",), "Wrong hometown"))
    service.take(db, OFFICER_A, IN_A, taken)
    service.reject(db, OFFICER_A, IN_A, rejected, "The record is right")

    def ids(status: str) -> list[int]:
        return [r.id for r in service.list_queue(db, IN_A, status).items]

    assert ids("active") == [waiting, taken]
    assert ids("open") == [waiting]
    assert ids("in_review") == [taken]
    assert ids("rejected") == [rejected]
    assert ids("all") == [waiting, taken, rejected]
    with pytest.raises(ValidationFailed) as refused:
        ids("lost")
    assert refused.value.field == "status"


def test_viewing_a_request_reads_the_record_through_the_registry_with_a_purpose(
    db: Session, citizen: Citizen
) -> None:
    request_id = _file(db, citizen)
    detail = service.request_detail(db, OFFICER_A, IN_A, request_id)
    assert detail.citizen.personal_id == citizen.personal_id
    assert detail.columns == ["full_name"]
    (entry,) = audit_entries(db, "registry.read")
    assert (entry.actor_id, entry.subject_personal_id) == ("xa.thucphan", citizen.personal_id)
    assert entry.purpose == f"Handling correction request #{request_id}"


# --- handling ---------------------------------------------------------------------------------


def test_taking_a_request_puts_it_in_review_once(db: Session, citizen: Citizen) -> None:
    request_id = _file(db, citizen)
    out = service.take(db, OFFICER_A, IN_A, request_id)
    assert (out.status, out.handled_by) == ("in_review", "officer:xa.thucphan")
    assert out.taken_at is not None
    with pytest.raises(Conflict):
        service.take(db, OFFICER_A, IN_A, request_id)
    (entry,) = audit_entries(db, "corrections.take")
    assert entry.subject_personal_id == citizen.personal_id


def test_correcting_writes_a_registry_version_and_links_it(db: Session, citizen: Citizen) -> None:
    request_id = _file(db, citizen, filing(("full_name", "household")))
    service.take(db, OFFICER_A, IN_A, request_id)
    out = service.resolve_corrected(
        db,
        OFFICER_A,
        IN_A,
        request_id,
        {"full_name": "Nông Văn Dũng"},
        note="Checked against the birth certificate",
        legal_reference="GKS 45/1985",
    )
    assert out.status == "resolved_corrected" and out.registry_version == 2
    assert out.handled_at is not None and out.resolution_note.startswith("Checked")  # type: ignore[union-attr]
    assert citizen.full_name == "Nông Văn Dũng" and citizen.version == 2
    change = db.scalar(
        select(RegistryChange).where(
            RegistryChange.entity_key == citizen.personal_id,
            RegistryChange.version == out.registry_version,
        )
    )
    assert change is not None
    assert change.changes["full_name"] == ["Nông Văn Dung", "Nông Văn Dũng"]
    assert change.reason == (
        f"Correction request #{request_id}: Checked against the birth certificate"
    )
    assert (change.actor, change.legal_reference) == ("officer:xa.thucphan", "GKS 45/1985")
    assert len(audit_entries(db, "registry.change")) == 1
    (entry,) = audit_entries(db, "corrections.resolve")
    assert '"version": 2' in entry.detail
    with pytest.raises(Conflict):
        service.reject(db, OFFICER_A, IN_A, request_id, "Too late")


def test_an_open_request_can_be_corrected_without_being_taken(
    db: Session, citizen: Citizen
) -> None:
    request_id = _file(db, citizen, filing(("hometown",), "My hometown is Trùng Khánh"))
    out = service.resolve_corrected(
        db, OFFICER_A, EVERYWHERE, request_id, {"hometown": "Trùng Khánh, Cao Bằng"}
    )
    assert out.status == "resolved_corrected" and out.taken_at is not None
    assert citizen.hometown == "Trùng Khánh, Cao Bằng"


@pytest.mark.parametrize(
    ("updates", "field"),
    [
        ({}, "changes"),  # nothing changed
        ({"sex": "F"}, "sex"),  # not reported
        ({"personal_id": "004085000001"}, "personal_id"),
        ({"full_name": ""}, "full_name"),  # the registry's own validation
        ({"full_name": "Nông Văn Dung"}, "changes"),  # the same value
    ],
)
def test_a_refused_correction_changes_nothing(
    db: Session, citizen: Citizen, updates: dict[str, str | None], field: str
) -> None:
    request_id = _file(db, citizen)
    with pytest.raises(ValidationFailed) as refused:
        service.resolve_corrected(db, OFFICER_A, IN_A, request_id, updates)
    assert refused.value.field == field
    assert db.get(CorrectionRequest, request_id).status == "open"  # type: ignore[union-attr]
    assert citizen.version == 1
    assert audit_entries(db, "corrections.resolve") == []


def test_the_registrys_validation_of_the_whole_record_applies(
    db: Session, citizen: Citizen
) -> None:
    request_id = _file(db, citizen, filing(("sex",), "I am a woman"))
    with pytest.raises(ValidationFailed) as refused:
        service.resolve_corrected(db, OFFICER_A, IN_A, request_id, {"sex": "F"})
    assert refused.value.field == "personal_id"  # the number encodes the sex
    assert citizen.sex == "M" and citizen.version == 1


def test_rejecting_needs_a_reason(db: Session, citizen: Citizen) -> None:
    request_id = _file(db, citizen)
    with pytest.raises(ValidationFailed) as refused:
        service.reject(db, OFFICER_A, IN_A, request_id, "  ")
    assert refused.value.field == "note"
    with pytest.raises(ValidationFailed) as too_long:
        service.reject(db, OFFICER_A, IN_A, request_id, "n" * 501)
    assert too_long.value.field == "note"
    out = service.reject(db, OFFICER_A, IN_A, request_id, "The birth certificate says Dung")
    assert (out.status, out.resolution_note) == ("rejected", "The birth certificate says Dung")
    assert out.registry_version is None and citizen.version == 1
    (entry,) = audit_entries(db, "corrections.reject")
    assert entry.subject_personal_id == citizen.personal_id
    with pytest.raises(Conflict):
        service.resolve_corrected(db, OFFICER_A, IN_A, request_id, {"full_name": "X Y"})
