"""The append-only, hash-chained audit log."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from oncegov.db import Base
from oncegov.kit import clock


class AuditEntry(Base):
    """One read or change. ``hash`` = HMAC-SHA256 with the key ``key_id`` over the previous
    hash and this entry's fields (``kit.chain``); ``key_id`` NULL marks a legacy entry written
    before the chain was keyed, whose ``hash`` is an unkeyed SHA-256."""

    __tablename__ = "audit_entries"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    actor_kind: Mapped[str] = mapped_column(String(10))  # officer | citizen | service | system
    actor_id: Mapped[str] = mapped_column(String(60))
    actor_name: Mapped[str] = mapped_column(String(120))
    actor_agency: Mapped[str | None] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(60), index=True)
    subject_personal_id: Mapped[str | None] = mapped_column(String(12), index=True)
    purpose: Mapped[str] = mapped_column(String(300))
    channel: Mapped[str] = mapped_column(String(10))  # web | api | cli | job
    detail: Mapped[str] = mapped_column(Text, default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str | None] = mapped_column(String(16))


class AuditHead(Base):
    """Single row holding the chain's tip; appends lock it so the chain never forks."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))
    # The newest checkpoint (number, the seq it signed, when), read with every append so
    # deciding whether a checkpoint is due costs no query. Not trusted by verification.
    checkpoint_number: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    checkpoint_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    checkpoint_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class AuditCheckpoint(Base):
    """A signed checkpoint of the chain head (``kit.chain.Checkpoint``): entry ``seq`` had
    hash ``link``. Append-only, like the entries; numbered 1, 2, 3, … so a deletion leaves a
    gap."""

    __tablename__ = "audit_checkpoints"

    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    link: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    key_id: Mapped[str] = mapped_column(String(43))
    signature: Mapped[str] = mapped_column(String(86))
