"""Domain errors: a stable code, an HTTP status, a translatable message and the field at fault.

Services raise these; one handler (``install_error_handlers``) turns them into JSON for ``/api``
and into an HTML page otherwise. No stack trace ever reaches a user.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from oncegov.web.i18n import N_

log = logging.getLogger(__name__)


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


CLOSE = {"Connection": "close"}


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(OnceGovError)
    async def handle_domain_error(request: Request, exc: OnceGovError) -> Response:
        if _wants_json(request):
            return JSONResponse({"error": exc.as_dict()}, status_code=exc.status)
        if isinstance(exc, NotAuthenticated):
            from urllib.parse import quote

            from fastapi.responses import RedirectResponse

            target = quote(request.url.path, safe="/")
            return RedirectResponse(f"{exc.login_path}?next={target}", status_code=303)
        from oncegov.web.templating import render

        return render(request, "error.html", {"error": exc}, status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def handle_request_validation(request: Request, exc: RequestValidationError) -> Response:
        problems = [
            {"field": ".".join(str(p) for p in e["loc"][1:]), "message": e["msg"]}
            for e in exc.errors()
        ]
        body = {
            "error": {"code": "validation_failed", "message": "Invalid request", "fields": problems}
        }
        return JSONResponse(body, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def handle_http(request: Request, exc: StarletteHTTPException) -> Response:
        if _wants_json(request):
            return JSONResponse(
                {"error": {"code": f"http_{exc.status_code}", "message": str(exc.detail)}},
                status_code=exc.status_code,
            )
        from oncegov.web.templating import render

        error = OnceGovError(str(exc.detail), code=f"http_{exc.status_code}")
        return render(request, "error.html", {"error": error}, status_code=exc.status_code)

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
