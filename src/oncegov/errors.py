"""Domain errors: a stable code, an HTTP status, a translatable message and the field at fault.

Services raise these; one handler (``install_error_handlers``) turns them into JSON for ``/api``
and into an HTML page otherwise. No stack trace ever reaches a user.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy import exc as sa_exc
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from oncegov.config import settings
from oncegov.translatable import N_
from oncegov.web.i18n import gettext

log = logging.getLogger(__name__)
DEFAULT_RETRY_AFTER = 60


class OnceGovError(Exception):
    status = 400
    code = "error"

    def __init__(
        self, message: str, *, field: str | None = None, code: str | None = None, **params: Any
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.params = params
        if code:
            self.code = code

    @property
    def headers(self) -> dict[str, str]:
        """HTTP headers every answer carrying this error needs."""
        return {}

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        if self.params:
            body["params"] = self.params
        return body


class ValidationFailed(OnceGovError):
    status = 422
    code = "validation_failed"


class NotFound(OnceGovError):
    status = 404
    code = "not_found"


class Conflict(OnceGovError):
    status = 409
    code = "conflict"


class NotAuthenticated(OnceGovError):
    status = 401
    code = "not_authenticated"
    login_path = "/login"  # where a page sends the visitor to sign in


class CitizenNotAuthenticated(NotAuthenticated):
    """A citizen page without a citizen session: sign in with the eID, not the officer form."""

    login_path = "/eid/login"


class PermissionDenied(OnceGovError):
    status = 403
    code = "permission_denied"


class TooManyRequests(OnceGovError):
    status = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: int = 60, **kwargs: Any) -> None:
        super().__init__(message, retry_after=retry_after, **kwargs)
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class RetryAfterOn429:
    """Pure ASGI middleware, the safety net behind ``TooManyRequests.headers``: a 429 that a
    route built without the header (a form shown again with the refusal) still tells the
    client when to come back. Our windows are a minute long unless the error said otherwise."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_retry_after(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 429:
                headers = MutableHeaders(scope=message)
                headers.setdefault("Retry-After", str(DEFAULT_RETRY_AFTER))
            await send(message)

        await self.app(scope, receive, send_with_retry_after)


class DatabaseUnavailable(OnceGovError):
    """The database does not answer (down, restarting, locked): try again shortly."""

    status = 503
    code = "service_unavailable"

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(settings.outage_retry_after_seconds)}


OUTAGE_MESSAGE = N_("The service is briefly unavailable. Please try again in a few seconds.")


class PayloadTooLarge(OnceGovError):
    status = 413
    code = "payload_too_large"


class BodyTooLarge(StarletteHTTPException):
    """Raised while a request body streams in past its limit (``web.body_limit``). An HTTP
    exception, so that FastAPI's body reading lets it through instead of answering 400."""

    def __init__(self, error: PayloadTooLarge) -> None:
        super().__init__(status_code=error.status, detail=error.message)
        self.error = error


class UnreadableInput:
    """Stands where a request body or a form value could not be accepted (``web.routing``);
    no schema accepts it, and the validation error handler reports its field and reason."""

    __slots__ = ("field", "message")

    def __init__(self, message: str, field: str = "body") -> None:
        self.message = message
        self.field = field

    def __repr__(self) -> str:  # what a validation error shows as its input: never the value
        return f"<unreadable {self.field}>"


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


# --- the error answers as the API documents them --------------------------------------------


class FieldProblem(BaseModel):
    field: str
    message: str


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None = None
    params: dict[str, Any] | None = None
    fields: list[FieldProblem] | None = None  # request validation: every field at fault


class ErrorOut(BaseModel):
    """The body of every error answer."""

    error: ErrorDetail


# Mounted on every /api/v1 router (``app.py``), so each operation documents them all.
ERROR_STATUSES = (400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 503)
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": "Error"} for status in ERROR_STATUSES
}


# --- database outages --------------------------------------------------------------------------

_SQLITE_OUTAGE_CODES = frozenset({5, 6, 8, 10, 13, 14, 15, 26})  # BUSY LOCKED READONLY IOERR…


def is_outage(error: BaseException) -> bool:
    """Whether ``error`` means the database is unreachable or unable to serve for now (so the
    answer is 503 with Retry-After, and a retry later may succeed), not a bug. The one place
    that decides it: the error handlers, the group committer and the CLI ask here. Takes
    SQLAlchemy's wrapped errors and the drivers' own (a raw connection's are not wrapped)."""
    if isinstance(error, sa_exc.TimeoutError | sa_exc.DisconnectionError):
        return True  # the pool found no connection in time; a connection died in the pool
    if isinstance(error, sa_exc.DBAPIError):
        if error.connection_invalidated or isinstance(error, sa_exc.InterfaceError):
            return True
        if not isinstance(error, sa_exc.OperationalError):
            return False
        return _driver_outage(error.orig, default=True)
    return _driver_outage(error, default=False)


def _driver_outage(error: BaseException | None, *, default: bool) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in _SQLITE_OUTAGE_CODES
    if isinstance(error, psycopg.Error):
        # PostgreSQL: connection refused or lost, server shutting down, statement cancelled.
        return isinstance(error, psycopg.OperationalError | psycopg.InterfaceError)
    return default


CLOSE = {"Connection": "close"}


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _allowed_methods(request: Request) -> str:
    """RFC 9110 15.5.6: a 405 lists every method of the path. Starlette's lists only those of
    the first route matching it, while a GET and a POST on one path are two routes."""
    from fastapi.routing import iter_route_contexts
    from starlette.routing import Match

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
            from urllib.parse import quote

            from fastapi.responses import RedirectResponse

            target = quote(request.url.path, safe="/")
            return RedirectResponse(f"{exc.login_path}?next={target}", status_code=303)
        from oncegov.web.templating import render

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
        from oncegov.web.templating import render

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
        from oncegov.web.templating import render

        response = render(request, "error.html", {"error": error}, status_code=500)
        response.headers.update(CLOSE)
        return response
