"""All SQL of a linkage run: previous decisions and links, and storing the run's results."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from oncegov.db import bulk_insert
from oncegov.kit.repository import Repository
from oncegov.linkage.models import (
    ACCEPT,
    LinkageCandidate,
    LinkageDecision,
    LinkageResult,
    LinkageRun,
    SectorLink,
)
from oncegov.linkage.quality import LabelledPair

# Bound parameters per statement stay well under SQLite's limit (32,766) and PostgreSQL's.
CHUNK = 5_000


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _bulk(session: Session, model: type[Any], rows: Sequence[dict[str, Any]]) -> None:
    """Rows given as dicts with the same keys, inserted in one bulk statement."""
    if not rows:
        return
    columns = list(rows[0])
    bulk_insert(session, model.__table__, columns, ([row[c] for c in columns] for row in rows))


class LinkageRepository(Repository):
    def decisions(self, source: str) -> dict[str, dict[str, tuple[str, str, dt.datetime]]]:
        """record key → {personal ID: (decision, officer name, when)} of every decided pair."""
        rows = self.session.execute(
            select(
                LinkageDecision.record_key,
                LinkageDecision.personal_id,
                LinkageDecision.decision,
                LinkageDecision.officer_name,
                LinkageDecision.decided_at,
            ).where(LinkageDecision.source == source)
        )
        found: dict[str, dict[str, tuple[str, str, dt.datetime]]] = {}
        for key, pid, decision, officer, at in rows:
            found.setdefault(key, {})[pid] = (decision, officer, at)
        return found

    def labelled_pairs(self, source: str) -> list[LabelledPair]:
        """Every officer's decision on ``source`` as a labelled pair, with the probability the
        model gave that pair in the run it was decided on (the decision's run → the record's
        result in that run → its candidate row for that person). Pairs the model did not
        score (rule holders, conflicting claims), and decisions whose run is gone, are left
        out. Ordered by probability, so equal inputs give equal lists."""
        query = (
            select(LinkageCandidate.probability, LinkageDecision.decision, LinkageResult.sampled)
            .select_from(LinkageDecision)
            .join(
                LinkageResult,
                (LinkageResult.run_id == LinkageDecision.run_id)
                & (LinkageResult.record_key == LinkageDecision.record_key),
            )
            .join(
                LinkageCandidate,
                (LinkageCandidate.result_id == LinkageResult.id)
                & (LinkageCandidate.personal_id == LinkageDecision.personal_id),
            )
            .where(LinkageDecision.source == source, LinkageCandidate.probability.is_not(None))
            .order_by(LinkageCandidate.probability, LinkageDecision.id)
        )
        return [
            LabelledPair(probability, decision == ACCEPT, bool(sampled))
            for probability, decision, sampled in self.session.execute(query)
            if probability is not None  # filtered in SQL; the column's type does not know it
        ]

    def links(self, source: str) -> dict[str, str]:
        """record key → personal ID of the source's current links."""
        rows = self.session.execute(
            select(SectorLink.record_key, SectorLink.personal_id).where(SectorLink.source == source)
        )
        # dict(result) would take the Result for a mapping (it has keys()).
        return {key: pid for key, pid in rows}  # noqa: C416

    def has_runs(self, source: str) -> bool:
        found = self.session.scalar(
            select(LinkageRun.id).where(LinkageRun.source == source).limit(1)
        )
        return found is not None

    def add_run(self, run: LinkageRun) -> LinkageRun:
        self.session.add(run)
        self.session.flush()
        return run

    def add_results(self, rows: Sequence[dict[str, Any]]) -> None:
        """Results without candidates: most of a run, so COPY / executemany."""
        _bulk(self.session, LinkageResult, rows)

    def add_review_results(self, rows: Sequence[dict[str, Any]]) -> dict[str, int]:
        """Insert results that carry candidates; record key → new result id."""
        ids: dict[str, int] = {}
        for chunk in _chunks(rows, 1_000):
            returned = self.session.execute(
                insert(LinkageResult).returning(LinkageResult.id, LinkageResult.record_key),
                list(chunk),
            )
            ids.update({key: rid for rid, key in returned})
        return ids

    def add_candidates(self, rows: Sequence[dict[str, Any]]) -> None:
        _bulk(self.session, LinkageCandidate, rows)

    def drop_links(self, source: str, record_keys: Sequence[str]) -> None:
        for chunk in _chunks(record_keys):
            self.session.execute(
                delete(SectorLink).where(
                    SectorLink.source == source, SectorLink.record_key.in_(list(chunk))
                )
            )

    def add_links(self, rows: Sequence[dict[str, Any]]) -> None:
        _bulk(self.session, SectorLink, rows)

    def results(
        self, run_id: int
    ) -> list[tuple[str, str | None, str, float | None, str | None, str | None]]:
        """(record key, personal ID, band, probability, method, reason) in record order."""
        rows = self.session.execute(
            select(
                LinkageResult.record_key,
                LinkageResult.personal_id,
                LinkageResult.band,
                LinkageResult.probability,
                LinkageResult.method,
                LinkageResult.reason,
            )
            .where(LinkageResult.run_id == run_id)
            # The extract's order (results with candidates are inserted after the others).
            .order_by(LinkageResult.position, LinkageResult.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]
