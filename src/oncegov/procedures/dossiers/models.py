"""Dossiers (hồ sơ thủ tục hành chính): drafts, submitted dossiers, their moves and documents.

A dossier keeps the procedure version it was submitted under (``procedure_code``,
``procedure_version``) and its state in a column, moved by a compare-and-set on ``state`` (the
workflow engine decides, the repository writes; ``docs/architecture.md`` "Workflows"). Its
``due_at`` is recomputed from ``received_at``, the statutory time and the pauses each time the
clock pauses or resumes. Every move is one ``dossier_events`` row (and one audit entry).
"""

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
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from oncegov.db import Base
from oncegov.kit import clock

CHANNELS = ("online", "counter", "post")
OUTCOMES = ("early", "on_time", "late")
CODE_MAX = 40
KEY_MAX = 64
REASON_MAX = 2000
ACTOR_MAX = 120
OPEN_SQL = "ended_at IS NULL"
ENDED_SQL = "ended_at IS NOT NULL"
ASSIGNED_OPEN_SQL = "ended_at IS NULL AND assigned_to IS NOT NULL"


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


class DossierDraft(Base):
    """A form being filled in, kept on the server until it is submitted or dropped."""

    __tablename__ = "dossier_drafts"
    __table_args__ = (Index("ix_dossier_drafts_owner", "owner_personal_id", "updated_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_personal_id: Mapped[str] = mapped_column(
        ForeignKey("citizens.personal_id", ondelete="RESTRICT")
    )
    subject_personal_id: Mapped[str | None] = mapped_column(
        ForeignKey("citizens.personal_id", ondelete="RESTRICT")
    )
    procedure_code: Mapped[str] = mapped_column(String(20))
    procedure_version: Mapped[int] = mapped_column(Integer)
    commune_code: Mapped[str | None] = mapped_column(ForeignKey("communes.code"))
    # {key: value} the applicant typed; the pre-filled values are read again at submission.
    values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by: Mapped[str] = mapped_column(String(ACTOR_MAX))
    channel: Mapped[str] = mapped_column(String(10), default="online")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=clock.now)


class Dossier(Base):
    __tablename__ = "dossiers"
    __table_args__ = (
        UniqueConstraint("code", name="uq_dossier_code"),
        # A retried submission (same applicant, same key) finds the dossier it made.
        UniqueConstraint("submitted_by", "idempotency_key", name="uq_dossier_submission"),
        CheckConstraint(f"channel IN ({_in(CHANNELS)})", name="dossier_channel_known"),
        CheckConstraint(
            f"outcome IS NULL OR outcome IN ({_in(OUTCOMES)})", name="dossier_outcome_known"
        ),
        Index("ix_dossiers_applicant", "applicant_personal_id", "received_at"),
        Index("ix_dossiers_subject", "subject_personal_id"),
        # Open dossiers are a few percent of a year's: the queues and the deadline scan read
        # partial indexes over them only. (A full index led by ``ended_at`` misleads SQLite:
        # its statistics count ~1 row per ``ended_at`` value, NULL included, so it walked all
        # open dossiers for every queue page; docs/procedures.md "The officers' queue at
        # 1,000,000 dossiers".) A commune's queue: its rows by role, sorted in memory.
        Index(
            "ix_dossiers_open_queue",
            "commune_code",
            "role",
            "id",
            sqlite_where=text(OPEN_SQL),
            postgresql_where=text(OPEN_SQL),
        ),
        # A province-wide queue: walked in the queue's order, every view's filter in the index.
        Index(
            "ix_dossiers_open_order",
            "id",
            "role",
            "commune_code",
            "assigned_to",
            "paused_since",
            "due_at",
            "procedure_code",
            sqlite_where=text(OPEN_SQL),
            postgresql_where=text(OPEN_SQL),
        ),
        # "Mine": an officer's open dossiers in the queue's order. Only assigned rows, so the
        # "new" view's ``assigned_to IS NULL`` cannot pick it (without statistics SQLite
        # took the former full index for it and read every unassigned dossier of the year).
        Index(
            "ix_dossiers_assignee",
            "assigned_to",
            "id",
            sqlite_where=text(ASSIGNED_OPEN_SQL),
            postgresql_where=text(ASSIGNED_OPEN_SQL),
        ),
        # The deadline scan, the overdue and due-soon views.
        Index(
            "ix_dossiers_open_due",
            "due_at",
            sqlite_where=text(OPEN_SQL),
            postgresql_where=text(OPEN_SQL),
        ),
        # The statistics of dossiers ended since a day.
        Index(
            "ix_dossiers_ended",
            "ended_at",
            sqlite_where=text(ENDED_SQL),
            postgresql_where=text(ENDED_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(CODE_MAX))
    procedure_code: Mapped[str] = mapped_column(String(20))
    procedure_version: Mapped[int] = mapped_column(Integer)
    applicant_personal_id: Mapped[str] = mapped_column(
        ForeignKey("citizens.personal_id", ondelete="RESTRICT")
    )
    subject_personal_id: Mapped[str | None] = mapped_column(
        ForeignKey("citizens.personal_id", ondelete="RESTRICT")
    )
    channel: Mapped[str] = mapped_column(String(10))
    # The commune whose service centre received it (and whose officers' queues hold it).
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"))
    state: Mapped[str] = mapped_column(String(40))
    step: Mapped[str] = mapped_column(String(40))  # the catalogue step the state belongs to
    role: Mapped[str] = mapped_column(String(40))  # the role that moves it from this state
    level: Mapped[str] = mapped_column(String(10))  # commune | province: who handles the step
    assigned_to: Mapped[str | None] = mapped_column(String(ACTOR_MAX))
    # The form as submitted: {key: {"value": …, "source": …}} (pre-filled values with source).
    form: Mapped[dict[str, Any]] = mapped_column(JSON)
    submitted_by: Mapped[str] = mapped_column(String(ACTOR_MAX))  # actor label
    idempotency_key: Mapped[str] = mapped_column(String(KEY_MAX))
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    due_day: Mapped[dt.date] = mapped_column(Date)
    # While waiting for the applicant's additions: when the wait began (the clock is stopped).
    paused_since: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # Closed pauses as [[start, end], …] ISO instants: the due date is recomputed from them.
    pauses: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    additions_requests: Mapped[int] = mapped_column(Integer, default=0)
    warned_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(10))
    events: Mapped[int] = mapped_column(Integer, default=0)  # moves so far (the next seq)


class DossierEvent(Base):
    """One move of a dossier: who, when, from → to, why, and the due date after it."""

    __tablename__ = "dossier_events"
    __table_args__ = (UniqueConstraint("dossier_id", "seq", name="uq_dossier_event_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="RESTRICT"))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    actor: Mapped[str] = mapped_column(String(ACTOR_MAX))
    actor_kind: Mapped[str] = mapped_column(String(20))
    from_state: Mapped[str | None] = mapped_column(String(40))
    to_state: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(String(REASON_MAX))
    form: Mapped[str | None] = mapped_column(String(2))  # Circular 03/2025 form it issued
    due_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class DossierDocument(Base):
    """An uploaded file of a draft, then of the dossier it became. The bytes are in the file
    store under ``store_key``; only the owner and the dossier's handling officers may read it."""

    __tablename__ = "dossier_documents"
    __table_args__ = (
        CheckConstraint(
            "draft_id IS NOT NULL OR dossier_id IS NOT NULL", name="dossier_document_owned"
        ),
        Index("ix_dossier_documents_draft", "draft_id"),
        Index("ix_dossier_documents_dossier", "dossier_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    draft_id: Mapped[int | None] = mapped_column(
        ForeignKey("dossier_drafts.id", ondelete="SET NULL")
    )
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id", ondelete="RESTRICT"))
    document: Mapped[int] = mapped_column(Integer)  # index in the procedure's documents
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    store_key: Mapped[str] = mapped_column(String(200))
    uploaded_by: Mapped[str] = mapped_column(String(ACTOR_MAX))
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=clock.now)


class DossierSequence(Base):
    """The daily sequence of each receiving agency's dossier codes."""

    __tablename__ = "dossier_sequences"

    agency_code: Mapped[str] = mapped_column(String(30), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)
