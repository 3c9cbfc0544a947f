"""End to end in headless Chromium, in the Vietnamese UI: a citizen registers an eID account
(name typed without diacritics, a portrait photo), reads the activation code from the demo SMS
outbox, activates with a passcode, signs in, and sees on "Who accessed my data" the entries
that registration and sign-in wrote about them."""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from oncegov.audit.models import AuditEntry
from oncegov.identity.accounts.models import EidAccount
from oncegov.web import i18n
from tests.web.conftest import LiveApp

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PHONE = "0987111222"
PASSCODE = "860427"  # not a run, not one digit, not the birth date (170585)


def _png(path: Path, size: int = 16) -> Path:
    """A small valid RGB PNG (a gradient), written by hand: Pillow is not a dependency."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(
        b"\x00" + bytes(v for x in range(size) for v in (x * 16, y * 16, 128)) for y in range(size)
    )
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    path.write_bytes(
        PNG_SIGNATURE
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
    return path


def vi(message: str) -> str:
    """What the Vietnamese UI shows for ``message`` (the catalogue as the live app loads it)."""
    i18n.set_locale("vi")
    try:
        return i18n.gettext(message)
    finally:
        i18n.set_locale("en")


@pytest.fixture
def vi_page(browser: Browser, live_app: LiveApp) -> Iterator[Page]:
    """A fresh browser context with no language cookie: the default locale, Vietnamese."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    try:
        yield tab
    finally:
        context.close()


@pytest.mark.browser
def test_citizen_registers_activates_signs_in_and_sees_who_accessed_their_data(
    vi_page: Page, live_app: LiveApp, tmp_path: Path
) -> None:
    page = vi_page
    base = live_app.base_url
    personal_id = live_app.seeded.citizen_id  # Nông Văn Dũng, born 17/05/1985
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "console",
        lambda message: (
            problems.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )

    # 1. Register: the name typed without diacritics, a portrait photo from disk.
    page.goto(base + "/eid/register")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    page.fill("#personal_id", personal_id)
    page.fill("#full_name", "nong van dung")
    page.fill("#date_of_birth", "17/05/1985")
    page.fill("#phone", PHONE)
    page.set_input_files("#portrait", str(_png(tmp_path / "chan-dung.png")))
    page.click("form[action='/eid/register'] button[type=submit]")
    expect(page.locator("form[action='/eid/activate']")).to_be_visible()
    expect(page.locator("#personal_id")).to_have_value(personal_id)

    # 2. The code from the demo SMS outbox, then activation with a passcode.
    page.goto(f"{base}/eid/sms?phone={PHONE}")
    body = page.locator("td.sms-body").first.inner_text()
    found = re.search(r"\b(\d{6})\b", body)
    assert found, body
    page.goto(f"{base}/eid/activate?personal_id={personal_id}")
    page.fill("#code", found[1])
    page.fill("#passcode", PASSCODE)
    page.fill("#passcode_repeat", PASSCODE)
    page.click("form[action='/eid/activate'] button[type=submit]")
    expect(page.locator("h1")).to_have_text(vi("Your eID account is active"))

    # 3. Sign in at level 1 and land on the default page (its content is not ours to check).
    page.goto(base + "/eid/login")
    page.fill("#personal_id", personal_id)
    page.fill("#passcode", PASSCODE)
    page.click("form[action='/eid/login'] button[type=submit]")
    expect(page).to_have_url(re.compile(r"/me$"))

    # 4. "Who accessed my data", through the header link.
    page.goto(base + "/me/access")
    expect(page.locator("h1")).to_have_text(vi("Who accessed my data"))
    entries = page.locator("#access-entries tr.access-entry")
    expect(entries.first).to_be_visible()
    # The registration's registry check, the automatic check at sign-in, the account itself.
    registration_read = entries.filter(
        has=page.locator("td.what", has_text=vi("Your registry record"))
    ).filter(has=page.locator("td.purpose", has_text=vi("eID self-registration")))
    expect(registration_read).to_have_count(1)
    expect(registration_read.locator("td.who")).to_have_text(
        vi("eID registration (automatic check of the details you typed)")
    )
    expect(registration_read).to_have_attribute("data-kind", "system")
    expect(
        entries.filter(has=page.locator("td.purpose", has_text=vi("eID sign-in")))
    ).to_have_count(1)
    expect(
        entries.filter(has=page.locator("td.what", has_text=vi("Your eID account: registered")))
    ).to_have_count(1)
    refs = [int(r) for r in entries.evaluate_all("rows => rows.map(r => r.dataset.ref)")]
    kinds = entries.evaluate_all("rows => rows.map(r => r.dataset.kind)")
    assert refs == sorted(refs, reverse=True) and len(refs) >= 4
    # The activation read the birth date (for the passcode rules) as the citizen: "You".
    assert "you" in kinds and kinds.count("system") >= 3

    # Filter to the system's entries only: the citizen's own ones go away.
    page.select_option("#actor", "system")
    page.click("#access-filters button[type=submit]")
    expect(page).to_have_url(re.compile(r"actor=system"))
    shown = page.locator("#access-entries tr.access-entry")
    expect(shown).to_have_count(kinds.count("system"))
    expect(page.locator("#access-entries tr.access-entry[data-kind='system']")).to_have_count(
        kinds.count("system")
    )

    shot = tmp_path / "access.png"
    page.screenshot(path=str(shot), full_page=True)
    data = shot.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 10_000
    assert problems == []

    # What the browser did was committed by the real request cycle.
    with Session(live_app.engine) as session:
        account = session.scalar(select(EidAccount).where(EidAccount.personal_id == personal_id))
        assert account is not None and (account.status, account.level) == ("active", 1)
        assert account.portrait is not None and account.portrait.startswith(PNG_SIGNATURE)
        about = set(
            session.scalars(
                select(AuditEntry.seq).where(AuditEntry.subject_personal_id == personal_id)
            )
        )
        assert set(refs) == about
