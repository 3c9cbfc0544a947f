"""Stored procedure versions: one row per (code, version), immutable once published.

``definition`` is the validated definition as loaded (JSON); the other columns repeat what the
catalogue lists and searches by. ``search_text`` is the folded (lower-case, accent-free) code,
names and agency, so "dang ky tam tru" finds "Đăng ký tạm trú". ``content_hash`` (SHA-256 of
the canonical JSON of ``definition``) tells a reload of the same version from a changed one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from oncegov.db import Base
from oncegov.kit import clock

LEVELS = ("commune", "province")
ONLINE_LEVELS = ("full", "partial", "none")


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


class ProcedureVersion(Base):
    __tablename__ = "procedure_versions"
    __table_args__ = (
        UniqueConstraint("code", "version", name="uq_procedure_version"),
        UniqueConstraint("code", "effective_from", name="uq_procedure_effective_from"),
        CheckConstraint(f"level IN ({_in(LEVELS)})", name="procedure_level_known"),
        CheckConstraint(f"online_level IN ({_in(ONLINE_LEVELS)})", name="online_level_known"),
        CheckConstraint("version >= 1", name="procedure_version_positive"),
        Index("ix_procedure_versions_field_level", "field", "level"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer)
    effective_from: Mapped[dt.date] = mapped_column(Date)
    name_vi: Mapped[str] = mapped_column(String(500))
    name_en: Mapped[str] = mapped_column(String(500))
    search_text: Mapped[str] = mapped_column(String(2000))
    field: Mapped[str] = mapped_column(String(30))
    level: Mapped[str] = mapped_column(String(10))
    online_level: Mapped[str] = mapped_column(String(10))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    source_file: Mapped[str] = mapped_column(String(200))
    loaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
