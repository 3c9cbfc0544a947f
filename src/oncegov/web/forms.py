"""Posted HTML forms as route dependencies (Starlette caches the parsed form, so the CSRF check
and the route read it once). A value that cannot be stored as text (``web.routing``) is refused
here, with its field named, after the route's authentication has run."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData

from oncegov.errors import ValidationFailed
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
