"""Factories for the health tests: facilities, insurance cards, facility credentials."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from sqlalchemy.orm import Session

from oncegov.auth import service as auth
from oncegov.auth.roles import HEALTH_CHECKIN
from oncegov.health import service as health
from oncegov.health.models import InsuranceCard, MedicalFacility
from oncegov.kit import clock
from oncegov.registry.models import Citizen
from tests.fixtures import COMMUNE_A, OfficerLogin, make_officer

HOSPITAL = "04001"
STATION = "04101"
_codes = itertools.count(1)


def make_facility(db: Session, code: str = HOSPITAL, **overrides: Any) -> MedicalFacility:
    values: dict[str, Any] = {
        "code": code,
        "name": f"Cơ sở y tế {code}",
        "level": "provincial_hospital",
        "commune_code": COMMUNE_A,
        "address": "Phường Thục Phán",
        "is_active": True,
    }
    values.update(overrides)
    facility = MedicalFacility(**values)
    db.add(facility)
    db.flush()
    health.forget_facilities()  # the in-process facility cache must not outlive the test
    return facility


def make_card(db: Session, citizen: Citizen, **overrides: Any) -> InsuranceCard:
    today = clock.today()
    values: dict[str, Any] = {
        "personal_id": citizen.personal_id,
        "social_insurance_code": f"04{next(_codes):08d}",
        "beneficiary_group": "GD",
        "benefit_level": 80,
        "initial_care_facility_code": HOSPITAL,
        "valid_from": today - dt.timedelta(days=100),
        "valid_to": today + dt.timedelta(days=265),
        "five_years_from": today - dt.timedelta(days=800),
        "status": "active",
    }
    values.update(overrides)
    card = InsuranceCard(**values)
    db.add(card)
    db.flush()
    return card


def facility_token(db: Session, code: str = HOSPITAL, name: str | None = None) -> str:
    """The bearer token of a facility's hospital system."""
    return auth.create_service_token(
        db,
        name=name or f"his-{code}-{next(_codes)}",
        permissions=[HEALTH_CHECKIN],
        scope_kind="agency",
        scope_code=code,
    )


def receptionist(db: Session, code: str = HOSPITAL, username: str = "letan.test") -> OfficerLogin:
    return make_officer(db, username, ("facility_receptionist", "agency", code))
