"""The officers' dossier pages: the work queue (``/dossiers``), one dossier with its form,
documents, timeline and the moves the officer's roles allow, and the counter where a service
centre receives a dossier for a citizen identified by the chip ID card's QR or personal ID.

POSTs are CSRF-checked by the auth dependencies (``csrf_token`` field of the session).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from oncegov.db import DbSession
from oncegov.errors import OnceGovError, ValidationFailed
from oncegov.kit import chip_qr, clock
from oncegov.kit.repository import Page
from oncegov.procedures.catalogue import service as catalogue
from oncegov.procedures.catalogue.schemas import LEVEL_LABELS, FormField, Procedure
from oncegov.procedures.dossiers import form as forms
from oncegov.procedures.dossiers import service
from oncegov.procedures.dossiers.dependencies import DossierOfficer, Officer, Receiver
from oncegov.procedures.dossiers.labels import (
    CHANNEL_LABELS,
    MOVE_LABELS,
    OUTCOME_LABELS,
    STATE_LABELS,
    VIEW_LABELS,
    label,
)
from oncegov.procedures.dossiers.models import CODE_MAX, Dossier
from oncegov.translatable import N_
from oncegov.units.service import CommuneNames
from oncegov.web.forms import TextFields, attempt
from oncegov.web.i18n import _, get_locale
from oncegov.web.params import IdPath, PageQuery
from oncegov.web.routing import CheckedRoute
from oncegov.web.templating import render

router = APIRouter(route_class=CheckedRoute, include_in_schema=False)
PAGE_SIZE = 50
CodePath = Annotated[str, Path(min_length=1, max_length=CODE_MAX)]


class ProcedureNames:
    """Procedure names of one page, each version read once (``preload``: a page's at once,
    names only, not the definitions)."""

    def __init__(self, db: Session) -> None:
        self.db = db
        self.cache: dict[tuple[str, int], str] = {}

    def preload(self, dossiers: Iterable[Dossier], locale: str) -> None:
        wanted = {(d.procedure_code, d.procedure_version) for d in dossiers} - set(self.cache)
        for key, name in catalogue.procedure_names(self.db, wanted).items():
            self.cache[key] = name.get(locale)

    def name(self, dossier: Dossier, locale: str) -> str:
        key = (dossier.procedure_code, dossier.procedure_version)
        if key not in self.cache:
            stored = catalogue.procedure_version(self.db, *key)
            self.cache[key] = stored.definition.name.get(locale)
        return self.cache[key]


def shown(field: FormField, value: str | None) -> str | None:
    """A stored value of the form as the page shows it (dates as dd/mm/yyyy, codes as their
    translated labels)."""
    text = forms.shown_value(field.type, field.source, value)
    return _(text) if text is not None and forms.shown_is_label(field.source) else text


def submitted_fields(
    dossier: Dossier, procedure: Procedure, locale: str
) -> list[tuple[str, str | None, str]]:
    """(label, value as shown, source) of each field of the dossier's form as submitted."""
    stored = dossier.form or {}
    return [
        (f.label.get(locale), shown(f, stored[f.key].get("value")), stored[f.key].get("source", ""))
        for f in procedure.form
        if f.key in stored
    ]


def applicant_name(dossier: Dossier) -> str:
    value = (dossier.form or {}).get("full_name", {}).get("value")
    return str(value) if value else ""


def row(
    dossier: Dossier, names: ProcedureNames, communes: CommuneNames, locale: str
) -> dict[str, Any]:
    now = clock.now()
    due = clock.aware(dossier.due_at)
    return {
        "dossier": dossier,
        "procedure": names.name(dossier, locale),
        "applicant": applicant_name(dossier),
        "commune": communes.label(dossier.commune_code),
        "state": _(label(STATE_LABELS, dossier.state)),
        "channel": _(label(CHANNEL_LABELS, dossier.channel)),
        "waiting": dossier.paused_since is not None,
        "overdue": dossier.paused_since is None and dossier.ended_at is None and due < now,
        "warned": dossier.warned_at is not None,
    }


@router.get("/dossiers", response_class=HTMLResponse)
def queue_page(
    request: Request,
    db: DbSession,
    officer: Officer,
    view: str = "all",
    procedure: str = Query("", max_length=20),
    level: str = Query("", max_length=10),
    commune: str = Query("", max_length=5),
    page: PageQuery = 1,
) -> HTMLResponse:
    view = view if view in service.QUEUE_VIEWS else "all"
    level = level if level in service.LEVELS else ""
    choices = service.queue_communes(db, officer.roles)
    commune = commune if commune in {c.code for c in choices} else ""  # one's own: no filter
    page = max(page, 1)
    result = service.queue(
        db,
        officer.actor(),
        officer.roles,
        Page.numbered(page, PAGE_SIZE),
        view=view,
        procedure=procedure or None,
        commune=commune or None,
        level=level or None,
    )
    filters = {"view": view, "procedure": procedure, "level": level, "commune": commune}
    names, communes, locale = ProcedureNames(db), CommuneNames(db), get_locale()
    names.preload(result.items, locale)
    communes.preload(d.commune_code for d in result.items)
    return render(
        request,
        "dossiers/queue.html",
        {
            "rows": [row(d, names, communes, locale) for d in result.items],
            "view": view,
            "views": [(key, _(text)) for key, text in VIEW_LABELS.items()],
            "procedure": procedure,
            "level": level,
            "levels": [(key, _(LEVEL_LABELS[key])) for key in service.LEVELS],
            "commune": commune,
            "communes": choices,
            "page": page,
            "has_more": result.has_more,
            "page_link": lambda n: "/dossiers?" + urlencode({**filters, "page": n}),
        },
    )


def _dossier_page(
    request: Request,
    db: Session,
    officer: DossierOfficer,
    code: str,
    *,
    error: OnceGovError | None = None,
    status: int = 200,
) -> HTMLResponse:
    dossier = service.officer_dossier(db, code, officer.roles)
    role = dossier.role if dossier.role in officer.roles else None
    line = service.timeline(db, dossier, role)
    locale = get_locale()
    reason_needed = {
        t.to
        for t in line.procedure.workflow.transitions
        if t.from_ == dossier.state and t.reason_required
    }
    return render(
        request,
        "dossiers/dossier.html",
        {
            "dossier": dossier,
            "line": line,
            "procedure_name": line.procedure.name.get(locale),
            "row": row(dossier, ProcedureNames(db), CommuneNames(db), locale),
            "fields": submitted_fields(dossier, line.procedure, locale),
            "moves": [
                (target, _(label(MOVE_LABELS, target)), target in reason_needed)
                for target in line.next_moves
            ],
            "state_label": lambda s: _(label(STATE_LABELS, s or "")),
            "outcome": _(label(OUTCOME_LABELS, dossier.outcome)) if dossier.outcome else None,
            "steps": service.step_times(db, dossier, line.procedure, line.events),
            "level_label": lambda level: _(LEVEL_LABELS[level]),
            "locale": locale,
            "can_take": role is not None
            and dossier.ended_at is None
            and dossier.assigned_to != officer.actor().label,
            "error": error,
        },
        status_code=status,
    )


# --- the counter -----------------------------------------------------------------------------


def _counter_page(
    request: Request,
    db: Session,
    *,
    form: dict[str, str] | None = None,
    error: OnceGovError | None = None,
    status: int = 200,
) -> HTMLResponse:
    locale = get_locale()
    procedures = [
        (p.code, p.definition.name.get(locale))
        for p in catalogue.catalogue(db)
        if "counter" in p.definition.channels
    ]
    return render(
        request,
        "dossiers/counter.html",
        {"procedures": procedures, "form": form or {}, "error": error},
        status_code=status,
    )


@router.get("/dossiers/counter", response_class=HTMLResponse)
def counter(request: Request, db: DbSession, officer: Receiver) -> HTMLResponse:
    return _counter_page(request, db)


def _identified(text: str) -> str:
    """The personal ID typed, or read from the chip ID card's QR text."""
    text = text.strip()
    if "|" in text:
        return chip_qr.parse(text, today=clock.today()).personal_id
    return text


@router.post("/dossiers/counter", response_class=HTMLResponse, response_model=None)
def counter_start(request: Request, db: DbSession, officer: Receiver, form: TextFields) -> Response:
    def action() -> int:
        personal_id = _identified(form.get("citizen", ""))
        draft = service.start_draft(
            db,
            officer.actor(),
            personal_id,
            form.get("procedure", ""),
            channel="counter",
            commune_code=_counter_commune(officer),
        )
        return draft.id

    outcome = attempt(db, action)
    if isinstance(outcome, OnceGovError):
        return _counter_page(request, db, form=form, error=outcome, status=outcome.status)
    return RedirectResponse(f"/dossiers/counter/{outcome}", status_code=303)


def _counter_commune(officer: DossierOfficer) -> str | None:
    """The commune of the officer's centre: the one commune their receiving role covers
    (a provincial centre receives for the applicant's own commune: None)."""
    communes = officer.roles["receiver"].communes
    return next(iter(communes)) if communes is not None and len(communes) == 1 else None


def _counter_form(
    request: Request,
    db: Session,
    officer: DossierOfficer,
    draft_id: IdPath,
    *,
    error: OnceGovError | None = None,
    typed: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    found = service.counter_draft(db, officer.actor(), draft_id)
    view = service.draft_form(db, officer.actor(), found.owner_personal_id, draft_id)
    return render(
        request,
        "dossiers/counter_form.html",
        {
            "draft": found,
            "view": view,
            "locale": get_locale(),
            "typed": typed or {},
            "error": error,
            "key": secrets.token_urlsafe(16),
        },
        status_code=status,
    )


@router.get("/dossiers/counter/{draft_id}", response_class=HTMLResponse)
def counter_form(
    request: Request, db: DbSession, officer: Receiver, draft_id: IdPath
) -> HTMLResponse:
    return _counter_form(request, db, officer, draft_id)


@router.post("/dossiers/counter/{draft_id}", response_class=HTMLResponse, response_model=None)
def counter_submit(
    request: Request, db: DbSession, officer: Receiver, draft_id: IdPath, form: TextFields
) -> Response:
    def action() -> Dossier:
        found = service.counter_draft(db, officer.actor(), draft_id)
        return service.submit(
            db,
            officer.actor(),
            found.owner_personal_id,
            draft_id,
            form.get("idempotency_key", ""),
            submitted=form,
        )

    outcome = attempt(db, action)
    if isinstance(outcome, OnceGovError):
        return _counter_form(
            request, db, officer, draft_id, error=outcome, typed=form, status=outcome.status
        )
    return RedirectResponse(f"/dossiers/{outcome.code}", status_code=303)


# --- one dossier (after the counter: /dossiers/counter is not a dossier code) -----------


@router.get("/dossiers/{code}", response_class=HTMLResponse)
def dossier_page(request: Request, db: DbSession, officer: Officer, code: CodePath) -> HTMLResponse:
    return _dossier_page(request, db, officer, code)


@router.post("/dossiers/{code}/move", response_class=HTMLResponse, response_model=None)
def move(
    request: Request, db: DbSession, officer: Officer, code: CodePath, form: TextFields
) -> Response:
    outcome = attempt(
        db,
        lambda: service.officer_move(
            db,
            officer.actor(),
            code,
            form.get("to", ""),
            roles=officer.roles,
            reason=form.get("reason") or None,
        ),
    )
    if isinstance(outcome, OnceGovError):
        return _dossier_page(request, db, officer, code, error=outcome, status=outcome.status)
    return RedirectResponse(f"/dossiers/{code}", status_code=303)


@router.post("/dossiers/{code}/take", response_class=HTMLResponse, response_model=None)
def take(request: Request, db: DbSession, officer: Officer, code: CodePath) -> Response:
    actor = officer.actor()
    outcome = attempt(
        db, lambda: service.assign(db, actor, code, roles=officer.roles, to=actor.label)
    )
    if isinstance(outcome, OnceGovError):
        return _dossier_page(request, db, officer, code, error=outcome, status=outcome.status)
    return RedirectResponse(f"/dossiers/{code}", status_code=303)


@router.post("/dossiers/{code}/apology", response_class=HTMLResponse, response_model=None)
def apology(
    request: Request, db: DbSession, officer: Officer, code: CodePath, form: TextFields
) -> Response:
    """Confirm the drafted apology letter (form 04) with the reason and new appointment."""

    def action() -> Dossier:
        try:
            new_day = dt.date.fromisoformat(form.get("new_day", ""))
        except ValueError:
            raise ValidationFailed(N_("Enter a date"), field="new_day") from None
        return service.apologise(
            db,
            officer.actor(),
            code,
            roles=officer.roles,
            reason=form.get("reason", ""),
            new_day=new_day,
        )

    outcome = attempt(db, action)
    if isinstance(outcome, OnceGovError):
        return _dossier_page(request, db, officer, code, error=outcome, status=outcome.status)
    return RedirectResponse(f"/dossiers/{code}", status_code=303)


def file_response(found: service.DocumentFile) -> Response:
    """A dossier's file with its stored type, as an attachment, never sniffed into another
    type (the officers' and the citizen's downloads alike)."""
    return Response(
        found.data,
        media_type=found.document.content_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(found.document.filename)}",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/dossiers/documents/{document_id}", response_model=None)
def document(db: DbSession, officer: Officer, document_id: IdPath) -> Response:
    """A submitted dossier's file, for the officers handling dossiers in its commune."""
    return file_response(service.officer_document(db, officer.roles, document_id))
