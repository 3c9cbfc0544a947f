"""Registry data shapes: the canonical citizen fields (CSV/Parquet columns) and API models."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from oncegov.kit.schema_types import Instant
from oncegov.kit.text import PlainText
from oncegov.translatable import N_

SEX_LABELS = {"M": N_("Male"), "F": N_("Female")}


def display_birth(text: str) -> str:
    """An ISO (partial) date as Vietnamese readers write it — 1985-05-17 as 17/05/1985,
    1985-05 as 05/1985 — keeping what is unknown unknown."""
    return "/".join(reversed(text.split("-")))


# Column order of exports and imports (docs/data-formats.md documents each).
CITIZEN_COLUMNS: tuple[str, ...] = (
    "personal_id",
    "old_id_number",
    "full_name",
    "date_of_birth",
    "sex",
    "ethnicity_code",
    "religion",
    "nationality",
    "birth_registration_commune_code",
    "hometown",
    "permanent_commune_code",
    "permanent_address",
    "temporary_commune_code",
    "temporary_address",
    "current_commune_code",
    "current_address",
    "household_code",
    "relationship_to_head",
    "father_personal_id",
    "mother_personal_id",
    "spouse_personal_id",
    "phone",
    "email",
    "status",
    "date_of_death",
)

REQUIRED_COLUMNS: frozenset[str] = frozenset(
    {"personal_id", "full_name", "date_of_birth", "sex", "ethnicity_code", "status"}
)

# Fields an officer may correct through the edit page / API; personal_id is immutable.
EDITABLE_FIELDS: tuple[str, ...] = tuple(c for c in CITIZEN_COLUMNS if c != "personal_id")


class CitizenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    personal_id: str
    old_id_number: str | None
    full_name: str
    date_of_birth: str
    sex: str
    ethnicity_code: str
    religion: str
    nationality: str
    birth_registration_commune_code: str | None
    hometown: str | None
    permanent_commune_code: str | None
    permanent_address: str | None
    temporary_commune_code: str | None
    temporary_address: str | None
    current_commune_code: str | None
    current_address: str | None
    household_code: str | None
    relationship_to_head: str | None
    father_personal_id: str | None
    mother_personal_id: str | None
    spouse_personal_id: str | None
    phone: str | None
    email: str | None
    status: str
    date_of_death: dt.date | None
    version: int


class CitizenSummary(BaseModel):
    personal_id: str
    full_name: str
    date_of_birth: str
    sex: str
    permanent_commune_code: str | None
    status: str


class HouseholdOut(BaseModel):
    code: str
    commune_code: str
    address: str
    head_personal_id: str | None
    members: list[CitizenSummary]


class ChangeOut(BaseModel):
    version: int
    changed_at: Instant
    actor: str
    source: str
    reason: str
    legal_reference: str | None
    changes: dict[str, Any]


class CitizenCorrection(BaseModel):
    """A correction of one or more fields, with the reason and the legal document behind it."""

    changes: dict[str, str | None]
    reason: PlainText = Field(max_length=500)
    legal_reference: PlainText | None = Field(default=None, max_length=200)


@dataclass(frozen=True, slots=True)
class VisitIdentity:
    """What a medical facility's reception may see of a citizen (``identities_for_visit``)."""

    personal_id: str
    full_name: str
    birth_year: int
    birth_month: int | None
    birth_day: int | None
    sex: str
    status: str
    old_id_number: str | None
    permanent_address: str | None
    permanent_commune_code: str | None


class LinkageIdentity(NamedTuple):
    """What record linkage compares of a citizen (``identities_for_linkage``): a plain tuple,
    because a run reads the whole registry."""

    personal_id: str
    full_name: str
    birth_year: int
    birth_month: int | None
    birth_day: int | None
    sex: str
    old_id_number: str | None
    commune_code: str | None  # where they live now, else their permanent residence
    phone: str | None
    status: str
    # Household members share it: twins are told apart from one person written twice.
    household_code: str | None = None
    # The registered residences (thường trú, tạm trú): a sector address naming either is the
    # place the state knows this person by, even when they live elsewhere now.
    permanent_commune_code: str | None = None
    temporary_commune_code: str | None = None
