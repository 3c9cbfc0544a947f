"""The dossiers' JSON shapes (the portal API, ``procedures.dossiers.api``)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from oncegov.kit.schema_types import Instant
from oncegov.procedures.catalogue.schemas import LocalText


class FormFieldOut(BaseModel):
    """One field of the form: a locked value read from the registry (or proven by the eID
    sign-in) with its source, or one the applicant types."""

    key: str
    label: LocalText
    type: str
    source: str = Field(description="registry:<field>, eid, exchange:<service> or applicant")
    locked: bool = Field(description="Taken from the state's data: not typed, not changeable")
    required: bool
    value: str | None


class RelativeOut(BaseModel):
    relation: str
    personal_id: str
    full_name: str


class FormOut(BaseModel):
    """A procedure's form as it opens for the signed-in citizen."""

    procedure_code: str
    procedure_version: int
    eid_level: int
    about: str | None = Field(description="Whom the form is about besides the applicant")
    subject_personal_id: str | None
    candidates: list[RelativeOut]
    fields: list[FormFieldOut]
    missing: list[str] = Field(description="Required registry values the record lacks")


class DossierEventOut(BaseModel):
    seq: int
    at: Instant
    by: str = Field(description="citizen, officer or system")
    from_state: str | None
    to_state: str
    reason: str | None
    form: str | None = Field(description="The Circular 03/2025/TT-VPCP form the move issued")
    due_at: Instant


class DossierOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    procedure_code: str
    procedure_version: int
    channel: str
    commune_code: str
    state: str
    received_at: Instant
    due_at: Instant
    due_day: dt.date = Field(description="The appointed day of the result (Vietnam's date)")
    waiting_for_applicant: bool
    ended_at: Instant | None
    outcome: str | None = Field(description="early, on_time or late once ended")
    receipt_url: str = Field(description="The receipt (form 01) as a PDF, on the portal")


class DossierDetailOut(DossierOut):
    events: list[DossierEventOut]
    expected_of_applicant: bool


class DossierListOut(BaseModel):
    items: list[DossierOut]
    has_more: bool
    next_offset: int | None
