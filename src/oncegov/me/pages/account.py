"""The citizen's eID account pages: "My account" (sessions, lock), "My login history" and the
"Check-in QR" shown at a medical facility (renewed by htmx polling). The eID sign-in and
registration pages, the QR keys' public JWKS and the police desk are in
``identity.accounts.pages``.
"""

from __future__ import annotations

from typing import Any

import segno
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup
from sqlalchemy.orm import Session

from oncegov.auth.dependencies import CurrentCitizen
from oncegov.config import settings
from oncegov.db import DbSession
from oncegov.errors import PermissionDenied
from oncegov.identity.accounts import labels, locks, qr, self_service, service
from oncegov.identity.oidc import service as oidc
from oncegov.web.client import client_ip
from oncegov.web.i18n import gettext
from oncegov.web.params import IdPath, PageQuery
from oncegov.web.routing import CheckedRoute
from oncegov.web.templating import render

router = APIRouter(route_class=CheckedRoute)


@router.get("/me/account", response_class=HTMLResponse)
def my_account(request: Request, db: DbSession, citizen: CurrentCitizen) -> HTMLResponse:
    view = self_service.account_view(db, citizen.account_id, citizen.session_id)
    return render(request, "me/account.html", {"account": view, "labels": labels})


@router.get("/me/account/lock", response_class=HTMLResponse)
def lock_confirm(request: Request, citizen: CurrentCitizen) -> HTMLResponse:
    return render(request, "me/lock_confirm.html", {})


@router.post("/me/account/lock", response_class=HTMLResponse)
def lock_my_account(request: Request, db: DbSession, citizen: CurrentCitizen) -> HTMLResponse:
    locks.lock_by_citizen(db, citizen.account_id, ip=client_ip(request))
    request.state.citizen = None  # signed out now: render the page as for a visitor
    response = render(request, "me/locked.html", {})
    response.delete_cookie(settings.citizen_session_cookie)
    return response


@router.post("/me/account/sessions/{session_id}/end")
def end_other_session(
    session_id: IdPath, db: DbSession, citizen: CurrentCitizen
) -> RedirectResponse:
    self_service.end_other_session(db, citizen.account_id, session_id)
    return RedirectResponse("/me/account", status_code=303)


@router.get("/me/logins", response_class=HTMLResponse)
def my_logins(
    request: Request, db: DbSession, citizen: CurrentCitizen, page: PageQuery = 1
) -> HTMLResponse:
    history = self_service.login_history(db, citizen.account_id, page)
    history = history.naming_services(oidc.client_names(db, history.client_ids))
    return render(request, "me/logins.html", {"history": history, "labels": labels})


# --- the check-in QR shown at a medical facility ---------------------------------------------


def _qr_context(db: Session, citizen: CurrentCitizen) -> tuple[dict[str, Any], int]:
    """A fresh QR (inline SVG, never a URL holding the token) or the reason there is none."""
    account = service.get_account(db, citizen.account_id)
    try:
        issued = qr.issue_checkin_token(db, account)
    except PermissionDenied as exc:
        return {"error": exc.message, "account_status": account.status, "labels": labels}, 403
    code = segno.make_qr(issued.token, error="m")
    svg = code.svg_inline(scale=4, border=4, light="#fff", title=gettext("Check-in QR code"))
    return {"svg": Markup(svg), "expires_at": issued.expires_at}, 200  # noqa: S704 - segno's SVG


@router.get("/me/qr", response_class=HTMLResponse)
def my_checkin_qr(request: Request, db: DbSession, citizen: CurrentCitizen) -> HTMLResponse:
    context, status = _qr_context(db, citizen)
    minutes = max(1, settings.eid_qr_seconds // 60)
    return render(request, "me/qr.html", {**context, "minutes": minutes}, status_code=status)


@router.get("/me/qr/code", response_class=HTMLResponse)
def my_checkin_qr_code(request: Request, db: DbSession, citizen: CurrentCitizen) -> HTMLResponse:
    """The fragment the page polls (htmx): 200 even with a refusal, so htmx swaps it in."""
    context, _status = _qr_context(db, citizen)
    return render(request, "me/_qr_code.html", context)
