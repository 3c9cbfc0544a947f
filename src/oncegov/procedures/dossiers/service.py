"""Dossiers: the form opened pre-filled, drafts, idempotent submission, moves through the
procedure's workflow on the legal clock, and the officers' queues.

Every registry value a dossier shows was read through ``registry.service`` with the procedure
as the purpose (audited); every move is a ``dossier_events`` row and an audit entry about the
applicant (and the person the dossier concerns), so the citizen sees it in "who accessed my
data". Services never commit: the request or job owns the transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from oncegov.audit import service as audit
from oncegov.config import settings
from oncegov.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from oncegov.kit import calendar as legal
from oncegov.kit import clock
from oncegov.kit.actor import Actor
from oncegov.kit.filestore import file_store
from oncegov.kit.repository import Page, Paged
from oncegov.kit.text import require_text
from oncegov.kit.uploads import check_upload
from oncegov.kit.workflow import TransitionRefused, Workflow
from oncegov.procedures.calendar.service import working_calendar
from oncegov.procedures.catalogue import service as catalogue
from oncegov.procedures.catalogue.loader import engine_definition
from oncegov.procedures.catalogue.schemas import Procedure, Step
from oncegov.procedures.dossiers import form as forms
from oncegov.procedures.dossiers.models import (
    CHANNELS,
    KEY_MAX,
    REASON_MAX,
    Dossier,
    DossierDocument,
    DossierDraft,
    DossierEvent,
)
from oncegov.procedures.dossiers.notifications import notify
from oncegov.procedures.dossiers.repository import DossierRepository
from oncegov.registry import service as registry
from oncegov.registry.schemas import CitizenOut
from oncegov.translatable import N_
from oncegov.units import service as units
from oncegov.units.models import Commune
from oncegov.units.schemas import EVERYWHERE, UnitScope

QUEUE_VIEWS = ("all", "new", "mine", "due_soon", "overdue", "waiting")
APPLICANT_MOVES = {"additions_requested": "processing"}  # what the applicant's action does


def purpose(procedure: Procedure) -> str:
    """The purpose recorded with every registry read made for a procedure."""
    return f"procedure {procedure.code}"


# --- the workflow and the clock ----------------------------------------------------------------


def workflow_of(procedure: Procedure) -> Workflow:
    return Workflow.from_data(engine_definition(procedure))


def step_of(procedure: Procedure, state: str) -> Step:
    """The step a state belongs to (its agency, level and role); the first step otherwise."""
    for step in procedure.workflow.steps:
        if state in step.states:
            return step
    return procedure.workflow.steps[0]


def role_of(procedure: Procedure, state: str) -> str:
    """Who moves a dossier on from ``state``: the role of its outgoing transitions."""
    for move in procedure.workflow.transitions:
        if move.from_ == state:
            return move.role
    return "none"


def statutory_time(procedure: Procedure) -> tuple[legal.StatutoryTime, dt.time | None]:
    spec = procedure.statutory_time
    cutoff = dt.time.fromisoformat(spec.cutoff) if spec.cutoff else None
    if spec.unit == "same_day":
        return legal.StatutoryTime.same_day(), cutoff
    amount = spec.amount or 0
    if spec.unit == "working_hours":
        return legal.StatutoryTime.hours(amount), cutoff
    return legal.StatutoryTime.days(amount), cutoff


def due_of(
    session: Session, procedure: Procedure, received: dt.datetime, pauses: list[legal.Pause]
) -> legal.Due:
    """The appointed return: received + statutory time on the working-day calendar, with the
    procedure's cut-off, the waiting for additions excluded (``kit.calendar.due``)."""
    return due_on(working_calendar(session), procedure, received, pauses)


def due_on(
    calendar: legal.WorkingCalendar,
    procedure: Procedure,
    received: dt.datetime,
    pauses: list[legal.Pause],
) -> legal.Due:
    """``due_of`` on a calendar already read (bulk work: the demo's year of dossiers)."""
    time_limit, cutoff = statutory_time(procedure)
    return calendar.due(received, time_limit, cutoff=cutoff, pauses=pauses)


LEVELS = ("commune", "province")  # the catalogue's levels of a step
HOURS_PER_WORKING_DAY = 8  # Decision 188/1999/QĐ-TTg: 40 hours in five days


def _step_units(procedure: Procedure) -> list[float]:
    """Each step's share in the statutory time's units (the catalogue gives fractions summing
    to 1, or units summing to the time itself; the loader checks one of the two)."""
    shares = [step.share for step in procedure.workflow.steps]
    amount = procedure.statutory_time.amount or 0
    if math.isclose(math.fsum(shares), 1.0) and not math.isclose(amount, 1.0):
        return [share * amount for share in shares]
    return shares


def step_deadlines(
    calendar: legal.WorkingCalendar,
    procedure: Procedure,
    received: dt.datetime,
    pauses: list[legal.Pause],
) -> list[dt.datetime]:
    """When each step's share of the statutory time runs out, in the order of the steps; the
    last is the dossier's appointed moment.

    Assumption (no text divides the time between agencies to the hour): the shares count in
    office hours from the end of the day counting starts on, 8 to a working day, the waiting
    for additions excluded — so a step of whole days ends at the close of a working day, as
    the dossier's own time limit does, and half a day ends at the day's midpoint."""
    time_limit, cutoff = statutory_time(procedure)
    final = calendar.due(received, time_limit, cutoff=cutoff, pauses=pauses).at
    if time_limit.unit is legal.Unit.SAME_DAY:
        return [final for _ in procedure.workflow.steps]
    per_unit = HOURS_PER_WORKING_DAY if time_limit.unit is legal.Unit.WORKING_DAYS else 1
    start_day = calendar.counting_starts(received, cutoff)
    if time_limit.unit is legal.Unit.WORKING_DAYS:
        start = dt.datetime.combine(start_day, calendar.office_hours.closes, clock.zone())
    else:
        start = received
    deadlines: list[dt.datetime] = []
    done = 0.0
    for share in _step_units(procedure)[:-1]:
        done += share
        hours = round(done * per_unit)
        at = calendar.due(start, legal.StatutoryTime.hours(hours), pauses=pauses).at
        deadlines.append(min(at, final))
    return [*deadlines, final]


@dataclass(frozen=True, slots=True)
class StepTime:
    """One step of a dossier's handling with its share of the time: when the share runs out,
    when the dossier moved past the step (None: not yet), and whether it is the current one."""

    step: Step
    due_at: dt.datetime
    ended_at: dt.datetime | None
    current: bool

    @property
    def late(self) -> bool:
        ended = self.ended_at or clock.now()
        return ended > self.due_at and (self.ended_at is not None or self.current)


def step_times(
    session: Session, dossier: Dossier, procedure: Procedure, events: list[DossierEvent]
) -> list[StepTime]:
    """Each step of the dossier against its share of the statutory time: the agency and
    level handling it and whether it kept to its share (per agency on-time figures)."""
    pauses = _pauses_of(dossier.pauses or [])
    steps = procedure.workflow.steps
    deadlines = step_deadlines(
        working_calendar(session), procedure, clock.aware(dossier.received_at), pauses
    )
    index = {state: i for i, step in enumerate(steps) for state in step.states}
    ended: dict[int, dt.datetime] = {}
    reached = 0
    for event in events:
        position = index.get(event.to_state, reached)
        if position > reached:
            for passed in range(reached, position):
                ended.setdefault(passed, clock.aware(event.at))
            reached = position
    if dossier.ended_at is not None:
        ended.setdefault(reached, clock.aware(dossier.ended_at))
    current = index.get(dossier.state, reached) if dossier.ended_at is None else -1
    return [
        StepTime(step, deadlines[i], ended.get(i), i == current) for i, step in enumerate(steps)
    ]


def outcome_of(ended: dt.datetime, due: dt.datetime) -> str:
    """Early when processing ended on a day before the appointed one, on time on that day up to
    the appointed moment, late after it (the waiting for additions already moved ``due``)."""
    if clock.local_day(ended) < clock.local_day(due):
        return "early"
    return "on_time" if ended <= due else "late"


# --- the form --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Relative:
    relation: str
    personal_id: str
    full_name: str
    date_of_birth: str


@dataclass(frozen=True, slots=True)
class FormView:
    procedure: Procedure
    version: int
    applicant: CitizenOut
    subject: CitizenOut | None
    about: str | None
    candidates: list[Relative]  # who the form may be about, when it is about someone else
    fields: list[forms.FilledField]
    missing: list[str]  # required registry fields without a value: the record needs correcting


def _relatives(
    session: Session, actor: Actor, applicant: str, procedure: Procedure, about: str
) -> list[tuple[str, CitizenOut]]:
    found = registry.relatives(session, actor, applicant, purpose=purpose(procedure))
    people = [
        (relation, person)
        for relation in forms.RELATION_OF_ABOUT[about]
        for person in found[relation]
    ]
    return people


def open_form(
    session: Session,
    actor: Actor,
    applicant_personal_id: str,
    procedure: Procedure,
    version: int,
    *,
    subject_personal_id: str | None = None,
    typed: dict[str, Any] | None = None,
) -> FormView:
    """The form pre-filled from the registry for the applicant (and the person it is about,
    who must be linked to the applicant in the registry). Each record read is audited."""
    applicant = registry.get_citizen(
        session, actor, applicant_personal_id, purpose=purpose(procedure)
    )
    about = forms.subject_about(procedure)
    subject: CitizenOut | None = None
    candidates: list[Relative] = []
    if about is not None:
        people = _relatives(session, actor, applicant_personal_id, procedure, about)
        candidates = [Relative(r, p.personal_id, p.full_name, p.date_of_birth) for r, p in people]
        if subject_personal_id is not None:
            subject = next((p for _, p in people if p.personal_id == subject_personal_id), None)
            if subject is None:
                raise NotFound(N_("The registry links no such person to you"), field="subject")
        elif len(people) == 1:
            subject = people[0][1]
    fields = forms.fill(procedure, applicant, subject, typed or {})
    return FormView(
        procedure,
        version,
        applicant,
        subject,
        about,
        candidates,
        fields,
        forms.missing_prefill(fields),
    )


# --- drafts ----------------------------------------------------------------------------------


def _require_channel(channel: str) -> str:
    if channel not in CHANNELS:
        raise ValidationFailed(N_("Unknown channel"), field="channel")
    return channel


def _check_channel(procedure: Procedure, channel: str) -> None:
    if channel not in procedure.channels:
        raise ValidationFailed(
            N_("This procedure cannot be submitted this way"), field="channel", channel=channel
        )


def start_draft(
    session: Session,
    actor: Actor,
    applicant_personal_id: str,
    code: str,
    *,
    channel: str = "online",
    subject_personal_id: str | None = None,
    commune_code: str | None = None,
) -> DossierDraft:
    """A new server-side draft of the procedure in force today for the applicant."""
    return _start_draft(
        session,
        actor,
        applicant_personal_id,
        code,
        channel=channel,
        subject_personal_id=subject_personal_id,
        commune_code=commune_code,
    )[0]


def _check_commune(session: Session, commune_code: str | None) -> None:
    if commune_code is not None and units.commune(session, commune_code) is None:
        raise ValidationFailed(N_("Unknown commune"), field="commune")


@dataclass(frozen=True, slots=True)
class _Opening:
    """What a dossier is opened from: a saved draft, or the portal API's one call (no draft
    row: nothing is written before the dossier itself)."""

    procedure_code: str
    subject_personal_id: str | None
    commune_code: str | None
    channel: str
    draft: DossierDraft | None = None


def _open(
    session: Session,
    actor: Actor,
    applicant_personal_id: str,
    code: str,
    *,
    channel: str,
    subject_personal_id: str | None,
    commune_code: str | None,
) -> tuple[_Opening, FormView]:
    """The procedure in force today, checked for the channel and commune, and its form
    pre-filled from the registry (audited reads); nothing written."""
    stored = catalogue.procedure(session, code)
    _check_commune(session, commune_code)
    _check_channel(stored.definition, _require_channel(channel))
    view = open_form(
        session,
        actor,
        applicant_personal_id,
        stored.definition,
        stored.version,
        subject_personal_id=subject_personal_id,
    )
    opening = _Opening(
        procedure_code=stored.code,
        subject_personal_id=view.subject.personal_id if view.subject else None,
        commune_code=commune_code
        or view.applicant.current_commune_code
        or view.applicant.permanent_commune_code,
        channel=channel,
    )
    return opening, view


def _start_draft(
    session: Session,
    actor: Actor,
    applicant_personal_id: str,
    code: str,
    *,
    channel: str,
    subject_personal_id: str | None,
    commune_code: str | None,
) -> tuple[DossierDraft, FormView]:
    opening, view = _open(
        session,
        actor,
        applicant_personal_id,
        code,
        channel=channel,
        subject_personal_id=subject_personal_id,
        commune_code=commune_code,
    )
    now = clock.now()
    draft = DossierDraft(
        owner_personal_id=applicant_personal_id,
        subject_personal_id=opening.subject_personal_id,
        procedure_code=opening.procedure_code,
        procedure_version=view.version,
        commune_code=opening.commune_code,
        values={},
        created_by=actor.label,
        channel=channel,
        created_at=now,
        updated_at=now,
    )
    DossierRepository(session).add(draft)
    return draft, view


def draft(session: Session, owner: str, draft_id: int) -> DossierDraft:
    found = DossierRepository(session).draft(draft_id, owner)
    if found is None:
        raise NotFound(N_("No such draft"), field="draft")
    return found


def counter_draft(session: Session, officer: Actor, draft_id: int) -> DossierDraft:
    """A draft a counter officer started for a citizen (only theirs, only at the counter)."""
    found = DossierRepository(session).counter_draft(draft_id, officer.label)
    if found is None:
        raise NotFound(N_("No such draft"), field="draft")
    return found


def draft_form(session: Session, actor: Actor, owner: str, draft_id: int) -> FormView:
    """The draft's form with the registry's values read again (audited) and its typed ones."""
    found = draft(session, owner, draft_id)
    stored = catalogue.procedure_version(session, found.procedure_code, found.procedure_version)
    return open_form(
        session,
        actor,
        owner,
        stored.definition,
        stored.version,
        subject_personal_id=found.subject_personal_id,
        typed=found.values,
    )


def save_draft(
    session: Session, owner: str, draft_id: int, submitted: dict[str, Any]
) -> DossierDraft:
    """Keep the typed values (a partial form is fine; each value present is checked)."""
    found = draft(session, owner, draft_id)
    stored = catalogue.procedure_version(session, found.procedure_code, found.procedure_version)
    values = forms.check_typed(stored.definition, submitted, complete=False)
    found.values = {**(found.values or {}), **values}
    found.updated_at = clock.now()
    session.flush()
    return found


def drop_draft(session: Session, owner: str, draft_id: int) -> None:
    DossierRepository(session).delete_draft(draft(session, owner, draft_id))


def drafts_of(session: Session, owner: str) -> list[DossierDraft]:
    return list(DossierRepository(session).drafts_of(owner))


# --- documents -------------------------------------------------------------------------------

FILENAME_MAX = 200


@dataclass(frozen=True, slots=True)
class DocumentFile:
    document: DossierDocument
    data: bytes


def add_document(
    session: Session,
    actor: Actor,
    owner: str,
    draft_id: int,
    *,
    document: int,
    filename: str,
    data: bytes,
) -> DossierDocument:
    """Attach an uploaded file to a draft: PDF, JPEG or PNG recognised by its content, at most
    ``settings.max_document_bytes``, kept in the file store under its SHA-256. (A file stored
    for a request that then fails stays in the store unreferenced: content-addressed, so a
    retry reuses it; assumption: a sweep of unreferenced files is an operations task.)"""
    found = draft(session, owner, draft_id)
    stored = catalogue.procedure_version(session, found.procedure_code, found.procedure_version)
    row = _stored_file(stored.definition, actor, Upload(document, filename, data))
    row.draft_id = found.id
    DossierRepository(session).add(row)
    found.updated_at = clock.now()
    return row


def _stored_file(procedure: Procedure, actor: Actor, upload: Upload) -> DossierDocument:
    """A file checked (which document, its type by content, its size) and kept in the file
    store; its record, not yet attached to a draft or dossier nor added to the session."""
    if not 0 <= upload.document < len(procedure.documents):
        raise ValidationFailed(N_("Choose which document this file is"), field="document")
    checked = check_upload(upload.data, upload.filename, settings.max_document_bytes)
    kept = file_store().put(upload.data)
    name = (upload.filename or "").strip()[-FILENAME_MAX:] or f"document.{checked.extension}"
    return DossierDocument(
        document=upload.document,
        filename=require_text(name, field="file"),
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        store_key=kept.key,
        uploaded_by=actor.label,
    )


def draft_documents(session: Session, owner: str, draft_id: int) -> list[DossierDocument]:
    draft(session, owner, draft_id)
    return list(DossierRepository(session).documents_of_draft(draft_id))


def dossier_documents(session: Session, dossier: Dossier) -> list[DossierDocument]:
    return list(DossierRepository(session).documents_of(dossier.id))


def _read(row: DossierDocument) -> DocumentFile:
    return DocumentFile(row, file_store().open(row.store_key))


def citizen_document(session: Session, personal_id: str, document_id: int) -> DocumentFile:
    """A file for its owner: the draft's owner, or the dossier's applicant or the person it
    concerns; for anyone else it does not exist."""
    repo = DossierRepository(session)
    row = repo.get(DossierDocument, document_id)
    if row is not None and row.draft_id is not None and repo.draft(row.draft_id, personal_id):
        return _read(row)
    if row is not None and row.dossier_id is not None:
        dossier = repo.get(Dossier, row.dossier_id)
        if dossier is not None and personal_id in (
            dossier.applicant_personal_id,
            dossier.subject_personal_id,
        ):
            return _read(row)
    raise NotFound(N_("No such document"), field="document")


def officer_document(
    session: Session, roles: dict[str, UnitScope], document_id: int
) -> DocumentFile:
    """A submitted dossier's file for the officers who handle dossiers in its commune."""
    repo = DossierRepository(session)
    row = repo.get(DossierDocument, document_id)
    dossier = repo.get(Dossier, row.dossier_id) if row and row.dossier_id else None
    if row is None or dossier is None or not any(_in_scope(dossier, s) for s in roles.values()):
        raise NotFound(N_("No such document"), field="document")
    return _read(row)


# --- submission ------------------------------------------------------------------------------


def agency_code(commune_code: str) -> str:
    """The receiving centre's code in dossier codes.

    Assumption: the real code is the centre's electronic identifier under QCVN 102:2016/BTTTT
    (Circular 10/2016/TT-BTTTT), which our data does not hold; ``X<commune code>`` (the
    commune's official administrative-unit code) stands in until each centre's code is
    configured."""
    return f"X{commune_code}"


def dossier_code(session: Session, commune_code: str, received: dt.datetime) -> str:
    """Agency code + ``YYMMDD`` (local day of receipt) + the day's 4-digit sequence
    (Circular 01/2018/TT-VPCP Art. 19: ``<agency>-YYMMDD-XXXX``. Assumption: Circular
    03/2025/TT-VPCP, which replaced it, keeps this structure; not confirmed in the stored
    sources). Past 9,999 dossiers in a day the number simply grows a digit (assumption)."""
    day = clock.local_day(received)
    agency = agency_code(commune_code)
    number = DossierRepository(session).claim_daily_number(agency, day)
    return f"{agency}-{day:%y%m%d}-{number:04d}"


def _check_key(key: str) -> str:
    key = (key or "").strip()
    if not 8 <= len(key) <= KEY_MAX or not key.isascii() or not key.isprintable():
        raise ValidationFailed(
            N_("A submission key is 8 to 64 printable characters"), field="idempotency_key"
        )
    return key


def _snapshot(fields: list[forms.FilledField], typed: dict[str, str]) -> dict[str, Any]:
    return {
        f.key: {"value": f.value if f.locked else typed.get(f.key), "source": f.source}
        for f in fields
    }


def submit(
    session: Session,
    actor: Actor,
    owner: str,
    draft_id: int,
    idempotency_key: str,
    *,
    submitted: dict[str, Any] | None = None,
) -> Dossier:
    """Submit a draft as a dossier, in the caller's transaction: the dossier, its documents'
    records, its first event, the audit entries and the notifications together.

    Idempotent: the same actor with the same key gets the dossier the first call made (also
    after the draft is gone)."""
    key = _check_key(idempotency_key)
    earlier = DossierRepository(session).by_submission(actor.label, key)
    if earlier is not None:
        return earlier
    found = draft(session, owner, draft_id)
    stored = catalogue.procedure_version(session, found.procedure_code, found.procedure_version)
    typed = forms.check_typed(
        stored.definition, {**(found.values or {}), **(submitted or {})}, complete=True
    )
    view = open_form(
        session,
        actor,
        owner,
        stored.definition,
        stored.version,
        subject_personal_id=found.subject_personal_id,
        typed=typed,
    )
    opening = _Opening(
        procedure_code=found.procedure_code,
        subject_personal_id=found.subject_personal_id,
        commune_code=found.commune_code,
        channel=found.channel,
        draft=found,
    )
    return _submit_once(session, actor, owner, opening, view, typed, key)


@dataclass(frozen=True, slots=True)
class Upload:
    """A file sent with a submission: which of the procedure's documents it is, and its bytes."""

    document: int
    filename: str
    data: bytes


def submit_at_once(
    session: Session,
    actor: Actor,
    owner: str,
    code: str,
    idempotency_key: str,
    *,
    values: dict[str, Any],
    uploads: tuple[Upload, ...] = (),
    subject_personal_id: str | None = None,
    commune_code: str | None = None,
) -> tuple[Dossier, bool]:
    """From nothing to a dossier in one call (the portal API's submission): the procedure in
    force today, pre-filled from the registry (each record read audited once), the typed
    values and the files, in the caller's transaction. True when this call made the dossier;
    a retry with the same key gets the first call's dossier and False, having read and stored
    nothing again."""
    key = _check_key(idempotency_key)
    earlier = DossierRepository(session).by_submission(actor.label, key)
    if earlier is not None:
        return earlier, False
    opening, view = _open(
        session,
        actor,
        owner,
        code,
        channel="online",
        subject_personal_id=subject_personal_id,
        commune_code=commune_code,
    )
    files = [_stored_file(view.procedure, actor, upload) for upload in uploads]
    typed = forms.check_typed(view.procedure, values, complete=True)
    # The registry's values as read above; only the typed ones change the filled form.
    filled = forms.fill(view.procedure, view.applicant, view.subject, typed)
    view = dataclasses.replace(view, fields=filled, missing=forms.missing_prefill(filled))
    return _submit_once(session, actor, owner, opening, view, typed, key, files), True


def _submit_once(
    session: Session,
    actor: Actor,
    owner: str,
    opening: _Opening,
    view: FormView,
    typed: dict[str, Any],
    key: str,
    files: Sequence[DossierDocument] = (),
) -> Dossier:
    """Write the dossier in a savepoint: when a concurrent call with the same key has just
    written it (the unique submission key refuses the second), that one is the answer."""
    try:
        with session.begin_nested():
            return _write_dossier(session, actor, owner, opening, view, typed, key, files)
    except IntegrityError:
        earlier = DossierRepository(session).by_submission(actor.label, key)
        if earlier is None:
            raise
        return earlier


def _write_dossier(
    session: Session,
    actor: Actor,
    owner: str,
    opening: _Opening,
    view: FormView,
    typed: dict[str, Any],
    key: str,
    files: Sequence[DossierDocument],
) -> Dossier:
    repo = DossierRepository(session)
    procedure = view.procedure
    if view.about is not None and view.subject is None:
        raise ValidationFailed(N_("Choose the person this dossier is about"), field="subject")
    if view.missing:
        raise ValidationFailed(
            N_("The registry has no value for a required field: report it as an error first"),
            field=view.missing[0],
        )
    if opening.commune_code is None:
        raise ValidationFailed(N_("Choose the commune to submit to"), field="commune")
    received = clock.now()
    due = due_of(session, procedure, received, [])
    state = procedure.workflow.initial
    step = step_of(procedure, state)
    dossier = Dossier(
        code=dossier_code(session, opening.commune_code, received),
        procedure_code=opening.procedure_code,
        procedure_version=view.version,
        applicant_personal_id=owner,
        subject_personal_id=opening.subject_personal_id,
        channel=opening.channel,
        commune_code=opening.commune_code,
        state=state,
        step=step.key,
        role=role_of(procedure, state),
        level=step.level,
        form=_snapshot(view.fields, typed),
        submitted_by=actor.label,
        idempotency_key=key,
        received_at=received,
        due_at=due.at,
        due_day=due.day,
        pauses=[],
        events=1,
    )
    repo.add(dossier)
    if opening.draft is not None:
        repo.attach_documents(opening.draft.id, dossier.id)
    for file in files:
        file.dossier_id = dossier.id
    repo.add_all(files)
    repo.add_event(
        DossierEvent(
            dossier_id=dossier.id,
            seq=1,
            at=received,
            actor=actor.label,
            actor_kind=actor.kind,
            from_state=None,
            to_state=state,
            due_at=due.at,
        )
    )
    _audit_move(session, actor, dossier, procedure, None, state, None)
    notify(session, dossier, procedure, event_seq=1, kind=state)
    if opening.draft is not None:
        repo.delete_draft(opening.draft)
    return dossier


# --- moves -----------------------------------------------------------------------------------


def _audit_move(
    session: Session,
    actor: Actor,
    dossier: Dossier,
    procedure: Procedure,
    from_state: str | None,
    to_state: str,
    reason: str | None,
) -> None:
    detail = {"dossier": dossier.code, "from": from_state, "to": to_state}
    if reason:
        detail["reason"] = reason
    people = {dossier.applicant_personal_id, dossier.subject_personal_id} - {None}
    for person in sorted(p for p in people if p):
        audit.record(
            session,
            actor,
            "dossier.submit" if from_state is None else "dossier.move",
            purpose=purpose(procedure),
            subject_personal_id=person,
            detail=detail,
        )


def dossier_by_code(session: Session, code: str) -> Dossier:
    found = DossierRepository(session).by_code(code)
    if found is None:
        raise NotFound(N_("No such dossier"), field="code")
    return found


def _in_scope(dossier: Dossier, scope: UnitScope) -> bool:
    return scope.allows(dossier.commune_code)


def officer_dossier(session: Session, code: str, scopes: dict[str, UnitScope]) -> Dossier:
    """A dossier for an officer who handles dossiers in its commune (any of their dossier
    roles' scopes); outside them it does not exist for them."""
    found = DossierRepository(session).by_code(code)
    if found is None or not any(_in_scope(found, s) for s in scopes.values()):
        raise NotFound(N_("No such dossier"), field="code")
    return found


def citizen_dossier(session: Session, personal_id: str, code: str) -> Dossier:
    """The applicant's (or the concerned person's) own dossier; anyone else's does not exist."""
    found = DossierRepository(session).by_code(code)
    if found is None or personal_id not in (
        found.applicant_personal_id,
        found.subject_personal_id,
    ):
        raise NotFound(N_("No such dossier"), field="code")
    return found


def _reason(reason: str | None) -> str | None:
    if reason is None or not reason.strip():
        return None
    text = require_text(reason, field="reason", multiline=True)
    if len(text) > REASON_MAX:
        raise ValidationFailed(N_("This text is too long"), field="reason")
    return text


def _record_move(
    session: Session,
    actor: Actor,
    dossier: Dossier,
    procedure: Procedure,
    values: dict[str, Any],
    *,
    to_state: str,
    at: dt.datetime,
    reason: str | None = None,
    form: str | None = None,
) -> None:
    """Write one move: the compare-and-set on the state the dossier was read in (``values``
    carry the new state, if it changes: a withdrawal or an apology leaves it), its event with
    the due date after it, and its audit entry."""
    from_state = dossier.state
    repo = DossierRepository(session)
    if not repo.move(dossier.id, from_state, values):
        raise Conflict(N_("Someone else moved this dossier first; reload it"), field="state")
    repo.refresh(dossier)
    repo.add_event(
        DossierEvent(
            dossier_id=dossier.id,
            seq=dossier.events,
            at=at,
            actor=actor.label,
            actor_kind=actor.kind,
            from_state=from_state,
            to_state=to_state,
            reason=reason,
            form=form,
            due_at=clock.aware(dossier.due_at),
        )
    )
    _audit_move(session, actor, dossier, procedure, from_state, to_state, reason)


def move(
    session: Session,
    actor: Actor,
    dossier: Dossier,
    to_state: str,
    *,
    role: str | None,
    reason: str | None = None,
) -> Dossier:
    """Move a dossier to ``to_state`` if its procedure's workflow lets ``role`` do it from
    where the dossier is (``role=None``: the applicant's own move, checked by the caller).

    The clock pauses on entering a waiting state (additions requested: Decree 118/2025 and
    Circular 03/2025 form 02) and resumes on leaving it, the due date moving by the working
    days waited; the outcome (early, on time, late) is fixed when processing ends (the last
    step begins); the dossier ends in a final state."""
    stored = catalogue.procedure_version(session, dossier.procedure_code, dossier.procedure_version)
    procedure = stored.definition
    engine = workflow_of(procedure)
    reason = _reason(reason)
    name = f"{dossier.state}->{to_state}"
    if dossier.ended_at is not None:  # a final state, or withdrawn where it was
        raise TransitionRefused(
            "already_finished", workflow=engine.name, state=dossier.state, transition=name
        )
    engine.transition(dossier.state, name, role, reason=reason)
    transition = next(
        t for t in procedure.workflow.transitions if t.from_ == dossier.state and t.to == to_state
    )
    now = clock.now()
    from_state = dossier.state
    values: dict[str, Any] = {"events": dossier.events + 1}
    pauses = list(dossier.pauses or [])
    if to_state in APPLICANT_MOVES:  # the clock stops
        values["paused_since"] = now
        values["additions_requests"] = dossier.additions_requests + 1
    elif dossier.paused_since is not None:  # the clock starts again
        pauses.append([clock.aware(dossier.paused_since).isoformat(), now.isoformat()])
        values["paused_since"] = None
        values["pauses"] = pauses
        due = due_of(session, procedure, clock.aware(dossier.received_at), _pauses_of(pauses))
        values["due_at"], values["due_day"] = due.at, due.day
    step = step_of(procedure, to_state)
    last_step = procedure.workflow.steps[-1]
    # Assumption: a dossier whose appointment was moved by an apology letter (form 04) stays
    # counted late, whatever the new appointment (the letter admits the delay).
    apologised = DossierRepository(session).has_event_form(dossier.id, APOLOGY_FORM)
    if (
        dossier.outcome is None
        and to_state in last_step.states
        and from_state not in last_step.states
    ):  # processing has ended: the result is there (or the dossier goes back refused)
        values["outcome"] = (
            "late"
            if apologised
            else outcome_of(now, values.get("due_at", clock.aware(dossier.due_at)))
        )
    if engine.is_final(to_state):
        values["ended_at"] = now
    values.update(
        state=to_state, step=step.key, role=role_of(procedure, to_state), level=step.level
    )
    if step.key != dossier.step:
        values["assigned_to"] = None  # a new step is someone else's work
    _record_move(
        session,
        actor,
        dossier,
        procedure,
        values,
        to_state=to_state,
        reason=reason,
        form=transition.form,
        at=now,
    )
    notify(session, dossier, procedure, event_seq=dossier.events, kind=to_state, reason=reason)
    return dossier


def _pauses_of(pauses: list[list[str]]) -> list[legal.Pause]:
    return [(dt.datetime.fromisoformat(a), dt.datetime.fromisoformat(b)) for a, b in pauses]


def officer_move(
    session: Session,
    actor: Actor,
    code: str,
    to_state: str,
    *,
    roles: dict[str, UnitScope],
    reason: str | None = None,
) -> Dossier:
    """An officer's move: they must hold the dossier's current role in its commune."""
    dossier = officer_dossier(session, code, roles)
    scope = roles.get(dossier.role)
    if dossier.ended_at is None and (scope is None or not _in_scope(dossier, scope)):
        raise PermissionDenied(
            N_("Your role does not handle this step of the dossier"), field="state"
        )
    return move(session, actor, dossier, to_state, role=dossier.role, reason=reason)


def supply_additions(
    session: Session, actor: Actor, personal_id: str, code: str, note: str | None
) -> Dossier:
    """The applicant supplies what was asked for: the dossier goes back to processing and
    the clock runs again."""
    dossier = citizen_dossier(session, personal_id, code)
    target = APPLICANT_MOVES.get(dossier.state)
    if target is None or personal_id != dossier.applicant_personal_id:
        raise Conflict(N_("Nothing is asked of you for this dossier now"), field="state")
    return move(session, actor, dossier, target, role=None, reason=note or None)


def assign(
    session: Session, actor: Actor, code: str, *, roles: dict[str, UnitScope], to: str
) -> Dossier:
    """Give the dossier's current step to an officer (``to``: their actor label)."""
    dossier = officer_dossier(session, code, roles)
    if dossier.ended_at is not None:
        raise Conflict(N_("This dossier is finished"), field="state")
    if dossier.role not in roles:
        raise PermissionDenied(
            N_("Your role does not handle this step of the dossier"), field="state"
        )
    dossier.assigned_to = require_text(to, field="assignee")
    session.flush()
    return dossier


def withdraw(session: Session, actor: Actor, personal_id: str, code: str) -> Dossier:
    """The applicant withdraws an unfinished dossier (assumption: a withdrawn dossier ends
    without a result; Decree 118/2025 lets the applicant withdraw, the catalogue has no state
    for it, so it is recorded as an event and ends the dossier where it is)."""
    dossier = citizen_dossier(session, personal_id, code)
    if dossier.ended_at is not None:
        raise Conflict(N_("This dossier is finished"), field="state")
    if personal_id != dossier.applicant_personal_id:
        raise PermissionDenied(N_("Only the applicant may withdraw a dossier"), field="code")
    stored = catalogue.procedure_version(session, dossier.procedure_code, dossier.procedure_version)
    now = clock.now()
    _record_move(
        session,
        actor,
        dossier,
        stored.definition,
        {"ended_at": now, "events": dossier.events + 1, "role": "none", "paused_since": None},
        to_state="withdrawn",
        at=now,
    )
    return dossier


# --- the apology letter (form 04) ------------------------------------------------------------

APOLOGY_FORM = "04"


@dataclass(frozen=True, slots=True)
class ApologyDraft:
    """The letter the system drafts for a late dossier, for the officer to confirm: the
    reason (to be completed) and a new appointment."""

    reason: str
    new_day: dt.date


def apology_draft(session: Session, dossier: Dossier) -> ApologyDraft | None:
    """For a running dossier past its appointed moment: the draft of form 04 (Circular
    03/2025/TT-VPCP: letter of apology with a new appointment). Assumption: the suggested new
    appointment gives the agency as many working days again as the procedure's statutory time
    (at least one); the officer changes it before confirming."""
    if dossier.ended_at is not None or dossier.paused_since is not None:
        return None
    if clock.aware(dossier.due_at) >= clock.now():
        return None
    stored = catalogue.procedure_version(session, dossier.procedure_code, dossier.procedure_version)
    spec = stored.definition.statutory_time
    days = max(1, spec.amount or 1) if spec.unit == "working_days" else 1
    calendar = working_calendar(session)
    return ApologyDraft(
        reason="Hồ sơ giải quyết quá hạn do cần thêm thời gian thẩm định.",
        new_day=calendar.add_working_days(clock.today(), days),
    )


def apologise(
    session: Session,
    actor: Actor,
    code: str,
    *,
    roles: dict[str, UnitScope],
    reason: str,
    new_day: dt.date,
) -> Dossier:
    """Confirm the apology letter (form 04) of a late dossier: its appointment moves to the
    close of ``new_day`` (a working day after today); the only way a due date is extended.
    An event (same state, form 04, the reason) and an audit entry record it."""
    dossier = officer_dossier(session, code, roles)
    if dossier.role not in roles or dossier.ended_at is not None:
        raise PermissionDenied(
            N_("Your role does not handle this step of the dossier"), field="state"
        )
    if apology_draft(session, dossier) is None:
        raise Conflict(N_("This dossier is not late"), field="state")
    text = _reason(reason)
    if text is None:
        raise ValidationFailed(N_("Give the reason for the delay"), field="reason")
    calendar = working_calendar(session)
    if new_day <= clock.today() or not calendar.is_working_day(new_day):
        raise ValidationFailed(
            N_("The new appointment must be a working day after today"), field="new_day"
        )
    new_due = dt.datetime.combine(
        new_day, calendar.office_hours.closes, tzinfo=clock.zone()
    ).astimezone(dt.UTC)
    values = {
        "due_at": new_due,
        "due_day": new_day,
        "events": dossier.events + 1,
        "warned_at": None,
    }
    stored = catalogue.procedure_version(session, dossier.procedure_code, dossier.procedure_version)
    _record_move(
        session,
        actor,
        dossier,
        stored.definition,
        values,
        to_state=dossier.state,
        reason=text,
        form=APOLOGY_FORM,
        at=clock.now(),
    )
    notify(
        session, dossier, stored.definition, event_seq=dossier.events, kind="apology", reason=text
    )
    return dossier


# --- reads -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Timeline:
    dossier: Dossier
    procedure: Procedure
    events: list[DossierEvent]
    expected_of_applicant: bool
    next_moves: list[str]


def timeline(session: Session, dossier: Dossier, role: str | None = None) -> Timeline:
    stored = catalogue.procedure_version(session, dossier.procedure_code, dossier.procedure_version)
    engine = workflow_of(stored.definition)
    events = list(DossierRepository(session).events(dossier.id))
    moves = (
        []
        if dossier.ended_at is not None or role is None
        else [t.target for t in engine.allowed(dossier.state, role)]
    )
    return Timeline(
        dossier,
        stored.definition,
        events,
        dossier.ended_at is None and dossier.state in APPLICANT_MOVES,
        moves,
    )


def dossiers_of(session: Session, personal_id: str, page: Page) -> Paged[Dossier]:
    return DossierRepository(session).of_citizen(personal_id, page)


def queue(
    session: Session,
    officer: Actor,
    roles: dict[str, UnitScope],
    page: Page,
    *,
    view: str = "all",
    procedure: str | None = None,
    commune: str | None = None,
    level: str | None = None,
) -> Paged[Dossier]:
    """An officer's work queue: open dossiers at a step of one of their roles, in the communes
    each role covers. ``view``: all, new (unassigned, running), mine, due soon (within one
    working day), overdue, waiting for the citizen."""
    if view not in QUEUE_VIEWS:
        raise ValidationFailed(N_("Unknown queue view"), field="view")
    if level is not None and level not in LEVELS:
        raise ValidationFailed(N_("Unknown level"), field="level")
    if not roles:
        return Paged([], False)
    now = clock.now()
    # The working calendar (read and built per call) only matters to the due-soon view.
    soon = (
        legal_moment_after_one_working_day(working_calendar(session), now)
        if view == "due_soon"
        else None
    )
    repo = DossierRepository(session)
    # One query per distinct scope; an officer has few roles (usually one).
    communes = _union(list(roles.values()))
    query = repo.queue_query(
        communes,
        list(roles),
        view=view,
        officer=officer.label,
        now=now,
        soon=soon,
        procedure=procedure,
        commune=commune,
        level=level,
    )
    return repo.queue(query, page)


def queue_communes(session: Session, roles: dict[str, UnitScope]) -> list[Commune]:
    """The province's communes an officer's dossier roles cover, by name, when there are
    several (the queue's commune filter); none for an officer of one commune."""
    scope = _union(list(roles.values())) if roles else UnitScope(frozenset())
    if scope.communes is not None and len(scope.communes) <= 1:
        return []  # nothing to choose between: no query (most officers, every page)
    return [
        c
        for c in units.communes_of_province(session, settings.province_code)
        if scope.allows(c.code)
    ]


def _union(scopes: list[UnitScope]) -> UnitScope:
    if any(s.communes is None for s in scopes):
        return EVERYWHERE
    joined: set[str] = set()
    for s in scopes:
        joined |= s.communes or set()
    return UnitScope(frozenset(joined))


def legal_moment_after_one_working_day(
    calendar: legal.WorkingCalendar, now: dt.datetime
) -> dt.datetime:
    """The end of the next working day: dossiers due before it are "due soon"."""
    day = calendar.next_working_day(clock.local_day(now))
    return dt.datetime.combine(day, calendar.office_hours.closes, tzinfo=clock.zone()).astimezone(
        dt.UTC
    )


# --- the deadline scan (a job) -----------------------------------------------------------------


def warn_due_soon(session: Session, *, limit: int = 500) -> int:
    """Mark the running dossiers due within one working day whose handler was not yet warned
    (the queue shows them as due soon, with the warning); returns how many."""
    now = clock.now()
    soon = legal_moment_after_one_working_day(working_calendar(session), now)
    repo = DossierRepository(session)
    warned = 0
    for dossier in repo.open_due_before(soon, limit):
        if repo.mark_warned(dossier.id, now):
            warned += 1
    return warned


def statistics(session: Session, scope: UnitScope, since: dt.datetime) -> dict[str, dict[str, int]]:
    """Dossiers whose processing ended since ``since``: per procedure, early / on time / late."""
    table: dict[str, dict[str, int]] = {}
    for code, outcome, count in DossierRepository(session).outcome_counts(scope, since):
        row = table.setdefault(code, {"early": 0, "on_time": 0, "late": 0, "none": 0})
        row[outcome or "none"] += count
    return table
