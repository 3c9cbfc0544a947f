"""Validation of one citizen record given as text fields (an import row, a form, a JSON body).

Returns the cleaned, typed values and every fault found, each naming the field, the value and
the reason, so an import report or a form can show them all at once. Written for speed: the
import benchmark runs it over a million rows.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from oncegov.kit import clock, personal_id
from oncegov.kit.text import fold, name_key, name_problem, nfc, text_problem
from oncegov.registry.reference import ETHNIC_GROUPS, RELATIONSHIPS, RELIGIONS, STATUSES
from oncegov.registry.schemas import CITIZEN_COLUMNS

_OLD_ID = re.compile(r"\d{9}")
_PHONE = re.compile(r"\+?\d{9,15}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
_COMMUNE_FIELDS = (
    "birth_registration_commune_code",
    "permanent_commune_code",
    "temporary_commune_code",
    "current_commune_code",
)
_RELATIVE_FIELDS = ("father_personal_id", "mother_personal_id", "spouse_personal_id")
_TEXT_LIMITS = {
    "full_name": 120,
    "hometown": 200,
    "permanent_address": 200,
    "temporary_address": 200,
    "current_address": 200,
    "household_code": 20,
}
OLDEST_PLAUSIBLE_YEAR = 1880


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    value: str
    code: str
    message: str


class PartialDate:
    """A birth date as real records have it: year, year-month, or a full date."""

    __slots__ = ("day", "month", "year")

    def __init__(self, year: int, month: int | None = None, day: int | None = None) -> None:
        self.year, self.month, self.day = year, month, day

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        match = _DATE.fullmatch(text)
        if not match:
            raise ValueError("expected YYYY, YYYY-MM or YYYY-MM-DD")
        year = int(match[1])
        month = int(match[2]) if match[2] else None
        day = int(match[3]) if match[3] else None
        if month is not None and not 1 <= month <= 12:
            raise ValueError("month must be 01–12")
        if day is not None and month is not None:
            dt.date(year, month, day)  # raises ValueError for 2023-02-30 and the like
        return cls(year, month, day)

    def __str__(self) -> str:
        return format_birth(self.year, self.month, self.day)

    def earliest(self) -> dt.date:
        return dt.date(self.year, self.month or 1, self.day or 1)


def format_birth(year: int, month: int | None, day: int | None) -> str:
    if month is None:
        return f"{year:04d}"
    if day is None:
        return f"{year:04d}-{month:02d}"
    return f"{year:04d}-{month:02d}-{day:02d}"


class CitizenValidator:
    """Validates rows against reference data; build once per import, call per row."""

    def __init__(self, commune_codes: frozenset[str], today: dt.date | None = None) -> None:
        self.commune_codes = commune_codes
        self.today = today or clock.today()

    def validate(  # noqa: PLR0915 - one linear pass per row is the fast path for imports
        self, row: Mapping[str, str | None]
    ) -> tuple[dict[str, Any], list[FieldError]]:
        errors: list[FieldError] = []
        clean: dict[str, Any] = {}

        def fail(field: str, code: str, message: str) -> None:
            errors.append(FieldError(field, str(row.get(field) or ""), code, message))

        def text(field: str) -> str | None:
            value = row.get(field)
            if value is None:
                return None
            value = value.strip()
            return value or None

        for field in ("full_name", "date_of_birth", "sex", "ethnicity_code", "status"):
            if text(field) is None:
                fail(field, "required", "is required")

        full_name = text("full_name")
        if full_name:
            full_name = nfc(full_name)
            problem = name_problem(full_name)
            if problem:
                fail("full_name", "invalid", problem)
            clean["full_name"] = full_name
            clean["folded_name"] = fold(full_name)
            clean["name_key"] = name_key(full_name)
            # Folding can lengthen a name (Hangul syllables decompose into letters); the
            # folded forms are stored too, in columns as long as the name's.
            if len(clean["folded_name"]) > _TEXT_LIMITS["full_name"]:
                fail("full_name", "too_long", "must be shorter once accents are folded")

        birth: PartialDate | None = None
        raw_birth = text("date_of_birth")
        if raw_birth:
            try:
                birth = PartialDate.parse(raw_birth)
            except ValueError as exc:
                fail("date_of_birth", "invalid_date", str(exc))
            else:
                if birth.earliest() > self.today:
                    fail("date_of_birth", "in_future", "is in the future")
                    birth = None
                elif birth.year < OLDEST_PLAUSIBLE_YEAR:
                    fail("date_of_birth", "implausible", f"is before {OLDEST_PLAUSIBLE_YEAR}")
                    birth = None
                else:
                    clean["birth_year"] = birth.year
                    clean["birth_month"] = birth.month
                    clean["birth_day"] = birth.day

        sex = text("sex")
        if sex:
            sex = sex.upper()
            if sex not in ("M", "F"):
                fail("sex", "invalid", "must be M or F")
                sex = None
            else:
                clean["sex"] = sex

        number = text("personal_id")
        if number is None:
            fail("personal_id", "required", "is required")
        else:
            try:
                personal_id.check_consistency(
                    number,
                    birth_year=birth.year if birth else None,
                    sex=sex if sex in ("M", "F") else None,  # type: ignore[arg-type]
                )
            except personal_id.PersonalIdError as exc:
                fail("personal_id", exc.code, exc.message)
            else:
                clean["personal_id"] = number

        self._check_codes(row, text, fail, clean)
        self._check_contacts(text, fail, clean)
        self._check_status(text, fail, clean, birth)
        for field, limit in _TEXT_LIMITS.items():
            value = text(field)
            problem = text_problem(value) if value is not None and field != "full_name" else None
            if value is not None and len(value) > limit:
                fail(field, "too_long", f"must be at most {limit} characters")
            elif problem:
                fail(field, "invalid", problem)
            elif field != "full_name":
                clean[field] = nfc(value) if value else None
        return clean, errors

    def _check_codes(
        self, row: Mapping[str, str | None], text: Any, fail: Any, clean: dict[str, Any]
    ) -> None:
        ethnicity = text("ethnicity_code")
        if ethnicity:
            ethnicity = ethnicity.zfill(2)
            if ethnicity not in ETHNIC_GROUPS:
                fail("ethnicity_code", "unknown", "is not one of the 54 ethnic group codes")
            else:
                clean["ethnicity_code"] = ethnicity
        religion = text("religion") or "none"
        if religion not in RELIGIONS:
            fail("religion", "unknown", "is not a known religion code")
        clean["religion"] = religion
        nationality = (text("nationality") or "VN").upper()
        if len(nationality) != 2 or not nationality.isalpha():
            fail("nationality", "invalid", "must be a 2-letter country code")
        clean["nationality"] = nationality
        for field in _COMMUNE_FIELDS:
            code = text(field)
            if code is not None:
                code = code.zfill(5)
                if code not in self.commune_codes:
                    fail(field, "unknown_commune", "is not a known commune code")
            clean[field] = code
        for field in _RELATIVE_FIELDS:
            number = text(field)
            if number is not None and not personal_id.is_valid(number):
                fail(field, "invalid", "is not a valid personal ID number")
            clean[field] = number
        relationship = text("relationship_to_head")
        if relationship is not None and relationship not in RELATIONSHIPS:
            fail("relationship_to_head", "unknown", "is not a known relationship")
        clean["relationship_to_head"] = relationship
        if relationship is not None and text("household_code") is None:
            fail("household_code", "required", "is required when a relationship to head is given")

    def _check_contacts(self, text: Any, fail: Any, clean: dict[str, Any]) -> None:
        old_id = text("old_id_number")
        if old_id is not None and not _OLD_ID.fullmatch(old_id):
            fail("old_id_number", "invalid", "must have 9 digits")
        clean["old_id_number"] = old_id
        phone = text("phone")
        if phone is not None:
            phone = phone.replace(" ", "")
            if not _PHONE.fullmatch(phone):
                fail("phone", "invalid", "is not a phone number")
        clean["phone"] = phone
        email = text("email")
        if email is not None and not _EMAIL.fullmatch(email):
            fail("email", "invalid", "is not an e-mail address")
        clean["email"] = email

    def _check_status(
        self, text: Any, fail: Any, clean: dict[str, Any], birth: PartialDate | None
    ) -> None:
        status = text("status")
        if status and status not in STATUSES:
            fail("status", "unknown", "must be living, deceased or missing")
        elif status:
            clean["status"] = status
        raw_death = text("date_of_death")
        death: dt.date | None = None
        if raw_death:
            try:
                death = dt.date.fromisoformat(raw_death)
            except ValueError:
                fail("date_of_death", "invalid_date", "expected YYYY-MM-DD")
            else:
                if death > self.today:
                    fail("date_of_death", "in_future", "is in the future")
                elif birth and death < birth.earliest().replace(month=1, day=1):
                    fail("date_of_death", "before_birth", "is before the date of birth")
        if death and status and status != "deceased":
            fail("date_of_death", "status_conflict", "is set but status is not deceased")
        clean["date_of_death"] = death


def citizen_to_row(values: dict[str, Any]) -> dict[str, str]:
    """The text form of a citizen (export row, form values), the inverse of ``validate``."""
    row: dict[str, str] = {}
    for column in CITIZEN_COLUMNS:
        if column == "date_of_birth":
            row[column] = format_birth(
                values["birth_year"], values.get("birth_month"), values.get("birth_day")
            )
            continue
        value = values.get(column)
        row[column] = "" if value is None else str(value)
    return row
