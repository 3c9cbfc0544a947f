"""Helpers for the eID account tests: codes read from the local SMS outbox, form tokens, sign-in."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from oncegov.integrations.sms import LocalSmsGateway
from oncegov.registry.models import Citizen
from tests.fixtures import PASSCODE, make_citizen

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PHONE = "0987654321"
NAME = "Nông Văn Dũng"
BIRTH = "17/05/1985"


def last_code(db: Session, phone: str = PHONE) -> str:
    """The code in the newest text message to ``phone``."""
    messages = LocalSmsGateway(db).messages_to(phone)
    assert messages, f"no text message to {phone}"
    found = re.search(r"\b(\d{6})\b", messages[0].body)
    assert found, messages[0].body
    return found[1]


def sms_count(db: Session, phone: str = PHONE) -> int:
    return len(LocalSmsGateway(db).messages_to(phone, limit=100))


def form_token(client: TestClient, path: str) -> str:
    page = client.get(path)
    token = re.search(r'name="form_token" value="([^"]+)"', page.text)
    assert token, f"{path} has no form token"
    return token[1]


def sign_in(
    client: TestClient, personal_id: str, passcode: str = PASSCODE, path: str = "/eid/login"
) -> tuple[int, str, str]:
    """Sign in through the form at ``path`` (its next/level/force kept): status, location, page."""
    token = form_token(client, path)
    query = path.partition("?")[2]
    fields = dict(p.split("=", 1) for p in query.split("&") if p)
    data = {"personal_id": personal_id, "passcode": passcode, "form_token": token}
    for name in ("next", "level", "force"):
        if name in fields:
            data[name] = re.search(rf'name="{name}" value="([^"]*)"', client.get(path).text)[1]  # type: ignore[index]
    data["form_token"] = form_token(client, path)
    response = client.post("/eid/login", data=data, follow_redirects=False)
    return response.status_code, response.headers.get("location", ""), response.text


def flash(html: str) -> str:
    """The error box's text (what the visitor reads)."""
    found = re.search(r'<div class="flash error" role="alert">(.*?)</div>', html, re.S)
    return found[1].strip() if found else ""


@pytest.fixture
def citizen(db: Session) -> Citizen:
    return make_citizen(db, full_name=NAME, birth_year=1985, birth_month=5, birth_day=17)


@pytest.fixture(autouse=True)
def english(client: TestClient) -> None:
    client.cookies.set("oncegov_lang", "en")
