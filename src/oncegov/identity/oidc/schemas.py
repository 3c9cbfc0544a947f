"""Pydantic shapes of the OpenID Connect provider: client registration in and out."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from oncegov.kit.text import PlainText

if TYPE_CHECKING:
    from oncegov.identity.oidc.models import OidcClient


class ClientForm(BaseModel):
    """What an administrator gives to register or edit a relying party."""

    name: PlainText = Field(max_length=200)
    agency: PlainText = Field(max_length=200)
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str] = Field(default_factory=list)
    scopes: list[str] = Field(default_factory=lambda: ["openid"])
    max_level: int = 2
    auth_method: str = "client_secret_basic"
    jwks: str | None = None
    require_nonce: bool = False


class ClientView(BaseModel):
    client_id: str
    name: str
    agency: str
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str]
    scopes: list[str]
    max_level: int
    auth_method: str
    require_nonce: bool
    enabled: bool
    created_at: dt.datetime

    @classmethod
    def of(cls, client: OidcClient) -> ClientView:
        return cls(
            client_id=client.client_id,
            name=client.name,
            agency=client.agency,
            redirect_uris=client.redirect_uris.split(),
            post_logout_redirect_uris=client.post_logout_redirect_uris.split(),
            scopes=client.scopes.split(),
            max_level=client.max_level,
            auth_method=client.auth_method,
            require_nonce=client.require_nonce,
            enabled=client.enabled,
            created_at=client.created_at,
        )


class NewClient(BaseModel):
    client: ClientView
    secret: str | None  # shown once; only its keyed hash is stored
