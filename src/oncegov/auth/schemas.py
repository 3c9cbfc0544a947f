"""Authenticated subjects handed to routes as typed dependencies."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from oncegov.kit.actor import Actor
from oncegov.units.schemas import UnitScope


@dataclass(frozen=True)
class Principal:
    """An authenticated officer or service client, with what it may do and where."""

    kind: str  # officer | service
    id: int
    name: str
    display_name: str
    permissions: frozenset[str]
    scopes: dict[str, UnitScope] = field(default_factory=dict)  # permission -> scope
    # permission -> codes of the agencies it is held for (agency-scoped roles and tokens, e.g.
    # a medical facility's reception); empty for unit-scoped permissions.
    agencies: dict[str, frozenset[str]] = field(default_factory=dict)
    agency: str | None = None
    session_id: int | None = None
    csrf_token: str | None = None

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    def scope_for(self, permission: str) -> UnitScope:
        return self.scopes.get(permission, UnitScope(frozenset()))

    def agencies_for(self, permission: str) -> frozenset[str]:
        return self.agencies.get(permission, frozenset())

    def actor(self, channel: str = "web") -> Actor:
        return Actor(
            kind=self.kind,
            id=self.name,
            name=self.display_name,
            agency=self.agency,
            channel=channel,
        )


@dataclass(frozen=True)
class Authorized:
    """A principal checked for one permission, with the unit scope that permission carries."""

    principal: Principal
    permission: str
    scope: UnitScope

    def actor(self, channel: str = "web") -> Actor:
        return self.principal.actor(channel)


@dataclass(frozen=True)
class CitizenPrincipal:
    """A citizen signed in with their eID account (``account_id`` is the eID account's id).

    ``level`` is the level proven at this login (1 or 2), ``amr`` how (RFC 8176 values) and
    ``auth_time`` when; the OpenID Connect provider puts these into ID tokens.
    """

    account_id: int
    personal_id: str
    level: int
    amr: tuple[str, ...]
    auth_time: dt.datetime
    session_id: int
    csrf_token: str

    def actor(self, channel: str = "web") -> Actor:
        return Actor(kind="citizen", id=self.personal_id, name=self.personal_id, channel=channel)
