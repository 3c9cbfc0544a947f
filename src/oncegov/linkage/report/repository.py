"""All SQL of the sync report: aggregate queries over a run's results, grouped in the database
(a run may hold hundreds of thousands of results; none is loaded one by one)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from oncegov.kit.repository import Repository
from oncegov.linkage.models import LinkageResult, LinkageRun


@dataclass(frozen=True)
class OutcomeGroup:
    """How many results of one run share a commune, band, method, reason and state."""

    commune_code: str | None
    band: str
    method: str | None
    reason: str | None
    linked: bool  # personal_id is set
    undecided: bool  # decided_at is not set
    count: int


@dataclass(frozen=True)
class RunLinked:
    run_id: int
    results: int
    linked: int


class ReportRepository(Repository):
    def sources(self) -> list[str]:
        """Every source that has at least one run, alphabetically."""
        query = select(LinkageRun.source).distinct().order_by(LinkageRun.source)
        return list(self.session.scalars(query).all())

    def latest_runs(self, source: str, limit: int) -> Sequence[LinkageRun]:
        """The ``limit`` most recent runs of ``source``, newest first."""
        return self.session.scalars(
            select(LinkageRun)
            .where(LinkageRun.source == source)
            .order_by(LinkageRun.finished_at.desc(), LinkageRun.id.desc())
            .limit(limit)
        ).all()

    def outcome_groups(self, run_id: int) -> list[OutcomeGroup]:
        """The run's results counted per (commune, band, method, reason, linked, undecided)."""
        linked = LinkageResult.personal_id.is_not(None)
        undecided = LinkageResult.decided_at.is_(None)
        query = (
            select(
                LinkageResult.commune_code,
                LinkageResult.band,
                LinkageResult.method,
                LinkageResult.reason,
                linked.label("linked"),
                undecided.label("undecided"),
                func.count().label("n"),
            )
            .where(LinkageResult.run_id == run_id)
            .group_by(
                LinkageResult.commune_code,
                LinkageResult.band,
                LinkageResult.method,
                LinkageResult.reason,
                linked,
                undecided,
            )
        )
        return [
            OutcomeGroup(
                row.commune_code,
                row.band,
                row.method,
                row.reason,
                bool(row.linked),
                bool(row.undecided),
                int(row.n),
            )
            for row in self.session.execute(query)
        ]

    def linked_per_run(self, run_ids: Sequence[int]) -> dict[int, RunLinked]:
        """Results and linked results (personal ID set now) of each run."""
        if not run_ids:
            return {}
        query = (
            select(
                LinkageResult.run_id,
                func.count().label("results"),
                func.count(LinkageResult.personal_id).label("linked"),
            )
            .where(LinkageResult.run_id.in_(run_ids))
            .group_by(LinkageResult.run_id)
        )
        return {
            row.run_id: RunLinked(row.run_id, int(row.results), int(row.linked))
            for row in self.session.execute(query)
        }
