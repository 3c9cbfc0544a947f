"""HTML pages of the data-quality review: dashboard, findings list, one finding, resolve, run."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.datastructures import FormData

from oncegov.auth.dependencies import require
from oncegov.auth.roles import QUALITY_READ, QUALITY_RESOLVE, QUALITY_RUN
from oncegov.auth.schemas import Authorized
from oncegov.db import DbSession
from oncegov.errors import ValidationFailed
from oncegov.registry.pages import display_value
from oncegov.registry.quality import service
from oncegov.registry.quality.details import translated_detail
from oncegov.registry.quality.models import FINDING_STATUSES
from oncegov.registry.quality.rules import (
    FIELD_LABELS,
    RESOLUTION_LABELS,
    RULES,
    RULES_BY_CODE,
    SEVERITY_LABELS,
)
from oncegov.registry.quality.schemas import FindingFilters
from oncegov.registry.schemas import CitizenOut
from oncegov.units.service import CommuneNames
from oncegov.web.forms import PostedForm, form_text
from oncegov.web.params import IdPath, PageQuery
from oncegov.web.routing import CheckedRoute
from oncegov.web.templating import render

router = APIRouter(route_class=CheckedRoute, prefix="/quality")

Reader = Annotated[Authorized, Depends(require(QUALITY_READ))]
Resolver = Annotated[Authorized, Depends(require(QUALITY_RESOLVE))]
Runner = Annotated[Authorized, Depends(require(QUALITY_RUN))]

FIX_PREFIX = "fix:"  # fix:<personal id>:<field> = new value
WAS_PREFIX = "was:"  # was:<personal id>:<field> = value shown when the form was drawn
# What the finding page shows of each citizen concerned.
SHOWN_FIELDS = (
    "full_name",
    "date_of_birth",
    "sex",
    "old_id_number",
    "ethnicity_code",
    "nationality",
    "permanent_commune_code",
    "permanent_address",
    "temporary_commune_code",
    "current_commune_code",
    "current_address",
    "household_code",
    "relationship_to_head",
    "spouse_personal_id",
    "status",
    "date_of_death",
)


def field_value(citizen: CitizenOut, field: str) -> str:
    """A citizen field as the text an officer edits (the registry's import/edit format)."""
    value = getattr(citizen, field)
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def corrections_from(form: FormData) -> dict[str, dict[str, str | None]]:
    """Only the fields the officer actually changed, grouped by personal ID."""
    corrections: dict[str, dict[str, str | None]] = {}
    for name, value in form.multi_items():
        if not name.startswith(FIX_PREFIX) or not isinstance(value, str):
            continue
        _, personal_id, field = name.split(":", 2)
        shown = form.get(f"{WAS_PREFIX}{personal_id}:{field}")
        if value.strip() != (shown.strip() if isinstance(shown, str) else ""):
            corrections.setdefault(personal_id, {})[field] = value.strip() or None
    return corrections


@router.get("", response_class=HTMLResponse)
def dashboard(request: Request, db: DbSession, auth: Reader) -> HTMLResponse:
    summary = service.summary(db, auth.scope)
    largest = max(summary.open_by_rule.values(), default=0)
    bars = [
        {
            "rule": rule,
            "open": summary.open_by_rule.get(rule.code, 0),
            "percent": round(100 * summary.open_by_rule.get(rule.code, 0) / largest)
            if largest
            else 0,
        }
        for rule in summary.rules
    ]
    return render(
        request,
        "quality/dashboard.html",
        {
            "summary": summary,
            "bars": bars,
            "can_run": auth.principal.can(QUALITY_RUN),
            "just_ran": request.query_params.get("run"),
            "status_labels": RESOLUTION_LABELS,
            "severity_labels": SEVERITY_LABELS,
        },
    )


@router.post("/run")
def run(db: DbSession, auth: Runner) -> RedirectResponse:
    result = service.run_checks(db, auth.actor())
    return RedirectResponse(f"/quality?run={result.id}", status_code=303)


@router.get("/findings", response_class=HTMLResponse)
def findings(
    request: Request,
    db: DbSession,
    auth: Reader,
    commune: str = "",
    rule: str = "",
    status: str = "open",
    subject: str = "",
    page: PageQuery = 1,
) -> HTMLResponse:
    filters = FindingFilters(
        commune_code=commune or None,
        rule=rule or None,
        status=None if status == "all" else (status or None),
        subject_key=subject.strip() or None,
    )
    page = max(page, 1)
    result = service.list_findings(
        db, auth.scope, filters, limit=service.PAGE_SIZE, offset=(page - 1) * service.PAGE_SIZE
    )
    query = {"commune": commune, "rule": rule, "status": status, "subject": subject}
    last_page = max((result.total + service.PAGE_SIZE - 1) // service.PAGE_SIZE, 1)
    return render(
        request,
        "quality/findings.html",
        {
            "result": result,
            "filters": query,
            "page": page,
            "last_page": last_page,
            "page_link": lambda n: "/quality/findings?" + urlencode(query | {"page": n}),
            "communes": service.commune_choices(db, auth.scope),
            "rules": RULES,
            "rules_by_code": RULES_BY_CODE,
            "statuses": FINDING_STATUSES,
            "status_labels": RESOLUTION_LABELS,
            "severity_labels": SEVERITY_LABELS,
            "detail_label": translated_detail,
            "commune_label": CommuneNames(db).label,
        },
    )


def _shown_values(citizens: list[CitizenOut], communes: CommuneNames) -> dict[str, dict[str, str]]:
    """What the finding page shows of each citizen: labels for codes, dates as dates."""
    return {
        c.personal_id: {
            field: display_value(field, field_value(c, field), communes) for field in SHOWN_FIELDS
        }
        for c in citizens
    }


def _finding_page(
    request: Request,
    db: DbSession,
    auth: Authorized,
    finding_id: IdPath,
    *,
    error: ValidationFailed | None = None,
    submitted: FormData | None = None,
) -> HTMLResponse:
    detail = service.finding_detail(db, auth.actor(), auth.scope, finding_id)
    rule = RULES_BY_CODE[detail.finding.rule]
    values: dict[str, dict[str, str]] = {
        c.personal_id: {field: field_value(c, field) for field in rule.fields}
        for c in detail.citizens
    }
    typed: dict[str, str] = {}
    if submitted is not None:  # keep what the officer typed when the form comes back
        typed = {k: v for k, v in submitted.multi_items() if isinstance(v, str)}
    context: dict[str, Any] = {
        "detail": detail,
        "rule": rule,
        "values": values,
        "typed": typed,
        "error": error,
        "can_resolve": auth.principal.can(QUALITY_RESOLVE),
        "status_labels": RESOLUTION_LABELS,
        "severity_labels": SEVERITY_LABELS,
        "field_labels": FIELD_LABELS,
        "shown_fields": SHOWN_FIELDS,
        "shown_values": _shown_values(detail.citizens, CommuneNames(db)),
        "detail_text": translated_detail(detail.finding.detail),
        "commune_label": CommuneNames(db).label(detail.finding.commune_code),
    }
    return render(
        request, "quality/finding.html", context, status_code=422 if error is not None else 200
    )


@router.get("/findings/{finding_id}", response_class=HTMLResponse)
def finding(request: Request, db: DbSession, auth: Reader, finding_id: IdPath) -> HTMLResponse:
    return _finding_page(request, db, auth, finding_id)


@router.post("/findings/{finding_id}/resolve", response_model=None)
def resolve(
    request: Request, db: DbSession, auth: Resolver, finding_id: IdPath, form: PostedForm
) -> HTMLResponse | RedirectResponse:
    resolution = form_text(form, "resolution")
    try:
        service.resolve(
            db,
            auth.actor(),
            auth.scope,
            finding_id,
            resolution,
            form_text(form, "note"),
            corrections=corrections_from(form) if resolution == "corrected" else None,
            reason=form_text(form, "reason") or None,
            legal_reference=form_text(form, "legal_reference") or None,
        )
    except ValidationFailed as exc:
        # Nothing was written (corrections run in a savepoint); show the form again.
        return _finding_page(request, db, auth, finding_id, error=exc, submitted=form)
    return RedirectResponse(f"/quality/findings/{finding_id}", status_code=303)
