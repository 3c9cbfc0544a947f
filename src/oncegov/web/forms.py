"""Posted HTML forms as route dependencies (Starlette caches the parsed form, so the CSRF check
and the route read it once), and ``attempt``: a form's action whose refusal is shown inline. A
value that cannot be stored as text (``web.routing``) is refused here, with its field named, after
the route's authentication has run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from oncegov.errors import Conflict, NotFound, OnceGovError, ValidationFailed
from oncegov.web.routing import unreadable_form_field


async def posted_form(request: Request) -> FormData:
    """The whole submitted form, for fields that repeat (checkbox groups)."""
    form = await request.form()
    unreadable = unreadable_form_field(form)
    if unreadable:
        raise ValidationFailed(unreadable.message, field=unreadable.field)
    return form


async def text_fields(request: Request) -> dict[str, str]:
    """The submitted form as plain text fields (files and repeats left out)."""
    form = await posted_form(request)
    return {key: value for key, value in form.items() if isinstance(value, str)}


PostedForm = Annotated[FormData, Depends(posted_form)]
TextFields = Annotated[dict[str, str], Depends(text_fields)]


def form_text(form: FormData, name: str) -> str:
    """One field, stripped; empty when missing or not text."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


# What a form's action may refuse with for the officer or citizen to correct: shown next to the
# form, which keeps what was typed. Anything else (permission, rate limit, unexpected) goes to
# the app's error handler as before.
CORRECTABLE = (ValidationFailed, Conflict, NotFound)
T = TypeVar("T")


def attempt(db: Session, action: Callable[[], T]) -> T | OnceGovError:
    """Run one submitted form's action in a savepoint. A correctable refusal rolls back what
    the action wrote and is returned, for the route to draw its form again with the error at
    the field and the input kept; the request still commits what happened before (rate-limit
    counters, audit entries of lookups)."""
    try:
        with db.begin_nested():
            return action()
    except CORRECTABLE as exc:
        return exc
