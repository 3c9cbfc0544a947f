"""Domain errors: a stable code, an HTTP status, a translatable message and the field at fault.

Services raise these; the web layer's handlers (``web.error_handlers``) turn them into JSON for
``/api`` and into an HTML page otherwise, translating the message. No stack trace ever reaches
a user. This module sits at the bottom layer, so it marks messages (``N_``) and never
translates or renders them itself.
"""

from __future__ import annotations

from typing import Any

import psycopg
from pydantic import BaseModel
from sqlalchemy import exc as sa_exc
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from oncegov.config import settings
from oncegov.translatable import N_

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

    @property
    def login_params(self) -> dict[str, str]:
        """Query parameters the sign-in redirect carries besides ``next``."""
        return {}


class CitizenNotAuthenticated(NotAuthenticated):
    """A citizen page without a citizen session: sign in with the eID, not the officer form."""

    login_path = "/eid/login"


class PortalNotAuthenticated(NotAuthenticated):
    """A portal page without a portal session: sign in through the portal's relying party."""

    login_path = "/portal/login"


class StepUpRequired(PortalNotAuthenticated):
    """The portal session's eID level is below what the procedure requires: sign in again
    at ``level`` (the portal asks the provider for it with ``acr_values``)."""

    code = "step_up_required"

    def __init__(self, message: str, *, level: int, **kwargs: Any) -> None:
        super().__init__(message, level=level, **kwargs)
        self.level = level

    @property
    def login_params(self) -> dict[str, str]:
        return {"level": str(self.level)}


class BearerTokenMissing(NotAuthenticated):
    """An API call that needs a citizen's access token and sent none (RFC 6750 §3: the
    challenge then carries no error code)."""

    @property
    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": "Bearer"}


class BearerTokenInvalid(NotAuthenticated):
    """An access token that is not a live one of OnceGov's provider (RFC 6750 §3.1)."""

    code = "invalid_token"

    @property
    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Bearer error="invalid_token"'}


class InsufficientUserAuthentication(NotAuthenticated):
    """The access token's sign-in is below the eID level the call needs: the client signs the
    citizen in again asking for ``acr`` (OAuth 2.0 step-up, RFC 9470)."""

    code = "insufficient_user_authentication"

    def __init__(self, message: str, *, acr: str, **kwargs: Any) -> None:
        super().__init__(message, acr_values=acr, **kwargs)
        self.acr = acr

    @property
    def headers(self) -> dict[str, str]:
        return {
            "WWW-Authenticate": (
                f'Bearer error="insufficient_user_authentication", acr_values="{self.acr}"'
            )
        }


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
