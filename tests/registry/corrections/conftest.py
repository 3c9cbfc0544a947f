"""Helpers for the correction-request tests: a citizen of commune A with an eID account."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from oncegov.audit.models import AuditEntry
from oncegov.identity.accounts.models import EidAccount
from oncegov.kit.actor import Actor
from oncegov.registry.corrections.schemas import CorrectionFiling
from oncegov.registry.models import Citizen
from oncegov.units.schemas import UnitScope
from tests.fixtures import COMMUNE_A, COMMUNE_B, make_citizen, make_eid_account

IN_A = UnitScope(frozenset({COMMUNE_A}))
IN_B = UnitScope(frozenset({COMMUNE_B}))
EVERYWHERE = UnitScope(None)
OFFICER_A = Actor(kind="officer", id="xa.thucphan", name="Officer A")
OFFICER_B = Actor(kind="officer", id="xa.nungtricao", name="Officer B")


def filing(
    fields: tuple[str, ...] = ("full_name",),
    description: str = "My name is spelt Nông Văn Dũng, not Nông Văn Dung",
    proposed_value: str | None = "Nông Văn Dũng",
) -> CorrectionFiling:
    return CorrectionFiling(
        fields=list(fields), description=description, proposed_value=proposed_value
    )


def audit_entries(db: Session, action: str) -> list[AuditEntry]:
    return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action)))


@pytest.fixture
def citizen(db: Session) -> Citizen:
    return make_citizen(db, full_name="Nông Văn Dung", sex="M", birth_year=1985)


@pytest.fixture
def account(db: Session, citizen: Citizen) -> EidAccount:
    return make_eid_account(db, citizen, level=2)


def citizen_actor(citizen: Citizen) -> Actor:
    return Actor(kind="citizen", id=citizen.personal_id, name=citizen.personal_id)
