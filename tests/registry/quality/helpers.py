"""Helpers for the data-quality tests: a clean family, a run, findings by rule."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from oncegov.kit.actor import Actor
from oncegov.registry.models import Citizen, Household
from oncegov.registry.quality import service
from oncegov.registry.quality.models import QualityFinding
from oncegov.registry.quality.schemas import RunOut
from oncegov.units.schemas import UnitScope
from tests.fixtures import COMMUNE_A, COMMUNE_B, make_citizen, make_household, personal_id_for

TODAY = dt.date(2026, 11, 28)
EVERYWHERE = UnitScope(None)
ACTOR = Actor.system("quality-test")


def run(db: Session) -> RunOut:
    return service.run_checks(db, ACTOR, today=TODAY)


def findings(db: Session, rule: str | None = None) -> dict[str, QualityFinding]:
    """Stored findings by subject key (every status)."""
    query = select(QualityFinding)
    if rule:
        query = query.where(QualityFinding.rule == rule)
    return {f.subject_key: f for f in db.scalars(query)}


def member(db: Session, household: Household, relationship: str, **values: Any) -> Citizen:
    values.setdefault("permanent_commune_code", household.commune_code)
    values.setdefault("current_commune_code", household.commune_code)
    return make_citizen(
        db, household_code=household.code, relationship_to_head=relationship, **values
    )


def family(
    db: Session, code: str, commune: str = COMMUNE_A, head_year: int = 1970
) -> tuple[Household, Citizen, list[Citizen]]:
    """A household with nothing wrong: head, spouse, two children, a parent of the head."""
    household = make_household(db, code, commune)
    head = member(db, household, "head", sex="M", birth_year=head_year, full_name="Bế Văn Hùng")
    others = [
        member(
            db,
            household,
            "spouse",
            sex="F",
            birth_year=head_year + 2,
            full_name="Lục Thị Mai",
            spouse_personal_id=head.personal_id,
        ),
        member(db, household, "child", sex="F", birth_year=head_year + 25, full_name="Bế Thị Lan"),
        member(db, household, "child", sex="M", birth_year=head_year + 12, full_name="Bế Văn Nam"),
        member(
            db,
            household,
            "parent",
            sex="F",
            birth_year=head_year - 12,
            full_name="Hoàng Thị Hoa",
            date_of_death=None,
        ),
    ]
    head.spouse_personal_id = others[0].personal_id
    household.head_personal_id = head.personal_id
    db.flush()
    return household, head, others


def id_inconsistent_pair(db: Session) -> tuple[Citizen, Citizen]:
    """Two citizens whose IDs encode the wrong sex: one in commune A, one in commune B."""
    own = make_citizen(db, sex="F", birth_year=1985, personal_id=personal_id_for("M", 1985))
    other = make_citizen(
        db,
        sex="F",
        birth_year=1990,
        personal_id=personal_id_for("M", 1990),
        permanent_commune_code=COMMUNE_B,
        current_commune_code=COMMUNE_B,
    )
    return own, other
