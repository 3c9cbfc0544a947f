"""Medical facilities, health-insurance cards and check-ins.

A check-in is one patient identified at one facility's reception: by the personal ID typed in,
by the chip ID card's QR, or by the eID check-in QR. It is stored in the same transaction as
its audit entry, before the answer is sent.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from oncegov.db import Base
from oncegov.kit import clock

FACILITY_LEVELS = ("provincial_hospital", "regional_health_centre", "commune_health_station")
BENEFIT_LEVELS = (80, 95, 100)
CARD_STATUSES = ("active", "locked")
CHECKIN_METHODS = ("personal_id", "chip_qr", "eid_qr")


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


class MedicalFacility(Base):
    """A medical facility (cơ sở khám chữa bệnh) with its 5-digit code: province + number."""

    __tablename__ = "medical_facilities"
    __table_args__ = (CheckConstraint(f"level IN ({_in(FACILITY_LEVELS)})", name="level_known"),)

    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(30))
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"), index=True)
    address: Mapped[str | None] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=clock.now)


class InsuranceCard(Base):
    """A citizen's health-insurance card. The personal ID now serves as the card number; the
    10-digit social-insurance code stays the insurer's key. One card per citizen, renewed in
    place (``valid_from``/``valid_to`` move), locked by the insurer when suspended."""

    __tablename__ = "insurance_cards"
    __table_args__ = (
        CheckConstraint(
            f"benefit_level IN ({', '.join(map(str, BENEFIT_LEVELS))})", name="benefit_known"
        ),
        CheckConstraint(f"status IN ({_in(CARD_STATUSES)})", name="card_status_known"),
        CheckConstraint("valid_to >= valid_from", name="validity_ordered"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    personal_id: Mapped[str] = mapped_column(
        ForeignKey("citizens.personal_id", ondelete="RESTRICT"), unique=True
    )
    social_insurance_code: Mapped[str] = mapped_column(String(10), unique=True)
    beneficiary_group: Mapped[str] = mapped_column(String(2))  # e.g. DN, HT, TE, HN, DT, GD
    benefit_level: Mapped[int] = mapped_column(Integer)  # percent covered: 80, 95 or 100
    initial_care_facility_code: Mapped[str] = mapped_column(ForeignKey("medical_facilities.code"))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date] = mapped_column(Date)
    five_years_from: Mapped[dt.date | None] = mapped_column(Date)  # 5 continuous years count
    status: Mapped[str] = mapped_column(String(10), default="active")
    locked_reason: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=clock.now)


class CheckIn(Base):
    """One patient checked in at one facility on one (local) day.

    A second check-in of the same person at the same facility on the same day returns the first
    (a reception desk scanning twice is not a second visit). ``audit_seq`` is the audit entry
    written with it; ``warnings`` are the codes shown to the receptionist, space-separated."""

    __tablename__ = "health_checkins"
    __table_args__ = (
        CheckConstraint(f"method IN ({_in(CHECKIN_METHODS)})", name="method_known"),
        UniqueConstraint("facility_code", "personal_id", "day", name="uq_checkin_per_day"),
        Index("ix_health_checkins_person_day", "personal_id", "day"),
        Index("ix_health_checkins_day_facility", "day", "facility_code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    facility_code: Mapped[str] = mapped_column(ForeignKey("medical_facilities.code"))
    personal_id: Mapped[str] = mapped_column(String(12))
    day: Mapped[dt.date] = mapped_column(Date)
    checked_in_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    method: Mapped[str] = mapped_column(String(12))
    benefit_level: Mapped[int | None] = mapped_column(Integer)
    initial_care_here: Mapped[bool] = mapped_column(Boolean, default=False)
    warnings: Mapped[str] = mapped_column(String(300), default="")
    audit_seq: Mapped[int] = mapped_column(Integer)
