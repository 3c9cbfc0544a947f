"""JSON out of the sync report API (counts only, never a record or a person)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel

from oncegov.linkage.report.service import CommuneRow, RunInfo, RunRate, SyncReport


def _rate(value: float) -> float:
    return round(value, 4)


class RunCountersOut(BaseModel):
    records: int
    linked_deterministic: int
    linked_model: int
    linked_clerical: int
    review: int
    unmatched: int


class RunOut(BaseModel):
    id: int
    source: str
    extract_name: str
    settings_version: str
    started_at: dt.datetime
    finished_at: dt.datetime
    seconds: float
    actor: str
    at_run_time: RunCountersOut

    @classmethod
    def of(cls, run: RunInfo) -> RunOut:
        counters = run.at_run_time
        return cls(
            id=run.id,
            source=run.source,
            extract_name=run.extract_name,
            settings_version=run.settings_version,
            started_at=run.started_at,
            finished_at=run.finished_at,
            seconds=run.seconds,
            actor=run.actor,
            at_run_time=RunCountersOut(
                records=counters.records,
                linked_deterministic=counters.linked_deterministic,
                linked_model=counters.linked_model,
                linked_clerical=counters.linked_clerical,
                review=counters.review,
                unmatched=counters.unmatched,
            ),
        )


class CommuneOut(BaseModel):
    commune_code: str | None
    commune_name: str | None
    total: int
    linked: int
    rate: float
    backlog: int

    @classmethod
    def of(cls, row: CommuneRow) -> CommuneOut:
        return cls(
            commune_code=row.code,
            commune_name=row.name,
            total=row.total,
            linked=row.linked,
            rate=_rate(row.rate),
            backlog=row.backlog,
        )


class RunRateOut(BaseModel):
    run_id: int
    finished_at: dt.datetime
    records: int
    linked: int
    rate: float

    @classmethod
    def of(cls, point: RunRate) -> RunRateOut:
        return cls(
            run_id=point.run_id,
            finished_at=point.finished_at,
            records=point.records,
            linked=point.linked,
            rate=_rate(point.rate),
        )


class SyncReportOut(BaseModel):
    source: str
    run: RunOut
    total: int
    linked: int
    rate: float
    by_method: dict[str, int]
    backlog: int
    backlog_by_reason: dict[str, int]
    unmatched: int
    unmatched_by_reason: dict[str, int]
    communes: list[CommuneOut]
    trend: list[RunRateOut]

    @classmethod
    def of(cls, report: SyncReport) -> SyncReportOut:
        return cls(
            source=report.source,
            run=RunOut.of(report.run),
            total=report.total,
            linked=report.linked,
            rate=_rate(report.rate),
            by_method=report.by_method,
            backlog=report.backlog,
            backlog_by_reason=report.backlog_by_reason,
            unmatched=report.unmatched,
            unmatched_by_reason=report.unmatched_by_reason,
            communes=[CommuneOut.of(row) for row in report.communes],
            trend=[RunRateOut.of(point) for point in report.trend],
        )
