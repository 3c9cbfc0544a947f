"""What the headless-Chromium tests share: signing an officer in, catching script errors and
CSP refusals, and optional screenshots (``ONCEGOV_SCREENSHOTS=/dir``)."""

from __future__ import annotations

import os
from pathlib import Path

import pyotp
from playwright.sync_api import Page, expect

from tests.fixtures import OfficerLogin


def sign_in(page: Page, base_url: str, officer: OfficerLogin, *, at: float | None = None) -> None:
    """Password and the TOTP code of right now (or of the server's time ``at``, a Unix time,
    when the server's clock was moved), then the officer's home page."""
    page.goto(base_url + "/login")
    page.fill("#username", officer.username)
    page.fill("#password", officer.password)
    totp = pyotp.TOTP(officer.totp_secret)
    page.fill("#otp", totp.now() if at is None else totp.at(at))
    page.click("form[action='/login'] button[type=submit]")
    expect(page).to_have_url(base_url + "/officer")


def watch(page: Page) -> list[str]:
    """The page's script errors and Content-Security-Policy refusals, collected as they come."""
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "console",
        lambda message: (
            problems.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return problems


def screenshot(page: Page, name: str) -> None:
    folder = os.environ.get("ONCEGOV_SCREENSHOTS")
    if folder:
        # caret="initial": hiding the caret would inject a style sheet, which the CSP refuses.
        page.screenshot(path=str(Path(folder) / name), full_page=True, caret="initial")
