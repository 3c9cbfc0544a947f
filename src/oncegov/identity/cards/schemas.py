"""Chip ID-card application shapes: the intake, a step, the application as read, counts."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from oncegov.identity.cards.models import (
    ADDRESS_SOURCES,
    DELIVERIES,
    KINDS,
    STATION_KINDS,
    STATUSES,
)
from oncegov.kit.schema_types import Instant, one_of
from oncegov.kit.text import PersonName, PlainText

SEXES = ("M", "F")

GROUPINGS: tuple[str, ...] = ("commune", "kind", "status")


class Intake(BaseModel):
    """What the officer enters at the desk. Free text fields are checked by the service (so
    the page and the API give the same errors, naming the field); the delivery address is not
    here on purpose: it is taken from the registry (``delivery_address_source``)."""

    personal_id: str = Field(max_length=20, examples=["004085100001"])
    kind: str = Field(
        max_length=24,
        json_schema_extra=one_of(KINDS),
        description="first_issue, renewal_25, renewal_40, renewal_60, reissue_loss, "
        "reissue_damage or change_of_information",
    )
    # As declared by the citizen; must agree exactly with the registry.
    full_name: PersonName = Field(max_length=120, examples=["Nông Văn Dũng"])
    date_of_birth: str = Field(
        max_length=10,
        description="d/m/yyyy or yyyy-mm-dd; m/yyyy, yyyy-mm or yyyy when the registry "
        "knows no more",
        examples=["17/05/1985"],
    )
    sex: str = Field(max_length=1, examples=["M"], json_schema_extra=one_of(SEXES))
    portrait_captured: bool = False
    fingerprints_captured: bool = False
    delivery: str = Field(
        default="station",
        description="station or post",
        max_length=10,
        json_schema_extra=one_of(DELIVERIES),
    )
    delivery_address_source: str | None = Field(
        default=None,
        max_length=10,
        description="For post: permanent or current (residence in the registry)",
        json_schema_extra=one_of(ADDRESS_SOURCES, nullable=True),
    )
    station: str | None = Field(
        default=None,
        max_length=10,
        description="Where it is received: a commune code in your area, or 'province' "
        "(the provincial station). Default: your commune, or the province.",
    )
    register_eid_level2: bool = False
    eid_phone: str | None = Field(default=None, max_length=20)
    client_token: str | None = Field(
        default=None,
        max_length=64,
        description="Idempotency key; the API takes it from the Idempotency-Key header too.",
    )


class StepIn(BaseModel):
    """Move an application one step forward, or reject it with a reason."""

    to: str = Field(
        max_length=24,
        json_schema_extra=one_of(STATUSES[1:]),
        description="checked, sent_for_production, produced, returned, delivered or rejected",
    )
    reason: PlainText | None = Field(default=None, max_length=300, description="Required to reject")
    note: PlainText | None = Field(default=None, max_length=300)


class StepOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    from_status: str | None = Field(json_schema_extra=one_of(STATUSES, nullable=True))
    to_status: str = Field(json_schema_extra=one_of(STATUSES))
    at: Instant
    actor: str
    note: str | None


class ApplicationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    personal_id: str
    kind: str = Field(json_schema_extra=one_of(KINDS))
    status: str = Field(json_schema_extra=one_of(STATUSES))
    fee_vnd: int
    fee_legal_reference: str
    full_name: str
    date_of_birth: str
    sex: str
    commune_code: str
    station_kind: str = Field(json_schema_extra=one_of(STATION_KINDS))
    station_commune_code: str | None
    portrait_captured: bool
    fingerprints_captured: bool
    delivery: str = Field(json_schema_extra=one_of(DELIVERIES))
    delivery_address_source: str | None = Field(
        json_schema_extra=one_of(ADDRESS_SOURCES, nullable=True)
    )
    delivery_commune_code: str | None
    delivery_address: str | None
    eid_level2_requested: bool
    eid_account_id: int | None
    received_by: str
    received_at: Instant
    checked_at: Instant | None
    sent_for_production_at: Instant | None
    produced_at: Instant | None
    returned_at: Instant | None
    delivered_at: Instant | None
    rejected_at: Instant | None
    rejected_from: str | None
    rejection_reason: str | None
    next_step: str | None = Field(description="The one forward move possible now, if any")
    steps: list[StepOut] = []


class ApplicationRow(BaseModel):
    """A line of the officers' list."""

    id: int
    personal_id: str
    full_name: str
    kind: str = Field(json_schema_extra=one_of(KINDS))
    status: str = Field(json_schema_extra=one_of(STATUSES))
    commune_code: str
    received_at: Instant


class ApplicationPage(BaseModel):
    rows: list[ApplicationRow]
    total: int
    page: int
    per_page: int


class CountRow(BaseModel):
    commune_code: str | None = None
    kind: str | None = None
    status: str | None = None
    count: int


class CountsOut(BaseModel):
    date_from: dt.date
    date_to: dt.date
    group_by: list[str]
    total: int
    rows: list[CountRow]
