"""Auth as typed dependencies: ``Annotated[Authorized, Depends(require("registry.read"))]``.

A route without one of these is public; ``tests/auth/test_route_permissions.py`` lists every
route and fails on any public one that is not meant to be.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from oncegov.auth import service
from oncegov.auth.schemas import Authorized, CitizenPrincipal, Principal
from oncegov.config import settings
from oncegov.db import DbSession, session_scope
from oncegov.errors import CitizenNotAuthenticated, NotAuthenticated, PermissionDenied
from oncegov.translatable import N_

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"


async def csrf_token_sent(request: Request) -> str | None:
    """The CSRF token a request carries: the header, or the posted form's field."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()  # Starlette caches it; the route reads the same form
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


async def check_csrf(request: Request, expected: str | None) -> None:
    """Refuse an unsafe request whose token is not the session's (every session kind: the
    officers', the eID citizens' and the portal's)."""
    if request.method in SAFE_METHODS:
        return
    sent = await csrf_token_sent(request)
    if not sent or not expected or not secrets.compare_digest(sent, expected):
        raise PermissionDenied(N_("Form expired or forged; reload the page"), code="csrf_failed")


# Database work never runs on the event loop: the session-backed lookups below are plain
# functions (FastAPI runs them in the thread pool); only the CSRF check, which may have to read
# the posted form, is a coroutine, and it touches no database.


@dataclass(frozen=True, slots=True)
class _Resolved:
    principal: Principal
    by_cookie: bool  # a browser session (CSRF applies), not a bearer token


def _resolve_principal(request: Request, db: DbSession) -> _Resolved:
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer ") and request.url.path.startswith("/api/"):
        return _Resolved(service.service_principal(db, authorization[7:].strip()), False)
    token = request.cookies.get(settings.session_cookie)
    if not token:
        raise NotAuthenticated(N_("Please sign in"))
    return _Resolved(service.officer_principal_from_session(db, token), True)


async def current_principal(
    request: Request, resolved: Annotated[_Resolved, Depends(_resolve_principal)]
) -> Principal:
    """The officer behind the session cookie, or the service client behind a bearer token."""
    principal = resolved.principal
    if resolved.by_cookie:
        await check_csrf(request, principal.csrf_token)
        request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
_background: set[asyncio.Task[None]] = set()  # keeps refresh tasks referenced until done


def _load_principal(request: Request, bearer: str | None, cookie: str | None) -> Principal:
    with session_scope(request.app) as session:
        if bearer:
            try:
                principal = service.service_principal(session, bearer)
            except NotAuthenticated:
                service.remember_service_principal(bearer, None)
                raise
            service.remember_service_principal(bearer, principal)
            return principal
        return service.officer_principal_from_session(session, cookie or "")


async def _refresh_in_background(request: Request, bearer: str) -> None:
    # Revoked meanwhile: the token is forgotten and the next request is refused.
    with contextlib.suppress(NotAuthenticated):
        await run_in_threadpool(_load_principal, request, bearer, None)


async def principal_outside_request_session(request: Request) -> Principal:
    """``current_principal`` for hot API routes that keep no database session of their own
    (the group-committed check-in): a machine client's bearer token comes from a short cache,
    anything else is resolved in a session of its own. Same answers, same CSRF rule."""
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer ") and request.url.path.startswith("/api/"):
        bearer = authorization[7:].strip()
        cached = service.cached_service_principal(bearer)
        if cached is not None:
            if not cached.fresh and service.claim_refresh(bearer):
                task = asyncio.create_task(_refresh_in_background(request, bearer))
                _background.add(task)
                task.add_done_callback(_background.discard)
            return cached.principal
        return await run_in_threadpool(_load_principal, request, bearer, None)
    token = request.cookies.get(settings.session_cookie)
    if not token:
        raise NotAuthenticated(N_("Please sign in"))
    principal = await run_in_threadpool(_load_principal, request, None, token)
    await check_csrf(request, principal.csrf_token)
    return principal


def _citizen_of_session(request: Request, db: DbSession) -> CitizenPrincipal:
    token = request.cookies.get(settings.citizen_session_cookie)
    if not token:
        raise CitizenNotAuthenticated(N_("Please sign in with your electronic identity"))
    return service.citizen_principal_from_session(db, token)


async def current_citizen(
    request: Request, citizen: Annotated[CitizenPrincipal, Depends(_citizen_of_session)]
) -> CitizenPrincipal:
    """The citizen behind the eID session cookie; unsafe methods need the session's CSRF token.

    Pages answer an anonymous visitor with a redirect to ``/eid/login``, the API with 401."""
    await check_csrf(request, citizen.csrf_token)
    request.state.citizen = citizen
    return citizen


CurrentCitizen = Annotated[CitizenPrincipal, Depends(current_citizen)]


def require(permission: str) -> Callable[..., Authorized]:
    """Dependency factory: the caller must hold ``permission``; returns it with its unit scope."""

    def dependency(principal: CurrentPrincipal) -> Authorized:
        if not principal.can(permission):
            raise PermissionDenied(N_("You do not have permission for this"), permission=permission)
        return Authorized(principal, permission, principal.scope_for(permission))

    dependency.__name__ = f"require_{permission.replace('.', '_')}"
    dependency.required_permission = permission  # type: ignore[attr-defined]
    return dependency
