"""The citizen's "My identity" (``/me``: their registry record, read-only, read through the
registry with themselves as actor, so it is audited), "Report an error" (``/me/report``) and
their correction requests with status (the officers' queue is ``registry.corrections.pages``).

POSTs are CSRF-checked by the auth dependencies (``csrf_token`` field of the session).
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from oncegov.auth.dependencies import CurrentCitizen
from oncegov.db import DbSession
from oncegov.errors import Conflict, OnceGovError, ValidationFailed
from oncegov.identity.accounts import service as accounts
from oncegov.kit.text import fold
from oncegov.registry.corrections import service as corrections
from oncegov.registry.corrections.pages import request_rows
from oncegov.registry.corrections.schemas import (
    REPORTABLE_BY_KEY,
    REPORTABLE_FIELDS,
    CorrectionFiling,
)
from oncegov.registry.pages import display_value
from oncegov.translatable import N_
from oncegov.units.service import CommuneNames
from oncegov.web.forms import PostedForm, form_text
from oncegov.web.i18n import _, country_name
from oncegov.web.routing import CheckedRoute
from oncegov.web.templating import render

router = APIRouter(route_class=CheckedRoute, include_in_schema=False)


def _residence(address: str | None, commune_code: str | None, communes: CommuneNames) -> str:
    """The address as written, with the commune's name added only when the address does not
    already say it (registry addresses usually end with commune and province)."""
    commune = communes.name(commune_code)
    if address and (not commune or fold(commune) in fold(address)):
        return address
    parts = [p for p in (address, commune or commune_code) if p]
    return ", ".join(parts) or "—"


def _identity_rows(record: corrections.OwnRecord, communes: CommuneNames) -> list[dict[str, str]]:
    """The record as the citizen reads it; ``report`` is the field key of "report an error"."""
    c = record.citizen
    household = "—"
    if c.household_code:
        household = c.household_code
        where = _residence(record.household_address, record.household_commune_code, communes)
        if where != "—":
            household = f"{household} · {where}"

    def row(title: str, value: str, report: str = "") -> dict[str, str]:
        return {"label": _(title), "value": value, "report": report}

    return [
        row(N_("Personal ID number"), c.personal_id),
        row(N_("Full name"), c.full_name, "full_name"),
        row(N_("Date of birth"), display_value("date_of_birth", c.date_of_birth, communes),
            "date_of_birth"),
        row(N_("Sex"), display_value("sex", c.sex, communes), "sex"),
        row(N_("Ethnicity"), display_value("ethnicity_code", c.ethnicity_code, communes),
            "ethnicity_code"),
        row(N_("Religion"), display_value("religion", c.religion, communes), "religion"),
        row(N_("Nationality"), country_name(c.nationality),
            "nationality"),
        row(N_("Hometown"), c.hometown or "—", "hometown"),
        row(N_("Permanent residence"),
            _residence(c.permanent_address, c.permanent_commune_code, communes),
            "permanent_residence"),
        row(N_("Temporary residence"),
            _residence(c.temporary_address, c.temporary_commune_code, communes),
            "temporary_residence"),
        row(N_("Household"), household, "household"),
        row(N_("Relationship to head of household"),
            display_value("relationship_to_head", c.relationship_to_head, communes), "household"),
    ]  # fmt: skip


@router.get("/me", response_class=HTMLResponse)
def my_identity(
    request: Request, db: DbSession, citizen: CurrentCitizen, filed: str = ""
) -> HTMLResponse:
    record = corrections.own_record(db, citizen.actor(), citizen.personal_id)
    account = accounts.get_account(db, citizen.account_id)
    requests = corrections.requests_of(db, citizen.personal_id)
    return render(
        request,
        "me/identity.html",
        {
            "citizen": record.citizen,
            "rows": _identity_rows(record, CommuneNames(db)),
            "status_label": display_value("status", record.citizen.status, CommuneNames(db)),
            "eid_level": account.level,
            "requests": request_rows(requests),
            "filed": filed if filed.isdigit() else "",
        },
    )


def _report_form(
    request: Request,
    *,
    chosen: list[str],
    description: str = "",
    proposed_value: str = "",
    error: OnceGovError | None = None,
) -> HTMLResponse:
    return render(
        request,
        "me/report.html",
        {
            "choices": [(f.key, _(f.label)) for f in REPORTABLE_FIELDS],
            "chosen": chosen,
            "description": description,
            "proposed_value": proposed_value,
            "error": error,
            "max_open": corrections.MAX_ACTIVE_PER_CITIZEN,
        },
        status_code=error.status if error else 200,
    )


@router.get("/me/report", response_class=HTMLResponse)
def report_page(request: Request, citizen: CurrentCitizen, field: str = "") -> HTMLResponse:
    return _report_form(request, chosen=[field] if field in REPORTABLE_BY_KEY else [])


@router.post("/me/report", response_model=None)
def report(
    request: Request, db: DbSession, citizen: CurrentCitizen, form: PostedForm
) -> HTMLResponse | RedirectResponse:
    chosen = [v for v in form.getlist("fields") if isinstance(v, str)]
    filing = CorrectionFiling(
        fields=chosen,
        description=form_text(form, "description"),
        proposed_value=form_text(form, "proposed_value") or None,
    )
    try:
        filed = corrections.file_request(
            db, citizen.actor(), citizen.personal_id, filing, account_id=citizen.account_id
        )
    except (ValidationFailed, Conflict) as exc:
        return _report_form(
            request,
            chosen=chosen,
            description=filing.description,
            proposed_value=filing.proposed_value or "",
            error=exc,
        )
    return RedirectResponse(f"/me?{urlencode({'filed': filed.id})}", status_code=303)
