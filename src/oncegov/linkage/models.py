"""Linkage runs, their per-record results and review candidates, officers' decisions and the
current links of each sector database.

A *run* links one sector extract to the registry. Each of its records gets one *result*: the
band (auto-link, clerical review, no match), the method that decided it, the linked personal
ID (if any), the probability and the reason. A record in review keeps its *candidates* with
the contribution of each field to the score, so an officer can decide. A *decision* belongs to
a (source, record key, personal ID) pair, not to a run: later runs reuse it and never ask
twice. ``sector_links`` is what each source's records are linked to now; its unique
(source, personal ID) is the one-to-one rule in the database itself.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from oncegov.db import Base
from oncegov.kit import clock

AUTO_LINK, REVIEW, NO_MATCH = "auto_link", "review", "no_match"
DETERMINISTIC, MODEL, CLERICAL = "deterministic", "model", "clerical"
ACCEPT, REJECT = "accept", "reject"
BANDS = (AUTO_LINK, REVIEW, NO_MATCH)
METHODS = (DETERMINISTIC, MODEL, CLERICAL)
DECISIONS = (ACCEPT, REJECT)


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


class LinkageRun(Base):
    """One sector extract linked to the registry, with the settings it used and its counts."""

    __tablename__ = "linkage_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(40), index=True)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    finished_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    actor: Mapped[str] = mapped_column(String(120))
    extract_name: Mapped[str] = mapped_column(String(255))
    extract_sha256: Mapped[str] = mapped_column(String(64))
    settings_version: Mapped[str] = mapped_column(String(60))
    # The settings file as used, and the trained model's parameters (Splink's model JSON).
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    records: Mapped[int] = mapped_column(Integer)
    linked_deterministic: Mapped[int] = mapped_column(Integer, default=0)
    linked_model: Mapped[int] = mapped_column(Integer, default=0)
    linked_clerical: Mapped[int] = mapped_column(Integer, default=0)
    review: Mapped[int] = mapped_column(Integer, default=0)
    unmatched: Mapped[int] = mapped_column(Integer, default=0)
    # Extract counters (unreadable dates, …), unmatched and review reasons, pairs compared,
    # seconds per stage.
    counts: Mapped[dict[str, Any]] = mapped_column(JSON)
    seconds: Mapped[float] = mapped_column(Float)
    audit_seq: Mapped[int | None] = mapped_column(Integer)


class LinkageResult(Base):
    """What one run decided for one sector record. A review result is updated in place when an
    officer decides it (method ``clerical``, ``decided_at`` set)."""

    __tablename__ = "linkage_results"
    __table_args__ = (
        UniqueConstraint("run_id", "record_key"),
        CheckConstraint(f"band IN ({_in(BANDS)})", name="band_known"),
        CheckConstraint(f"method IS NULL OR method IN ({_in(METHODS)})", name="method_known"),
        Index("ix_linkage_results_run_band", "run_id", "band"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("linkage_runs.id", ondelete="CASCADE"))
    record_key: Mapped[str] = mapped_column(String(64))
    # The record's place in the extract (0 first): the write-back file's order. None for runs
    # stored before positions were kept.
    position: Mapped[int | None] = mapped_column(Integer)
    band: Mapped[str] = mapped_column(String(10))
    # Drawn for the quality sample (a random draw of the model's auto-links sent to review):
    # kept apart from ``reason``, which the officer's decision overwrites.
    sampled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    method: Mapped[str | None] = mapped_column(String(15))
    rule: Mapped[str | None] = mapped_column(String(15))  # personal_id | old_id
    personal_id: Mapped[str | None] = mapped_column(String(12))
    probability: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str | None] = mapped_column(String(30))
    commune_code: Mapped[str | None] = mapped_column(String(5))
    # The sector record as read (normalised), kept for records an officer must look at.
    sector_record: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(120))


class LinkageCandidate(Base):
    """A registry citizen that a record in review may be, with each field's contribution."""

    __tablename__ = "linkage_candidates"
    __table_args__ = (UniqueConstraint("result_id", "personal_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    result_id: Mapped[int] = mapped_column(
        ForeignKey("linkage_results.id", ondelete="CASCADE"), index=True
    )
    personal_id: Mapped[str] = mapped_column(String(12))
    rank: Mapped[int] = mapped_column(Integer)
    probability: Mapped[float | None] = mapped_column(Float)  # None: not scored by the model
    match_weight: Mapped[float | None] = mapped_column(Float)
    # [{"field": "name", "level": "Exact match", "match_weight": 7.1}, …]
    contributions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


class LinkageDecision(Base):
    """An officer's verdict on one (sector record, registry citizen) pair, reused by every
    later run of the same source."""

    __tablename__ = "linkage_decisions"
    __table_args__ = (
        UniqueConstraint("source", "record_key", "personal_id"),
        CheckConstraint(f"decision IN ({_in(DECISIONS)})", name="decision_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(40))
    record_key: Mapped[str] = mapped_column(String(64))
    personal_id: Mapped[str] = mapped_column(String(12))
    decision: Mapped[str] = mapped_column(String(10))
    officer_id: Mapped[str] = mapped_column(String(64))
    officer_name: Mapped[str] = mapped_column(String(120))
    decided_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("linkage_runs.id", ondelete="SET NULL"))


class SectorLink(Base):
    """The personal ID a sector record is linked to now. One personal ID per source at most:
    two records of one source never carry the same person."""

    __tablename__ = "sector_links"
    __table_args__ = (UniqueConstraint("source", "personal_id"),)

    source: Mapped[str] = mapped_column(String(40), primary_key=True)
    record_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    personal_id: Mapped[str] = mapped_column(String(12))
    method: Mapped[str] = mapped_column(String(15))
    probability: Mapped[float | None] = mapped_column(Float)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("linkage_runs.id", ondelete="SET NULL"))
    linked_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
