"""Chip ID-card application rules: intake, the status pipeline, reads and counts.

The only entry other domains use. Citizens' data is read through ``registry.service`` (which
audits the read with the purpose "chip ID-card application"); every intake, step and read of an
application writes its own audit entry. Nothing here commits.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from oncegov.audit import service as audit
from oncegov.column_lengths import check_length
from oncegov.config import settings
from oncegov.errors import Conflict, NotFound, OnceGovError, ValidationFailed
from oncegov.identity.cards import demo
from oncegov.identity.cards.models import (
    ADDRESS_SOURCES,
    DELIVERIES,
    KINDS,
    STATUSES,
    IdCardApplication,
    IdCardApplicationStep,
)
from oncegov.identity.cards.repository import CardRepository
from oncegov.identity.cards.rules import (
    CARD_PIPELINE,
    FIRST_ISSUE_MIN_AGE,
    RENEWAL_AGES,
    TRANSITION_INTO,
    BirthDate,
    fee_for,
    next_step,
    renewal_window,
)
from oncegov.identity.cards.schemas import (
    GROUPINGS,
    ApplicationOut,
    ApplicationPage,
    ApplicationRow,
    CountRow,
    CountsOut,
    Intake,
    StepOut,
)
from oncegov.integrations.sms import normalise_phone
from oncegov.kit import clock
from oncegov.kit.actor import Actor
from oncegov.kit.repository import Page
from oncegov.kit.text import nfc, require_text
from oncegov.kit.workflow import TransitionRefused
from oncegov.registry import service as registry
from oncegov.registry.schemas import CitizenOut
from oncegov.translatable import N_
from oncegov.units import service as units
from oncegov.units.schemas import UnitScope

PURPOSE = "chip ID-card application"
PER_PAGE = 50
EVERYWHERE = UnitScope(None)

# Where "already …" is said for a move that is not the next one.
ALREADY = {
    "checked": N_("The application is already checked"),
    "sent_for_production": N_("The application is already sent for production"),
    "produced": N_("The card is already produced"),
    "returned": N_("The card is already returned to the citizen"),
    "delivered": N_("The card is already delivered by post"),
    "rejected": N_("The application is already rejected"),
}

# The rejection reason is written by a Core UPDATE (the flush check does not see it).
REASON_MAX = 300  # IdCardApplication.rejection_reason


# --- reading the citizen ------------------------------------------------------------------------


def citizen_for_intake(
    session: Session, actor: Actor, personal_id: str, *, scope: UnitScope
) -> CitizenOut:
    """The registry record the intake form shows read-only (audited by the registry)."""
    return registry.get_citizen(
        session, actor, _clean_personal_id(personal_id), purpose=PURPOSE, scope=scope
    )


def in_progress_for(session: Session, personal_id: str, *, scope: UnitScope) -> int | None:
    """The id of the citizen's application in progress, if any and visible in ``scope``."""
    found = CardRepository(session).in_progress_for(personal_id)
    if found is None or not _visible(found, scope):
        return None
    return found.id


def _clean_personal_id(personal_id: str) -> str:
    cleaned = (personal_id or "").strip()
    if not (len(cleaned) == 12 and cleaned.isdigit()):
        raise ValidationFailed(N_("A personal ID number has 12 digits"), field="personal_id")
    return cleaned


def _visible(application: IdCardApplication, scope: UnitScope) -> bool:
    return scope.allows(application.commune_code, application.station_commune_code)


# --- intake -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Station:
    kind: str
    commune_code: str | None


def _check_form(intake: Intake) -> None:
    """Checks that need no registry read, so a form error costs no audited lookup."""
    if intake.kind not in KINDS:
        raise ValidationFailed(N_("Choose the kind of application"), field="kind")
    if intake.sex not in ("M", "F"):
        raise ValidationFailed(N_("Sex must be M or F"), field="sex")
    if not nfc(intake.full_name):
        raise ValidationFailed(N_("Full name is required"), field="full_name")
    if not intake.portrait_captured:
        raise ValidationFailed(
            N_("Capture the citizen's portrait before receiving the application"),
            field="portrait_captured",
            code="portrait_missing",
        )
    if not intake.fingerprints_captured:
        raise ValidationFailed(
            N_("Capture the citizen's fingerprints before receiving the application"),
            field="fingerprints_captured",
            code="fingerprints_missing",
        )
    if intake.delivery not in DELIVERIES:
        raise ValidationFailed(N_("Choose collection at the station or post"), field="delivery")
    if intake.delivery == "post" and intake.delivery_address_source not in ADDRESS_SOURCES:
        raise ValidationFailed(
            N_("Choose which residence address in the registry the card is posted to"),
            field="delivery_address_source",
        )


def _declared_birth(intake: Intake) -> BirthDate:
    try:
        return BirthDate.parse(intake.date_of_birth)
    except ValueError as exc:
        raise ValidationFailed(
            N_("Date of birth: use d/m/yyyy (or m/yyyy, yyyy when that is all the record knows)"),
            field="date_of_birth",
        ) from exc


def _same_name(declared: str, registered: str) -> bool:
    """Exact, diacritics included: a card prints the name, and "Dũng" and "Dung" are two
    different names. Only invisible differences are forgiven: Unicode composition (NFC),
    repeated spaces, and letter case (the card prints the name in capitals)."""
    return nfc(declared).casefold() == nfc(registered).casefold()


def _check_against_registry(intake: Intake, citizen: CitizenOut, birth: BirthDate) -> None:
    """The citizen's declaration must agree with the registry: the card is printed from it.
    A disagreement is settled by correcting the registry (or the declaration) first."""
    if citizen.status == "deceased":
        raise ValidationFailed(
            N_("The registry records this citizen as deceased"),
            field="personal_id",
            code="citizen_deceased",
        )
    if citizen.status == "missing":
        raise ValidationFailed(
            N_("The registry records this citizen as missing"),
            field="personal_id",
            code="citizen_missing",
        )
    if not _same_name(intake.full_name, citizen.full_name):
        raise ValidationFailed(
            N_("The declared full name differs from the registry"),
            field="full_name",
            code="registry_mismatch",
        )
    if birth.iso() != citizen.date_of_birth:
        raise ValidationFailed(
            N_("The declared date of birth differs from the registry"),
            field="date_of_birth",
            code="registry_mismatch",
        )
    if intake.sex != citizen.sex:
        raise ValidationFailed(
            N_("The declared sex differs from the registry"), field="sex", code="registry_mismatch"
        )


def _check_age(session: Session, intake: Intake, birth: BirthDate, today: dt.date) -> None:
    if intake.kind == "first_issue" and birth.age_on(today) < FIRST_ISSUE_MIN_AGE:
        raise ValidationFailed(
            N_("A first card is issued at this desk from the age of 14"),
            field="date_of_birth",
            code="too_young",
        )
    if intake.kind in RENEWAL_AGES:
        window = renewal_window(intake.kind, birth)
        if not window.contains(today):
            raise ValidationFailed(
                N_(
                    "This renewal is not due: it is possible from 2 years before the citizen "
                    "reaches that age until the next renewal age comes near "
                    "(Law on Identification 2023, art. 21)"
                ),
                field="kind",
                code="renewal_not_due",
                opens=window.opens.isoformat(),
                closes=window.closes.isoformat() if window.closes else None,
            )
        if CardRepository(session).finished_of_kind(intake.personal_id, intake.kind):
            raise Conflict(
                N_("The citizen has already renewed the card at this age"),
                field="kind",
                code="already_renewed",
            )


def _station(session: Session, requested: str | None, scope: UnitScope) -> _Station:
    """Where the application is received: a commune station in the officer's area, or the
    provincial station for officers whose area is the whole province."""
    requested = (requested or "").strip()
    province_communes = frozenset(
        c.code for c in units.communes_of_province(session, settings.province_code)
    )
    whole_province = scope.communes is None or province_communes <= scope.communes
    if not requested:
        if not whole_province and scope.communes and len(scope.communes) == 1:
            return _Station("commune", next(iter(scope.communes)))
        requested = "province"
    if requested == "province":
        if not whole_province:
            raise ValidationFailed(
                N_("Only officers of the provincial station receive there"), field="station"
            )
        return _Station("province", None)
    if not scope.allows(requested) or requested not in province_communes:
        raise ValidationFailed(N_("This commune station is not in your area"), field="station")
    return _Station("commune", requested)


def _delivery_address(intake: Intake, citizen: CitizenOut) -> tuple[str | None, str | None]:
    """(commune code, address) copied from the registry: never typed at the desk."""
    if intake.delivery != "post":
        return None, None
    if intake.delivery_address_source == "permanent":
        commune, address = citizen.permanent_commune_code, citizen.permanent_address
    else:
        commune, address = citizen.current_commune_code, citizen.current_address
    if not commune or not address:
        raise ValidationFailed(
            N_("The registry has no address of this kind for the citizen"),
            field="delivery_address_source",
        )
    return commune, address


def _eid_phone(intake: Intake) -> str | None:
    if not intake.register_eid_level2:
        return None
    try:
        return normalise_phone(intake.eid_phone or "")
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, field="eid_phone") from exc


def _counted_under(citizen: CitizenOut, station: _Station) -> str:
    commune = (
        citizen.permanent_commune_code
        or citizen.current_commune_code
        or citizen.temporary_commune_code
        or station.commune_code
    )
    if commune is None:
        raise ValidationFailed(
            N_("The registry has no residence for this citizen"), field="personal_id"
        )
    return commune


def _repeated(
    session: Session, actor: Actor, intake: Intake, scope: UnitScope
) -> ApplicationOut | None:
    """The application an earlier submission of the same form created, if any."""
    if not intake.client_token:
        return None
    earlier = CardRepository(session).by_client_token(actor.id, intake.client_token)
    if earlier is None:
        return None
    if earlier.personal_id != intake.personal_id.strip() or earlier.kind != intake.kind:
        raise Conflict(
            N_("This form was already submitted for another application; reload the form"),
            field="client_token",
            code="idempotency_key_reused",
        )
    return get_application(session, actor, earlier.id, scope=scope)


def submit_application(
    session: Session,
    actor: Actor,
    intake: Intake,
    *,
    scope: UnitScope,
    now: dt.datetime | None = None,
) -> ApplicationOut:
    """Receive an application at the desk. Refuses, naming the field: an unknown personal ID
    or one outside the officer's area (the same NotFound), a deceased or missing citizen, a
    declaration that differs from the registry, a first issue under 14, a renewal outside its
    legal window, missing portrait or fingerprints, and a second application while one is in
    progress (Conflict; also enforced by a unique index). A repeated submission with the same
    client token returns the application it created."""
    now = now or clock.now()
    _check_form(intake)
    repeated = _repeated(session, actor, intake, scope)
    if repeated is not None:
        return repeated
    birth = _declared_birth(intake)
    station = _station(session, intake.station, scope)
    citizen = citizen_for_intake(session, actor, intake.personal_id, scope=scope)
    _check_against_registry(intake, citizen, birth)
    today = clock.local_day(now)
    _check_age(session, intake, birth, today)
    delivery_commune, delivery_address = _delivery_address(intake, citizen)
    phone = _eid_phone(intake)
    _refuse_if_in_progress(session, citizen.personal_id)
    fee = fee_for(intake.kind, today)
    application = IdCardApplication(
        personal_id=citizen.personal_id,
        kind=intake.kind,
        status="received",
        fee_vnd=fee.amount_vnd,
        full_name=citizen.full_name,
        date_of_birth=citizen.date_of_birth,
        sex=citizen.sex,
        commune_code=_counted_under(citizen, station),
        station_kind=station.kind,
        station_commune_code=station.commune_code,
        portrait_captured=True,
        fingerprints_captured=True,
        delivery=intake.delivery,
        delivery_address_source=intake.delivery_address_source if delivery_address else None,
        delivery_commune_code=delivery_commune,
        delivery_address=delivery_address,
        eid_level2_requested=intake.register_eid_level2,
        eid_phone=phone,
        client_token=intake.client_token or None,
        received_by=actor.id,
        received_at=now,
    )
    step = IdCardApplicationStep(
        from_status=None, to_status="received", at=now, actor=actor.label, note=None
    )
    raced = _insert(session, actor, intake, application, step, scope)
    if raced is not None:
        return raced
    audit.record(
        session,
        actor,
        "identity.cards.receive",
        purpose=PURPOSE,
        subject_personal_id=application.personal_id,
        detail={"application_id": application.id, "kind": application.kind, "fee": fee.amount_vnd},
    )
    if phone is not None:
        _register_eid_level2(session, actor, application, phone)
    return _out(session, application)


def _refuse_if_in_progress(session: Session, personal_id: str) -> None:
    if CardRepository(session).in_progress_for(personal_id) is not None:
        raise Conflict(
            N_("An application for this citizen is already in progress"),
            field="personal_id",
            code="application_in_progress",
        )


def _insert(
    session: Session,
    actor: Actor,
    intake: Intake,
    application: IdCardApplication,
    step: IdCardApplicationStep,
    scope: UnitScope,
) -> ApplicationOut | None:
    """Insert (None when done). A unique-index violation means a concurrent request won the
    race: the same form submitted twice (its application is returned) or another application
    for the citizen (Conflict)."""
    try:
        CardRepository(session).add_application(application, step)
    except IntegrityError:
        repeated = _repeated(session, actor, intake, scope)
        if repeated is not None:
            return repeated
        _refuse_if_in_progress(session, application.personal_id)
        raise
    return None


def _register_eid_level2(
    session: Session, actor: Actor, application: IdCardApplication, phone: str
) -> None:
    """ "Register eID level 2 too": the officer has just checked the citizen in person (card
    data, portrait captured and compared), which is what level 2 needs."""
    from oncegov.identity.accounts import registration as eid_registration

    try:
        account = eid_registration.register_level2(
            session,
            actor,
            personal_id=application.personal_id,
            phone=phone,
            commune_code=application.station_commune_code or application.commune_code,
            card_checked=True,
            portrait_matched=True,
            application_id=application.id,
        )
    except OnceGovError as exc:
        # The account service names its own fields; on this form the phone is "eid_phone".
        if exc.field == "phone":
            exc.field = "eid_phone"
        raise
    account_id = getattr(account, "id", None) or getattr(account, "account_id", None)
    CardRepository(session).set_eid_account(application.id, account_id)
    application.eid_account_id = account_id


# --- reading applications -------------------------------------------------------------------


def _out(session: Session, application: IdCardApplication) -> ApplicationOut:
    fee = fee_for(application.kind, clock.local_day(application.received_at))
    steps = [
        StepOut.model_validate(s).model_copy(update={"at": _utc(s.at)})
        for s in CardRepository(session).steps(application.id)
    ]
    data = {c.name: _utc(getattr(application, c.name)) for c in IdCardApplication.__table__.columns}
    return ApplicationOut.model_validate(
        data
        | {
            "fee_legal_reference": fee.legal_reference,
            "next_step": next_step(application.status, application.delivery),
            "steps": steps,
        }
    )


def _utc(value: Any) -> Any:
    """Stored moments are UTC; SQLite hands them back naive, so the answer is the same on
    both databases."""
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def today(now: dt.datetime | None = None) -> dt.date:
    """The province's calendar day (fees and ages are counted in local days)."""
    return clock.local_day(now or clock.now())


def get_application(
    session: Session, actor: Actor, application_id: int, *, scope: UnitScope
) -> ApplicationOut:
    """One application with its steps, within the officer's area (NotFound otherwise). Audited:
    it holds the citizen's personal data."""
    application = CardRepository(session).application(application_id, scope)
    if application is None:
        raise NotFound(N_("No ID-card application with this number in your area"), field="id")
    audit.record(
        session,
        actor,
        "identity.cards.read",
        purpose=PURPOSE,
        subject_personal_id=application.personal_id,
        detail={"application_id": application.id},
    )
    return _out(session, application)


def list_applications(
    session: Session,
    actor: Actor,
    *,
    scope: UnitScope,
    status: str | None = None,
    kind: str | None = None,
    commune_code: str | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> ApplicationPage:
    """Applications in the officer's area, newest first, filtered and paged. The listing is
    audited once (filters and how many rows were shown), like a registry search."""
    if status and status not in STATUSES:
        raise ValidationFailed(N_("Unknown status"), field="status")
    if kind and kind not in KINDS:
        raise ValidationFailed(N_("Unknown kind of application"), field="kind")
    page = max(page, 1)
    found = CardRepository(session).page(
        scope,
        status=status or None,
        kind=kind or None,
        commune_code=commune_code or None,
        page=Page.numbered(page, per_page),
    )
    rows = found.items
    audit.record(
        session,
        actor,
        "identity.cards.list",
        purpose=PURPOSE,
        detail={
            "status": status,
            "kind": kind,
            "commune": commune_code,
            "page": page,
            "shown": len(rows),
        },
    )
    return ApplicationPage(
        rows=[ApplicationRow.model_validate(r, from_attributes=True) for r in rows],
        total=found.total or 0,
        page=page,
        per_page=per_page,
    )


# --- the pipeline ---------------------------------------------------------------------------


def _refuse_move(application: IdCardApplication, to: str) -> OnceGovError:
    """The Conflict for a move the pipeline (``rules.CARD_PIPELINE``) refuses, saying where
    the application is. The engine's generic refusals are mapped to this API's codes, which
    predate it: ``already_<status>`` (it has ended), ``wrong_delivery`` (the other way out
    after production), ``already_done`` (that step is behind it), ``step_skipped`` (ahead of
    it, but not the next one; ``next_step`` says which is)."""
    current = application.status
    if CARD_PIPELINE.is_final(current):
        return Conflict(ALREADY[current], field="to", code=f"already_{current}")
    context = {"delivery": application.delivery}
    declared = {t.name: t for t in CARD_PIPELINE.outgoing(current)}
    step = declared.get(TRANSITION_INTO[to])
    if step is not None and not step.holds(context):
        # The only condition in the pipeline is the delivery: returned vs delivered.
        return Conflict(
            N_("This card is delivered by post")
            if application.delivery == "post"
            else N_("This card is collected at the station"),
            field="to",
            code="wrong_delivery",
        )
    if step is not None or to not in CARD_PIPELINE.reachable(current):
        # Behind it; or open from here now, so someone else moved it meanwhile.
        return Conflict(ALREADY.get(current, ALREADY["checked"]), field="to", code="already_done")
    return Conflict(
        N_("Steps cannot be skipped"),
        field="to",
        code="step_skipped",
        next_step=next_step(current, application.delivery),
    )


def advance(
    session: Session,
    actor: Actor,
    application_id: int,
    to: str,
    *,
    scope: UnitScope,
    reason: str | None = None,
    note: str | None = None,
    now: dt.datetime | None = None,
) -> ApplicationOut:
    """Move an application one step forward, or reject it (with a reason) at any step before
    the end. Writes the step row and the step's timestamp column; refuses anything else with a
    Conflict that says where the application is ("already produced", …)."""
    now = now or clock.now()
    to = (to or "").strip()
    if to not in TRANSITION_INTO:  # every status but the first is the end of one move
        raise ValidationFailed(N_("Unknown step"), field="to")
    repo = CardRepository(session)
    application = repo.application(application_id, scope, for_update=True)
    if application is None:
        raise NotFound(N_("No ID-card application with this number in your area"), field="id")
    current = application.status
    values: dict[str, object] = {f"{to}_at": now}
    if to == "rejected":
        reason = require_text(reason or "", field="reason")
        if not reason:
            raise ValidationFailed(N_("Give the reason for the rejection"), field="reason")
        check_length(reason, field="reason", max_length=REASON_MAX)
        values |= {"rejected_from": current, "rejection_reason": reason}
        note = reason
    try:
        CARD_PIPELINE.transition(
            current,
            TRANSITION_INTO[to],
            context={"delivery": application.delivery},
            reason=reason if to == "rejected" else None,
        )
    except TransitionRefused:
        raise _refuse_move(application, to) from None
    if not repo.move(application.id, current, to, values):
        # Someone else moved it between our read and our write.
        repo.refresh(application)
        raise _refuse_move(application, to)
    repo.add_step(
        IdCardApplicationStep(
            application_id=application.id,
            from_status=current,
            to_status=to,
            at=now,
            actor=actor.label,
            note=require_text(note or "", field="note") or None,
        )
    )
    repo.refresh(application)
    audit.record(
        session,
        actor,
        "identity.cards.step",
        purpose=PURPOSE,
        subject_personal_id=application.personal_id,
        detail={"application_id": application.id, "from": current, "to": to},
    )
    return _out(session, application)


# --- counts ---------------------------------------------------------------------------------


def application_counts(
    session: Session,
    scope: UnitScope,
    date_from: dt.date,
    date_to: dt.date,
    group_by: Sequence[str],
) -> CountsOut:
    """Applications received from ``date_from`` to ``date_to`` (both included, days in the
    province's time zone) in ``scope``, counted per commune, kind and/or status. Counts carry
    no personal data, so they are not audited."""
    groups = list(dict.fromkeys(g.strip() for g in group_by if g.strip()))
    unknown = [g for g in groups if g not in GROUPINGS]
    if not groups or unknown:
        raise ValidationFailed(
            N_("Group by one or more of: commune, kind, status"), field="group_by"
        )
    if date_to < date_from:
        raise ValidationFailed(N_("The period ends before it starts"), field="date_to")
    rows = CardRepository(session).counts(
        scope,
        start=clock.start_of_day(date_from),
        end=clock.start_of_day(date_to + dt.timedelta(days=1)),
        group_by=groups,
    )
    names = {"commune": "commune_code", "kind": "kind", "status": "status"}
    counted = [
        CountRow.model_validate(
            {names[g]: value for g, value in zip(groups, row[:-1], strict=True)}
            | {"count": row[-1]}
        )
        for row in rows
    ]
    return CountsOut(
        date_from=date_from,
        date_to=date_to,
        group_by=groups,
        total=sum(r.count for r in counted),
        rows=counted,
    )


# --- demo data ----------------------------------------------------------------------------------


def load_demo_applications(
    session: Session,
    citizens: Iterable[Sequence[Any]],
    rng: random.Random,
    today: dt.date,
    *,
    batch_size: int = 50_000,
    finished: dict[str, list[tuple[int, dt.datetime, dt.datetime, str | None, str]]] | None = None,
) -> tuple[int, int]:
    """Generate and bulk-insert demo applications for ``citizens`` (rows as ``cards.demo``
    describes) in the caller's transaction, numbered after those already stored; their step
    rows are derived from the timestamps in SQL. Returns (applications, steps) inserted.

    ``finished``, when given, collects per personal ID the applications that ended with a card
    handed over, as ``(id, received_at, handed_over_at, station_commune_code, received_by)``
    (the demo eID accounts are registered at such intakes)."""
    repo = CardRepository(session)
    first_id = repo.next_application_id()
    applications = steps = 0
    batch: list[tuple[Any, ...]] = []
    column = {name: i for i, name in enumerate(demo.APPLICATION_COLUMNS)}
    status, returned, delivered = column["status"], column["returned_at"], column["delivered_at"]
    received, station, officer = (
        column["received_at"],
        column["station_commune_code"],
        column["received_by"],
    )
    for row in demo.generate(citizens, rng, today, first_id=first_id):
        batch.append(row)
        if finished is not None and row[status] in ("returned", "delivered"):
            handed = row[returned] or row[delivered]
            finished.setdefault(row[1], []).append(
                (row[0], row[received], handed, row[station], row[officer])
            )
        if len(batch) >= batch_size:
            applications += repo.bulk_insert_applications(demo.APPLICATION_COLUMNS, batch)
            batch.clear()
    applications += repo.bulk_insert_applications(demo.APPLICATION_COLUMNS, batch)
    if applications:
        steps = repo.derive_steps(first_id, first_id + applications - 1)
    return applications, steps


def link_demo_eid_accounts(session: Session, links: Sequence[tuple[int, int, str]]) -> int:
    """Mark demo applications as "register eID level 2 too" with the account made at their
    intake: ``(application_id, account_id, phone)`` each. Returns how many were marked."""
    return CardRepository(session).link_eid_accounts(links)


def cards_handed_over(session: Session) -> dict[str, dt.datetime]:
    """When each citizen's newest card was handed over (returned or delivered), by personal ID:
    the demo loader dates eID registrations after it. No personal data beyond the number."""
    return {
        pid: _utc(moment) for pid, moment in CardRepository(session).cards_handed_over().items()
    }


def delete_all_applications(session: Session) -> int:
    """Remove every application and its steps (the demo loader's ``--replace``)."""
    return CardRepository(session).delete_all()


def issue_dates_of(session: Session, personal_ids: Sequence[str]) -> dict[str, set[dt.date]]:
    """The local dates on which chip ID cards were produced for these people (the date of
    issue printed on a card and in its QR)."""
    dates: dict[str, set[dt.date]] = {}
    for personal_id, produced_at in CardRepository(session).production_dates(personal_ids):
        dates.setdefault(personal_id, set()).add(clock.local_day(produced_at))
    return dates
