"""Request bodies capped while they stream in (pure ASGI middleware).

``settings.max_body_bytes`` for JSON and forms, ``settings.max_upload_bytes`` for
``multipart/form-data`` uploads. A body declared longer than its limit is refused before a byte
of it is read; one without a Content-Length (chunked) is counted chunk by chunk and refused as
soon as it passes the limit. Either way the route sees ``BodyTooLarge`` from ``receive`` and
the error handlers answer 413 ``payload_too_large`` (JSON under /api, a page otherwise).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from oncegov.config import settings
from oncegov.errors import BodyTooLarge, PayloadTooLarge
from oncegov.translatable import N_

TOO_LARGE = N_("The request body is too large")


def _header(scope: Scope, name: bytes) -> bytes | None:
    return next((value for key, value in scope["headers"] if key == name), None)


def limit_for(scope: Scope) -> int:
    content_type = (_header(scope, b"content-type") or b"").lower()
    if content_type.startswith(b"multipart/form-data"):
        return settings.max_upload_bytes
    return settings.max_body_bytes


def _too_large(limit: int) -> BodyTooLarge:
    return BodyTooLarge(PayloadTooLarge(TOO_LARGE, field="body", limit=limit))


class BodyLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope)
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:

            async def refuse(_limit: int = limit) -> Message:
                raise _too_large(_limit)

            await self.app(scope, refuse, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _too_large(limit)
            return message

        await self.app(scope, counted, send)
