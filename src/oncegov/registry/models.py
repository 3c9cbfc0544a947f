"""Registry tables: citizens, households and their change history (units: ``units.models``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
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
from oncegov.units.models import Commune  # the units' table, so its foreign keys resolve


class Household(Base):
    __tablename__ = "households"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    commune_code: Mapped[str] = mapped_column(ForeignKey(Commune.code), index=True)
    address: Mapped[str] = mapped_column(String(200))
    # The head is a citizen of this household; kept by personal ID so households can be loaded
    # before their members. Consistency is a data-quality rule, not a constraint.
    head_personal_id: Mapped[str | None] = mapped_column(String(12), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=clock.now)


class Citizen(Base):
    __tablename__ = "citizens"
    __table_args__ = (
        CheckConstraint("sex IN ('M', 'F')", name="sex_known"),
        CheckConstraint("status IN ('living', 'deceased', 'missing')", name="status_known"),
        CheckConstraint("birth_month IS NULL OR birth_month BETWEEN 1 AND 12", name="month_range"),
        CheckConstraint("birth_day IS NULL OR birth_month IS NOT NULL", name="day_needs_month"),
        Index("ix_citizens_name_birth", "name_key", "birth_year"),
        Index("ix_citizens_folded_name", "folded_name"),
        # A parent's children, for public-service forms about a child (registry.relatives).
        Index("ix_citizens_father", "father_personal_id"),
        Index("ix_citizens_mother", "mother_personal_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    personal_id: Mapped[str] = mapped_column(String(12), unique=True)
    old_id_number: Mapped[str | None] = mapped_column(String(9), index=True)
    full_name: Mapped[str] = mapped_column(String(120))
    # Derived match keys (kit.text): folded for prefix search, name_key for order-free match.
    folded_name: Mapped[str] = mapped_column(String(120))
    name_key: Mapped[str] = mapped_column(String(120))
    # Real old records know only the year, or year and month, of birth.
    birth_year: Mapped[int] = mapped_column(Integer)
    birth_month: Mapped[int | None] = mapped_column(Integer)
    birth_day: Mapped[int | None] = mapped_column(Integer)
    sex: Mapped[str] = mapped_column(String(1))
    ethnicity_code: Mapped[str] = mapped_column(String(2))
    religion: Mapped[str] = mapped_column(String(20), default="none")
    nationality: Mapped[str] = mapped_column(String(2), default="VN")
    birth_registration_commune_code: Mapped[str | None] = mapped_column(ForeignKey(Commune.code))
    hometown: Mapped[str | None] = mapped_column(String(200))
    permanent_commune_code: Mapped[str | None] = mapped_column(ForeignKey(Commune.code), index=True)
    permanent_address: Mapped[str | None] = mapped_column(String(200))
    temporary_commune_code: Mapped[str | None] = mapped_column(ForeignKey(Commune.code), index=True)
    temporary_address: Mapped[str | None] = mapped_column(String(200))
    current_commune_code: Mapped[str | None] = mapped_column(ForeignKey(Commune.code))
    current_address: Mapped[str | None] = mapped_column(String(200))
    household_code: Mapped[str | None] = mapped_column(ForeignKey("households.code"), index=True)
    relationship_to_head: Mapped[str | None] = mapped_column(String(20))
    father_personal_id: Mapped[str | None] = mapped_column(String(12))
    mother_personal_id: Mapped[str | None] = mapped_column(String(12))
    spouse_personal_id: Mapped[str | None] = mapped_column(String(12))
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(10), default="living")
    date_of_death: Mapped[dt.date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=clock.now)


class RegistryChange(Base):
    """One version of a citizen or household: who changed what, when, why and under which act.

    Version 1 records the creation (its source and reason, ``changes`` empty); every later version
    holds ``{field: [old, new]}``. Rows are never updated or deleted, so any past state is the
    current row with the later changes undone, newest first.
    """

    __tablename__ = "registry_changes"
    __table_args__ = (
        UniqueConstraint("entity", "entity_key", "version", name="uq_registry_change_version"),
        CheckConstraint("entity IN ('citizen', 'household')", name="entity_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity: Mapped[str] = mapped_column(String(10))
    entity_key: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    actor: Mapped[str] = mapped_column(String(120))
    source: Mapped[str] = mapped_column(String(20))  # edit | import | demo | quality | service
    reason: Mapped[str] = mapped_column(String(500))
    legal_reference: Mapped[str | None] = mapped_column(String(200))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)


class PersonalIdSequence(Base):
    """Next free sequence per 6-digit prefix (province, sex/century, year) for new numbers."""

    __tablename__ = "personal_id_sequences"

    prefix: Mapped[str] = mapped_column(String(6), primary_key=True)
    next_sequence: Mapped[int] = mapped_column(Integer)
