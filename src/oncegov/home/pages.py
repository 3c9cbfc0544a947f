"""The public home page (``/``) and each officer's home (``/officer``).

``/`` leads citizens to their eID sign-in and officers to theirs (the public services will be
listed here too); a signed-in officer is sent on to their home, which shows what their roles
let them do and nothing else.
"""

from __future__ import annotations

import contextlib

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from oncegov.auth import service as auth
from oncegov.auth.dependencies import CurrentPrincipal
from oncegov.auth.schemas import CitizenPrincipal, Principal
from oncegov.config import settings
from oncegov.db import DbSession
from oncegov.errors import NotAuthenticated
from oncegov.registry import service as registry
from oncegov.units import service as units
from oncegov.web.navigation import sections_for
from oncegov.web.routing import CheckedRoute
from oncegov.web.templating import render

router = APIRouter(route_class=CheckedRoute, include_in_schema=False)
OFFICER_HOME = "/officer"


def _signed_in_officer(request: Request, db: DbSession) -> Principal | None:
    token = request.cookies.get(settings.session_cookie)
    if not token:
        return None
    with contextlib.suppress(NotAuthenticated):
        return auth.officer_principal_from_session(db, token)
    return None


def _signed_in_citizen(request: Request, db: DbSession) -> CitizenPrincipal | None:
    token = request.cookies.get(settings.citizen_session_cookie)
    if not token:
        return None
    with contextlib.suppress(NotAuthenticated):
        citizen = auth.citizen_principal_from_session(db, token)
        request.state.citizen = citizen  # the header then offers the citizen's pages
        return citizen
    return None


def _province_name(db: DbSession) -> str:
    province = units.province(db, settings.province_code)
    return province.name if province else settings.province_code


@router.get("/", response_class=HTMLResponse, response_model=None)
def public_home(request: Request, db: DbSession) -> Response:
    if _signed_in_officer(request, db) is not None:
        return RedirectResponse(OFFICER_HOME, status_code=303)
    citizen = _signed_in_citizen(request, db)
    return render(
        request,
        "home/public.html",
        {"province_name": _province_name(db), "citizen": citizen},
    )


@router.get(OFFICER_HOME, response_class=HTMLResponse)
def officer_home(request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    can_search = principal.can("registry.read")
    scope = principal.scope_for("registry.read")
    count = registry.count_citizens(db, scope) if can_search else None
    return render(
        request,
        "home/officer.html",
        {
            "province_name": _province_name(db),
            "citizen_count": count,
            "sections": sections_for(principal),
        },
    )
