"""The officers' pages of correction requests (the citizen's own are in ``me.pages.identity``).

Officers holding ``registry.corrections``: the queue (``/registry/corrections``), one request
with the citizen's current record, and the actions take, correct (a new registry version linked
to the request) and reject.

POSTs are CSRF-checked by the auth dependencies (``csrf_token`` field of the session).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.datastructures import FormData

from oncegov.auth.dependencies import require
from oncegov.auth.roles import CORRECTIONS, REGISTRY_READ
from oncegov.auth.schemas import Authorized
from oncegov.db import DbSession
from oncegov.errors import Conflict, OnceGovError, ValidationFailed
from oncegov.registry.corrections import service
from oncegov.registry.corrections.schemas import (
    REPORTABLE_BY_KEY,
    STATUS_LABELS,
    CorrectionOut,
)
from oncegov.registry.pages import (
    RELATIONSHIP_LABELS,
    RELIGION_LABELS,
    display_value,
    iso_birth,
    label,
)
from oncegov.registry.reference import ETHNIC_GROUPS, RELATIONSHIPS, RELIGIONS
from oncegov.registry.schemas import EDITABLE_FIELDS, SEX_LABELS, CitizenOut, display_birth
from oncegov.translatable import N_
from oncegov.units.service import CommuneNames
from oncegov.web.forms import PostedForm, form_text
from oncegov.web.i18n import _
from oncegov.web.params import IdPath, PageQuery
from oncegov.web.routing import CheckedRoute
from oncegov.web.templating import render

router = APIRouter(route_class=CheckedRoute, include_in_schema=False)

Handler = Annotated[Authorized, Depends(require(CORRECTIONS))]

FIX_PREFIX = "fix:"  # fix:<column> = corrected value
WAS_PREFIX = "was:"  # was:<column> = value shown when the form was drawn
FILTER_LABELS: dict[str, str] = {
    service.ACTIVE_FILTER: N_("Waiting (submitted or being reviewed)"),
    **STATUS_LABELS,
    service.ALL_FILTER: N_("Any status"),
}


def request_rows(requests: list[CorrectionOut]) -> list[dict[str, Any]]:
    """Requests as the queue and the citizen's "My identity" list them (``_requests.html``)."""
    return [
        {
            "request": r,
            "fields": ", ".join(
                _(REPORTABLE_BY_KEY[k].label) if k in REPORTABLE_BY_KEY else k for k in r.fields
            ),
            "status_label": _(STATUS_LABELS.get(r.status, r.status)),
        }
        for r in requests
    ]


# --- the officers' queue ------------------------------------------------------------------------


@router.get("/registry/corrections", response_class=HTMLResponse)
def queue(
    request: Request,
    db: DbSession,
    handler: Handler,
    status: str = service.ACTIVE_FILTER,
    page: PageQuery = 1,
) -> HTMLResponse:
    page = max(page, 1)
    result = service.list_queue(
        db, handler.scope, status, limit=service.PAGE_SIZE, offset=(page - 1) * service.PAGE_SIZE
    )
    last_page = max((result.total + service.PAGE_SIZE - 1) // service.PAGE_SIZE, 1)
    communes = CommuneNames(db)
    return render(
        request,
        "corrections/queue.html",
        {
            "result": result,
            "rows": [
                row | {"commune": communes.label(row["request"].commune_code)}
                for row in request_rows(result.items)
            ],
            "status": status,
            "filters": [(key, _(text)) for key, text in FILTER_LABELS.items()],
            "page": page,
            "last_page": last_page,
            "page_link": lambda n: (
                "/registry/corrections?" + urlencode({"status": status, "page": n})
            ),
        },
    )


def _options(column: str) -> list[tuple[str, str]] | None:
    if column == "sex":
        return [(code, _(name)) for code, name in SEX_LABELS.items()]
    if column == "ethnicity_code":
        return [(code, f"{code} – {name}") for code, name in ETHNIC_GROUPS.items()]
    if column == "religion":
        return [(code, _(RELIGION_LABELS[code])) for code in RELIGIONS]
    if column == "relationship_to_head":
        return [("", "—"), *((code, _(RELATIONSHIP_LABELS[code])) for code in RELATIONSHIPS)]
    return None


def _edit_text(citizen: CitizenOut, column: str) -> str:
    """A field as the correction form shows it (dates as d/m/yyyy, like the record editor)."""
    value = getattr(citizen, column)
    if value is None:
        return ""
    if column == "date_of_birth":
        return display_birth(str(value))
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def corrections_from(form: FormData) -> dict[str, str | None]:
    """Only what the officer changed, compared with the values the form showed (the service
    refuses columns the citizen did not report)."""
    updates: dict[str, str | None] = {}
    for name in form:
        if not name.startswith(FIX_PREFIX):
            continue
        column = name.removeprefix(FIX_PREFIX)
        new = form_text(form, name)
        if new == form_text(form, f"{WAS_PREFIX}{column}"):
            continue
        updates[column] = (iso_birth(new) if column == "date_of_birth" else new) or None
    return updates


def _request_page(
    request: Request,
    db: DbSession,
    handler: Authorized,
    request_id: IdPath,
    *,
    error: OnceGovError | None = None,
    submitted: FormData | None = None,
) -> HTMLResponse:
    detail = service.request_detail(db, handler.actor(), handler.scope, request_id)
    communes = CommuneNames(db)
    citizen = detail.citizen
    values = citizen.model_dump()
    typed: dict[str, str] = {}
    if submitted is not None:  # keep what the officer typed when the form comes back
        typed = {k: v for k, v in submitted.multi_items() if isinstance(v, str)}
    fix_fields = [
        {
            "name": column,
            "label": label(column),
            "shown": _edit_text(citizen, column),
            "value": typed.get(FIX_PREFIX + column, _edit_text(citizen, column)),
            "options": _options(column),
            "hint": communes.name(values[column]) if column.endswith("_commune_code") else None,
        }
        for column in detail.columns
        if column in EDITABLE_FIELDS
    ]
    purpose = service.HANDLING_PURPOSE.format(id=detail.request.id)
    context: dict[str, Any] = {
        "detail": detail,
        "row": request_rows([detail.request])[0],
        "citizen": citizen,
        "fields": [
            (label(name), display_value(name, values[name], communes))
            for name in ("personal_id", *EDITABLE_FIELDS, "version")
        ],
        "reported": set(detail.columns),
        "fix_fields": fix_fields,
        "typed": typed,
        "error": error,
        "active": detail.request.status in ("open", "in_review"),
        "record_url": (
            f"/registry/citizens/{citizen.personal_id}?{urlencode({'purpose': purpose})}"
            if handler.principal.can(REGISTRY_READ)
            else None
        ),
    }
    return render(
        request,
        "corrections/request.html",
        context,
        status_code=error.status if error is not None else 200,
    )


@router.get("/registry/corrections/{request_id}", response_class=HTMLResponse)
def request_page(
    request: Request, db: DbSession, handler: Handler, request_id: IdPath
) -> HTMLResponse:
    return _request_page(request, db, handler, request_id)


def _back(request_id: int) -> RedirectResponse:
    return RedirectResponse(f"/registry/corrections/{request_id}", status_code=303)


@router.post("/registry/corrections/{request_id}/take", response_model=None)
def take(
    request: Request, db: DbSession, handler: Handler, request_id: IdPath
) -> HTMLResponse | RedirectResponse:
    try:
        service.take(db, handler.actor(), handler.scope, request_id)
    except Conflict as exc:
        return _request_page(request, db, handler, request_id, error=exc)
    return _back(request_id)


@router.post("/registry/corrections/{request_id}/correct", response_model=None)
def correct(
    request: Request, db: DbSession, handler: Handler, request_id: IdPath, form: PostedForm
) -> HTMLResponse | RedirectResponse:
    try:
        service.resolve_corrected(
            db,
            handler.actor(),
            handler.scope,
            request_id,
            corrections_from(form),
            note=form_text(form, "note") or None,
            legal_reference=form_text(form, "legal_reference") or None,
        )
    except (ValidationFailed, Conflict) as exc:
        # Nothing was written (the change runs in a savepoint); show the form again.
        return _request_page(request, db, handler, request_id, error=exc, submitted=form)
    return _back(request_id)


@router.post("/registry/corrections/{request_id}/reject", response_model=None)
def reject(
    request: Request, db: DbSession, handler: Handler, request_id: IdPath, form: PostedForm
) -> HTMLResponse | RedirectResponse:
    try:
        service.reject(db, handler.actor(), handler.scope, request_id, form_text(form, "note"))
    except (ValidationFailed, Conflict) as exc:
        return _request_page(request, db, handler, request_id, error=exc, submitted=form)
    return _back(request_id)
