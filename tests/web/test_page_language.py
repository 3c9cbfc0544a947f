"""Every main page speaks one language: a Vietnamese page shows no English message id and no
raw code (roles, relationships, sexes, countries, actors, purposes), an English page no
Vietnamese sentence from the catalogue. Walks the pages of each demo role and a citizen."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from oncegov.web.i18n import TRANSLATIONS_DIR
from tests.web.demo_site import DemoSite, main_pages, speaking

# Raw values that must never reach a reader, whatever the page (whole text nodes or words).
RAW_NODES = re.compile(
    r"^(?:M|F|VN|head|child|spouse|living|deceased|login|open|corrected|pending|active)$"
)
RAW_ANYWHERE = re.compile(
    r"system:cli|officer:|citizen:|service:|Demo population|Not Found|Missing: [a-z_]|"
    r"sector data synchronisation|relying-party management|household_code|"
    r"\b(?:provincial_officer|commune_officer|id_card_officer|linkage_clerk|"
    r"facility_receptionist|health_statistician)\b|\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}"
)


class _Text(HTMLParser):
    """The text a reader sees: text nodes and the labels of inputs and options."""

    def __init__(self) -> None:
        super().__init__()
        self.nodes: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "code", "pre", "textarea"):
            self._hidden += 1
        values = dict(attrs)
        for name in ("placeholder", "title", "aria-label", "alt"):
            if values.get(name):
                self.nodes.append(str(values[name]).strip())

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "code", "pre", "textarea"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.nodes.append(" ".join(data.split()))


def visible_text(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    return parser.nodes


def _catalogue() -> list[tuple[str, str]]:
    path = Path(TRANSLATIONS_DIR) / "vi" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        return [(str(m.id), str(m.string)) for m in read_po(handle) if m.id and m.string]


def _sentences(texts: Iterator[str]) -> list[str]:
    """Catalogue entries long enough to be recognised inside a text (3 words or more), each
    cut at its first placeholder."""
    found = []
    for text in texts:
        head = re.split(r"%\(\w+\)s|%s|\{\w*\}", text)[0].strip(" :,.(")
        if len(head.split()) >= 3 and len(head) >= 14:
            found.append(head)
    return found


TRANSLATED = [(msgid, msgstr) for msgid, msgstr in _catalogue() if msgid != msgstr]
ENGLISH_WHOLE = {msgid for msgid, _ in TRANSLATED if not re.search(r"%\(|%s", msgid)}
ENGLISH_SENTENCES = _sentences(msgid for msgid, _ in TRANSLATED)
VIETNAMESE_SENTENCES = _sentences(msgstr for _, msgstr in TRANSLATED)
# Short translations written with Vietnamese letters ("Chủ hộ", "Còn sống"): as whole texts.
VIETNAMESE_WHOLE = {
    msgstr for _, msgstr in TRANSLATED if not re.search(r"%\(|%s", msgstr) and not msgstr.isascii()
}
# Short ids that are also words of proper names or data (never flagged as whole nodes).
NOT_MESSAGES = {"OnceGov", "EN", "VI", "QR", "ID", "OK", "SMS", "eID", "—", "#", "·"}


def english_in(nodes: list[str]) -> list[str]:
    problems = []
    for node in nodes:
        if node in ENGLISH_WHOLE and node not in NOT_MESSAGES:
            problems.append(f"message id {node!r}")
            continue
        if RAW_NODES.match(node):
            problems.append(f"raw code {node!r}")
        if raw := RAW_ANYWHERE.search(node):
            problems.append(f"raw {raw[0]!r} in {node!r}")
        problems += [f"English {s!r} in {node!r}" for s in ENGLISH_SENTENCES if s in node]
    return problems


def vietnamese_in(nodes: list[str]) -> list[str]:
    whole = [f"Vietnamese {node!r}" for node in nodes if node in VIETNAMESE_WHOLE]
    return whole + [f"Vietnamese {s!r} in {node!r}" for node in nodes
                    for s in VIETNAMESE_SENTENCES if s in node]  # fmt: skip


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_main_page_speaks_the_reader_s_language(demo_site: DemoSite, lang: str) -> None:
    problems: dict[str, list[str]] = {}
    for who, path in main_pages(demo_site):
        page = speaking(demo_site.clients[who], lang).get(path)
        assert page.status_code == 200, (who, path, page.status_code)
        assert f'<html lang="{lang}">' in page.text, (who, path)
        nodes = visible_text(page.text)
        found = english_in(nodes) if lang == "vi" else vietnamese_in(nodes)
        if found:
            problems[f"{who} {path}"] = sorted(set(found))
    report = "\n".join(f"{page}: {found}" for page, found in problems.items())
    assert not problems, report


def test_the_checks_recognise_english_and_raw_codes() -> None:
    # The detectors themselves: each kind of fault found, a clean Vietnamese text passes.
    assert english_in(["Citizens"]) == ["message id 'Citizens'"]
    assert english_in(["F"]) and english_in(["head"]) and english_in(["VN"])
    assert english_in(["officer:pc06.demo"]) and english_in(["Demo population"])
    assert english_in(["Công dân", "Nam", "Chủ hộ", "Việt Nam"]) == []
    assert vietnamese_in(["Tra cứu công dân theo số định danh cá nhân hoặc họ tên"])
    assert vietnamese_in(["Chủ hộ"]) and vietnamese_in(["Nông Văn Dũng", "Head of household"]) == []


def test_a_missing_page_is_explained_in_vietnamese(demo_site: DemoSite) -> None:
    page = speaking(demo_site.clients["anonymous"], "vi").get("/no-such-page")
    assert page.status_code == 404
    nodes = visible_text(page.text)
    assert "Không tìm thấy trang này" in nodes and english_in(nodes) == []
