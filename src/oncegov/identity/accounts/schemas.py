"""eID account shapes: API input and output models, and views the pages render."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace

from pydantic import BaseModel, Field

from oncegov.kit.text import PersonName


@dataclass(frozen=True)
class RegistrationForm:
    """What a citizen types to register at level 1 (page or API)."""

    personal_id: str
    full_name: str
    date_of_birth: str  # dd/mm/yyyy
    phone: str
    portrait: bytes
    channel: str = "web"  # web | api


class RegistrationIn(BaseModel):
    personal_id: str = Field(max_length=12, examples=["004085000001"])
    full_name: PersonName = Field(max_length=120, examples=["Nông Văn Dũng"])
    date_of_birth: str = Field(max_length=10, description="dd/mm/yyyy", examples=["17/05/1985"])
    phone: str = Field(max_length=20, examples=["0912345678"])
    portrait_base64: str = Field(description="JPEG or PNG, at most 2 MB, base64-encoded")


class RegistrationOut(BaseModel):
    status: str  # pending
    message: str


class ActivationIn(BaseModel):
    personal_id: str = Field(max_length=12)
    code: str = Field(max_length=6, description="The 6-digit code texted to the phone")
    passcode: str = Field(max_length=6, description="The new 6-digit passcode")


class AccountStatusOut(BaseModel):
    status: str
    level: int


class ResetIn(BaseModel):
    personal_id: str = Field(max_length=12)
    full_name: PersonName = Field(max_length=120)
    date_of_birth: str = Field(max_length=10, description="dd/mm/yyyy")
    phone: str = Field(max_length=20)


class ResetConfirmIn(BaseModel):
    personal_id: str = Field(max_length=12)
    code: str = Field(max_length=6)
    passcode: str = Field(max_length=6)


class MessageOut(BaseModel):
    message: str


@dataclass(frozen=True)
class SessionView:
    id: int
    created_at: dt.datetime
    last_seen_at: dt.datetime
    ip: str | None
    user_agent: str | None
    auth_level: int | None
    current: bool


@dataclass(frozen=True)
class AccountView:
    """The citizen's "My account" page (phone masked)."""

    personal_id: str
    level: int
    pending_level: int | None
    status: str
    phone_masked: str
    activated_at: dt.datetime | None
    last_login_at: dt.datetime | None
    sessions: list[SessionView]


@dataclass(frozen=True)
class OfficerAccountView:
    """What the police desk sees about an account."""

    personal_id: str
    full_name: str
    account_id: int | None
    level: int | None
    pending_level: int | None
    status: str | None
    phone_masked: str | None
    locked_by: str | None
    lock_reason: str | None
    level2_verified_at: dt.datetime | None
    level2_verified_by: str | None


@dataclass(frozen=True)
class LoginEventView:
    created_at: dt.datetime
    event: str  # what the citizen sees: failures are just "login_failed"
    ip: str | None
    client_id: str | None
    service_name: str | None = None  # the relying party's name, when the event names one


@dataclass(frozen=True)
class LoginHistoryPage:
    """One page of a citizen's login history. Events of tokens carry the relying party's client
    id; the accounts do not know the parties' names (the OpenID Connect provider above them
    does), so the page that shows the history names them with ``naming_services``."""

    events: list[LoginEventView]
    page: int
    pages: int
    total: int

    @property
    def client_ids(self) -> set[str]:
        return {e.client_id for e in self.events if e.client_id}

    def naming_services(self, names: Mapping[str, str]) -> LoginHistoryPage:
        """This page with each event's relying party named from ``names`` (client id → name)."""
        named = [
            replace(e, service_name=names.get(e.client_id)) if e.client_id else e
            for e in self.events
        ]
        return replace(self, events=named)


@dataclass(frozen=True)
class SignInStep:
    """Outcome of the passcode step: signed in (``session_token``), a second factor to enter
    (``pending_token``), or a level-1 account where level 2 is required (``level_refused``)."""

    session_token: str | None = None
    pending_token: str | None = None
    level_refused: bool = False
    next_path: str = "/me"
