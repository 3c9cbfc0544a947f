"""All SQL of the procedure catalogue."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import Row, Select, and_, func, select

from oncegov.kit.repository import Repository
from oncegov.procedures.catalogue.models import ProcedureVersion

# A version's columns without its definition (whose parsed form is cached by content hash).
_HEADER = (
    ProcedureVersion.id,
    ProcedureVersion.code,
    ProcedureVersion.version,
    ProcedureVersion.effective_from,
    ProcedureVersion.loaded_at,
    ProcedureVersion.content_hash,
)

# id, code, version, effective_from, loaded_at, content_hash
VersionHeader = Row[int, str, int, dt.date, dt.datetime, str]


class CatalogueRepository(Repository):
    def header_as_of(self, code: str, day: dt.date) -> VersionHeader | None:
        """The version in force on ``day`` (as ``as_of``), its definition left unread."""
        return self.session.execute(
            select(*_HEADER)
            .where(ProcedureVersion.code == code, ProcedureVersion.effective_from <= day)
            .order_by(ProcedureVersion.effective_from.desc())
            .limit(1)
        ).first()

    def header_of_version(self, code: str, version: int) -> VersionHeader | None:
        return self.session.execute(
            select(*_HEADER).where(
                ProcedureVersion.code == code, ProcedureVersion.version == version
            )
        ).first()

    def definition(self, version_id: int) -> dict[str, Any]:
        return dict(
            self.session.scalar(
                select(ProcedureVersion.definition).where(ProcedureVersion.id == version_id)
            )
            or {}
        )

    def version(self, code: str, version: int) -> ProcedureVersion | None:
        return self.session.scalar(
            select(ProcedureVersion).where(
                ProcedureVersion.code == code, ProcedureVersion.version == version
            )
        )

    def names(self, codes: Collection[str]) -> Sequence[tuple[str, int, str, str]]:
        """(code, version, Vietnamese name, English name) of every version of ``codes``, without
        the definitions (a list page needs only the names)."""
        if not codes:
            return []
        rows = self.session.execute(
            select(
                ProcedureVersion.code,
                ProcedureVersion.version,
                ProcedureVersion.name_vi,
                ProcedureVersion.name_en,
            ).where(ProcedureVersion.code.in_(sorted(codes)))
        )
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    def versions_of(self, code: str) -> Sequence[ProcedureVersion]:
        return self.session.scalars(
            select(ProcedureVersion)
            .where(ProcedureVersion.code == code)
            .order_by(ProcedureVersion.version)
        ).all()

    def as_of(self, code: str, day: dt.date) -> ProcedureVersion | None:
        """The version in force on ``day``: the latest to take effect on or before it."""
        return self.session.scalar(
            select(ProcedureVersion)
            .where(ProcedureVersion.code == code, ProcedureVersion.effective_from <= day)
            .order_by(ProcedureVersion.effective_from.desc())
            .limit(1)
        )

    def _in_force(self, day: dt.date) -> Select[ProcedureVersion]:
        latest = (
            select(
                ProcedureVersion.code.label("code"),
                func.max(ProcedureVersion.effective_from).label("since"),
            )
            .where(ProcedureVersion.effective_from <= day)
            .group_by(ProcedureVersion.code)
            .subquery()
        )
        return select(ProcedureVersion).join(
            latest,
            and_(
                ProcedureVersion.code == latest.c.code,
                ProcedureVersion.effective_from == latest.c.since,
            ),
        )

    def in_force(
        self,
        day: dt.date,
        *,
        words: Sequence[str] = (),
        field: str | None = None,
        level: str | None = None,
    ) -> Sequence[ProcedureVersion]:
        """The versions in force on ``day`` whose folded text holds every word, by code."""
        query = self._in_force(day)
        for word in words:
            query = query.where(ProcedureVersion.search_text.contains(word, autoescape=True))
        if field is not None:
            query = query.where(ProcedureVersion.field == field)
        if level is not None:
            query = query.where(ProcedureVersion.level == level)
        return self.session.scalars(query.order_by(ProcedureVersion.code)).all()

    def count_versions(self) -> int:
        return self.session.scalar(select(func.count()).select_from(ProcedureVersion)) or 0
