"""Walks every route of the app: default deny.

- A route without an auth dependency must be on the PUBLIC lists below.
- Every other route refuses an anonymous caller (401 for /api, redirect to sign-in for pages:
  the officers' form, or the eID sign-in for citizens' pages).
- A route that requires a permission refuses a signed-in officer who lacks it (403).
- Citizens' routes refuse officers, and officers' routes refuse citizens.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from oncegov.app import create_app
from oncegov.auth.dependencies import current_citizen, current_principal
from oncegov.auth.roles import ROLES
from oncegov.procedures.portal.dependencies import current_api_citizen, current_portal_citizen
from tests.fixtures import (
    CAO_BANG,
    OfficerLogin,
    citizen_session,
    login,
    make_citizen,
    make_eid_account,
    make_officer,
)

PUBLIC_CORE: set[tuple[str, str]] = {
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),  # ends the caller's own session, if any; checks its CSRF token
    ("GET", "/healthz"),
    ("GET", "/audit/jwks.json"),  # public keys of the audit chain's signed checkpoints
    ("GET", "/readyz"),
    ("GET", "/api/v1/docs"),  # the API document is public; every operation in it is not
    ("GET", "/"),  # the public home page; a signed-in officer is sent on to /officer
}
# Citizens before they have a session: self-registration, activation, sign-in, passcode reset
# (each guarded by its own one-time code and rate limits), and the demo SMS outbox page,
# which answers 404 in production.
PUBLIC_EID: set[tuple[str, str]] = {
    ("GET", "/eid/register"),
    ("POST", "/eid/register"),
    ("GET", "/eid/activate"),
    ("POST", "/eid/activate"),
    ("GET", "/eid/login"),
    ("POST", "/eid/login"),
    ("GET", "/eid/login/otp"),
    ("POST", "/eid/login/otp"),
    ("POST", "/eid/logout"),
    ("GET", "/eid/reset"),
    ("POST", "/eid/reset"),
    ("GET", "/eid/reset/confirm"),
    ("POST", "/eid/reset/confirm"),
    ("GET", "/eid/sms"),
    ("GET", "/eid/qr/jwks.json"),  # public keys of the check-in QR, for facilities
    ("POST", "/api/v1/eid/registrations"),
    ("POST", "/api/v1/eid/activations"),
    ("POST", "/api/v1/eid/passcode-resets"),
    ("POST", "/api/v1/eid/passcode-resets/confirm"),
}
# OpenID Connect endpoints authenticate by the protocol itself (client credentials, bearer
# access tokens, or by sending the browser to the eID sign-in).
PUBLIC_OIDC: set[tuple[str, str]] = {
    ("GET", "/.well-known/openid-configuration"),
    ("GET", "/oidc/jwks"),
    ("GET", "/oidc/authorize"),
    ("POST", "/oidc/authorize"),  # OIDC Core 3.1.2.1: GET and form-encoded POST alike
    ("POST", "/oidc/token"),
    ("GET", "/oidc/userinfo"),
    ("POST", "/oidc/userinfo"),
    ("GET", "/oidc/logout"),
    ("POST", "/oidc/logout"),
    ("POST", "/oidc/revoke"),
}
# The public catalogue of procedures: what each takes is public information (no personal data).
PUBLIC_PROCEDURES: set[tuple[str, str]] = {
    ("GET", "/procedures"),
    ("GET", "/procedures/{code}"),
    ("GET", "/api/v1/procedures"),
    ("GET", "/api/v1/procedures/{code}"),
}
# The portal's sign-in as a relying party of the provider (the callback is checked by its state,
# the browser-binding cookie and the token exchange), and its sign-out (ends the caller's own
# portal session, if any; checks its CSRF token).
PUBLIC_PORTAL: set[tuple[str, str]] = {
    ("GET", "/portal/login"),
    ("GET", "/portal/callback"),
    ("POST", "/portal/logout"),
    ("GET", "/portal/signed-out"),  # where the provider sends the browser after signing out
}
PUBLIC = PUBLIC_CORE | PUBLIC_EID | PUBLIC_OIDC | PUBLIC_PROCEDURES | PUBLIC_PORTAL
SAMPLE_PATH_VALUES = {"personal_id": "004085000001", "id": "1", "finding_id": "1", "code": "01273"}


def _walk(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _walk(sub)


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    dependant: Dependant


def route_auth(route: Endpoint) -> tuple[bool, str | None]:
    """(needs a signed-in caller, permission it requires)."""
    calls = list(_walk(route.dependant))
    permission = next(
        (c.required_permission for c in calls if hasattr(c, "required_permission")),
        None,
    )
    authenticated = permission is not None or current_principal in calls or is_citizen(route)
    return authenticated, permission


def is_citizen(route: Endpoint) -> bool:
    calls = list(_walk(route.dependant))
    return current_citizen in calls or current_portal_citizen in calls or is_api_citizen(route)


def is_api_citizen(route: Endpoint) -> bool:
    """The portal API's routes: a citizen's bearer access token of the provider."""
    return current_api_citizen in _walk(route.dependant)


def is_portal(route: Endpoint) -> bool:
    return current_portal_citizen in _walk(route.dependant)


def endpoints(app: FastAPI) -> list[Endpoint]:
    """Every API route with its full path (FastAPI includes routers lazily)."""
    return [
        Endpoint(method, context.path, context.dependant)
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
        for method in sorted(context.methods or ())
    ]


ROUTES = [(e.method, e) for e in endpoints(create_app())]


def _url(route: Endpoint) -> str:
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: SAMPLE_PATH_VALUES.get(m[1], "1"), route.path)


def test_every_unauthenticated_route_is_on_the_public_list() -> None:
    public = {(method, route.path) for method, route in ROUTES if not route_auth(route)[0]}
    assert public == PUBLIC


def test_every_protected_route_names_a_permission_or_is_for_any_officer() -> None:
    # Only the officers' home page is for any signed-in officer; everything else names one.
    any_officer = {
        (m, r.path) for m, r in ROUTES if route_auth(r) == (True, None) and not is_citizen(r)
    }
    assert any_officer <= {("GET", "/officer")}


AUTHENTICATED = [(m, r) for m, r in ROUTES if route_auth(r)[0]]


@pytest.mark.parametrize(
    ("method", "route"), AUTHENTICATED, ids=[f"{m} {r.path}" for m, r in AUTHENTICATED]
)
def test_anonymous_caller_is_refused(client: TestClient, method: str, route: Endpoint) -> None:
    response = client.request(method, _url(route), follow_redirects=False)
    if route.path.startswith("/api/"):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"
    else:
        assert response.status_code == 303
        sign_in = (
            "/portal/login" if is_portal(route) else "/eid/login" if is_citizen(route) else "/login"
        )
        assert response.headers["location"].startswith(sign_in + "?")


@pytest.fixture
def officer_without_permissions(db: Session) -> OfficerLogin:
    # An admin holds only users.manage: no registry, quality or audit permission.
    return make_officer(db, "quantri.test", ("admin", "province", CAO_BANG))


PROTECTED = [(m, r) for m, r in ROUTES if route_auth(r)[1] not in {None, *ROLES["admin"]}]


@pytest.mark.parametrize(
    ("method", "route"), PROTECTED, ids=[f"{m} {r.path}" for m, r in PROTECTED]
)
def test_officer_without_the_permission_is_refused(
    client: TestClient, officer_without_permissions: OfficerLogin, method: str, route: Endpoint
) -> None:
    csrf = login(client, officer_without_permissions)
    response = client.request(
        method, _url(route), headers={"X-CSRF-Token": csrf}, follow_redirects=False
    )
    assert response.status_code == 403, f"{method} {route.path} answered {response.status_code}"
    if route.path.startswith("/api/"):
        assert response.json()["error"]["code"] == "permission_denied"


CITIZEN_ROUTES = [(m, r) for m, r in ROUTES if is_citizen(r)]
OFFICER_ROUTES = [(m, r) for m, r in ROUTES if route_auth(r)[1] is not None]


@pytest.mark.parametrize(
    ("method", "route"), CITIZEN_ROUTES, ids=[f"{m} {r.path}" for m, r in CITIZEN_ROUTES]
)
def test_citizen_routes_refuse_an_officer(
    client: TestClient, provincial_officer: OfficerLogin, method: str, route: Endpoint
) -> None:
    csrf = login(client, provincial_officer)
    response = client.request(
        method, _url(route), headers={"X-CSRF-Token": csrf}, follow_redirects=False
    )
    assert response.status_code in (303, 401), f"{method} {route.path}: {response.status_code}"


@pytest.mark.parametrize(
    ("method", "route"), OFFICER_ROUTES, ids=[f"{m} {r.path}" for m, r in OFFICER_ROUTES]
)
def test_officer_routes_refuse_a_citizen(
    client: TestClient, db: Session, method: str, route: Endpoint
) -> None:
    csrf = citizen_session(client, db, make_eid_account(db, make_citizen(db)))
    response = client.request(
        method, _url(route), headers={"X-CSRF-Token": csrf}, follow_redirects=False
    )
    assert response.status_code in (303, 401), f"{method} {route.path}: {response.status_code}"


def test_the_walk_sees_every_router() -> None:
    paths = {r.path for _, r in ROUTES}
    assert {"/login", "/", "/healthz"} <= paths
    assert any(p.startswith("/api/v1/") for p in paths)
