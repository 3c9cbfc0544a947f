"""Officer sign-in and sign-out pages."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from oncegov.auth import service
from oncegov.config import settings
from oncegov.db import DbSession
from oncegov.errors import NotAuthenticated, TooManyRequests
from oncegov.kit.crypto import new_token
from oncegov.translatable import N_
from oncegov.web.client import client_ip
from oncegov.web.forms import PostedForm
from oncegov.web.routing import CheckedRoute
from oncegov.web.templating import render

router = APIRouter(route_class=CheckedRoute)
LOGIN_CSRF_COOKIE = "oncegov_login_csrf"


def _safe_next(target: str | None) -> str:
    # Only local paths: an open redirect after login is a phishing aid.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


def _login_form(
    request: Request, *, error: str | None = None, status_code: int = 200, next_path: str = "/"
) -> HTMLResponse:
    token = new_token(24)
    response = render(
        request,
        "auth/login.html",
        {"login_csrf": token, "error": error, "next": next_path},
        status_code=status_code,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=settings.cookie_secure,
        max_age=3600,
    )
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> HTMLResponse:
    return _login_form(request, next_path=_safe_next(next))


@router.post("/login", response_model=None)
def login(
    request: Request,
    db: DbSession,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    otp: Annotated[str, Form()],
    login_csrf: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    next_path = _safe_next(next)
    if not cookie or not secrets.compare_digest(cookie, login_csrf):
        return _login_form(
            request,
            error=N_("The form expired; please try again"),
            status_code=400,
            next_path=next_path,
        )
    ip = client_ip(request)
    try:
        officer = service.authenticate_officer(
            db, username=username, password=password, otp=otp, ip=ip
        )
    except TooManyRequests as exc:
        refused = _login_form(request, error=exc.message, status_code=429, next_path=next_path)
        refused.headers.update(exc.headers)
        return refused
    except NotAuthenticated as exc:
        # Returned, not raised: the failure counter and audit entry must be committed.
        return _login_form(request, error=exc.message, status_code=401, next_path=next_path)
    old_token = request.cookies.get(settings.session_cookie)
    if old_token:
        service.end_session(db, old_token)
    issued = service.start_session(
        db,
        subject_kind="officer",
        subject_id=officer.id,
        ip=ip,
        user_agent=request.headers.get("user-agent"),
    )
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        settings.session_cookie,
        issued.token,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        max_age=settings.session_absolute_hours * 3600,
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, db: DbSession, form: PostedForm) -> RedirectResponse:
    token = request.cookies.get(settings.session_cookie)
    if token:
        try:
            web_session = service.resolve_session(db, token)
        except NotAuthenticated:
            web_session = None
        sent = form.get("csrf_token")
        # Logout needs the session's CSRF token too, or any site could sign officers out.
        if (
            web_session
            and isinstance(sent, str)
            and secrets.compare_digest(sent, web_session.csrf_token)
        ):
            service.end_session(db, token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(settings.session_cookie)
    return response
