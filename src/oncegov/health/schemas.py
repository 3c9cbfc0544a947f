"""JSON in and out of the check-in API."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from oncegov.health.service import CheckInResult, CheckInStatistics
from oncegov.kit import clock
from oncegov.kit.schema_types import Instant
from oncegov.web.i18n import gettext


class CheckInIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: Literal["personal_id", "chip_qr", "eid_qr"] = Field(
        description="personal_id: the 12 digits typed in; chip_qr: the text of the chip ID "
        "card's QR; eid_qr: the text of the QR on the citizen's eID page"
    )
    value: str = Field(min_length=1, max_length=2000)


class WarningOut(BaseModel):
    code: str
    message: str


class CoverageOut(BaseModel):
    social_insurance_code: str
    card_number: str
    beneficiary_group: str
    benefit_level: int
    valid_from: dt.date
    valid_to: dt.date
    valid_today: bool


class PatientOut(BaseModel):
    personal_id: str
    full_name: str
    date_of_birth: str
    sex: Literal["M", "F"]


class CheckInOut(BaseModel):
    """What the reception needs for the visit, and nothing more."""

    checkin_id: int
    facility_code: str
    checked_in_at: Instant
    method: Literal["personal_id", "chip_qr", "eid_qr"]
    repeat: bool = Field(description="already checked in here today: the same visit")
    patient: PatientOut
    coverage: CoverageOut | None
    initial_care_here: bool = Field(description="this facility is the registered initial care")
    warnings: list[WarningOut]

    @classmethod
    def of(cls, result: CheckInResult) -> CheckInOut:
        coverage = result.coverage
        day = clock.local_day(result.checked_in_at)
        return cls(
            checkin_id=result.checkin_id,
            facility_code=result.facility_code,
            checked_in_at=result.checked_in_at,
            method=result.method,
            repeat=result.repeat,
            patient=PatientOut(
                personal_id=result.personal_id,
                full_name=result.full_name,
                date_of_birth=result.date_of_birth,
                sex=result.sex,
            ),
            coverage=None
            if coverage is None
            else CoverageOut(
                social_insurance_code=coverage.social_insurance_code,
                card_number=coverage.card_number,
                beneficiary_group=coverage.beneficiary_group,
                benefit_level=coverage.benefit_level,
                valid_from=coverage.valid_from,
                valid_to=coverage.valid_to,
                valid_today=coverage.valid_on(day),
            ),
            initial_care_here=result.initial_care_here,
            warnings=[WarningOut(code=w.code, message=gettext(w.message)) for w in result.warnings],
        )


class DailyCountOut(BaseModel):
    day: dt.date
    facility_code: str
    method: str
    count: int


class StatisticsOut(BaseModel):
    since: dt.date
    until: dt.date
    total: int
    by_method: dict[str, int]
    active_facilities: int
    facilities_by_chip_card: int
    chip_card_share: float
    daily: list[DailyCountOut]

    @classmethod
    def of(cls, stats: CheckInStatistics) -> StatisticsOut:
        return cls(
            since=stats.since,
            until=stats.until,
            total=stats.total,
            by_method=stats.by_method,
            active_facilities=stats.active_facilities,
            facilities_by_chip_card=stats.facilities_by_chip_card,
            chip_card_share=round(stats.chip_card_share, 4),
            daily=[
                DailyCountOut(
                    day=d.day, facility_code=d.facility_code, method=d.method, count=d.count
                )
                for d in stats.daily
            ],
        )
