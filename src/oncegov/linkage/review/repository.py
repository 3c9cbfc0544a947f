"""All SQL of the linkage review queue."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, delete, func, select, update

from oncegov.kit.repository import Page, Paged, Repository
from oncegov.linkage.models import (
    REVIEW,
    LinkageCandidate,
    LinkageDecision,
    LinkageResult,
    LinkageRun,
    SectorLink,
)


@dataclass(frozen=True, slots=True)
class OpenRow:
    """One open review item as the queue lists it."""

    result_id: int
    run_id: int
    source: str
    record_key: str
    reason: str | None
    sector_record: dict[str, Any] | None
    best_probability: float | None
    candidates: int


class ReviewRepository(Repository):
    # --- the queue ----------------------------------------------------------------------------

    def _open(self, source: str | None) -> Select[Any]:
        """Open review results of the latest run of each source, with their best candidate's
        probability and number of candidates."""
        latest = (
            select(LinkageRun.source, func.max(LinkageRun.id).label("run_id"))
            .group_by(LinkageRun.source)
            .subquery("latest")
        )
        scores = (
            select(
                LinkageCandidate.result_id,
                func.max(LinkageCandidate.probability).label("best"),
                func.count().label("n"),
            )
            .group_by(LinkageCandidate.result_id)
            .subquery("scores")
        )
        r = LinkageResult
        query = (
            select(
                r.id,
                r.run_id,
                latest.c.source,
                r.record_key,
                r.reason,
                r.sector_record,
                scores.c.best,
                func.coalesce(scores.c.n, 0).label("n"),
            )
            .join(latest, latest.c.run_id == r.run_id)
            .outerjoin(scores, scores.c.result_id == r.id)
            .where(r.band == REVIEW, r.decided_at.is_(None))
        )
        if source:
            query = query.where(latest.c.source == source)
        return query

    def open_items(self, source: str | None, page: Page) -> Paged[OpenRow]:
        """One page of the open items, best candidate first, with the total."""
        query = self._open(source)
        best = query.selected_columns.best
        query = query.order_by(
            func.coalesce(best, -1.0).desc(), query.selected_columns.record_key, LinkageResult.id
        )
        found = self.fetch_page(query, page, counted=True, scalars=False)
        return found.map(lambda row: OpenRow(*tuple(row)))

    def next_open_id(self, source: str | None, *, excluding: int) -> int | None:
        query = self._open(source).where(LinkageResult.id != excluding)
        best = query.selected_columns.best
        return self.session.scalar(
            query.with_only_columns(LinkageResult.id)
            .order_by(func.coalesce(best, -1.0).desc(), LinkageResult.record_key, LinkageResult.id)
            .limit(1)
        )

    def sources(self) -> list[str]:
        return list(
            self.session.scalars(
                select(LinkageRun.source).distinct().order_by(LinkageRun.source)
            ).all()
        )

    # --- one item -----------------------------------------------------------------------------

    def result(self, result_id: int) -> tuple[LinkageResult, str] | None:
        row = self.session.execute(
            select(LinkageResult, LinkageRun.source)
            .join(LinkageRun, LinkageRun.id == LinkageResult.run_id)
            .where(LinkageResult.id == result_id)
        ).first()
        return (row[0], row[1]) if row else None

    def latest_run_id(self, source: str) -> int | None:
        return self.session.scalar(
            select(func.max(LinkageRun.id)).where(LinkageRun.source == source)
        )

    def candidates(self, result_id: int) -> Sequence[LinkageCandidate]:
        return self.session.scalars(
            select(LinkageCandidate)
            .where(LinkageCandidate.result_id == result_id)
            .order_by(LinkageCandidate.rank, LinkageCandidate.id)
        ).all()

    def decisions(self, source: str, record_key: str) -> Sequence[LinkageDecision]:
        return self.session.scalars(
            select(LinkageDecision)
            .where(LinkageDecision.source == source, LinkageDecision.record_key == record_key)
            .order_by(LinkageDecision.personal_id)
        ).all()

    # --- links --------------------------------------------------------------------------------

    def link_of_person(self, source: str, personal_id: str) -> SectorLink | None:
        return self.session.scalar(
            select(SectorLink).where(
                SectorLink.source == source, SectorLink.personal_id == personal_id
            )
        )

    def link_of_record(self, source: str, record_key: str) -> SectorLink | None:
        return self.get(SectorLink, (source, record_key))

    def set_link(
        self,
        source: str,
        record_key: str,
        personal_id: str,
        *,
        method: str,
        probability: float | None,
        run_id: int,
        at: dt.datetime,
    ) -> SectorLink:
        link = self.link_of_record(source, record_key)
        if link is None:
            link = SectorLink(source=source, record_key=record_key)
            self.session.add(link)
        link.personal_id = personal_id
        link.method = method
        link.probability = probability
        link.run_id = run_id
        link.linked_at = at
        self.session.flush()
        return link

    def remove_link(self, source: str, record_key: str) -> None:
        self.session.execute(
            delete(SectorLink).where(
                SectorLink.source == source, SectorLink.record_key == record_key
            )
        )

    # --- decisions ----------------------------------------------------------------------------

    def upsert_decision(
        self,
        source: str,
        record_key: str,
        personal_id: str,
        decision: str,
        *,
        officer_id: str,
        officer_name: str,
        at: dt.datetime,
        run_id: int,
    ) -> LinkageDecision:
        """One decision per (source, record key, personal ID): a re-decision replaces it."""
        found = self.session.scalar(
            select(LinkageDecision).where(
                LinkageDecision.source == source,
                LinkageDecision.record_key == record_key,
                LinkageDecision.personal_id == personal_id,
            )
        )
        if found is None:
            found = LinkageDecision(source=source, record_key=record_key, personal_id=personal_id)
            self.session.add(found)
        found.decision = decision
        found.officer_id = officer_id
        found.officer_name = officer_name
        found.decided_at = at
        found.run_id = run_id
        return found

    def close_result(
        self,
        result_id: int,
        *,
        personal_id: str | None,
        probability: float | None,
        reason: str | None,
        at: dt.datetime,
        by: str,
    ) -> bool:
        """Mark an open result decided by an officer; False if someone decided it meanwhile."""
        values: dict[str, Any] = {
            "method": "clerical",
            "personal_id": personal_id,
            "probability": probability,
            "decided_at": at,
            "decided_by": by,
        }
        if reason is not None:
            values["reason"] = reason
        done = self.session.execute(
            update(LinkageResult)
            .where(LinkageResult.id == result_id, LinkageResult.decided_at.is_(None))
            .values(**values)
            .execution_options(synchronize_session="fetch")
        )
        return bool(getattr(done, "rowcount", 0))

    def flush(self) -> None:
        self.session.flush()
