"""The portal's typed shapes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PortalCitizen:
    """The citizen behind a portal session: what the provider asserted at sign-in."""

    personal_id: str
    acr: int  # the eID level of this sign-in: 1 or 2
    session_id: int
    csrf_token: str
    full_name: str = ""


@dataclass(frozen=True)
class ApiCitizen:
    """The citizen an API call's bearer access token speaks for."""

    personal_id: str
    acr: int  # the eID level of the sign-in behind the token
    client_id: str


@dataclass(frozen=True)
class LoginStart:
    """Where to send the browser, and the cookie that binds the sign-in to it."""

    authorization_url: str
    binding_token: str


@dataclass(frozen=True)
class SignedIn:
    session_token: str
    next_path: str
