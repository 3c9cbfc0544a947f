"""The administrators' year view of the working-day calendar (``/admin/calendar``): holidays,
compensation days and adjustments, with the forms to declare a date off or working and to
remove an entry. Administrators only (``calendar.manage``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from oncegov.auth.dependencies import require
from oncegov.auth.roles import CALENDAR_MANAGE
from oncegov.auth.schemas import Authorized
from oncegov.db import DbSession
from oncegov.errors import OnceGovError
from oncegov.kit import clock
from oncegov.procedures.calendar import service
from oncegov.translatable import N_
from oncegov.web.forms import TextFields, attempt
from oncegov.web.routing import CheckedRoute
from oncegov.web.templating import render

router = APIRouter(route_class=CheckedRoute, include_in_schema=False)
Manager = Annotated[Authorized, Depends(require(CALENDAR_MANAGE))]
YearQuery = Annotated[int | None, Query(ge=1995, le=2099)]

SOURCE_LABELS = {
    "holiday": N_("Public holiday"),
    "compensation": N_("Compensation day"),
    "adjustment": N_("Adjustment"),
}


def _page(
    request: Request,
    db: Session,
    year: int,
    *,
    error: OnceGovError | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "calendar/year.html",
        {
            "view": service.year_view(db, year),
            "error": error,
            "form": form or {},
            "source_labels": SOURCE_LABELS,
        },
        status_code=status,
    )


@router.get("/admin/calendar", response_class=HTMLResponse)
def calendar_page(
    request: Request, db: DbSession, manager: Manager, year: YearQuery = None
) -> HTMLResponse:
    return _page(request, db, year or clock.today().year)


@router.post("/admin/calendar", response_class=HTMLResponse, response_model=None)
def add_day(request: Request, db: DbSession, manager: Manager, form: TextFields) -> Response:
    def action() -> int:
        day = service.parse_day(form.get("day", ""))
        service.add_day(
            db,
            manager.actor(),
            day=day,
            kind=form.get("kind", ""),
            reason=form.get("reason", ""),
            legal_reference=form.get("legal_reference", ""),
        )
        return day.year

    outcome = attempt(db, action)
    if isinstance(outcome, OnceGovError):
        year = _year_of(form.get("day", ""))
        return _page(request, db, year, error=outcome, form=form, status=422)
    return RedirectResponse(f"/admin/calendar?year={outcome}", status_code=303)


@router.post("/admin/calendar/remove", response_class=HTMLResponse, response_model=None)
def remove_day(request: Request, db: DbSession, manager: Manager, form: TextFields) -> Response:
    def action() -> int:
        day = service.parse_day(form.get("day", ""))
        service.remove_day(db, manager.actor(), day)
        return day.year

    outcome = attempt(db, action)
    if isinstance(outcome, OnceGovError):
        return _page(request, db, _year_of(form.get("day", "")), error=outcome, status=422)
    return RedirectResponse(f"/admin/calendar?year={outcome}", status_code=303)


def _year_of(value: str) -> int:
    try:
        return service.parse_day(value).year
    except OnceGovError:
        return clock.today().year
