"""The route class of every router: input text checked once, bad bodies refused after auth.

FastAPI reads and parses a request's body before it runs the route's dependencies, so a body
that is not JSON (or not UTF-8) used to be answered 400/422 before the caller was even known.
``CheckedRequest`` never raises while parsing: a body it cannot read, or a text value that
cannot be stored, is replaced by an ``UnreadableInput`` marker. Authentication (a dependency)
then runs first; the body's validation fails on the marker afterwards, and the error handler
reports the marker's field and reason (``errors.handle_request_validation``).

Text that no database can store (lone surrogates; control and invisible formatting characters
other than tabs and line breaks) is refused in every JSON string, form field, query parameter
and path parameter, with the field named. Field-specific rules (names, markup, lengths) are the
schemas' and validators' (``kit.text``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.datastructures import FormData

from oncegov.errors import UnreadableInput, ValidationFailed
from oncegov.kit.text import text_problem
from oncegov.translatable import N_

NOT_JSON = N_("The request body is not valid JSON")


def _storable_problem(value: str) -> str | None:
    """The reason a text value cannot be stored anywhere, whatever its field."""
    return text_problem(value, multiline=True, markup=True)


def _first_bad_string(value: Any) -> tuple[str, str] | None:
    """(dotted path, reason) of the first JSON string (key or value) that cannot be stored."""
    pending: list[tuple[tuple[str, ...], Any]] = [((), value)]
    while pending:
        path, item = pending.pop()
        if isinstance(item, str):
            problem = _storable_problem(item)
            if problem:
                return ".".join(path) or "body", problem
        elif isinstance(item, dict):
            for key, child in item.items():
                problem = _storable_problem(key)
                if problem:
                    return ".".join((*path, key)) or "body", problem
                pending.append(((*path, key), child))
        elif isinstance(item, list):
            pending.extend(((*path, str(index)), child) for index, child in enumerate(item))
    return None


class CheckedRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            try:
                value = json.loads(body)
            except (ValueError, RecursionError):  # JSONDecodeError, UnicodeDecodeError, nesting
                value = UnreadableInput(NOT_JSON)
            else:
                bad = _first_bad_string(value)
                if bad:
                    value = UnreadableInput(bad[1], field=bad[0])
            self._json = value
        return self._json

    async def _get_form(self, **limits: Any) -> FormData:
        if self._form is None:
            form = await super()._get_form(**limits)
            items: list[tuple[str, Any]] = []
            for name, value in form.multi_items():
                problem = _storable_problem(value) if isinstance(value, str) else None
                items.append((name, UnreadableInput(problem, field=name) if problem else value))
            self._form = FormData(items)
        return self._form


def _check_url_text(request: Request) -> None:
    """Path and query text cannot carry a surrogate (the server decodes them with replacement),
    but can carry NUL and other control characters, which PostgreSQL refuses with an error."""
    for name, value in (*request.path_params.items(), *request.query_params.multi_items()):
        if isinstance(value, str):
            problem = _storable_problem(value)
            if problem:
                raise ValidationFailed(problem, field=name)


def unreadable_form_field(form: FormData) -> UnreadableInput | None:
    """The first form value ``CheckedRequest`` refused, for the routes that read forms whole."""
    return next((v for v in form.values() if isinstance(v, UnreadableInput)), None)


class CheckedRoute(APIRoute):
    """Every router's ``route_class``: requests are ``CheckedRequest``s."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def checked(request: Request) -> Response:
            _check_url_text(request)
            return await handler(CheckedRequest(request.scope, request.receive, request._send))

        return checked
