"""Pydantic shapes of the OpenID Connect provider: client registration in and out."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, Field, ValidationError

from oncegov.errors import ValidationFailed
from oncegov.kit.schema_types import Instant
from oncegov.kit.text import PlainText
from oncegov.translatable import N_

if TYPE_CHECKING:
    from oncegov.identity.oidc.models import OidcClient


Scope = Literal["openid", "profile", "birthdate", "address", "phone", "personal_id"]
AuthMethod = Literal["client_secret_basic", "private_key_jwt"]
Level = Literal[1, 2]
RedirectUri = Annotated[
    str,
    Field(
        max_length=2000,
        description="Matched exactly: https, or http only on a loopback address "
        "(127.0.0.1, [::1], localhost; RFC 8252); no wildcard, no fragment.",
        examples=["https://service.example.gov.vn/callback"],
    ),
]


def _openid_only() -> list[Scope]:
    return ["openid"]


class ClientForm(BaseModel):
    """What an administrator gives to register or edit a relying party."""

    name: PlainText = Field(max_length=200)
    agency: PlainText = Field(max_length=200)
    redirect_uris: list[RedirectUri] = Field(min_length=1, max_length=20)
    post_logout_redirect_uris: list[RedirectUri] = Field(default_factory=list, max_length=20)
    scopes: list[Scope] = Field(default_factory=_openid_only, max_length=6)
    max_level: Level = 2
    auth_method: AuthMethod = "client_secret_basic"
    jwks: str | None = Field(default=None, max_length=20000)
    require_nonce: bool = False


# The message of a form that the model refuses, by field (the service checks the rest).
_REFUSED: dict[str, str] = {
    "max_level": N_("Maximum level must be 1 or 2"),
    "auth_method": N_("Unknown authentication method"),
    "scopes": N_("Scopes must include openid and only known scopes"),
    "redirect_uris": N_("At least one redirect URI is required"),
}


def client_form(**fields: Any) -> ClientForm:
    """A ``ClientForm`` from the pages' or the CLI's values: refused with the field named, as
    the service refuses, rather than with pydantic's error."""
    try:
        return ClientForm(**fields)
    except ValidationError as exc:
        field = str(exc.errors()[0]["loc"][0])
        message = _REFUSED.get(field, N_("This value is not allowed here"))
        raise ValidationFailed(message, field=field) from None


class ClientView(BaseModel):
    client_id: str
    name: str
    agency: str
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str]
    scopes: list[Scope]
    max_level: Level
    auth_method: AuthMethod
    require_nonce: bool
    enabled: bool
    created_at: Instant

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
