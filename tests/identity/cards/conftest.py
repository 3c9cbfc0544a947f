"""Shared helpers for the chip ID-card tests: a fixed "now", scopes, intakes that agree with
the registry, and officers of the ID-card desk in two communes and at the province."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy.orm import Session

from oncegov.identity.cards.schemas import Intake
from oncegov.kit.actor import Actor
from oncegov.registry.models import Citizen
from oncegov.units import service as units
from oncegov.units.schemas import UnitScope
from tests.fixtures import CAO_BANG, COMMUNE_A, COMMUNE_B, OfficerLogin, make_officer

# 28 November 2026, 10:00 in Cao Bằng (UTC+7).
NOW = dt.datetime(2026, 11, 28, 3, 0, tzinfo=dt.UTC)
DESK_A = Actor("officer", "cccd.thucphan", "Officer Thục Phán", channel="web")
DESK_B = Actor("officer", "cccd.nungtricao", "Officer Nùng Trí Cao", channel="web")
SCOPE_A = UnitScope(frozenset({COMMUNE_A}))
SCOPE_B = UnitScope(frozenset({COMMUNE_B}))


def province_scope(db: Session) -> UnitScope:
    return UnitScope(units.commune_codes_of_province(db, CAO_BANG))


def intake_for(citizen: Citizen, **overrides: Any) -> Intake:
    """An intake whose declared data agrees with the citizen's registry record."""
    birth = f"{citizen.birth_day}/{citizen.birth_month}/{citizen.birth_year}"
    values: dict[str, Any] = {
        "personal_id": citizen.personal_id,
        "kind": "first_issue",
        "full_name": citizen.full_name,
        "date_of_birth": birth,
        "sex": citizen.sex,
        "portrait_captured": True,
        "fingerprints_captured": True,
        "delivery": "station",
    }
    values.update(overrides)
    return Intake(**values)


@pytest.fixture
def desk_b(db: Session) -> OfficerLogin:
    return make_officer(db, "cccd.nungtricao", ("id_card_officer", "commune", COMMUNE_B))


@pytest.fixture
def provincial_desk(db: Session) -> OfficerLogin:
    return make_officer(db, "cccd.pc06", ("id_card_officer", "province", CAO_BANG))
