"""Data-quality runs and findings ("correct, complete, clean, live")."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from oncegov.db import Base
from oncegov.kit import clock

FINDING_STATUSES = ("open", "corrected", "confirmed_correct", "false_positive")


class QualityRun(Base):
    __tablename__ = "quality_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(120))
    findings_seen: Mapped[int] = mapped_column(Integer, default=0)
    findings_new: Mapped[int] = mapped_column(Integer, default=0)
    findings_reopened: Mapped[int] = mapped_column(Integer, default=0)


class QualityFinding(Base):
    """One rule's finding on one subject. ``fingerprint`` hashes the data the rule looked at:
    a resolved finding reopens only when a later run sees a different fingerprint."""

    __tablename__ = "quality_findings"
    __table_args__ = (
        UniqueConstraint("rule", "subject_key", name="uq_quality_finding_subject"),
        CheckConstraint(
            "status IN ('open', 'corrected', 'confirmed_correct', 'false_positive')",
            name="finding_status_known",
        ),
        Index("ix_quality_findings_commune_rule", "commune_code", "rule", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule: Mapped[str] = mapped_column(String(40))
    commune_code: Mapped[str | None] = mapped_column(ForeignKey("communes.code"))
    subject_kind: Mapped[str] = mapped_column(String(10))  # citizen | household
    subject_key: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="open")
    first_run_id: Mapped[int] = mapped_column(ForeignKey("quality_runs.id"))
    last_run_id: Mapped[int] = mapped_column(ForeignKey("quality_runs.id"))
    resolved_by: Mapped[str | None] = mapped_column(String(120))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    resolution_note: Mapped[str | None] = mapped_column(String(500))
