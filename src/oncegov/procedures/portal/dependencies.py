"""Typed dependencies of the portal's pages: ``CurrentPortalCitizen`` and the level check.

A page without a portal session answers 303 to ``/portal/login?next=<its path>``; a session
below the procedure's eID level answers 303 to ``/portal/login?next=<its path>&level=2``
(both through ``errors.PortalNotAuthenticated`` and the shared error handler). Unsafe methods
need the session's CSRF token (form field ``csrf_token`` or header ``X-CSRF-Token``), as the
officers' and eID pages do. The session lookup is a plain function (thread pool); only the
CSRF check, which may read the posted form, is a coroutine, and it touches no database.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request

from oncegov.auth.dependencies import check_csrf
from oncegov.config import settings
from oncegov.db import DbSession
from oncegov.errors import (
    BearerTokenInvalid,
    BearerTokenMissing,
    InsufficientUserAuthentication,
    PortalNotAuthenticated,
)
from oncegov.identity.oidc import service as oidc
from oncegov.procedures.portal import service
from oncegov.procedures.portal.schemas import ApiCitizen, PortalCitizen
from oncegov.translatable import N_


def _portal_citizen_of_session(request: Request, db: DbSession) -> PortalCitizen:
    token = request.cookies.get(settings.portal_session_cookie)
    if not token:
        raise PortalNotAuthenticated(N_("Please sign in with your electronic identity"))
    return service.citizen_of_session(db, token)


async def current_portal_citizen(
    request: Request,
    citizen: Annotated[PortalCitizen, Depends(_portal_citizen_of_session)],
) -> PortalCitizen:
    """The citizen behind the portal cookie; unsafe methods need the session's CSRF token."""
    await check_csrf(request, citizen.csrf_token)
    request.state.portal_citizen = citizen
    return citizen


CurrentPortalCitizen = Annotated[PortalCitizen, Depends(current_portal_citizen)]


def require_level(citizen: PortalCitizen, level: int, request: Request | None = None) -> None:
    """Refuse a session below ``level`` with a step-up (StepUpRequired → 303 to
    ``/portal/login?next=<request path>&level=<level>``); ``request`` is accepted for
    callers that have one at hand (the redirect's ``next`` is taken from the request the
    error handler answers)."""
    service.require_level(citizen, level)


def portal_citizen_at(level: int) -> Callable[..., Awaitable[PortalCitizen]]:
    """Dependency factory: ``Annotated[PortalCitizen, Depends(portal_citizen_at(2))]``."""

    async def dependency(citizen: CurrentPortalCitizen) -> PortalCitizen:
        return service.require_level(citizen, level)

    dependency.__name__ = f"portal_citizen_at_level_{level}"
    return dependency


# --- the portal's JSON API: bearer access tokens of OnceGov's provider ----------------------


def current_api_citizen(request: Request, db: DbSession) -> ApiCitizen:
    """The citizen behind ``Authorization: Bearer <access token>`` (an app that signed them in
    through OnceGov's OpenID Connect provider). No cookie, so no CSRF token either."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise BearerTokenMissing(N_("Sign in with your electronic identity"))
    holder = oidc.bearer_holder(db, token.strip())
    if holder is None:
        raise BearerTokenInvalid(N_("Your sign-in has ended; please sign in again"))
    return ApiCitizen(personal_id=holder.personal_id, acr=holder.level, client_id=holder.client_id)


CurrentApiCitizen = Annotated[ApiCitizen, Depends(current_api_citizen)]


def require_api_level(citizen: ApiCitizen, level: int) -> ApiCitizen:
    """Refuse a token whose sign-in is below ``level`` with RFC 9470's step-up answer."""
    if citizen.acr < level:
        raise InsufficientUserAuthentication(
            N_("This service needs a level-2 electronic identity sign-in"),
            acr=oidc.ACR_BY_LEVEL[level],
        )
    return citizen
