"""The sync report of a sector database: how many of its records the latest linkage run (and
the officers' review decisions since) attached to a registry personal ID, by method, by reason
for the rest, and per commune, plus the sync rate over the source's successive runs.

Figures come from the live results, not from the counters the run stored when it finished: an
officer's decision in the review queue updates a result in place, so it shows here at once. The
run's own counters are kept as ``at_run_time``. Counts only: no record, no person.

Each run also carries the held-out measure it stored when it ran (``counts["quality"]``,
``linkage.quality``): precision and recalls estimated from officers' decisions, and the
auto-link threshold it used. That one is as of the run: a decision made since counts in the
next run's estimate.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from oncegov.linkage.models import METHODS, LinkageRun
from oncegov.linkage.quality import QualityEstimate
from oncegov.linkage.report.repository import OutcomeGroup, ReportRepository
from oncegov.linkage.service import REASONS
from oncegov.units import service as units

DEFAULT_RUNS = 12
MAX_RUNS = 100
UNSPECIFIED = "unspecified"  # an unmatched or review result that carries no reason code


def rate(linked: int, total: int) -> float:
    """``linked / total``; 0 when there is nothing to link."""
    return linked / total if total else 0.0


@dataclass(frozen=True)
class RunCounters:
    """What the run itself decided when it finished (before any later review decision)."""

    records: int
    linked_deterministic: int
    linked_model: int
    linked_clerical: int
    review: int
    unmatched: int

    @property
    def linked(self) -> int:
        return self.linked_deterministic + self.linked_model + self.linked_clerical


@dataclass(frozen=True)
class RunInfo:
    id: int
    source: str
    extract_name: str
    settings_version: str
    started_at: dt.datetime
    finished_at: dt.datetime
    seconds: float
    actor: str
    at_run_time: RunCounters
    quality: QualityEstimate | None = None  # None: the run stored no estimate


@dataclass(frozen=True)
class CommuneRow:
    code: str | None  # None: the record's address names no commune we could read
    name: str | None  # None: unknown to the registry (or no commune)
    total: int
    linked: int
    backlog: int

    @property
    def rate(self) -> float:
        return rate(self.linked, self.total)


@dataclass(frozen=True)
class RunRate:
    run_id: int
    finished_at: dt.datetime
    records: int  # results of the run (one per record of its extract)
    linked: int
    quality: QualityEstimate | None = None

    @property
    def rate(self) -> float:
        return rate(self.linked, self.records)


@dataclass
class SyncReport:
    source: str
    run: RunInfo
    total: int = 0
    linked: int = 0
    backlog: int = 0
    unmatched: int = 0
    by_method: dict[str, int] = field(default_factory=lambda: dict.fromkeys(METHODS, 0))
    # Reason code → count; REASONS order, then any other code, then UNSPECIFIED; zeros left out.
    unmatched_by_reason: dict[str, int] = field(default_factory=dict)
    backlog_by_reason: dict[str, int] = field(default_factory=dict)
    communes: list[CommuneRow] = field(default_factory=list)  # worst rate first
    trend: list[RunRate] = field(default_factory=list)  # oldest run first, the latest last

    @property
    def rate(self) -> float:
        return rate(self.linked, self.total)


def sources(session: Session) -> list[str]:
    """The sources that have at least one linkage run."""
    return ReportRepository(session).sources()


def stored_quality(run: LinkageRun) -> QualityEstimate | None:
    """The estimate the run stored, or None (a run from before the measure, or one whose
    stored figures cannot be read: the report shows the rest rather than fail)."""
    stored = (run.counts or {}).get("quality")
    if not isinstance(stored, dict):
        return None
    try:
        return QualityEstimate.from_json(stored)
    except (KeyError, TypeError, ValueError):
        return None


def _run_info(run: LinkageRun) -> RunInfo:
    return RunInfo(
        id=run.id,
        source=run.source,
        extract_name=run.extract_name,
        settings_version=run.settings_version,
        started_at=run.started_at,
        finished_at=run.finished_at,
        seconds=run.seconds,
        actor=run.actor,
        at_run_time=RunCounters(
            records=run.records,
            linked_deterministic=run.linked_deterministic,
            linked_model=run.linked_model,
            linked_clerical=run.linked_clerical,
            review=run.review,
            unmatched=run.unmatched,
        ),
        quality=stored_quality(run),
    )


def _ordered(counts: dict[str, int]) -> dict[str, int]:
    known = [r for r in REASONS if counts.get(r)]
    others = sorted(r for r in counts if r not in REASONS and r != UNSPECIFIED and counts[r])
    tail = [UNSPECIFIED] if counts.get(UNSPECIFIED) else []
    return {r: counts[r] for r in [*known, *others, *tail]}


def _tally(report: SyncReport, groups: list[OutcomeGroup], names: units.CommuneNames) -> None:
    per_commune: dict[str | None, list[int]] = {}  # code → [total, linked, backlog]
    unmatched: dict[str, int] = {}
    backlog: dict[str, int] = {}
    for group in groups:
        row = per_commune.setdefault(group.commune_code, [0, 0, 0])
        row[0] += group.count
        report.total += group.count
        if group.linked:
            row[1] += group.count
            report.linked += group.count
            method = group.method or UNSPECIFIED
            report.by_method[method] = report.by_method.get(method, 0) + group.count
        elif group.band == "review" and group.undecided:
            row[2] += group.count
            report.backlog += group.count
            reason = group.reason or UNSPECIFIED
            backlog[reason] = backlog.get(reason, 0) + group.count
        else:
            report.unmatched += group.count
            reason = group.reason or UNSPECIFIED
            unmatched[reason] = unmatched.get(reason, 0) + group.count
    report.unmatched_by_reason = _ordered(unmatched)
    report.backlog_by_reason = _ordered(backlog)
    rows = [
        CommuneRow(code, names.name(code), total, linked, waiting)
        for code, (total, linked, waiting) in per_commune.items()
    ]
    # Worst first; equal rates: the bigger commune first, then by code (no commune last).
    rows.sort(key=lambda r: (r.rate, -r.total, r.code is None, r.code or ""))
    report.communes = rows


def sync_report(session: Session, source: str, *, runs: int = DEFAULT_RUNS) -> SyncReport | None:
    """The sync report of ``source``'s latest run, with the rate over its last ``runs`` runs
    (1 to MAX_RUNS); None when the source has no run."""
    repo = ReportRepository(session)
    recent = repo.latest_runs(source, max(1, min(runs, MAX_RUNS)))
    if not recent:
        return None
    latest = recent[0]
    report = SyncReport(source=source, run=_run_info(latest))
    _tally(report, repo.outcome_groups(latest.id), units.CommuneNames(session))
    linked = repo.linked_per_run([run.id for run in recent])
    for run in reversed(recent):
        counted = linked.get(run.id)
        quality = stored_quality(run)
        if counted is None:  # no result kept for this run: what it stored when it finished
            stored = _run_info(run).at_run_time
            point = RunRate(run.id, run.finished_at, stored.records, stored.linked, quality)
        else:
            point = RunRate(run.id, run.finished_at, counted.results, counted.linked, quality)
        report.trend.append(point)
    return report
