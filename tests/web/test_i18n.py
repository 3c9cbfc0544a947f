"""Vietnamese by default, English on request; every message has a Vietnamese translation."""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from oncegov.web.i18n import TRANSLATIONS_DIR


def _catalog(locale: str) -> list[tuple[str, str]]:
    path = Path(TRANSLATIONS_DIR) / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle)
    return [(str(m.id), str(m.string)) for m in catalog if m.id]


def test_every_message_is_translated_into_vietnamese() -> None:
    untranslated = [msgid for msgid, msgstr in _catalog("vi") if not msgstr]
    assert untranslated == []


def test_catalogue_covers_what_the_templates_use() -> None:
    msgids = {msgid for msgid, _ in _catalog("vi")}
    assert {"Sign in", "Officer sign-in", "Password", "Citizens"} <= msgids


def test_pages_are_vietnamese_by_default(client: TestClient) -> None:
    page = client.get("/login")
    assert '<html lang="vi">' in page.text
    assert "Đăng nhập" in page.text


def test_english_on_request_and_remembered(client: TestClient) -> None:
    page = client.get("/login?lang=en")
    assert '<html lang="en">' in page.text
    assert "Officer sign-in" in page.text
    again = client.get("/login")
    assert '<html lang="en">' in again.text


def test_unknown_locale_falls_back_to_vietnamese(client: TestClient) -> None:
    page = client.get("/login?lang=xx")
    assert '<html lang="vi">' in page.text
