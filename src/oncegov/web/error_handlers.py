"""The answers to errors: JSON under ``/api``, an HTML page (or the sign-in redirect)
otherwise, each message translated in the request's language. The errors themselves are the
bottom layer's (``oncegov.errors``); turning them into answers needs the catalogues and the
templates, so it lives here. ``app.create_app`` installs them."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import iter_route_contexts
from pydantic import ValidationError
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from oncegov.errors import (
    OUTAGE_MESSAGE,
    BodyTooLarge,
    DatabaseUnavailable,
    NotAuthenticated,
    OnceGovError,
    RetryAfterOn429,
    UnreadableInput,
    ValidationFailed,
    is_outage,
)
from oncegov.translatable import N_
from oncegov.web.i18n import gettext
from oncegov.web.templating import render

log = logging.getLogger(__name__)


def _problem(error: Any, *, located_in_request: bool = True) -> dict[str, str]:
    """One validation error as ``{field, message}``, the message translated. A request's
    errors are located as ``("body" | "query" | "path", field…)``; a model built in code from
    form fields names the field alone."""
    bad = error.get("input")
    if isinstance(bad, UnreadableInput):
        return {"field": bad.field, "message": gettext(bad.message)}
    location = [str(part) for part in error["loc"]]
    field = ".".join(location[1:] if located_in_request else location) or location[0]
    if error["type"] == "value_error":  # our validators' reasons are translatable message ids
        return {"field": field, "message": gettext(str(error["ctx"]["error"]))}
    return {"field": field, "message": error["msg"]}


CLOSE = {"Connection": "close"}


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _allowed_methods(request: Request) -> str:
    """RFC 9110 15.5.6: a 405 lists every method of the path. Starlette's lists only those of
    the first route matching it, while a GET and a POST on one path are two routes."""
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        match, _ = route.matches({**request.scope, "method": "\n"})
        if match is Match.PARTIAL and route.methods:
            methods |= route.methods
    return ", ".join(sorted(methods))


def install_error_handlers(app: FastAPI) -> None:
    app.add_middleware(RetryAfterOn429)

    @app.exception_handler(OnceGovError)
    async def handle_domain_error(request: Request, exc: OnceGovError) -> Response:
        headers = exc.headers
        if _wants_json(request):
            return JSONResponse({"error": exc.as_dict()}, status_code=exc.status, headers=headers)
        if isinstance(exc, NotAuthenticated):
            target = quote(request.url.path, safe="/")
            extra = "".join(f"&{k}={quote(v, safe='')}" for k, v in exc.login_params.items())
            return RedirectResponse(f"{exc.login_path}?next={target}{extra}", status_code=303)
        page = render(request, "error.html", {"error": exc}, status_code=exc.status)
        page.headers.update(headers)
        return page

    async def handle_database_error(request: Request, exc: Exception) -> Response:
        """A database outage is a 503 with Retry-After (the request's transaction rolled
        back), never a 500; any other database error is a bug and goes on to the 500."""
        if not is_outage(exc):
            raise exc
        log.warning(
            "database unavailable on %s %s: %s",
            request.method,
            request.url.path,
            type(exc).__name__,
        )
        # Translated here, JSON too: whoever reads it (a person at a desk, a client's log) is
        # told to retry, in the request's language.
        unavailable = DatabaseUnavailable(gettext(OUTAGE_MESSAGE))
        return await handle_domain_error(request, unavailable)

    for database_error in (sa_exc.DBAPIError, sa_exc.TimeoutError, sa_exc.DisconnectionError):
        app.add_exception_handler(database_error, handle_database_error)

    @app.exception_handler(RequestValidationError)
    async def handle_request_validation(request: Request, exc: RequestValidationError) -> Response:
        return await _validation_response(request, exc.errors(), located_in_request=True)

    @app.exception_handler(ValidationError)
    async def handle_model_validation(request: Request, exc: ValidationError) -> Response:
        # A page built a schema from its form fields (the same schema as the API's body).
        return await _validation_response(request, exc.errors(), located_in_request=False)

    async def _validation_response(
        request: Request, errors: Sequence[Any], *, located_in_request: bool
    ) -> Response:
        # An unreadable body stands for the whole request: its reason alone is reported.
        unreadable = [e for e in errors if isinstance(e.get("input"), UnreadableInput)]
        problems = [
            _problem(e, located_in_request=located_in_request) for e in unreadable[:1] or errors
        ]
        if not _wants_json(request):
            first = problems[0]
            return await handle_domain_error(
                request, ValidationFailed(first["message"], field=first["field"])
            )
        body = {
            "error": {
                "code": "validation_failed",
                "message": problems[0]["message"] if unreadable else gettext("Invalid request"),
                "field": problems[0]["field"],
                "fields": problems,
            }
        }
        return JSONResponse(body, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def handle_http(request: Request, exc: StarletteHTTPException) -> Response:
        if isinstance(exc, BodyTooLarge):
            return await handle_domain_error(request, exc.error)
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = _allowed_methods(request)
        if _wants_json(request):
            return JSONResponse(
                {"error": {"code": f"http_{exc.status_code}", "message": str(exc.detail)}},
                status_code=exc.status_code,
                headers=headers,
            )
        error = OnceGovError(str(exc.detail), code=f"http_{exc.status_code}")
        response = render(request, "error.html", {"error": error}, status_code=exc.status_code)
        response.headers.update(headers)
        return response

    @app.exception_handler(Exception)
    async def handle_unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        error = OnceGovError(N_("Internal error"), code="internal_error")
        # The server closes the connection after an unhandled error: say so, so that a
        # keep-alive client does not send its next request into a closing socket.
        if _wants_json(request):
            return JSONResponse({"error": error.as_dict()}, status_code=500, headers=CLOSE)
        response = render(request, "error.html", {"error": error}, status_code=500)
        response.headers.update(CLOSE)
        return response
