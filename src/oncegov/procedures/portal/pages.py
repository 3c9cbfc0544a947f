"""The portal's pages: sign-in through the OpenID Connect provider, callback, home, sign-out.

``/portal/login`` and ``/portal/callback`` are public (they are the sign-in); ``/portal/logout``
is public too, like ``/eid/logout``: it ends the caller's own session, if any, and checks that
session's CSRF token. Every route touching the database is a plain function (thread pool).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from oncegov.config import settings
from oncegov.db import DbSession
from oncegov.errors import PermissionDenied, PortalNotAuthenticated
from oncegov.procedures.portal import rp, service
from oncegov.procedures.portal.dependencies import CurrentPortalCitizen
from oncegov.procedures.portal.schemas import PortalCitizen
from oncegov.translatable import N_
from oncegov.web.client import client_ip
from oncegov.web.forms import PostedForm
from oncegov.web.routing import CheckedRoute
from oncegov.web.templating import render

router = APIRouter(route_class=CheckedRoute, include_in_schema=False)
LOGIN_COOKIE = "portal_login"  # binds a sign-in under way to the browser that started it
CALLBACK = "/portal/callback"


def _live_citizen(request: Request, db: DbSession) -> PortalCitizen | None:
    token = request.cookies.get(settings.portal_session_cookie)
    if not token:
        return None
    try:
        return service.citizen_of_session(db, token)
    except PortalNotAuthenticated:
        return None


@router.get("/portal/login")
def login(
    request: Request,
    db: DbSession,
    next: Annotated[str | None, Query(max_length=2000)] = None,
    level: Annotated[str | None, Query(max_length=2)] = None,
) -> RedirectResponse:
    """Send the browser to the provider (code flow, PKCE, state, nonce, ``acr_values``);
    a session already at the level asked for goes straight on to ``next``."""
    next_path, wanted = service.safe_next(next), service.level_of(level)
    citizen = _live_citizen(request, db)
    if citizen is not None and citizen.acr >= wanted:
        return RedirectResponse(next_path, status_code=303)
    started = service.start_sign_in(db, next_path=next_path, level=wanted, ip=client_ip(request))
    response = RedirectResponse(started.authorization_url, status_code=303)
    response.set_cookie(
        LOGIN_COOKIE,
        started.binding_token,
        httponly=True,
        samesite="lax",  # sent on the provider's top-level redirect back to the callback
        secure=settings.cookie_secure,
        max_age=settings.portal_login_seconds,
        path=CALLBACK,
    )
    return response


@router.get(CALLBACK, response_model=None)
def callback(
    request: Request,
    db: DbSession,
    state: Annotated[str | None, Query(max_length=200)] = None,
    code: Annotated[str | None, Query(max_length=500)] = None,
    iss: Annotated[str | None, Query(max_length=500)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    try:
        signed_in = service.finish_sign_in(
            db,
            state=state,
            code=code,
            iss=iss,
            error=error,
            binding=request.cookies.get(LOGIN_COOKIE),
            old_token=request.cookies.get(settings.portal_session_cookie),
        )
    except rp.SignInFailed as failed:
        page = render(request, "portal/sign_in_failed.html", {"error": failed}, status_code=400)
        page.delete_cookie(LOGIN_COOKIE, path=CALLBACK)
        return page
    response = RedirectResponse(signed_in.next_path, status_code=303)
    response.set_cookie(
        settings.portal_session_cookie,
        signed_in.session_token,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        max_age=settings.session_absolute_hours * 3600,
    )
    response.delete_cookie(LOGIN_COOKIE, path=CALLBACK)
    return response


@router.get("/portal", response_class=HTMLResponse)
def home(request: Request, citizen: CurrentPortalCitizen) -> HTMLResponse:
    return render(request, "portal/home.html", {"citizen": citizen})


@router.post("/portal/logout")
def logout(request: Request, db: DbSession, form: PostedForm) -> RedirectResponse:
    token = request.cookies.get(settings.portal_session_cookie)
    sent = form.get("csrf_token")
    if token and _live_citizen(request, db) is not None:
        if not service.csrf_matches(db, token, sent if isinstance(sent, str) else None):
            raise PermissionDenied(
                N_("Form expired or forged; reload the page"), code="csrf_failed"
            )
        service.end_session(db, token)
    # On to the provider, which ends the eID session too: on a shared computer at a service
    # centre, the next person pressing "sign in" must not find the last one still signed in.
    response = RedirectResponse(rp.end_session_url(), status_code=303)
    response.delete_cookie(settings.portal_session_cookie)
    return response


@router.get(rp.SIGNED_OUT_PATH, response_class=HTMLResponse)
def signed_out(request: Request) -> HTMLResponse:
    """Where the provider sends the browser back once the citizen is signed out of both."""
    return render(request, "portal/signed_out.html")
