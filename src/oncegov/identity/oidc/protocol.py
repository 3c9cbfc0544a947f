"""The machine-facing OpenID Connect endpoints: discovery, JWKS, token, userinfo, revocation.

They answer in the protocol's own JSON shapes (RFC 6749 errors, not the ``/api/v1`` envelope)
and authenticate by the protocol itself (client credentials, bearer access tokens), so they are
on the public-route list.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from oncegov.auth import service as auth
from oncegov.config import settings
from oncegov.db import DbSession
from oncegov.errors import TooManyRequests
from oncegov.identity.oidc import keys, server, service
from oncegov.web.client import client_ip
from oncegov.web.routing import CheckedRoute

router = APIRouter(route_class=CheckedRoute, include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


async def form_items(request: Request) -> list[tuple[str, str]]:
    """The urlencoded body as (name, value) pairs; read here so the routes stay synchronous."""
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return []
    form = await request.form()
    return [(k, v) for k, v in form.multi_items() if isinstance(v, str)]


FormItems = Annotated[list[tuple[str, str]], Depends(form_items)]


def _response(reply: server.Reply) -> Response:
    headers = {k: v for k, v in reply.headers if k.lower() != "content-type"}
    headers.update(NO_STORE)
    return Response(
        server.reply_json(reply),
        status_code=reply.status,
        headers=headers,
        media_type="application/json",
    )


def discovery_document() -> dict[str, Any]:
    issuer = settings.oidc_issuer
    claims = sorted(
        {"sub", "acr", "amr", "auth_time"} | {c for cs in service.SCOPE_CLAIMS.values() for c in cs}
    )
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/oidc/authorize",
        "token_endpoint": f"{issuer}/oidc/token",
        "userinfo_endpoint": f"{issuer}/oidc/userinfo",
        "jwks_uri": f"{issuer}/oidc/jwks",
        "end_session_endpoint": f"{issuer}/oidc/logout",
        "revocation_endpoint": f"{issuer}/oidc/revoke",
        "scopes_supported": list(service.SUPPORTED_SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [keys.ALG],
        "token_endpoint_auth_methods_supported": list(server.TOKEN_AUTH_METHODS),
        "token_endpoint_auth_signing_alg_values_supported": list(server.ASSERTION_ALGORITHMS),
        "revocation_endpoint_auth_methods_supported": list(server.TOKEN_AUTH_METHODS),
        "code_challenge_methods_supported": ["S256"],
        "acr_values_supported": list(service.ACR_BY_LEVEL.values()),
        "claims_supported": claims,
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "prompt_values_supported": ["none", "login", "consent"],
        "authorization_response_iss_parameter_supported": True,
        "frontchannel_logout_supported": False,
        "ui_locales_supported": ["vi", "en"],
    }


@router.get("/.well-known/openid-configuration")
def discovery() -> JSONResponse:
    return JSONResponse(discovery_document(), headers={"Cache-Control": "public, max-age=300"})


@router.get("/oidc/jwks")
def jwks(db: DbSession) -> JSONResponse:
    # Short cache: a rotated key must reach relying parties well before it signs anything.
    return JSONResponse(keys.jwks(db), headers={"Cache-Control": "public, max-age=60"})


def _failures_key(request: Request) -> str:
    return f"oidc-client-failures:{client_ip(request)}"


def _slow_down(retry_after: int) -> JSONResponse:
    return JSONResponse(
        {"error": "slow_down", "error_description": "Too many failed client authentications"},
        status_code=429,
        headers={"Retry-After": str(retry_after), **NO_STORE},
    )


def _with_client_authentication(
    request: Request, db: Session, respond: Callable[[], server.Reply]
) -> Response:
    """Failed client authentications are counted per source address and refused past the
    budget. Counting them per claimed ``client_id`` (public) would let anyone lock the real
    relying party out by sending it wrong secrets; a client that authenticates is never
    slowed down by others' failures."""
    try:
        auth.check_rate_limit(db, _failures_key(request), settings.oidc_token_failures_per_minute)
    except TooManyRequests as exc:
        return _slow_down(exc.retry_after)
    reply = respond()
    if isinstance(reply.body, dict) and reply.body.get("error") == "invalid_client":
        # Returned, not raised, so the count is committed with the request.
        auth.count_hit(db, _failures_key(request), settings.oidc_token_failures_per_minute)
    return _response(reply)


@router.post("/oidc/token")
def token(request: Request, db: DbSession, form: FormItems) -> Response:
    oauth_request = server.StarletteOAuth2Request(
        "POST", "/oidc/token", request.headers, list(request.query_params.multi_items()), form
    )
    return _with_client_authentication(
        request, db, lambda: server.token_response(db, oauth_request)
    )


@router.post("/oidc/revoke")
def revoke(request: Request, db: DbSession, form: FormItems) -> Response:
    oauth_request = server.StarletteOAuth2Request("POST", "/oidc/revoke", request.headers, [], form)
    return _with_client_authentication(
        request, db, lambda: server.revocation_response(db, oauth_request)
    )


def _bearer(request: Request, form: list[tuple[str, str]]) -> str | None:
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip() or None
    return dict(form).get("access_token")


def _userinfo(request: Request, db: DbSession, form: list[tuple[str, str]]) -> JSONResponse:
    access_token = _bearer(request, form)
    claims = service.userinfo(db, access_token) if access_token else None
    if claims is None:
        return JSONResponse(
            {"error": "invalid_token", "error_description": "The access token is not valid"},
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"', **NO_STORE},
        )
    return JSONResponse(claims, headers=NO_STORE)


@router.get("/oidc/userinfo")
def userinfo_get(request: Request, db: DbSession) -> JSONResponse:
    return _userinfo(request, db, [])


@router.post("/oidc/userinfo")
def userinfo_post(request: Request, db: DbSession, form: FormItems) -> JSONResponse:
    return _userinfo(request, db, form)
