"""Jinja2 environment shared by every domain: each domain's ``templates/`` plus the base ones."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from oncegov.config import settings
from oncegov.kit import clock
from oncegov.web import i18n

SRC = Path(__file__).resolve().parents[1]
TEMPLATE_DIRS = [
    SRC / "web" / "templates",
    *sorted(SRC.glob("*/templates")),
    *sorted(SRC.glob("*/*/templates")),
]


def local_time(moment: dt.datetime) -> str:
    """A stored UTC moment in the province's time zone (SQLite returns naive UTC)."""
    return clock.local(moment).strftime("%d/%m/%Y %H:%M:%S")


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(d)) for d in TEMPLATE_DIRS if d.is_dir()]),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, i18n.ngettext, newstyle=True
    )
    env.globals["settings"] = settings
    env.filters["local_time"] = local_time
    env.globals["get_locale"] = i18n.get_locale
    env.globals["LOCALES"] = i18n.LOCALES
    return env


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    principal = getattr(request.state, "principal", None)  # an officer
    citizen = getattr(request.state, "citizen", None)  # a citizen signed in with their eID
    signed_in = principal or citizen
    page = (
        environment()
        .get_template(template)
        .render(
            request=request,
            principal=principal,
            signed_in_citizen=citizen,
            csrf_token=signed_in.csrf_token if signed_in else None,
            **(context or {}),
        )
    )
    return HTMLResponse(page, status_code=status_code)
