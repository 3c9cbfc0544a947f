"""OpenID Connect pages: authorization (with the consent screen), RP-initiated logout, and the
administrators' relying-party pages.

``/oidc/authorize`` and ``/oidc/logout`` are public: they read the eID session cookie
themselves and send the browser to the eID sign-in when needed.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from oncegov.auth import service as auth
from oncegov.auth.dependencies import CurrentCitizen, require
from oncegov.auth.schemas import Authorized, CitizenPrincipal
from oncegov.config import settings
from oncegov.db import DbSession
from oncegov.errors import CitizenNotAuthenticated, ValidationFailed
from oncegov.identity.oidc import server, service
from oncegov.identity.oidc.protocol import FormItems
from oncegov.identity.oidc.schemas import ClientForm, client_form
from oncegov.translatable import N_
from oncegov.web.routing import CheckedRoute
from oncegov.web.templating import render

router = APIRouter(route_class=CheckedRoute, include_in_schema=False)
Manager = Annotated[Authorized, Depends(require("oidc.manage"))]
NOT_PASSED_ON = {"csrf_token", "decision"}


def citizen_or_none(request: Request, db: Session) -> CitizenPrincipal | None:
    token = request.cookies.get(settings.citizen_session_cookie)
    if not token:
        return None
    try:
        return auth.citizen_principal_from_session(db, token)
    except CitizenNotAuthenticated:
        return None


def _render_decision(
    request: Request, decision: server.Decision, citizen: CitizenPrincipal | None
) -> Response:
    if isinstance(decision, server.ErrorPage):
        return render(request, "oidc/error.html", {"message": decision.message}, status_code=400)
    if isinstance(decision, server.Redirect):
        return RedirectResponse(decision.url, status_code=303)
    request.state.citizen = citizen  # the consent form carries this session's CSRF token
    return render(
        request,
        "oidc/consent.html",
        {
            "client": decision.client,
            "claims": service.claims_asked(decision.scopes),
            "params": [(k, v) for k, v in decision.params if k not in NOT_PASSED_ON],
        },
    )


@router.get("/oidc/authorize")
def authorize(request: Request, db: DbSession) -> Response:
    return _authorize(request, db, list(request.query_params.multi_items()))


@router.post("/oidc/authorize")
def authorize_post(request: Request, db: DbSession, form: FormItems) -> Response:
    """OIDC Core 3.1.2.1: the authorization endpoint takes GET and form-encoded POST alike."""
    return _authorize(request, db, form)


def _authorize(request: Request, db: Session, params: list[tuple[str, str]]) -> Response:
    citizen = citizen_or_none(request, db)
    decision = server.authorize(db, params, request.headers, citizen)
    return _render_decision(request, decision, citizen)


@router.post("/oidc/consent")
def consent(request: Request, db: DbSession, citizen: CurrentCitizen, form: FormItems) -> Response:
    params = [(k, v) for k, v in form if k not in NOT_PASSED_ON]
    allowed = dict(form).get("decision") == "allow"
    decision = server.authorize(db, params, request.headers, citizen, decision=allowed)
    return _render_decision(request, decision, citizen)


# --- RP-initiated logout -----------------------------------------------------------------------


def _logout_target(
    db: Session, data: dict[str, str], hint: service.IdTokenHint | None
) -> tuple[str | None, str | None]:
    """(where to send the browser afterwards, error) — only a URI registered for the client."""
    uri = data.get("post_logout_redirect_uri")
    if not uri:
        return None, None
    client_id = hint.client_id if hint else data.get("client_id")
    client = service.enabled_client(db, client_id)
    if client is None or uri not in client.post_logout_redirect_uris.split():
        return None, N_("This address is not registered for signing out of that service.")
    if data.get("state"):
        from authlib.common.urls import add_params_to_uri

        uri = add_params_to_uri(uri, [("state", data["state"])])
    return uri, None


def _signed_out(request: Request, target: str | None) -> Response:
    response: Response
    if target:
        response = RedirectResponse(target, status_code=303)
    else:
        response = render(request, "oidc/signed_out.html")
    response.delete_cookie(settings.citizen_session_cookie)
    return response


def _logout(request: Request, db: Session, data: dict[str, str], confirmed: bool) -> Response:
    citizen = citizen_or_none(request, db)
    hint = service.check_id_token_hint(db, data.get("id_token_hint"))
    target, error = _logout_target(db, data, hint)
    if error:
        return render(request, "oidc/error.html", {"message": error}, status_code=400)
    same_person = hint is not None and (citizen is None or hint.personal_id == citizen.personal_id)
    if citizen is None or same_person or confirmed:
        if citizen is not None:
            service.end_citizen_session(
                db, request.cookies.get(settings.citizen_session_cookie, ""), citizen
            )
        return _signed_out(request, target)
    request.state.citizen = citizen
    fields = [
        (k, data[k])
        for k in ("post_logout_redirect_uri", "state", "client_id", "id_token_hint")
        if data.get(k)
    ]
    return render(request, "oidc/logout_confirm.html", {"fields": fields})


@router.get("/oidc/logout")
def logout_get(request: Request, db: DbSession) -> Response:
    return _logout(request, db, dict(request.query_params), confirmed=False)


@router.post("/oidc/logout")
def logout_post(request: Request, db: DbSession, form: FormItems) -> Response:
    data = dict(form)
    citizen = citizen_or_none(request, db)
    # The confirm form counts only with this session's CSRF token: otherwise any site could
    # sign citizens out.
    confirmed = (
        citizen is not None
        and data.get("confirm") == "1"
        and secrets.compare_digest(data.get("csrf_token", ""), citizen.csrf_token)
    )
    return _logout(request, db, data, confirmed=confirmed)


# --- relying-party management ------------------------------------------------------------------


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace(",", "\n").split() if line.strip()]


def _client_form(form: dict[str, Any], scopes: list[str]) -> ClientForm:
    try:
        level = int(form.get("max_level") or 2)
    except ValueError:
        raise ValidationFailed(N_("Maximum level must be 1 or 2"), field="max_level") from None
    return client_form(
        name=form.get("name", ""),
        agency=form.get("agency", ""),
        redirect_uris=_lines(form.get("redirect_uris", "")),
        post_logout_redirect_uris=_lines(form.get("post_logout_redirect_uris", "")),
        scopes=scopes,
        max_level=level,
        auth_method=form.get("auth_method", "client_secret_basic"),
        jwks=form.get("jwks") or None,
        require_nonce=form.get("require_nonce") == "1",
    )


def _list_page(
    request: Request, db: Session, *, error: ValidationFailed | None = None, status: int = 200
) -> HTMLResponse:
    return render(
        request,
        "oidc/clients.html",
        {
            "clients": service.list_clients(db),
            "scopes": service.SUPPORTED_SCOPES,
            "error": error,
        },
        status_code=status,
    )


@router.get("/admin/oidc/clients", response_class=HTMLResponse)
def clients_page(request: Request, db: DbSession, manager: Manager) -> HTMLResponse:
    return _list_page(request, db)


@router.post("/admin/oidc/clients", response_class=HTMLResponse)
def register_client(
    request: Request, db: DbSession, manager: Manager, form: FormItems
) -> HTMLResponse:
    data = dict(form)
    scopes = [v for k, v in form if k == "scopes"]
    try:
        created = service.register_client(db, _client_form(data, scopes), manager.actor())
    except ValidationFailed as error:
        return _list_page(request, db, error=error, status=422)
    return render(
        request, "oidc/client_secret.html", {"client": created.client, "secret": created.secret}
    )


@router.get("/admin/oidc/clients/{client_id}", response_class=HTMLResponse)
def client_page(request: Request, db: DbSession, manager: Manager, client_id: str) -> HTMLResponse:
    return render(
        request,
        "oidc/client_edit.html",
        {"client": service.client_view(db, client_id), "scopes": service.SUPPORTED_SCOPES},
    )


@router.post("/admin/oidc/clients/{client_id}", response_class=HTMLResponse, response_model=None)
def edit_client(
    request: Request, db: DbSession, manager: Manager, client_id: str, form: FormItems
) -> Response:
    data = dict(form)
    scopes = [v for k, v in form if k == "scopes"]
    current = service.client_view(db, client_id)
    data.setdefault("auth_method", current.auth_method)
    try:
        service.update_client(db, client_id, _client_form(data, scopes), manager.actor())
    except ValidationFailed as error:
        return render(
            request,
            "oidc/client_edit.html",
            {"client": current, "scopes": service.SUPPORTED_SCOPES, "error": error},
            status_code=422,
        )
    return RedirectResponse("/admin/oidc/clients", status_code=303)


@router.post("/admin/oidc/clients/{client_id}/secret", response_class=HTMLResponse)
def rotate_secret(
    request: Request, db: DbSession, manager: Manager, client_id: str
) -> HTMLResponse:
    secret = service.rotate_secret(db, client_id, manager.actor())
    return render(
        request,
        "oidc/client_secret.html",
        {"client": service.client_view(db, client_id), "secret": secret},
    )


@router.post("/admin/oidc/clients/{client_id}/enabled")
def set_enabled(
    db: DbSession, manager: Manager, client_id: str, enabled: Annotated[str, Form()] = "0"
) -> RedirectResponse:
    service.set_enabled(db, client_id, enabled == "1", manager.actor())
    return RedirectResponse("/admin/oidc/clients", status_code=303)
