"""Helpers for the eID account tests: codes read from the local SMS outbox, form tokens."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from oncegov.integrations.sms import LocalSmsGateway
from oncegov.registry.models import Citizen
from tests.fixtures import make_citizen

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
