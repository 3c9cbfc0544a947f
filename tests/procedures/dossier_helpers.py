"""Shared set-up of the dossier tests: the bundled catalogue, an applicant, a clock at a
chosen Vietnamese moment, officers' role scopes."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from oncegov.kit import clock
from oncegov.kit.actor import Actor
from oncegov.procedures.catalogue import service as catalogue
from oncegov.registry.models import Citizen
from oncegov.units.schemas import UnitScope
from tests.fixtures import COMMUNE_A, make_citizen

VN = ZoneInfo("Asia/Ho_Chi_Minh")
TEMPORARY_RESIDENCE = "1.004194"


def at(monkeypatch: pytest.MonkeyPatch, *args: int) -> dt.datetime:
    """Set the one clock to a Vietnamese local moment (year, month, day, hour[, minute])."""
    moment = dt.datetime(*args, tzinfo=VN).astimezone(dt.UTC)  # type: ignore[misc]
    monkeypatch.setattr(clock, "now", lambda: moment)
    return moment


def load(db: Session) -> None:
    report = catalogue.load_catalogue(db)
    assert report.ok, report.problems


def applicant(db: Session, **overrides: object) -> tuple[Citizen, Actor]:
    citizen = make_citizen(db, phone="0912345678", **overrides)
    return citizen, Actor(kind="citizen", id=citizen.personal_id, name=citizen.personal_id)


def officer(name: str) -> Actor:
    return Actor(kind="officer", id=name, name=name)


def roles_in(commune: str = COMMUNE_A, *names: str) -> dict[str, UnitScope]:
    scope = UnitScope(frozenset({commune}))
    return dict.fromkeys(names or ("receiver", "processor", "approver"), scope)


TYPED = {
    "temporary_address": "Số 5, tổ 2, phường Thục Phán",
    "stay_until": "30/06/2027",
    "lawful_residence_proof": "Hợp đồng thuê nhà số 12/2026",
}
