"""Dossiers: pre-fill with its sources (audited), drafts, idempotent submission with the
Circular's code, the workflow's moves on the legal clock, queues scoped by commune."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from oncegov.audit.models import AuditEntry
from oncegov.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from oncegov.kit import clock
from oncegov.kit.repository import Page
from oncegov.kit.workflow import TransitionRefused
from oncegov.procedures.dossiers import service
from oncegov.procedures.dossiers.models import Dossier, DossierEvent
from tests.fixtures import COMMUNE_A, COMMUNE_B, make_citizen
from tests.procedures.dossier_helpers import (
    TEMPORARY_RESIDENCE,
    TYPED,
    VN,
    applicant,
    at,
    load,
    officer,
    roles_in,
)


def _audits(db: Session, action: str, personal_id: str) -> list[AuditEntry]:
    return list(
        db.scalars(
            select(AuditEntry).where(
                AuditEntry.action == action, AuditEntry.subject_personal_id == personal_id
            )
        )
    )


def _submitted(db: Session, monkeypatch: pytest.MonkeyPatch, key: str = "key-00000001"):
    citizen, actor = applicant(db)
    draft = service.start_draft(db, actor, citizen.personal_id, TEMPORARY_RESIDENCE)
    service.save_draft(db, citizen.personal_id, draft.id, TYPED)
    dossier = service.submit(db, actor, citizen.personal_id, draft.id, key)
    return citizen, actor, dossier


def test_the_form_is_prefilled_from_the_registry_locked_with_its_source_and_audited(
    db: Session,
) -> None:
    load(db)
    citizen, actor = applicant(db, full_name="Nguyễn Thị Hằng")
    draft = service.start_draft(db, actor, citizen.personal_id, TEMPORARY_RESIDENCE)
    view = service.draft_form(db, actor, citizen.personal_id, draft.id)
    by_key = {f.key: f for f in view.fields}
    assert by_key["full_name"].value == "Nguyễn Thị Hằng"
    assert by_key["full_name"].locked and by_key["full_name"].source_kind == "registry"
    assert by_key["personal_id"].value == citizen.personal_id
    assert by_key["date_of_birth"].value  # the registry's written form
    assert not by_key["temporary_address"].locked and by_key["temporary_address"].value is None
    assert by_key["lawful_residence_proof"].source_kind == "exchange"
    reads = _audits(db, "registry.read", citizen.personal_id)
    assert len(reads) == 2  # the draft's start and its reopening
    assert {r.purpose for r in reads} == {"procedure 1.004194"}


def test_a_draft_keeps_typed_values_and_refuses_a_bad_one_by_field(db: Session) -> None:
    load(db)
    citizen, actor = applicant(db)
    draft = service.start_draft(db, actor, citizen.personal_id, TEMPORARY_RESIDENCE)
    service.save_draft(db, citizen.personal_id, draft.id, {"temporary_address": "Tổ 9"})
    with pytest.raises(ValidationFailed) as refused:
        service.save_draft(db, citizen.personal_id, draft.id, {"stay_until": "31/02/2027"})
    assert refused.value.field == "stay_until"
    # A locked field sent by the browser is ignored: the registry's value stays.
    service.save_draft(db, citizen.personal_id, draft.id, {"full_name": "Someone Else"})
    view = service.draft_form(db, actor, citizen.personal_id, draft.id)
    by_key = {f.key: f for f in view.fields}
    assert by_key["temporary_address"].value == "Tổ 9"
    assert by_key["full_name"].value == citizen.full_name
    other, _ = applicant(db)
    with pytest.raises(NotFound):
        service.draft(db, other.personal_id, draft.id)


def test_submission_needs_every_required_typed_field(db: Session) -> None:
    load(db)
    citizen, actor = applicant(db)
    draft = service.start_draft(db, actor, citizen.personal_id, TEMPORARY_RESIDENCE)
    with pytest.raises(ValidationFailed) as refused:
        service.submit(db, actor, citizen.personal_id, draft.id, "key-00000001")
    assert refused.value.field == "temporary_address"
    fields = {e["field"] for e in refused.value.params["errors"]}
    assert fields == {"temporary_address", "stay_until", "lawful_residence_proof"}
    assert db.scalar(select(func.count()).select_from(Dossier)) == 0


def test_submission_is_idempotent_and_coded_agency_day_sequence(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(db)
    at(monkeypatch, 2026, 12, 7, 9, 30)  # a Monday
    citizen, actor, first = _submitted(db, monkeypatch)
    assert first.code == f"X{COMMUNE_A}-261207-0001"
    again = service.submit(db, actor, citizen.personal_id, 999_999, "key-00000001")
    assert again.id == first.id  # the draft is gone; the key finds the dossier
    _, _, second = _submitted(db, monkeypatch, key="key-00000002")
    assert second.code == f"X{COMMUNE_A}-261207-0002"
    assert db.scalar(select(func.count()).select_from(Dossier)) == 2
    # 3 working days from Monday morning: Thursday, the office's closing time.
    assert first.due_day == dt.date(2026, 12, 10)
    assert first.due_at.astimezone(VN).hour == 17
    assert first.form["full_name"] == {"value": citizen.full_name, "source": "registry:full_name"}
    assert first.form["temporary_address"]["source"] == "applicant"
    submits = _audits(db, "dossier.submit", citizen.personal_id)
    assert len(submits) == 1 and json.loads(submits[0].detail)["dossier"] == first.code


def test_after_the_cutoff_counting_starts_the_next_working_day(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(db)
    at(monkeypatch, 2026, 12, 11, 17, 30)  # Friday after closing
    _, _, dossier = _submitted(db, monkeypatch)
    assert dossier.code.endswith("-261211-0001")  # the day it was received
    assert dossier.due_day == dt.date(2026, 12, 17)  # counts from Monday 14: Thursday 17


def test_the_workflow_moves_pause_for_additions_and_the_due_date_moves(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(db)
    at(monkeypatch, 2026, 12, 7, 9, 0)  # Monday
    citizen, actor, dossier = _submitted(db, monkeypatch)
    roles = roles_in()
    clerk, police, head = officer("clerk"), officer("police"), officer("head")
    with pytest.raises(TransitionRefused) as refused:
        service.officer_move(db, clerk, dossier.code, "refused_to_accept", roles=roles)
    assert refused.value.code == "reason_required"
    with pytest.raises(PermissionDenied):
        service.officer_move(
            db, police, dossier.code, "accepted", roles=roles_in(COMMUNE_A, "processor")
        )
    service.officer_move(db, clerk, dossier.code, "accepted", roles=roles)
    service.officer_move(db, clerk, dossier.code, "assigned", roles=roles)
    service.officer_move(db, police, dossier.code, "processing", roles=roles)
    at(monkeypatch, 2026, 12, 8, 10, 0)  # Tuesday: additions asked for
    service.officer_move(
        db,
        police,
        dossier.code,
        "additions_requested",
        roles=roles,
        reason="Thiếu bản sao hợp đồng thuê nhà",
    )
    assert dossier.paused_since is not None and dossier.additions_requests == 1
    with pytest.raises(NotFound):  # someone else's dossier does not exist for them
        service.supply_additions(db, actor, make_citizen(db).personal_id, dossier.code, None)
    at(monkeypatch, 2026, 12, 10, 8, 30)  # Thursday: the citizen supplies them
    service.supply_additions(db, actor, citizen.personal_id, dossier.code, "Đã bổ sung")
    assert dossier.state == "processing" and dossier.paused_since is None
    # Waited: the working days after the request up to the day supplied (Wednesday,
    # Thursday; kit.calendar's rule), so Thursday 10th moves two working days to Monday 14th.
    assert dossier.due_day == dt.date(2026, 12, 14)
    service.officer_move(db, police, dossier.code, "submitted_for_approval", roles=roles)
    service.officer_move(db, head, dossier.code, "approved", roles=roles)
    service.officer_move(db, police, dossier.code, "result_ready", roles=roles)
    assert dossier.outcome == "early"  # Thursday 10th, due Monday 14th
    service.officer_move(db, clerk, dossier.code, "returned", roles=roles)
    assert dossier.ended_at is not None
    events = db.scalars(
        select(DossierEvent).where(DossierEvent.dossier_id == dossier.id).order_by(DossierEvent.seq)
    ).all()
    assert [e.to_state for e in events] == [
        "received",
        "accepted",
        "assigned",
        "processing",
        "additions_requested",
        "processing",
        "submitted_for_approval",
        "approved",
        "result_ready",
        "returned",
    ]
    assert events[4].form == "02" and events[4].reason == "Thiếu bản sao hợp đồng thuê nhà"
    assert events[3].due_at.date() == dt.date(2026, 12, 10)
    assert events[5].due_at.astimezone(VN).date() == dt.date(2026, 12, 14)
    assert len(_audits(db, "dossier.move", citizen.personal_id)) == 9
    with pytest.raises(TransitionRefused) as finished:
        service.officer_move(db, clerk, dossier.code, "accepted", roles=roles)
    assert finished.value.code == "already_finished"


def test_a_late_result_is_counted_late(db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    load(db)
    at(monkeypatch, 2026, 12, 7, 9, 0)
    _, _, dossier = _submitted(db, monkeypatch)
    roles = roles_in()
    for state in ("accepted", "assigned", "processing", "submitted_for_approval", "approved"):
        service.officer_move(db, officer("o"), dossier.code, state, roles=roles)
    at(monkeypatch, 2026, 12, 11, 9, 0)  # Friday, due Thursday
    service.officer_move(db, officer("o"), dossier.code, "result_ready", roles=roles)
    assert dossier.outcome == "late"
    stats = service.statistics(db, roles["receiver"], dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    assert stats == {}  # not ended yet: the statistics count finished dossiers
    service.officer_move(db, officer("o"), dossier.code, "returned", roles=roles)
    stats = service.statistics(db, roles["receiver"], dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    assert stats[TEMPORARY_RESIDENCE]["late"] == 1


def test_queues_are_scoped_by_commune_and_role(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(db)
    at(monkeypatch, 2026, 12, 7, 9, 0)
    _, _, dossier = _submitted(db, monkeypatch)
    page = Page(50)
    clerk = officer("clerk")
    assert [d.code for d in service.queue(db, clerk, roles_in(), page).items] == [dossier.code]
    assert service.queue(db, clerk, roles_in(COMMUNE_B), page).items == []
    assert service.queue(db, clerk, roles_in(COMMUNE_A, "processor"), page).items == []
    assert [d.code for d in service.queue(db, clerk, roles_in(), page, view="new").items] == [
        dossier.code
    ]
    assert service.queue(db, clerk, roles_in(), page, view="overdue").items == []
    at(monkeypatch, 2026, 12, 11, 9, 0)  # past the due day
    assert [d.code for d in service.queue(db, clerk, roles_in(), page, view="overdue").items] == [
        dossier.code
    ]
    with pytest.raises(NotFound):
        service.officer_move(db, clerk, dossier.code, "accepted", roles=roles_in(COMMUNE_B))
    with pytest.raises(ValidationFailed):
        service.queue(db, clerk, roles_in(), page, view="everything")


def test_the_due_soon_view_holds_what_is_due_by_the_end_of_the_next_working_day(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(db)
    at(monkeypatch, 2026, 12, 7, 9, 0)  # Monday
    _, _, dossier = _submitted(db, monkeypatch)  # due Thursday 10th
    page, clerk = Page(50), officer("clerk")
    assert service.queue(db, clerk, roles_in(), page, view="due_soon").items == []
    at(monkeypatch, 2026, 12, 9, 9, 0)  # Wednesday: due by the end of the next working day
    soon = service.queue(db, clerk, roles_in(), page, view="due_soon").items
    assert [d.code for d in soon] == [dossier.code]
    at(monkeypatch, 2026, 12, 11, 9, 0)  # Friday: overdue, no longer "due soon"
    assert service.queue(db, clerk, roles_in(), page, view="due_soon").items == []


def test_due_soon_warns_once(db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    load(db)
    at(monkeypatch, 2026, 12, 7, 9, 0)
    _, _, dossier = _submitted(db, monkeypatch)  # due Thursday 10th
    assert service.warn_due_soon(db) == 0
    at(monkeypatch, 2026, 12, 9, 9, 0)  # Wednesday: due within one working day
    assert service.warn_due_soon(db) == 1
    assert service.warn_due_soon(db) == 0
    db.refresh(dossier)
    assert dossier.warned_at is not None


def test_only_the_applicant_or_the_person_concerned_sees_a_dossier(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(db)
    citizen, _actor, dossier = _submitted(db, monkeypatch)
    assert service.citizen_dossier(db, citizen.personal_id, dossier.code).id == dossier.id
    with pytest.raises(NotFound):
        service.citizen_dossier(db, make_citizen(db).personal_id, dossier.code)
    mine = service.dossiers_of(db, citizen.personal_id, Page(10))
    assert [d.code for d in mine.items] == [dossier.code]


def test_withdrawal_ends_the_dossier(db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    load(db)
    citizen, actor, dossier = _submitted(db, monkeypatch)
    service.withdraw(db, actor, citizen.personal_id, dossier.code)
    assert dossier.ended_at is not None
    with pytest.raises(Conflict):
        service.withdraw(db, actor, citizen.personal_id, dossier.code)
    line = service.timeline(db, dossier)
    assert [e.to_state for e in line.events] == ["received", "withdrawn"]


def test_a_form_about_a_relative_reads_them_through_the_registry_links(
    db: Session,
) -> None:
    load(db)
    mother, actor = applicant(db, full_name="Hoàng Thị Lan")
    child = make_citizen(db, full_name="Hoàng Văn An", mother_personal_id=mother.personal_id)
    draft = service.start_draft(db, actor, mother.personal_id, "1.000656")  # death registration
    view = service.draft_form(db, actor, mother.personal_id, draft.id)
    assert [c.personal_id for c in view.candidates] == [child.personal_id]
    by_key = {f.key: f for f in view.fields}
    assert by_key["deceased_name"].value == "Hoàng Văn An" and by_key["deceased_name"].locked
    reads = _audits(db, "registry.read_relative", child.personal_id)
    assert reads and reads[0].purpose == "procedure 1.000656"
    stranger = make_citizen(db)
    with pytest.raises(NotFound):
        service.start_draft(
            db, actor, mother.personal_id, "1.000656", subject_personal_id=stranger.personal_id
        )


def test_a_late_dossier_gets_an_apology_letter_with_a_new_appointment(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(db)
    at(monkeypatch, 2026, 12, 7, 9, 0)  # Monday; due Thursday 10th
    _, _, dossier = _submitted(db, monkeypatch)
    roles = roles_in()
    assert service.apology_draft(db, dossier) is None  # not late
    with pytest.raises(Conflict):
        service.apologise(
            db, officer("o"), dossier.code, roles=roles, reason="x", new_day=dt.date(2026, 12, 14)
        )
    at(monkeypatch, 2026, 12, 11, 9, 0)  # Friday: late
    draft = service.apology_draft(db, dossier)
    assert draft is not None and draft.new_day == dt.date(2026, 12, 16)  # 3 working days on
    with pytest.raises(ValidationFailed) as weekend:
        service.apologise(
            db,
            officer("o"),
            dossier.code,
            roles=roles,
            reason="Cần xác minh",
            new_day=dt.date(2026, 12, 13),
        )
    assert weekend.value.field == "new_day"
    service.apologise(
        db,
        officer("o"),
        dossier.code,
        roles=roles,
        reason="Cần xác minh thêm",
        new_day=draft.new_day,
    )
    assert dossier.due_day == dt.date(2026, 12, 16)
    last = db.scalars(
        select(DossierEvent)
        .where(DossierEvent.dossier_id == dossier.id)
        .order_by(DossierEvent.seq.desc())
    ).first()
    assert last is not None and last.form == "04" and last.reason == "Cần xác minh thêm"
    for state in ("accepted", "assigned", "processing", "submitted_for_approval", "approved"):
        service.officer_move(db, officer("o"), dossier.code, state, roles=roles)
    service.officer_move(db, officer("o"), dossier.code, "result_ready", roles=roles)
    assert dossier.outcome == "late"  # within the new appointment, still counted late


def test_moves_queue_their_notifications_in_the_same_transaction(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from oncegov.integrations.models import OutboxMessage
    from oncegov.kit.crypto import decrypt_field

    load(db)
    at(monkeypatch, 2026, 12, 7, 9, 0)
    citizen, _actor, dossier = _submitted(db, monkeypatch)
    roles = roles_in()
    for state in ("accepted", "assigned", "processing"):
        service.officer_move(db, officer("o"), dossier.code, state, roles=roles)
    service.officer_move(
        db, officer("o"), dossier.code, "additions_requested", roles=roles, reason="Thiếu giấy tờ"
    )
    messages = db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    # Received (event 1) and additions requested (event 5); the other states send nothing.
    assert [m.key for m in messages] == [
        f"dossier:{dossier.id}:event:1:sms",
        f"dossier:{dossier.id}:event:5:sms",
    ]
    assert decrypt_field(messages[0].recipient_encrypted) == "0912345678"
    assert dossier.code in messages[0].body and "Hẹn trả kết quả" in messages[0].body
    assert "Thiếu giấy tờ" in messages[1].body
    assert citizen.personal_id not in messages[0].body
    contact_reads = _audits(db, "registry.read_contact", citizen.personal_id)
    assert len(contact_reads) == 2


def test_the_deadline_scan_is_a_declared_periodic_job() -> None:
    from oncegov import jobs, tasks

    assert tasks.dossier_tasks.scan_deadlines.name in jobs.queue.declared()


def test_each_step_has_its_share_of_the_time_and_is_judged_against_it(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Temporary residence: 3 working days shared 0.5 / 2 / 0.5 between the commune centre,
    the commune police and the centre again, counted in office hours from the close of the
    day of receipt (Monday 7 December 2026, 10:00)."""
    from oncegov.procedures.catalogue import service as catalogue

    load(db)
    at(monkeypatch, 2026, 12, 7, 10)
    _, _, dossier = _submitted(db, monkeypatch)
    procedure = catalogue.procedure(db, TEMPORARY_RESIDENCE).definition
    roles = roles_in()
    clerk = officer("motcua.test")
    at(monkeypatch, 2026, 12, 8, 11)  # Tuesday 11:00: within the centre's half day
    for state in ("accepted", "assigned"):
        service.officer_move(db, clerk, dossier.code, state, roles=roles)
    at(monkeypatch, 2026, 12, 10, 16)  # Thursday 16:00: past the police's share (Thu 12:00)
    for state in ("processing", "submitted_for_approval", "approved", "result_ready"):
        service.officer_move(db, clerk, dossier.code, state, roles=roles)
    events = list(db.scalars(select(DossierEvent).where(DossierEvent.dossier_id == dossier.id)))
    receive, verify, notify = service.step_times(db, dossier, procedure, events)
    local = [clock.local(s.due_at).strftime("%a %d %H:%M") for s in (receive, verify, notify)]
    assert local == [
        "Tue 08 12:00",
        "Thu 10 12:00",
        "Thu 10 17:00",  # the dossier's own appointed moment
    ]
    assert clock.aware(dossier.due_at) == notify.due_at
    assert (receive.ended_at is not None, receive.late) == (True, False)
    assert (verify.ended_at is not None, verify.late) == (True, True)
    assert notify.current and notify.ended_at is None and not notify.late


@pytest.mark.parametrize(
    ("field_type", "source", "stored", "shown", "is_label"),
    [
        ("date", "registry:date_of_birth", "1985-05-17", "17/05/1985", False),
        ("date", "registry:date_of_birth", "1985-05", "05/1985", False),
        ("date", "registry:date_of_birth", "1985", "1985", False),
        ("date", "applicant", "2027-06-30", "30/06/2027", False),
        ("text", "registry:sex", "F", "Female", True),
        ("text", "registry:full_name", "Nông Thị Ánh", "Nông Thị Ánh", False),
        ("text", "applicant", None, None, False),
    ],
)
def test_stored_values_are_shown_as_people_read_them(
    field_type: str, source: str, stored: str | None, shown: str | None, is_label: bool
) -> None:
    from oncegov.procedures.dossiers import form as forms

    assert forms.shown_value(field_type, source, stored) == shown
    assert forms.shown_is_label(source) is is_label
