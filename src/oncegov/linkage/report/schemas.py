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


class IntervalOut(_Out):
    """A proportion ``successes / n`` with its 95 % Wilson interval; ``estimate`` is null
    when ``n`` is 0."""

    estimate: float | None
    low: float
    high: float
    successes: int
    n: int


class QualityOut(_Out):
    """The held-out measure a run stored: estimated from officers' review decisions (labelled
    pairs), with the auto-link threshold it was configured with and the one it used."""

    labelled: int = Field(description="Labelled pairs (decided pairs the model scored).")
    accepted: int = Field(description="Of which officers accepted (confirmed matches).")
    auto_link: float = Field(description="The configured auto-link threshold.")
    review: float = Field(description="The configured review threshold.")
    min_precision: float = Field(description="The precision auto-links must have.")
    min_labels: int = Field(description="Labels at or above the threshold to vouch for it.")
    precision: IntervalOut = Field(
        description="Accepted share of labelled pairs scored at or above auto_link."
    )
    recall_auto_link: IntervalOut = Field(
        description="Share of confirmed matches scored at or above auto_link."
    )
    recall_review: IntervalOut = Field(
        description="Share of confirmed matches scored at or above review."
    )
    effective_auto_link: float | None = Field(
        description="The threshold the run auto-linked at; null: none was safe, the model "
        "auto-linked nothing."
    )
    refused: bool = Field(
        description="The labelled sample said the configured threshold was unsafe."
    )
    enough_labels: bool = Field(
        description="At least min_labels labelled pairs at or above the configured threshold."
    )


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
    quality: QualityOut | None = Field(
        description="The held-out measure stored by the run; null for runs before it."
    )


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
    quality: QualityOut | None


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
