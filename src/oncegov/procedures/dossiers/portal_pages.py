"""The citizen's side of the dossiers, on the public-service portal (``/portal/...``): start a
procedure (stepped up to the eID level it names), the form pre-filled from the registry with
each value's source, the draft kept on the server, submission, the receipt (form 01), and "my
dossiers" with each one's timeline, what is expected of the citizen, due date, officers'
messages and withdrawal.

The portal session is the relying party's own (``procedures.portal``), opened through
OnceGov's OpenID Connect provider; POSTs carry its CSRF token.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from oncegov.config import settings
from oncegov.db import DbSession
from oncegov.errors import OnceGovError
from oncegov.kit.actor import Actor
from oncegov.kit.repository import Page
from oncegov.kit.uploads import format_bytes
from oncegov.procedures.catalogue import service as catalogue
from oncegov.procedures.dossiers import receipts, service
from oncegov.procedures.dossiers.labels import CHANNEL_LABELS, OUTCOME_LABELS, STATE_LABELS, label
from oncegov.procedures.dossiers.models import CODE_MAX, Dossier
from oncegov.procedures.dossiers.pages import ProcedureNames, file_response, submitted_fields
from oncegov.procedures.portal.dependencies import CurrentPortalCitizen, require_level
from oncegov.procedures.portal.schemas import PortalCitizen
from oncegov.units import service as units
from oncegov.units.service import CommuneNames
from oncegov.web.forms import TextFields, attempt
from oncegov.web.i18n import _, get_locale
from oncegov.web.params import IdPath, PageQuery
from oncegov.web.routing import CheckedRoute
from oncegov.web.templating import render

router = APIRouter(route_class=CheckedRoute, include_in_schema=False)
CodePath = Annotated[str, Path(min_length=1, max_length=CODE_MAX)]
ProcedurePath = Annotated[str, Path(min_length=1, max_length=20)]
PAGE_SIZE = 20


def actor_of(citizen: PortalCitizen) -> Actor:
    return Actor(kind="citizen", id=citizen.personal_id, name=citizen.personal_id)


def state_label(state: str | None) -> str:
    return _(label(STATE_LABELS, state or ""))


def _start_page(
    request: Request,
    db: Session,
    citizen: PortalCitizen,
    code: str,
    *,
    error: OnceGovError | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    stored = catalogue.procedure(db, code)
    require_level(citizen, stored.definition.eid_level, request)
    view = service.open_form(
        db, actor_of(citizen), citizen.personal_id, stored.definition, stored.version
    )
    locale = get_locale()
    home = view.applicant.current_commune_code or view.applicant.permanent_commune_code
    return render(
        request,
        "dossiers/portal_start.html",
        {
            "procedure": stored.definition,
            "view": view,
            "locale": locale,
            "communes": [
                (c.code, c.name) for c in units.communes_of_province(db, settings.province_code)
            ],
            "chosen_commune": (form or {}).get("commune", home or ""),
            "portal_csrf": citizen.csrf_token,
            "error": error,
        },
        status_code=status,
    )


@router.get("/portal/apply/{code}", response_class=HTMLResponse)
def start(
    request: Request, db: DbSession, citizen: CurrentPortalCitizen, code: ProcedurePath
) -> HTMLResponse:
    return _start_page(request, db, citizen, code)


@router.post("/portal/apply/{code}", response_class=HTMLResponse, response_model=None)
def start_draft(
    request: Request,
    db: DbSession,
    citizen: CurrentPortalCitizen,
    code: ProcedurePath,
    form: TextFields,
) -> Response:
    stored = catalogue.procedure(db, code)
    require_level(citizen, stored.definition.eid_level, request)
    outcome = attempt(
        db,
        lambda: service.start_draft(
            db,
            actor_of(citizen),
            citizen.personal_id,
            code,
            subject_personal_id=form.get("subject") or None,
            commune_code=form.get("commune") or None,
        ),
    )
    if isinstance(outcome, OnceGovError):
        return _start_page(
            request, db, citizen, code, error=outcome, form=form, status=outcome.status
        )
    return RedirectResponse(f"/portal/drafts/{outcome.id}", status_code=303)


def _draft_page(
    request: Request,
    db: Session,
    citizen: PortalCitizen,
    draft_id: int,
    *,
    error: OnceGovError | None = None,
    typed: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    found = service.draft(db, citizen.personal_id, draft_id)
    view = service.draft_form(db, actor_of(citizen), citizen.personal_id, draft_id)
    require_level(citizen, view.procedure.eid_level, request)
    communes = CommuneNames(db)
    return render(
        request,
        "dossiers/portal_form.html",
        {
            "draft": found,
            "view": view,
            "locale": get_locale(),
            "commune": communes.label(found.commune_code) if found.commune_code else "",
            "typed": typed or {},
            "error": error,
            "key": (typed or {}).get("idempotency_key") or secrets.token_urlsafe(16),
            "portal_csrf": citizen.csrf_token,
            "documents": service.draft_documents(db, citizen.personal_id, draft_id),
            "max_document": format_bytes(settings.max_document_bytes),
            "fees": [
                item for item in view.procedure.fees.items if item.channel in ("any", "online")
            ],
        },
        status_code=status,
    )


@router.get("/portal/drafts/{draft_id}", response_class=HTMLResponse)
def draft_page(
    request: Request, db: DbSession, citizen: CurrentPortalCitizen, draft_id: IdPath
) -> HTMLResponse:
    return _draft_page(request, db, citizen, draft_id)


@router.post("/portal/drafts/{draft_id}", response_class=HTMLResponse, response_model=None)
def draft_post(
    request: Request,
    db: DbSession,
    citizen: CurrentPortalCitizen,
    draft_id: IdPath,
    form: TextFields,
) -> Response:
    """``action=save`` keeps the typed values; ``action=submit`` submits (idempotent by the
    form's key: a second press, or a retry after a lost answer, finds the same dossier)."""
    actor = actor_of(citizen)
    if form.get("action") == "save":
        saved = attempt(db, lambda: service.save_draft(db, citizen.personal_id, draft_id, form))
        if isinstance(saved, OnceGovError):
            return _draft_page(
                request, db, citizen, draft_id, error=saved, typed=form, status=saved.status
            )
        return RedirectResponse(f"/portal/drafts/{draft_id}?saved=1", status_code=303)

    def submit() -> Dossier:
        return service.submit(
            db,
            actor,
            citizen.personal_id,
            draft_id,
            form.get("idempotency_key", ""),
            submitted=form,
        )

    outcome = attempt(db, submit)
    if isinstance(outcome, OnceGovError):
        return _draft_page(
            request, db, citizen, draft_id, error=outcome, typed=form, status=outcome.status
        )
    return RedirectResponse(f"/portal/dossiers/{outcome.code}/receipt", status_code=303)


@router.post(
    "/portal/drafts/{draft_id}/documents", response_class=HTMLResponse, response_model=None
)
async def upload(
    request: Request,
    db: DbSession,
    citizen: CurrentPortalCitizen,
    draft_id: IdPath,
    file: Annotated[UploadFile, File()],
    document: Annotated[int, Form(ge=0, le=1000)],
) -> Response:
    """Read the upload on the loop (no database), then store it in the thread pool."""
    data = await file.read()
    return await run_in_threadpool(
        _store_upload, request, db, citizen, draft_id, document, file.filename or "", data
    )


def _store_upload(
    request: Request,
    db: Session,
    citizen: PortalCitizen,
    draft_id: int,
    document: int,
    filename: str,
    data: bytes,
) -> Response:
    outcome = attempt(
        db,
        lambda: service.add_document(
            db,
            actor_of(citizen),
            citizen.personal_id,
            draft_id,
            document=document,
            filename=filename,
            data=data,
        ),
    )
    if isinstance(outcome, OnceGovError):
        return _draft_page(request, db, citizen, draft_id, error=outcome, status=outcome.status)
    return RedirectResponse(f"/portal/drafts/{draft_id}", status_code=303)


@router.get("/portal/documents/{document_id}", response_model=None)
def my_document(db: DbSession, citizen: CurrentPortalCitizen, document_id: IdPath) -> Response:
    return file_response(service.citizen_document(db, citizen.personal_id, document_id))


# --- my dossiers -----------------------------------------------------------------------------


@router.get("/portal/dossiers", response_class=HTMLResponse)
def my_dossiers(
    request: Request, db: DbSession, citizen: CurrentPortalCitizen, page: PageQuery = 1
) -> HTMLResponse:
    page = max(page, 1)
    result = service.dossiers_of(db, citizen.personal_id, Page.numbered(page, PAGE_SIZE))
    names, locale = ProcedureNames(db), get_locale()
    drafts = service.drafts_of(db, citizen.personal_id)
    return render(
        request,
        "dossiers/portal_list.html",
        {
            "rows": [
                {
                    "dossier": d,
                    "procedure": names.name(d, locale),
                    "state": state_label("withdrawn" if _withdrawn(d) else d.state),
                    "expected": d.ended_at is None and d.state in service.APPLICANT_MOVES,
                }
                for d in result.items
            ],
            "drafts": [
                (d, catalogue.procedure_version(db, d.procedure_code, d.procedure_version))
                for d in drafts
            ],
            "locale": locale,
            "page": page,
            "has_more": result.has_more,
        },
    )


def _withdrawn(dossier: Dossier) -> bool:
    return (
        dossier.ended_at is not None
        and dossier.role == "none"
        and not dossier.outcome
        and (dossier.state not in ("returned", "refused_to_accept"))
    )


def _dossier_context(
    request: Request, db: Session, citizen: PortalCitizen, code: str
) -> dict[str, Any]:
    dossier = service.citizen_dossier(db, citizen.personal_id, code)
    line = service.timeline(db, dossier)
    locale = get_locale()
    return {
        "dossier": dossier,
        "line": line,
        "procedure_name": line.procedure.name.get(locale),
        "state": state_label(dossier.state),
        "channel": _(label(CHANNEL_LABELS, dossier.channel)),
        "outcome": _(label(OUTCOME_LABELS, dossier.outcome)) if dossier.outcome else None,
        "commune": CommuneNames(db).label(dossier.commune_code),
        "state_label": state_label,
        "is_applicant": dossier.applicant_personal_id == citizen.personal_id,
        "portal_csrf": citizen.csrf_token,
        "locale": locale,
        "documents": service.dossier_documents(db, dossier),
        "fields": [
            (name, value)
            for name, value, _source in submitted_fields(dossier, line.procedure, locale)
        ],
    }


@router.get("/portal/dossiers/{code}", response_class=HTMLResponse)
def my_dossier(
    request: Request, db: DbSession, citizen: CurrentPortalCitizen, code: CodePath
) -> HTMLResponse:
    return render(
        request, "dossiers/portal_dossier.html", _dossier_context(request, db, citizen, code)
    )


@router.get("/portal/dossiers/{code}/receipt", response_class=HTMLResponse)
def receipt(
    request: Request, db: DbSession, citizen: CurrentPortalCitizen, code: CodePath
) -> HTMLResponse:
    """Form 01 (receipt and appointment slip, Circular 03/2025/TT-VPCP) as a page."""
    return render(
        request, "dossiers/portal_receipt.html", _dossier_context(request, db, citizen, code)
    )


@router.get("/portal/dossiers/{code}/receipt.pdf", response_model=None)
def receipt_pdf(db: DbSession, citizen: CurrentPortalCitizen, code: CodePath) -> Response:
    """Form 01 as a PDF (Vietnamese text in an embedded Unicode font)."""
    dossier = service.citizen_dossier(db, citizen.personal_id, code)
    return Response(
        receipts.receipt_pdf(db, dossier),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{dossier.code}.pdf"'},
    )


def _act(request: Request, db: Session, citizen: PortalCitizen, code: str, action: Any) -> Response:
    outcome = attempt(db, action)
    if isinstance(outcome, OnceGovError):
        context = _dossier_context(request, db, citizen, code) | {"error": outcome}
        return render(request, "dossiers/portal_dossier.html", context, status_code=outcome.status)
    return RedirectResponse(f"/portal/dossiers/{code}", status_code=303)


@router.post("/portal/dossiers/{code}/additions", response_class=HTMLResponse, response_model=None)
def supply_additions(
    request: Request,
    db: DbSession,
    citizen: CurrentPortalCitizen,
    code: CodePath,
    form: TextFields,
) -> Response:
    return _act(
        request,
        db,
        citizen,
        code,
        lambda: service.supply_additions(
            db, actor_of(citizen), citizen.personal_id, code, form.get("note") or None
        ),
    )


@router.post("/portal/dossiers/{code}/withdraw", response_class=HTMLResponse, response_model=None)
def withdraw(
    request: Request, db: DbSession, citizen: CurrentPortalCitizen, code: CodePath
) -> Response:
    return _act(
        request,
        db,
        citizen,
        code,
        lambda: service.withdraw(db, actor_of(citizen), citizen.personal_id, code),
    )
