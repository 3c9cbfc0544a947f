"""The marker of translatable message ids, kept at the bottom layer so that every layer (the
error family included) can mark its messages without importing the web layer's catalogues.
``make i18n-extract`` finds the marked strings by the keyword ``N_``; ``web.i18n`` translates
them when they are shown."""

from __future__ import annotations


def N_(message: str) -> str:  # noqa: N802 - the conventional name for "mark for extraction"
    """Marks a string for extraction without translating it yet (translated when shown)."""
    return message
