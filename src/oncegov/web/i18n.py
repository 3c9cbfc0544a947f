"""Babel catalogues and the request's locale. Vietnamese is the default, English the second."""

from __future__ import annotations

from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.support import NullTranslations, Translations

from oncegov.config import settings
from oncegov.translatable import N_

TRANSLATIONS_DIR = Path(__file__).parent / "translations"
LOCALES: tuple[str, ...] = ("vi", "en")
_current_locale: ContextVar[str] = ContextVar("oncegov_locale", default=settings.default_locale)


@lru_cache(maxsize=8)
def translations(locale: str) -> NullTranslations:
    # Message ids are English, so the English catalogue may be empty and still be right.
    return Translations.load(str(TRANSLATIONS_DIR), [locale], domain="messages")


def set_locale(locale: str) -> None:
    _current_locale.set(locale if locale in LOCALES else settings.default_locale)


def get_locale() -> str:
    return _current_locale.get()


def gettext(message: str) -> str:
    return translations(get_locale()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(get_locale()).ngettext(singular, plural, n)


_ = gettext

# Starlette's reason phrases, which the error page shows for routing errors (404, 405).
HTTP_REASONS = (N_("Not Found"), N_("Method Not Allowed"))


def country_name(code: str | None) -> str:
    """A 2-letter country code in the current language (CLDR, via Babel): ``VN`` → ``Việt
    Nam``; an unknown code is shown as it is."""
    if not code:
        return "—"
    return str(Locale.parse(get_locale()).territories.get(code.upper(), code))
