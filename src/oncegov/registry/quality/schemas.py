"""Data shapes of the data-quality review (API bodies and what services hand to pages)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from oncegov.kit.schema_types import Instant
from oncegov.kit.text import LongText, PlainText
from oncegov.registry.schemas import CitizenOut

Resolution = Literal["corrected", "confirmed_correct", "false_positive"]
FindingStatus = Literal["open", "corrected", "confirmed_correct", "false_positive"]


class RuleOut(BaseModel):
    code: str
    title: str
    description: str
    severity: str
    subject_kind: str


class RuleRunCounts(BaseModel):
    rule: str
    seen: int = 0
    new: int = 0
    reopened: int = 0
    closed: int = 0
    seconds: float = 0.0


class RunOut(BaseModel):
    """One run of the checks and what it changed."""

    id: int
    actor: str
    started_at: Instant
    finished_at: Instant | None
    findings_seen: int
    findings_new: int
    findings_reopened: int
    findings_closed: int = 0
    rules: list[RuleRunCounts] = Field(default_factory=list)


@dataclass(frozen=True)
class FindingFilters:
    """Which findings to list; None means any."""

    commune_code: str | None = None
    rule: str | None = None
    status: str | None = None
    subject_key: str | None = None  # part of a personal ID or household code


class FindingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    rule: str
    commune_code: str | None
    subject_kind: str
    subject_key: str
    detail: str
    status: FindingStatus
    first_run_id: int
    last_run_id: int
    resolved_by: str | None
    resolved_at: Instant | None
    resolution_note: str | None


class FindingPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[FindingOut]


class HouseholdRef(BaseModel):
    code: str
    head_personal_id: str | None
    member_personal_ids: list[str]


class FindingDetail(BaseModel):
    """A finding with the citizens it concerns (reading them is audited)."""

    finding: FindingOut
    rule: RuleOut
    citizens: list[CitizenOut]
    # Personal IDs the finding names that lie outside the reader's area (not shown).
    outside_area: list[str]
    household: HouseholdRef | None = None


class CommuneCounts(BaseModel):
    commune_code: str
    commune_name: str
    open_by_rule: dict[str, int]
    open_total: int


class SummaryOut(BaseModel):
    """Open findings per commune and rule, totals per rule and status, and the last run."""

    rules: list[RuleOut]
    communes: list[CommuneCounts]
    open_by_rule: dict[str, int]
    by_status: dict[str, int]
    open_total: int
    last_run: RunOut | None


class ResolveIn(BaseModel):
    """How an officer resolves a finding. ``corrections`` maps personal IDs of the citizens the
    finding concerns to ``{field: new value}``; required when the resolution is "corrected"."""

    resolution: Resolution
    note: LongText = Field(max_length=500)
    corrections: dict[str, dict[str, str | None]] | None = None
    reason: PlainText | None = Field(default=None, max_length=500)
    legal_reference: PlainText | None = Field(default=None, max_length=200)
