"""The OpenAPI document of /api/v1 and the page that renders it.

FastAPI writes the operations; this module adds what it cannot see in our dependencies: the
security schemes (a service client's bearer token, the officer's session cookie with its CSRF
header on writes, the citizen's eID session cookie, a citizen's access token of the provider)
attached to each operation whose dependencies need them. The docs page is Swagger UI served
from ``/static`` (vendored from the ``swagger-ui-dist`` package, see its LICENSE there),
started by a script file of ours: the Content-Security-Policy allows no inline script and no
other origin.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute, iter_route_contexts

from oncegov.auth import dependencies as auth
from oncegov.config import settings
from oncegov.procedures.portal import dependencies as portal

API_PREFIX = "/api/v1"
OPENAPI_URL = f"{API_PREFIX}/openapi.json"
DOCS_URL = f"{API_PREFIX}/docs"
SWAGGER_UI = "/static/swagger-ui-5.35.0"
SAFE_METHODS = frozenset({"get", "head", "options"})

BEARER = "serviceToken"
OFFICER = "officerSession"
CSRF = "csrfToken"
CITIZEN = "citizenSession"
CITIZEN_TOKEN = "citizenAccessToken"  # noqa: S105 - a scheme's name, not a secret


def security_schemes() -> dict[str, dict[str, Any]]:
    return {
        BEARER: {
            "type": "http",
            "scheme": "bearer",
            "description": "A service client's token (`oncegov users token`).",
        },
        OFFICER: {
            "type": "apiKey",
            "in": "cookie",
            "name": settings.session_cookie,
            "description": "An officer's session, from signing in at /login.",
        },
        CSRF: {
            "type": "apiKey",
            "in": "header",
            "name": auth.CSRF_HEADER,
            "description": "The session's CSRF token; required with the session cookie on writes.",
        },
        CITIZEN: {
            "type": "apiKey",
            "in": "cookie",
            "name": settings.citizen_session_cookie,
            "description": "A citizen's eID session, from signing in at /eid/login.",
        },
        CITIZEN_TOKEN: {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "An access token of OnceGov's OpenID Connect provider, from the citizen's "
                "sign-in through an app registered as its client; its `acr` is the eID level."
            ),
        },
    }


def _calls(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def _requirements(dependant: Dependant, method: str) -> list[dict[str, list[str]]] | None:
    """Alternatives (OpenAPI: any one of the listed objects) for the route's auth dependency."""
    calls = list(_calls(dependant))
    if portal.current_api_citizen in calls:
        return [{CITIZEN_TOKEN: []}]
    if auth.current_citizen in calls:
        return [{CITIZEN: []}] if method in SAFE_METHODS else [{CITIZEN: [], CSRF: []}]
    officer_or_service = any(
        call in (auth.current_principal, auth.principal_outside_request_session)
        or hasattr(call, "required_permission")
        for call in calls
    )
    if not officer_or_service:
        return None
    session: dict[str, list[str]] = {OFFICER: []}
    if method not in SAFE_METHODS:
        session[CSRF] = []
    return [{BEARER: []}, session]


def build_openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
    )
    schema.setdefault("components", {})["securitySchemes"] = security_schemes()
    for route in iter_route_contexts(app.routes):  # FastAPI includes routers lazily
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        operations = schema["paths"].get(route.path_format, {})
        for method in route.methods or ():
            operation = operations.get(method.lower())
            requirements = _requirements(route.dependant, method.lower())
            if operation is not None and requirements:
                operation["security"] = requirements
    app.openapi_schema = schema
    return schema


DOCS_PAGE = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>OnceGov API</title>
<link rel="stylesheet" href="{SWAGGER_UI}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{OPENAPI_URL}"></div>
<script src="{SWAGGER_UI}/swagger-ui-bundle.js"></script>
<script src="/static/api-docs.js"></script>
</body>
</html>
"""


def install(app: FastAPI) -> None:
    """The OpenAPI document at ``OPENAPI_URL`` (FastAPI serves it) and the docs page."""
    app.openapi = lambda: build_openapi(app)  # type: ignore[method-assign]

    @app.get(DOCS_URL, include_in_schema=False, response_class=HTMLResponse)
    async def api_docs() -> HTMLResponse:
        return HTMLResponse(DOCS_PAGE)
