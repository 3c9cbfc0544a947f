"""Officer console pages for chip ID-card applications: the list, the intake, the detail.

The intake is two steps: the officer types the personal ID, the page shows the registry record
read-only (an audited read, purpose "chip ID-card application") with the residence addresses
to post the card to, and the officer enters what the citizen declares. Each intake form carries
a fresh client token, so pressing "Receive" twice makes one application.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from oncegov.auth.dependencies import require
from oncegov.auth.schemas import Authorized
from oncegov.config import settings
from oncegov.db import DbSession
from oncegov.errors import Conflict, NotFound, OnceGovError, ValidationFailed
from oncegov.identity.cards import service
from oncegov.identity.cards.models import KINDS, STATUSES
from oncegov.identity.cards.rules import CARD_PIPELINE, fee_for
from oncegov.identity.cards.schemas import ApplicationOut, Intake
from oncegov.registry.schemas import SEX_LABELS, CitizenOut, display_birth
from oncegov.translatable import N_
from oncegov.units import service as units
from oncegov.units.service import CommuneNames
from oncegov.web.forms import TextFields
from oncegov.web.i18n import _
from oncegov.web.params import IdPath, PageQuery
from oncegov.web.routing import CheckedRoute
from oncegov.web.templating import local_time, render

router = APIRouter(route_class=CheckedRoute, prefix="/identity/cards", include_in_schema=False)

Desk = Annotated[Authorized, Depends(require("identity.cards"))]

KIND_LABELS: dict[str, str] = {
    "first_issue": N_("First issue"),
    "renewal_25": N_("Renewal at age 25"),
    "renewal_40": N_("Renewal at age 40"),
    "renewal_60": N_("Renewal at age 60"),
    "reissue_loss": N_("Re-issue after loss"),
    "reissue_damage": N_("Re-issue after damage"),
    "change_of_information": N_("Change of information"),
}
STATUS_LABELS: dict[str, str] = {
    "received": N_("Received"),
    "checked": N_("Checked"),
    "sent_for_production": N_("Sent for production"),
    "produced": N_("Produced"),
    "returned": N_("Returned to the citizen"),
    "delivered": N_("Delivered by post"),
    "rejected": N_("Rejected"),
}
# The button that moves an application to this status.
STEP_BUTTONS: dict[str, str] = {
    "checked": N_("Mark as checked"),
    "sent_for_production": N_("Send for production"),
    "produced": N_("Mark as produced"),
    "returned": N_("Card handed to the citizen"),
    "delivered": N_("Card delivered by post"),
}
CITIZEN_STATUS_LABELS = {
    "living": N_("Living"),
    "deceased": N_("Deceased"),
    "missing": N_("Missing"),
}
INTAKE_FIELDS = (
    "personal_id",
    "kind",
    "full_name",
    "date_of_birth",
    "sex",
    "delivery",
    "delivery_address_source",
    "station",
    "eid_phone",
    "client_token",
)
INTAKE_FLAGS = ("portrait_captured", "fingerprints_captured", "register_eid_level2")


def _labels(mapping: dict[str, str]) -> list[tuple[str, str]]:
    return [(code, _(name)) for code, name in mapping.items()]


# --- list ---------------------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
def list_page(
    request: Request,
    db: DbSession,
    authorized: Desk,
    status: str = "",
    kind: str = "",
    commune: str = "",
    page: PageQuery = 1,
) -> HTMLResponse:
    filters = {"status": status, "kind": kind, "commune": commune.strip()}
    try:
        result = service.list_applications(
            db,
            authorized.actor(),
            scope=authorized.scope,
            status=status or None,
            kind=kind or None,
            commune_code=filters["commune"] or None,
            page=max(page, 1),
        )
    except ValidationFailed as exc:
        return render(request, "error.html", {"error": exc}, status_code=exc.status)
    communes = CommuneNames(db)
    rows = [
        {
            "id": r.id,
            "personal_id": r.personal_id,
            "full_name": r.full_name,
            "kind": _(KIND_LABELS[r.kind]),
            "status": r.status,
            "status_label": _(STATUS_LABELS[r.status]),
            "commune": communes.label(r.commune_code),
            "received_at": local_time(r.received_at),
        }
        for r in result.rows
    ]
    pages = max(1, -(-result.total // result.per_page))

    def page_url(number: int) -> str:
        return "/identity/cards?" + urlencode({**filters, "page": number})

    return render(
        request,
        "cards/list.html",
        {
            "rows": rows,
            "total": result.total,
            "page": result.page,
            "pages": pages,
            "previous_url": page_url(result.page - 1) if result.page > 1 else None,
            "next_url": page_url(result.page + 1) if result.page < pages else None,
            "filters": filters,
            "kinds": _labels(KIND_LABELS),
            "statuses": _labels(STATUS_LABELS),
            "communes": units.communes_of_province(db, settings.province_code),
        },
    )


# --- intake ---------------------------------------------------------------------------------


def _stations(db: Session, authorized: Authorized) -> list[tuple[str, str]]:
    """The stations this officer may receive at: their communes, and the provincial one."""
    communes = units.communes_of_province(db, settings.province_code)
    scope = authorized.scope
    options = [(c.code, c.name) for c in communes if scope.allows(c.code)]
    if scope.communes is None or {c.code for c in communes} <= scope.communes:
        options.insert(0, ("province", _("Provincial police station")))
    return options


def _intake_page(
    request: Request,
    db: Session,
    authorized: Authorized,
    citizen: CitizenOut | None,
    values: dict[str, str],
    *,
    lookup_error: str | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    communes = CommuneNames(db)
    context: dict[str, Any] = {
        "citizen": citizen,
        "values": values,
        "errors": errors or {},
        "lookup_error": lookup_error,
        "kinds": _labels(KIND_LABELS),
        "sexes": _labels(SEX_LABELS),
        "stations": _stations(db, authorized),
    }
    if citizen is not None:
        today = service.today()
        context |= {
            "birth": display_birth(citizen.date_of_birth),
            "sex_label": _(SEX_LABELS.get(citizen.sex, citizen.sex)),
            "status_label": _(CITIZEN_STATUS_LABELS.get(citizen.status, citizen.status)),
            "permanent": (
                f"{citizen.permanent_address}, {communes.label(citizen.permanent_commune_code)}"
                if citizen.permanent_address
                else None
            ),
            "current": (
                f"{citizen.current_address}, {communes.label(citizen.current_commune_code)}"
                if citizen.current_address
                else None
            ),
            "in_progress": service.in_progress_for(db, citizen.personal_id, scope=authorized.scope),
            "fees": [
                (_(KIND_LABELS[k]), fee_for(k, today).amount_vnd, fee_for(k, today).legal_reference)
                for k in KINDS
            ],
        }
    return render(request, "cards/new.html", context, status_code=status_code)


def _fresh_values(citizen: CitizenOut | None) -> dict[str, str]:
    return {
        "personal_id": citizen.personal_id if citizen else "",
        "delivery": "station",
        "eid_phone": (citizen.phone or "") if citizen else "",
        "client_token": secrets.token_urlsafe(24),
    }


@router.get("/new", response_class=HTMLResponse)
def intake_page(
    request: Request, db: DbSession, authorized: Desk, personal_id: str = ""
) -> HTMLResponse:
    if not personal_id.strip():
        return _intake_page(request, db, authorized, None, _fresh_values(None))
    try:
        citizen = service.citizen_for_intake(
            db, authorized.actor(), personal_id, scope=authorized.scope
        )
    except (NotFound, ValidationFailed) as exc:
        values = {"personal_id": personal_id.strip()}
        return _intake_page(
            request, db, authorized, None, values, lookup_error=exc.message, status_code=exc.status
        )
    return _intake_page(request, db, authorized, citizen, _fresh_values(citizen))


def _intake_from(posted: dict[str, str]) -> Intake:
    text = {name: posted.get(name, "").strip() for name in INTAKE_FIELDS}
    return Intake(
        personal_id=text["personal_id"],
        kind=text["kind"],
        full_name=posted.get("full_name", ""),
        date_of_birth=text["date_of_birth"],
        sex=text["sex"],
        portrait_captured=bool(posted.get("portrait_captured")),
        fingerprints_captured=bool(posted.get("fingerprints_captured")),
        delivery=text["delivery"] or "station",
        delivery_address_source=text["delivery_address_source"] or None,
        station=text["station"] or None,
        register_eid_level2=bool(posted.get("register_eid_level2")),
        eid_phone=text["eid_phone"] or None,
        client_token=text["client_token"] or None,
    )


@router.post("/new", response_class=HTMLResponse)
def intake_submit(
    request: Request, db: DbSession, authorized: Desk, posted: TextFields
) -> Response:
    values = {name: posted.get(name, "") for name in (*INTAKE_FIELDS, *INTAKE_FLAGS)}
    try:
        application = service.submit_application(
            db, authorized.actor(), _intake_from(values), scope=authorized.scope
        )
    except NotFound as exc:
        values = {"personal_id": values["personal_id"]}
        return _intake_page(
            request, db, authorized, None, values, lookup_error=exc.message, status_code=404
        )
    except (ValidationFailed, Conflict) as exc:
        return _intake_error(request, db, authorized, values, exc)
    return RedirectResponse(f"/identity/cards/{application.id}?received=1", status_code=303)


def _intake_error(
    request: Request,
    db: Session,
    authorized: Authorized,
    values: dict[str, str],
    exc: OnceGovError,
) -> HTMLResponse:
    """The form again, with the error next to its field and the registry data shown again."""
    try:
        citizen = service.citizen_for_intake(
            db, authorized.actor(), values["personal_id"], scope=authorized.scope
        )
    except (NotFound, ValidationFailed):
        citizen = None
    errors = {exc.field or "form": exc.message}
    if citizen is None:
        return _intake_page(
            request,
            db,
            authorized,
            None,
            {"personal_id": values["personal_id"]},
            lookup_error=exc.message,
            status_code=exc.status,
        )
    return _intake_page(
        request, db, authorized, citizen, values, errors=errors, status_code=exc.status
    )


# --- detail and steps -------------------------------------------------------------------------


def _detail_page(
    request: Request,
    db: Session,
    application: ApplicationOut,
    *,
    error: OnceGovError | None = None,
    received: bool = False,
) -> HTMLResponse:
    communes = CommuneNames(db)
    station = (
        communes.label(application.station_commune_code)
        if application.station_kind == "commune"
        else _("Provincial police station")
    )
    steps = [
        {
            "label": _(STATUS_LABELS[s.to_status]),
            "status": s.to_status,
            "at": local_time(s.at),
            "actor": s.actor,
            "note": s.note or "",
        }
        for s in application.steps
    ]
    next_step = application.next_step
    return render(
        request,
        "cards/detail.html",
        {
            "app": application,
            "kind_label": _(KIND_LABELS[application.kind]),
            "status_label": _(STATUS_LABELS[application.status]),
            "sex_label": _(SEX_LABELS.get(application.sex, application.sex)),
            "birth": display_birth(application.date_of_birth),
            "commune": communes.label(application.commune_code),
            "station": station,
            "delivery_commune": communes.label(application.delivery_commune_code),
            "steps": steps,
            "next_step": next_step,
            "next_label": _(STEP_BUTTONS[next_step]) if next_step else None,
            "can_reject": any(
                t.target == "rejected" for t in CARD_PIPELINE.outgoing(application.status)
            ),
            "rejected_from": (
                _(STATUS_LABELS[application.rejected_from]) if application.rejected_from else None
            ),
            "error": error,
            "received": received,
            "statuses": STATUSES,
        },
        status_code=error.status if error else 200,
    )


@router.get("/{application_id}", response_class=HTMLResponse)
def detail_page(
    request: Request, db: DbSession, authorized: Desk, application_id: IdPath, received: str = ""
) -> HTMLResponse:
    application = service.get_application(
        db, authorized.actor(), application_id, scope=authorized.scope
    )
    return _detail_page(request, db, application, received=bool(received))


@router.post("/{application_id}/steps", response_class=HTMLResponse)
def step_submit(
    request: Request, db: DbSession, authorized: Desk, application_id: IdPath, posted: TextFields
) -> Response:
    try:
        service.advance(
            db,
            authorized.actor(),
            application_id,
            posted.get("to", ""),
            scope=authorized.scope,
            reason=posted.get("reason"),
            note=posted.get("note"),
        )
    except (ValidationFailed, Conflict) as exc:
        application = service.get_application(
            db, authorized.actor(), application_id, scope=authorized.scope
        )
        return _detail_page(request, db, application, error=exc)
    return RedirectResponse(f"/identity/cards/{application_id}", status_code=303)
