"""Walks every route of the app: default deny.

- A route without an auth dependency must be on the PUBLIC list below.
- Every other route refuses an anonymous caller (401 for /api, redirect to sign-in for pages).
- A route that requires a permission refuses a signed-in officer who lacks it (403).
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
from oncegov.auth.dependencies import current_principal
from tests.fixtures import CAO_BANG, OfficerLogin, login, make_officer

PUBLIC: set[tuple[str, str]] = {
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),  # ends the caller's own session, if any; checks its CSRF token
    ("GET", "/healthz"),
}
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
    authenticated = permission is not None or current_principal in calls
    return authenticated, permission


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
    # Only the start page is for any signed-in officer; everything else names a permission.
    any_officer = {(m, r.path) for m, r in ROUTES if route_auth(r) == (True, None)}
    assert any_officer <= {("GET", "/")}


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
        assert response.headers["location"].startswith("/login")


@pytest.fixture
def officer_without_permissions(db: Session) -> OfficerLogin:
    # An admin holds only users.manage: no registry, quality or audit permission.
    return make_officer(db, "quantri.test", ("admin", "province", CAO_BANG))


PROTECTED = [(m, r) for m, r in ROUTES if route_auth(r)[1] not in (None, "users.manage")]


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


def test_the_walk_sees_every_router() -> None:
    paths = {r.path for _, r in ROUTES}
    assert {"/login", "/", "/healthz"} <= paths
    assert any(p.startswith("/api/v1/") for p in paths)
