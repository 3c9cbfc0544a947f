"""Correction requests: a citizen reports an error in their registry data, an officer of their
commune (or the province) reviews it and corrects the record or rejects the request.

Corrections go through ``registry.service.record_change`` (a new version with who, why and
under which document); the request keeps the version number that did it. Officers see only
requests about citizens within their unit scope, the same way they see records; a request
outside it is reported exactly like a nonexistent one. Services never commit.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from oncegov.audit import service as audit
from oncegov.errors import Conflict, NotFound, ValidationFailed
from oncegov.kit import clock
from oncegov.kit.actor import Actor
from oncegov.kit.repository import Page
from oncegov.kit.text import require_text
from oncegov.registry import service as registry
from oncegov.registry.corrections.models import (
    ACTIVE_STATUSES,
    DESCRIPTION_MAX,
    NOTE_MAX,
    PROPOSED_MAX,
    REQUEST_STATUSES,
    CorrectionRequest,
)
from oncegov.registry.corrections.repository import CorrectionRepository
from oncegov.registry.corrections.schemas import (
    REPORTABLE_BY_KEY,
    REPORTABLE_FIELDS,
    CorrectionDetail,
    CorrectionFiling,
    CorrectionOut,
    CorrectionPage,
    columns_of,
)
from oncegov.registry.schemas import CitizenOut
from oncegov.translatable import N_
from oncegov.units.schemas import UnitScope

MAX_ACTIVE_PER_CITIZEN = 3  # open or in review at once (the refusal message says 3)
OWN_RECORD_PURPOSE = "Citizen viewing their own record"
FILING_PURPOSE = "Citizen reporting an error in their record"
HANDLING_PURPOSE = "Handling correction request #{id}"
PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
OWN_REQUESTS_SHOWN = 50
# Queue filters besides the statuses themselves.
ACTIVE_FILTER = "active"
ALL_FILTER = "all"
QUEUE_FILTERS = (ACTIVE_FILTER, *REQUEST_STATUSES, ALL_FILTER)


def _out(request: CorrectionRequest) -> CorrectionOut:
    return CorrectionOut.model_validate(request)


# --- the citizen's side -----------------------------------------------------------------------


@dataclass(frozen=True)
class OwnRecord:
    """What "My identity" shows: the registry record and the household's address."""

    citizen: CitizenOut
    household_address: str | None
    household_commune_code: str | None


def own_record(session: Session, actor: Actor, personal_id: str) -> OwnRecord:
    """The signed-in citizen's own record, read through the registry (audited)."""
    citizen = registry.get_citizen(session, actor, personal_id, purpose=OWN_RECORD_PURPOSE)
    household = registry.household(session, citizen.household_code or "")
    return OwnRecord(
        citizen=citizen,
        household_address=household.address if household else None,
        household_commune_code=household.commune_code if household else None,
    )


def _clean_filing(filing: CorrectionFiling) -> tuple[list[str], str, str | None]:
    fields: list[str] = []
    for sent in filing.fields:
        key = sent.strip()
        if key not in REPORTABLE_BY_KEY:
            raise ValidationFailed(N_("Unknown field"), field="fields", value=key)
        if key not in fields:
            fields.append(key)
    if not fields:
        raise ValidationFailed(N_("Choose at least one field that is wrong"), field="fields")
    order = [f.key for f in REPORTABLE_FIELDS]
    fields.sort(key=order.index)
    description = require_text(filing.description, field="description", multiline=True)
    if not description:
        raise ValidationFailed(N_("Please describe what is wrong"), field="description")
    if len(description) > DESCRIPTION_MAX:
        raise ValidationFailed(
            N_("The description is too long (at most 1000 characters)"),
            field="description",
            max_length=DESCRIPTION_MAX,
        )
    proposed = require_text(filing.proposed_value or "", field="proposed_value") or None
    if proposed is not None and len(proposed) > PROPOSED_MAX:
        raise ValidationFailed(
            N_("The correct value is too long (at most 500 characters)"),
            field="proposed_value",
            max_length=PROPOSED_MAX,
        )
    return fields, description, proposed


def file_request(
    session: Session,
    actor: Actor,
    personal_id: str,
    filing: CorrectionFiling,
    *,
    account_id: int | None = None,
) -> CorrectionOut:
    """A citizen reports errors in their own record.

    Idempotent: the same report while the first is still open returns that request (a form
    sent twice files once). At most ``MAX_ACTIVE_PER_CITIZEN`` requests are open at a time."""
    fields, description, proposed = _clean_filing(filing)
    repo = CorrectionRepository(session)
    citizen = repo.lock_citizen(personal_id)
    if citizen is None:
        raise NotFound(N_("Your record was not found in the registry"), field="personal_id")
    active = repo.active_of(personal_id)
    for existing in active:
        if (existing.fields, existing.description, existing.proposed_value) == (
            fields,
            description,
            proposed,
        ):
            return _out(existing)
    if len(active) >= MAX_ACTIVE_PER_CITIZEN:
        raise Conflict(
            N_("You already have 3 reports waiting; please wait until one has been handled"),
            field="fields",
            code="too_many_open_requests",
            limit=MAX_ACTIVE_PER_CITIZEN,
        )
    request = CorrectionRequest(
        personal_id=personal_id,
        commune_code=citizen.permanent_commune_code,
        fields=fields,
        description=description,
        proposed_value=proposed,
        status="open",
        created_at=clock.now(),
        filed_by_account_id=account_id,
    )
    repo.add(request)
    audit.record(
        session,
        actor,
        "corrections.file",
        purpose=FILING_PURPOSE,
        subject_personal_id=personal_id,
        detail={"request": request.id, "fields": fields},
    )
    return _out(request)


def requests_of(session: Session, personal_id: str) -> list[CorrectionOut]:
    """The citizen's own requests, newest first (what they wrote and how it went)."""
    repo = CorrectionRepository(session)
    return [_out(r) for r in repo.of_citizen(personal_id, OWN_REQUESTS_SHOWN)]


# --- the officers' queue ------------------------------------------------------------------------


def _statuses(status_filter: str) -> list[str] | None:
    if status_filter not in QUEUE_FILTERS:
        raise ValidationFailed(N_("Unknown status"), field="status")
    if status_filter == ALL_FILTER:
        return None
    if status_filter == ACTIVE_FILTER:
        return list(ACTIVE_STATUSES)
    return [status_filter]


def list_queue(
    session: Session,
    scope: UnitScope,
    status_filter: str = ACTIVE_FILTER,
    *,
    limit: int = PAGE_SIZE,
    offset: int = 0,
) -> CorrectionPage:
    """Requests about citizens within the scope, oldest first (the queue's order)."""
    statuses = _statuses(status_filter)
    page = Page(limit, offset=offset, max_size=MAX_PAGE_SIZE)
    found = CorrectionRepository(session).queue(scope, statuses, page)
    return CorrectionPage(
        total=found.total or 0,
        limit=limit,
        offset=offset,
        items=[_out(r) for r in found.items],
    )


def _not_found() -> NotFound:
    # Same answer for "no such request" and "about a citizen outside your area".
    return NotFound(N_("No correction request with this number in your area"), field="id")


def request_detail(
    session: Session, actor: Actor, scope: UnitScope, request_id: int
) -> CorrectionDetail:
    """A request with the citizen's current record, read through the registry (audited)."""
    request = CorrectionRepository(session).request(request_id, scope)
    if request is None:
        raise _not_found()
    citizen = registry.get_citizen(
        session,
        actor,
        request.personal_id,
        purpose=HANDLING_PURPOSE.format(id=request.id),
        scope=scope,
    )
    return CorrectionDetail(
        request=_out(request), citizen=citizen, columns=columns_of(request.fields)
    )


def _active_request(session: Session, scope: UnitScope, request_id: int) -> CorrectionRequest:
    request = CorrectionRepository(session).request_for_update(request_id, scope)
    if request is None:
        raise _not_found()
    if request.status not in ACTIVE_STATUSES:
        raise Conflict(N_("This request has already been handled"), field="status")
    return request


def _record(session: Session, actor: Actor, action: str, request: CorrectionRequest) -> None:
    audit.record(
        session,
        actor,
        action,
        purpose=HANDLING_PURPOSE.format(id=request.id),
        subject_personal_id=request.personal_id,
        detail={
            "request": request.id,
            "status": request.status,
            "version": request.registry_version,
        },
    )


def take(session: Session, actor: Actor, scope: UnitScope, request_id: int) -> CorrectionOut:
    """An officer starts reviewing an open request."""
    request = _active_request(session, scope, request_id)
    if request.status != "open":
        raise Conflict(N_("Another officer is already reviewing this request"), field="status")
    request.status = "in_review"
    request.handled_by = actor.label
    request.taken_at = clock.now()
    session.flush()
    _record(session, actor, "corrections.take", request)
    return _out(request)


def _note(note: str | None, *, required: bool) -> str | None:
    text = require_text(note or "", field="note", multiline=True)
    if required and not text:
        raise ValidationFailed(N_("Give the reason for rejecting the request"), field="note")
    if len(text) > NOTE_MAX:
        raise ValidationFailed(
            N_("The note is too long (at most 500 characters)"), field="note", max_length=NOTE_MAX
        )
    return text or None


def resolve_corrected(
    session: Session,
    actor: Actor,
    scope: UnitScope,
    request_id: int,
    updates: dict[str, str | None],
    *,
    note: str | None = None,
    legal_reference: str | None = None,
) -> CorrectionOut:
    """Correct the record as the request asks: ``updates`` (registry column → new value) are
    limited to the columns behind the reported fields and written by
    ``registry.record_change`` as a new version whose reason names the request; the request
    is then resolved and linked to that version. Nothing is written if the change fails."""
    request = _active_request(session, scope, request_id)
    text = _note(note, required=False)
    allowed = columns_of(request.fields)
    for column in updates:
        if column not in allowed:
            raise ValidationFailed(
                N_("Only the fields the citizen reported can be corrected here"), field=column
            )
    if not updates:
        raise ValidationFailed(
            N_("Correct at least one field, or reject the request"), field="changes"
        )
    reason = f"Correction request #{request.id}" + (f": {text}" if text else "")
    with session.begin_nested():  # a refused change leaves no trace of this attempt
        corrected = registry.record_change(
            session,
            actor,
            request.personal_id,
            updates,
            reason=reason[:500],
            legal_reference=(legal_reference or "").strip() or None,
            source="edit",
            scope=scope,
        )
    moment = clock.now()
    request.status = "resolved_corrected"
    request.handled_by = actor.label
    request.taken_at = request.taken_at or moment
    request.handled_at = moment
    request.resolution_note = text
    request.registry_version = corrected.version
    session.flush()
    _record(session, actor, "corrections.resolve", request)
    return _out(request)


def reject(
    session: Session, actor: Actor, scope: UnitScope, request_id: int, note: str
) -> CorrectionOut:
    """Reject a request; the reason is required and shown to the citizen."""
    text = _note(note, required=True)
    request = _active_request(session, scope, request_id)
    moment = clock.now()
    request.status = "rejected"
    request.handled_by = actor.label
    request.taken_at = request.taken_at or moment
    request.handled_at = moment
    request.resolution_note = text
    session.flush()
    _record(session, actor, "corrections.reject", request)
    return _out(request)
