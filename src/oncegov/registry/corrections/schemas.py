"""Data shapes of correction requests: the fields a citizen may report, and what pages get."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from oncegov.kit.schema_types import Instant
from oncegov.registry.schemas import CitizenOut
from oncegov.translatable import N_


@dataclass(frozen=True)
class ReportableField:
    """One choice in the citizen's "report an error" form and the registry columns behind it.

    The personal ID number is not offered: it cannot be corrected by a record change (a wrong
    number needs the in-person procedure at the police station)."""

    key: str
    label: str
    columns: tuple[str, ...]


REPORTABLE_FIELDS: tuple[ReportableField, ...] = (
    ReportableField("full_name", N_("Full name"), ("full_name",)),
    ReportableField("date_of_birth", N_("Date of birth"), ("date_of_birth",)),
    ReportableField("sex", N_("Sex"), ("sex",)),
    ReportableField("ethnicity_code", N_("Ethnicity"), ("ethnicity_code",)),
    ReportableField("religion", N_("Religion"), ("religion",)),
    ReportableField("nationality", N_("Nationality"), ("nationality",)),
    ReportableField("hometown", N_("Hometown"), ("hometown",)),
    ReportableField(
        "permanent_residence",
        N_("Permanent residence"),
        ("permanent_commune_code", "permanent_address"),
    ),
    ReportableField(
        "temporary_residence",
        N_("Temporary residence"),
        ("temporary_commune_code", "temporary_address"),
    ),
    ReportableField(
        "household",
        N_("Household and relationship to its head"),
        ("household_code", "relationship_to_head"),
    ),
)
REPORTABLE_BY_KEY: dict[str, ReportableField] = {f.key: f for f in REPORTABLE_FIELDS}

STATUS_LABELS: dict[str, str] = {
    "open": N_("Submitted"),
    "in_review": N_("Being reviewed"),
    "resolved_corrected": N_("Corrected"),
    "rejected": N_("Rejected"),
}


def columns_of(keys: list[str]) -> list[str]:
    """The registry columns behind reported field keys, in form order, without repeats."""
    columns: list[str] = []
    for key in keys:
        for column in REPORTABLE_BY_KEY[key].columns if key in REPORTABLE_BY_KEY else ():
            if column not in columns:
                columns.append(column)
    return columns


class CorrectionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    personal_id: str
    commune_code: str | None
    fields: list[str]
    description: str
    proposed_value: str | None
    status: str
    created_at: Instant
    handled_by: str | None
    taken_at: Instant | None
    handled_at: Instant | None
    resolution_note: str | None
    registry_version: int | None


class CorrectionPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[CorrectionOut]


class CorrectionDetail(BaseModel):
    """A request with the citizen's current record (read through the registry, audited)."""

    request: CorrectionOut
    citizen: CitizenOut
    columns: list[str]  # the registry columns the reported fields stand for


class CorrectionFiling(BaseModel):
    """What the citizen submits (form or API)."""

    fields: list[str]
    description: str
    proposed_value: str | None = None
