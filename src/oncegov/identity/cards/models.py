"""Chip ID-card applications and the steps each one went through.

An application is received by a police officer at a commune or the provincial station for a
registered citizen and moves forward one step at a time:
received → checked → sent_for_production → produced → returned (collected at the station) or
delivered (by post); it may be rejected, with a reason, at any step before the end. Every move
is a row in ``id_card_application_steps`` (who, when, note) and a timestamp column on the
application, so both "where is it now" and "how long did each step take" are one query.

At most one application per citizen is in progress at a time: a partial unique index on
``personal_id`` over the in-progress statuses, which both SQLite and PostgreSQL enforce under
concurrency.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from oncegov.db import Base
from oncegov.identity.cards.rules import CARD_PIPELINE
from oncegov.kit import clock
from oncegov.units.models import Commune  # the units' table, so its foreign keys resolve

# Kinds of application (Law on Identification 2023, art. 19, 21, 24).
KINDS: tuple[str, ...] = (
    "first_issue",
    "renewal_25",
    "renewal_40",
    "renewal_60",
    "reissue_loss",
    "reissue_damage",
    "change_of_information",
)
# The pipeline, in order (its states and moves are ``rules.CARD_PIPELINE``); the last step is
# "returned" or "delivered" depending on delivery. The CHECK constraints below list the same
# statuses, written by the migration: a new state needs a migration too.
IN_PROGRESS: tuple[str, ...] = CARD_PIPELINE.open_names
FINISHED: tuple[str, ...] = CARD_PIPELINE.final_names
STATUSES: tuple[str, ...] = CARD_PIPELINE.state_names
DELIVERIES: tuple[str, ...] = ("station", "post")
ADDRESS_SOURCES: tuple[str, ...] = ("permanent", "current")
STATION_KINDS: tuple[str, ...] = ("commune", "province")


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


IN_PROGRESS_SQL = f"status IN ({_in(IN_PROGRESS)})"


class IdCardApplication(Base):
    """One chip ID-card application.

    ``full_name``, ``date_of_birth`` (ISO, partial when the registry knows only the year or the
    month: ``1985``, ``1985-05``, ``1985-05-17``) and ``sex`` are what the citizen declared and
    the registry confirmed at intake: what goes on the card. ``commune_code`` is the commune the
    application counts under (the citizen's permanent residence, else current, else temporary);
    ``station_commune_code`` the commune station that received it (None at the provincial
    station). ``delivery_address`` is copied from the registry at intake, never typed.
    ``client_token`` makes a repeated submission of the same intake form return this row.
    """

    __tablename__ = "id_card_applications"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_in(KINDS)})", name="kind_known"),
        CheckConstraint(f"status IN ({_in(STATUSES)})", name="status_known"),
        CheckConstraint(f"delivery IN ({_in(DELIVERIES)})", name="delivery_known"),
        CheckConstraint(f"station_kind IN ({_in(STATION_KINDS)})", name="station_known"),
        CheckConstraint(
            "delivery = 'station' OR (delivery_address IS NOT NULL"
            " AND delivery_address_source IS NOT NULL)",
            name="post_has_address",
        ),
        CheckConstraint("fee_vnd >= 0", name="fee_not_negative"),
        # A repeated submission of one intake form (same officer, same token) finds its row;
        # partial, so rows without a token (demo data, imports) cost nothing here.
        Index(
            "uq_id_card_applications_token",
            "received_by",
            "client_token",
            unique=True,
            sqlite_where=text("client_token IS NOT NULL"),
            postgresql_where=text("client_token IS NOT NULL"),
        ),
        # One application in progress per citizen (enforced by the database under concurrency).
        Index(
            "uq_id_card_applications_in_progress",
            "personal_id",
            unique=True,
            sqlite_where=text(IN_PROGRESS_SQL),
            postgresql_where=text(IN_PROGRESS_SQL),
        ),
        # Counts over a period and the newest-first list.
        Index("ix_id_card_applications_received", "received_at", "commune_code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    personal_id: Mapped[str] = mapped_column(
        ForeignKey("citizens.personal_id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(24))
    fee_vnd: Mapped[int] = mapped_column(Integer)
    # As declared by the citizen and confirmed against the registry.
    full_name: Mapped[str] = mapped_column(String(120))
    date_of_birth: Mapped[str] = mapped_column(String(10))
    sex: Mapped[str] = mapped_column(String(1))
    commune_code: Mapped[str] = mapped_column(ForeignKey(Commune.code))
    station_kind: Mapped[str] = mapped_column(String(10))
    station_commune_code: Mapped[str | None] = mapped_column(ForeignKey(Commune.code))
    portrait_captured: Mapped[bool] = mapped_column(Boolean)
    fingerprints_captured: Mapped[bool] = mapped_column(Boolean)
    delivery: Mapped[str] = mapped_column(String(10))
    delivery_address_source: Mapped[str | None] = mapped_column(String(10))
    delivery_commune_code: Mapped[str | None] = mapped_column(ForeignKey(Commune.code))
    delivery_address: Mapped[str | None] = mapped_column(String(200))
    # "Register eID level 2 too": the phone for the activation code and the account made.
    eid_level2_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    eid_phone: Mapped[str | None] = mapped_column(String(20))
    eid_account_id: Mapped[int | None] = mapped_column(ForeignKey("eid_accounts.id"))
    client_token: Mapped[str | None] = mapped_column(String(64))
    received_by: Mapped[str] = mapped_column(String(60))  # officer username
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    checked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    sent_for_production_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    produced_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    returned_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    rejected_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    rejected_from: Mapped[str | None] = mapped_column(String(24))  # the status it was in
    rejection_reason: Mapped[str | None] = mapped_column(String(300))


class IdCardApplicationStep(Base):
    """One move of an application: from which status to which, who, when, and a note.

    The intake itself is the first step (``from_status`` None, ``to_status`` "received")."""

    __tablename__ = "id_card_application_steps"
    __table_args__ = (CheckConstraint(f"to_status IN ({_in(STATUSES)})", name="to_status_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("id_card_applications.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    actor: Mapped[str] = mapped_column(String(120))  # actor label, e.g. officer:cccd.thucphan
    note: Mapped[str | None] = mapped_column(String(300))
