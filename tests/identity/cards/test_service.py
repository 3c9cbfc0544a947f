"""cards.service: intake with its refusals (each naming its field), fees, delivery from the
registry, idempotency, scope, the one-step-at-a-time pipeline, rejection, audit entries."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from oncegov.audit.models import AuditEntry
from oncegov.errors import Conflict, NotFound, ValidationFailed
from oncegov.identity.cards import service
from oncegov.identity.cards.models import IdCardApplication, IdCardApplicationStep
from oncegov.registry.models import Citizen
from tests.fixtures import COMMUNE_A, COMMUNE_B, make_citizen
from tests.identity.cards.conftest import (
    DESK_A,
    DESK_B,
    NOW,
    SCOPE_A,
    SCOPE_B,
    intake_for,
    province_scope,
)


def _audit(db: Session, action: str, personal_id: str) -> list[AuditEntry]:
    return list(
        db.scalars(
            select(AuditEntry).where(
                AuditEntry.action == action, AuditEntry.subject_personal_id == personal_id
            )
        )
    )


def _receive(db: Session, citizen: Citizen, **overrides: object) -> service.ApplicationOut:
    return service.submit_application(
        db, DESK_A, intake_for(citizen, **overrides), scope=SCOPE_A, now=NOW
    )


# --- kinds and fees ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "birth_year", "fee"),
    [
        ("first_issue", 2010, 0),
        ("renewal_25", 2001, 0),
        ("renewal_40", 1986, 0),
        ("renewal_60", 1967, 0),
        ("reissue_loss", 1990, 35_000),
        ("reissue_damage", 1990, 25_000),
        ("change_of_information", 1990, 25_000),
    ],
)
def test_each_kind_is_received_with_its_fee(
    db: Session, kind: str, birth_year: int, fee: int
) -> None:
    citizen = make_citizen(db, birth_year=birth_year, sex="F")
    application = _receive(db, citizen, kind=kind)
    assert application.kind == kind
    assert application.fee_vnd == fee
    assert "Circular" in application.fee_legal_reference
    assert application.status == "received"
    assert application.received_at == NOW
    assert application.station_kind == "commune"
    assert application.station_commune_code == COMMUNE_A
    assert application.commune_code == COMMUNE_A
    assert application.received_by == DESK_A.id
    assert [s.to_status for s in application.steps] == ["received"]
    assert application.next_step == "checked"


def test_the_card_data_is_the_registry_s_and_the_intake_is_audited(db: Session) -> None:
    citizen = make_citizen(db, full_name="Hoàng Thị Ánh", sex="F", birth_year=1999)
    application = _receive(db, citizen, full_name="  hoàng   thị ÁNH ")  # case and spaces only
    assert application.full_name == "Hoàng Thị Ánh"
    assert application.date_of_birth == "1999-05-17"
    reads = _audit(db, "registry.read", citizen.personal_id)
    assert [r.purpose for r in reads] == ["chip ID-card application"]
    (received,) = _audit(db, "identity.cards.receive", citizen.personal_id)
    assert received.actor_id == DESK_A.id
    assert f'"application_id": {application.id}' in received.detail


# --- refusals, each naming its field ------------------------------------------------------


def _refused(db: Session, citizen: Citizen, error: type[Exception], **overrides: object) -> str:
    with pytest.raises(error) as caught:  # type: ignore[misc]
        _receive(db, citizen, **overrides)
    return str(caught.value.field)  # type: ignore[attr-defined]


def test_unknown_personal_id_and_outside_the_area_are_the_same_not_found(db: Session) -> None:
    elsewhere = make_citizen(db, permanent_commune_code=COMMUNE_B, current_commune_code=COMMUNE_B)
    with pytest.raises(NotFound) as outside:
        _receive(db, elsewhere)
    unknown = intake_for(elsewhere, personal_id="004099999999")
    with pytest.raises(NotFound) as missing:
        service.submit_application(db, DESK_A, unknown, scope=SCOPE_A, now=NOW)
    assert outside.value.field == missing.value.field == "personal_id"
    assert outside.value.message == missing.value.message
    assert db.scalar(select(IdCardApplication.id)) is None


def test_malformed_personal_id(db: Session) -> None:
    citizen = make_citizen(db)
    assert _refused(db, citizen, ValidationFailed, personal_id="12345") == "personal_id"


@pytest.mark.parametrize("status", ["deceased", "missing"])
def test_deceased_or_missing_citizen(db: Session, status: str) -> None:
    citizen = make_citizen(db, status=status)
    with pytest.raises(ValidationFailed) as caught:
        _receive(db, citizen)
    assert caught.value.field == "personal_id"
    assert caught.value.code == f"citizen_{status}"


def test_under_14_for_a_first_issue(db: Session) -> None:
    child = make_citizen(db, birth_year=2012, birth_month=11, birth_day=29)  # 14 tomorrow
    with pytest.raises(ValidationFailed) as caught:
        _receive(db, child)
    assert (caught.value.field, caught.value.code) == ("date_of_birth", "too_young")
    fourteen = make_citizen(db, birth_year=2012, birth_month=11, birth_day=28)
    assert _receive(db, fourteen).status == "received"


@pytest.mark.parametrize(
    ("field", "declared"),
    [
        ("full_name", {"full_name": "Nong Van Dung"}),  # accents matter on a card
        ("full_name", {"full_name": "Nông Văn Dũng Anh"}),
        ("date_of_birth", {"date_of_birth": "18/5/1985"}),
        ("date_of_birth", {"date_of_birth": "1985"}),  # the registry knows the full date
        ("sex", {"sex": "F"}),
    ],
)
def test_declaration_that_differs_from_the_registry(
    db: Session, field: str, declared: dict[str, str]
) -> None:
    citizen = make_citizen(db, full_name="Nông Văn Dũng", birth_year=1985, sex="M")
    with pytest.raises(ValidationFailed) as caught:
        _receive(db, citizen, **declared)
    assert (caught.value.field, caught.value.code) == (field, "registry_mismatch")


def test_year_only_record_takes_a_year_only_declaration(db: Session) -> None:
    citizen = make_citizen(db, birth_year=1950, birth_month=None, birth_day=None)
    assert _receive(db, citizen, date_of_birth="1950", kind="reissue_loss").date_of_birth == "1950"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"portrait_captured": False}, "portrait_captured"),
        ({"fingerprints_captured": False}, "fingerprints_captured"),
        ({"kind": "renewal_30"}, "kind"),
        ({"sex": "X"}, "sex"),
        ({"date_of_birth": "30/2/1985"}, "date_of_birth"),
        ({"delivery": "courier"}, "delivery"),
        ({"delivery": "post"}, "delivery_address_source"),
        ({"station": COMMUNE_B}, "station"),
        ({"station": "province"}, "station"),
        ({"register_eid_level2": True, "eid_phone": "12345"}, "eid_phone"),
    ],
)
def test_form_errors_name_their_field(
    db: Session, overrides: dict[str, object], field: str
) -> None:
    citizen = make_citizen(db)
    assert _refused(db, citizen, ValidationFailed, **overrides) == field


@pytest.mark.parametrize(
    ("kind", "birth_year", "allowed"),
    [
        ("renewal_25", 2001, True),  # turned 25 in May 2026
        ("renewal_25", 2002, True),  # turns 25 in May 2027: within 2 years before
        ("renewal_25", 2005, False),  # 21: not due
        ("renewal_25", 1980, False),  # 46: the renewal at 40 is the one due
        ("renewal_40", 1980, True),
        ("renewal_40", 1990, False),
        ("renewal_60", 1968, True),  # turns 60 in 2028
        ("renewal_60", 1970, False),
        ("renewal_60", 1940, True),  # no end to the last window
    ],
)
def test_renewal_only_within_its_legal_window(
    db: Session, kind: str, birth_year: int, allowed: bool
) -> None:
    citizen = make_citizen(db, birth_year=birth_year)
    if allowed:
        assert _receive(db, citizen, kind=kind).kind == kind
        return
    with pytest.raises(ValidationFailed) as caught:
        _receive(db, citizen, kind=kind)
    assert (caught.value.field, caught.value.code) == ("kind", "renewal_not_due")
    assert caught.value.params["opens"]


def test_a_renewal_already_done_at_this_age_is_refused(db: Session) -> None:
    citizen = make_citizen(db, birth_year=2001)
    done = _receive(db, citizen, kind="renewal_25")
    for step in ("checked", "sent_for_production", "produced", "returned"):
        service.advance(db, DESK_A, done.id, step, scope=SCOPE_A, now=NOW)
    with pytest.raises(Conflict) as caught:
        _receive(db, citizen, kind="renewal_25")
    assert (caught.value.field, caught.value.code) == ("kind", "already_renewed")


def test_one_application_in_progress_per_citizen(db: Session) -> None:
    citizen = make_citizen(db)
    first = _receive(db, citizen, kind="reissue_loss")
    with pytest.raises(Conflict) as caught:
        _receive(db, citizen, kind="reissue_damage")
    assert (caught.value.field, caught.value.code) == ("personal_id", "application_in_progress")
    service.advance(db, DESK_A, first.id, "rejected", scope=SCOPE_A, reason="Papers missing")
    assert _receive(db, citizen, kind="reissue_damage").status == "received"


def test_the_database_itself_refuses_a_second_application_in_progress(db: Session) -> None:
    citizen = make_citizen(db)
    first = _receive(db, citizen)
    row = db.get(IdCardApplication, first.id)
    assert row is not None
    twin = IdCardApplication(
        **{
            c.name: getattr(row, c.name)
            for c in IdCardApplication.__table__.columns
            if c.name not in ("id", "client_token")
        }
    )
    with pytest.raises(IntegrityError), db.begin_nested():
        db.add(twin)
        db.flush()
    twin.status, twin.returned_at = "returned", NOW  # a finished one is no obstacle
    with db.begin_nested():
        db.add(twin)
        db.flush()


# --- delivery ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "commune", "address"),
    [("permanent", COMMUNE_A, "Tổ 3, Phường Thục Phán"), ("current", COMMUNE_B, "Số 5 Kim Đồng")],
)
def test_post_goes_to_the_registry_address_the_officer_chose(
    db: Session, source: str, commune: str, address: str
) -> None:
    citizen = make_citizen(
        db,
        permanent_address="Tổ 3, Phường Thục Phán",
        current_commune_code=COMMUNE_B,
        current_address="Số 5 Kim Đồng",
    )
    application = _receive(db, citizen, delivery="post", delivery_address_source=source)
    assert application.delivery == "post"
    assert application.delivery_address_source == source
    assert (application.delivery_commune_code, application.delivery_address) == (commune, address)


def test_post_to_an_address_the_registry_lacks_is_refused(db: Session) -> None:
    citizen = make_citizen(db, current_commune_code=None, current_address=None)
    assert (
        _refused(db, citizen, ValidationFailed, delivery="post", delivery_address_source="current")
        == "delivery_address_source"
    )


def test_collection_at_the_station_keeps_no_address(db: Session) -> None:
    citizen = make_citizen(db)
    application = _receive(db, citizen, delivery="station", delivery_address_source="permanent")
    assert application.delivery_address is None and application.delivery_address_source is None


# --- idempotency, stations, scope --------------------------------------------------------------


def test_a_repeated_submission_returns_the_same_application(db: Session) -> None:
    citizen = make_citizen(db)
    first = _receive(db, citizen, client_token="form-1")
    again = _receive(db, citizen, client_token="form-1")
    assert again.id == first.id
    assert db.scalars(select(IdCardApplication.id)).all() == [first.id]
    with pytest.raises(Conflict) as caught:
        _receive(db, make_citizen(db), client_token="form-1")
    assert (caught.value.field, caught.value.code) == ("client_token", "idempotency_key_reused")


def test_the_provincial_station(db: Session) -> None:
    citizen = make_citizen(db, permanent_commune_code=COMMUNE_B)
    scope = province_scope(db)
    application = service.submit_application(db, DESK_A, intake_for(citizen), scope=scope, now=NOW)
    assert (application.station_kind, application.station_commune_code) == ("province", None)
    assert application.commune_code == COMMUNE_B
    at_commune = service.submit_application(
        db, DESK_B, intake_for(make_citizen(db), station=COMMUNE_A), scope=scope, now=NOW
    )
    assert at_commune.station_commune_code == COMMUNE_A


def test_an_officer_sees_only_applications_of_their_area(db: Session) -> None:
    citizen = make_citizen(db)
    application = _receive(db, citizen)
    assert service.get_application(db, DESK_A, application.id, scope=SCOPE_A).id == application.id
    with pytest.raises(NotFound):
        service.get_application(db, DESK_B, application.id, scope=SCOPE_B)
    with pytest.raises(NotFound):
        service.advance(db, DESK_B, application.id, "checked", scope=SCOPE_B)
    assert service.list_applications(db, DESK_B, scope=SCOPE_B).total == 0
    assert service.list_applications(db, DESK_A, scope=SCOPE_A).total == 1


def test_temporary_residents_are_served_and_seen_by_the_station_that_received_them(
    db: Session,
) -> None:
    citizen = make_citizen(db, permanent_commune_code=COMMUNE_B, temporary_commune_code=COMMUNE_A)
    application = _receive(db, citizen)
    assert application.commune_code == COMMUNE_B  # counted where the citizen lives
    assert application.station_commune_code == COMMUNE_A
    assert service.get_application(db, DESK_A, application.id, scope=SCOPE_A).id == application.id
    assert service.get_application(db, DESK_B, application.id, scope=SCOPE_B).id == application.id


def test_list_filters_and_pages(db: Session) -> None:
    for kind, birth_year in (("first_issue", 2010), ("reissue_loss", 1990), ("reissue_loss", 1991)):
        _receive(db, make_citizen(db, birth_year=birth_year), kind=kind)
    losses = service.list_applications(db, DESK_A, scope=SCOPE_A, kind="reissue_loss")
    assert losses.total == 2 and {r.kind for r in losses.rows} == {"reissue_loss"}
    page_2 = service.list_applications(db, DESK_A, scope=SCOPE_A, per_page=2, page=2)
    assert (page_2.total, len(page_2.rows)) == (3, 1)
    assert service.list_applications(db, DESK_A, scope=SCOPE_A, status="produced").total == 0
    with pytest.raises(ValidationFailed) as caught:
        service.list_applications(db, DESK_A, scope=SCOPE_A, status="lost")
    assert caught.value.field == "status"


# --- the pipeline -------------------------------------------------------------------------------


def test_forward_moves_one_step_at_a_time_with_timestamps_and_step_rows(db: Session) -> None:
    citizen = make_citizen(db, permanent_address="Tổ 3")
    application = _receive(db, citizen, delivery="post", delivery_address_source="permanent")
    moments = {}
    for hours, step in enumerate(("checked", "sent_for_production", "produced", "delivered"), 1):
        moments[step] = NOW + dt.timedelta(hours=hours)
        application = service.advance(
            db, DESK_A, application.id, step, scope=SCOPE_A, note=f"n{hours}", now=moments[step]
        )
        assert application.status == step
    assert application.checked_at == moments["checked"]
    assert application.sent_for_production_at == moments["sent_for_production"]
    assert application.produced_at == moments["produced"]
    assert application.delivered_at == moments["delivered"]
    assert application.returned_at is None and application.next_step is None
    steps = [(s.from_status, s.to_status, s.note) for s in application.steps]
    assert steps == [
        (None, "received", None),
        ("received", "checked", "n1"),
        ("checked", "sent_for_production", "n2"),
        ("sent_for_production", "produced", "n3"),
        ("produced", "delivered", "n4"),
    ]
    assert all(s.actor == "officer:cccd.thucphan" for s in application.steps)
    assert len(_audit(db, "identity.cards.step", citizen.personal_id)) == 4


@pytest.mark.parametrize(
    ("done", "to", "code", "message"),
    [
        ([], "produced", "step_skipped", "Steps cannot be skipped"),
        ([], "returned", "step_skipped", "Steps cannot be skipped"),
        (["checked"], "checked", "already_done", "already checked"),
        (
            ["checked", "sent_for_production", "produced"],
            "checked",
            "already_done",
            "already produced",
        ),
        (
            ["checked", "sent_for_production", "produced"],
            "delivered",
            "wrong_delivery",
            "collected at the station",
        ),
        (
            ["checked", "sent_for_production", "produced", "returned"],
            "returned",
            "already_returned",
            "already returned",
        ),
        (
            ["checked", "sent_for_production", "produced", "returned"],
            "rejected",
            "already_returned",
            "already returned",
        ),
    ],
)
def test_wrong_moves_are_conflicts_that_say_where_the_application_is(
    db: Session, done: list[str], to: str, code: str, message: str
) -> None:
    application = _receive(db, make_citizen(db))
    for step in done:
        service.advance(db, DESK_A, application.id, step, scope=SCOPE_A)
    with pytest.raises(Conflict) as caught:
        service.advance(db, DESK_A, application.id, to, scope=SCOPE_A, reason="x")
    assert (caught.value.field, caught.value.code) == ("to", code)
    assert message in caught.value.message
    after = service.get_application(db, DESK_A, application.id, scope=SCOPE_A)
    assert after.status == (done[-1] if done else "received")
    assert len(after.steps) == 1 + len(done)


def test_unknown_step_names_the_field(db: Session) -> None:
    application = _receive(db, make_citizen(db))
    for bad in ("received", "lost", ""):
        with pytest.raises(ValidationFailed) as caught:
            service.advance(db, DESK_A, application.id, bad, scope=SCOPE_A)
        assert caught.value.field == "to"


@pytest.mark.parametrize("steps_before", [0, 1, 3])
def test_rejection_with_a_reason_at_any_step_before_the_end(db: Session, steps_before: int) -> None:
    application = _receive(db, make_citizen(db))
    pipeline = ["checked", "sent_for_production", "produced"]
    for hours, step in enumerate(pipeline[:steps_before], 1):
        at = NOW + dt.timedelta(hours=hours)
        service.advance(db, DESK_A, application.id, step, scope=SCOPE_A, now=at)
    with pytest.raises(ValidationFailed) as caught:
        service.advance(db, DESK_A, application.id, "rejected", scope=SCOPE_A, reason="  ")
    assert caught.value.field == "reason"
    rejected = service.advance(
        db,
        DESK_A,
        application.id,
        "rejected",
        scope=SCOPE_A,
        reason="Fingerprints unreadable",
        now=NOW + dt.timedelta(days=1),
    )
    was = (["received", *pipeline])[steps_before]
    assert rejected.status == "rejected"
    assert (rejected.rejected_from, rejected.rejection_reason) == (was, "Fingerprints unreadable")
    assert rejected.rejected_at == NOW + dt.timedelta(days=1)
    assert rejected.steps[-1].note == "Fingerprints unreadable"
    assert rejected.next_step is None
    with pytest.raises(Conflict) as again:
        service.advance(db, DESK_A, application.id, "checked", scope=SCOPE_A)
    assert again.value.code == "already_rejected"


def test_reading_an_application_is_audited(db: Session) -> None:
    citizen = make_citizen(db)
    application = _receive(db, citizen)
    service.get_application(db, DESK_B, application.id, scope=province_scope(db))
    (read,) = _audit(db, "identity.cards.read", citizen.personal_id)
    assert read.actor_id == DESK_B.id


def test_step_rows_are_stored(db: Session) -> None:
    application = _receive(db, make_citizen(db))
    service.advance(db, DESK_A, application.id, "checked", scope=SCOPE_A)
    rows = db.scalars(
        select(IdCardApplicationStep.to_status)
        .where(IdCardApplicationStep.application_id == application.id)
        .order_by(IdCardApplicationStep.id)
    ).all()
    assert rows == ["received", "checked"]
