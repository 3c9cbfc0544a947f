"""JSON out of the sync report API (counts only, never a record or a person), read straight
from the service's report objects."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from oncegov.kit.schema_types import Instant
from oncegov.linkage.report.service import SyncReport

# A share of records, to four decimals (0.9981).
Rate = Annotated[float, AfterValidator(lambda value: round(value, 4))]


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class RunCountersOut(_Out):
    records: int
    linked_deterministic: int
    linked_model: int
    linked_clerical: int
    review: int
    unmatched: int


class RunOut(_Out):
    id: int
    source: str
    extract_name: str
    settings_version: str
    started_at: Instant
    finished_at: Instant
    seconds: float
    actor: str
    at_run_time: RunCountersOut


class CommuneOut(_Out):
    commune_code: str | None = Field(validation_alias="code")
    commune_name: str | None = Field(validation_alias="name")
    total: int
    linked: int
    rate: Rate
    backlog: int


class RunRateOut(_Out):
    run_id: int
    finished_at: Instant
    records: int
    linked: int
    rate: Rate


class SyncReportOut(_Out):
    source: str
    run: RunOut
    total: int
    linked: int
    rate: Rate
    by_method: dict[str, int]
    backlog: int
    backlog_by_reason: dict[str, int]
    unmatched: int
    unmatched_by_reason: dict[str, int]
    communes: list[CommuneOut]
    trend: list[RunRateOut]

    @classmethod
    def of(cls, report: SyncReport) -> SyncReportOut:
        return cls.model_validate(report)
