"""Jinja2 environment shared by every domain: each domain's ``templates/`` plus the base ones."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from oncegov.config import settings
from oncegov.web import formatting, i18n, navigation

SRC = Path(__file__).resolve().parents[1]
TEMPLATE_DIRS = [
    SRC / "web" / "templates",
    *sorted(SRC.glob("*/templates")),
    *sorted(SRC.glob("*/*/templates")),
]


# The name the pages import: a stored moment in local time, in the request's language.
local_time = formatting.format_datetime


def switch_language_url(request: Request, locale: str) -> str:
    """The page being shown, in another language: same path, same query, ``lang`` replaced."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return f"{request.url.path}?{urlencode([*query, ('lang', locale)])}"


def home_path(principal: object | None, citizen: object | None) -> str:
    """Where the logo leads: an officer's home, a citizen's own pages, else the public home."""
    if principal is not None:
        return "/officer"
    if citizen is not None:
        return "/me"
    return "/"


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
    env.filters["format_number"] = formatting.format_number
    env.filters["format_percent"] = formatting.format_percent_value
    env.filters["format_date"] = formatting.format_date
    env.filters["format_datetime"] = formatting.format_datetime
    env.filters["local_time"] = formatting.format_datetime
    env.filters["country_name"] = i18n.country_name
    env.filters["actor_label"] = formatting.actor_label
    env.filters["channel_label"] = formatting.channel_label
    env.globals["switch_language_url"] = switch_language_url
    env.globals["sections_for"] = navigation.sections_for
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
            home_path=home_path(principal, citizen),
            csrf_token=signed_in.csrf_token if signed_in else None,
            **(context or {}),
        )
    )
    return HTMLResponse(page, status_code=status_code)
