"""Turning the rows a rule query returns into detections: subject, commune, detail, fingerprint.

Pure Python, no SQL. The fingerprint hashes exactly the data the rule looked at, so a finding an
officer resolved comes back only when that data changes (see ``service.run_checks``). Detail
texts name fields and values, never a person's name.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from oncegov.kit import personal_id as pid
from oncegov.registry.quality.rules import MAX_PLAUSIBLE_AGE, MIN_PARENT_AGE_GAP
from oncegov.registry.validation import format_birth

PAIR_SEPARATOR = "|"
MISSING_FIELDS = (
    "full_name",
    "ethnicity_code",
    "permanent_commune_code",
    "permanent_address",
    "household_code",
)


@dataclass(frozen=True, slots=True)
class Detection:
    subject_kind: str
    subject_key: str
    commune_code: str
    detail: str
    fingerprint: str


def fingerprint(*values: Any) -> str:
    canonical = json.dumps(values, default=str, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def pair_key(first: str, second: str) -> str:
    """A pair's subject key: the smaller personal ID first, so each pair has one key."""
    low, high = sorted((first, second))
    return f"{low}{PAIR_SEPARATOR}{high}"


def id_inconsistent(rows: Iterable[Any]) -> Iterator[Detection]:
    for row in rows:
        try:
            pid.check_consistency(row.personal_id, birth_year=row.birth_year, sex=row.sex)
        except pid.PersonalIdError as exc:
            yield Detection(
                "citizen",
                row.personal_id,
                row.commune_code,
                exc.message,
                fingerprint(row.personal_id, row.birth_year, row.sex),
            )
        # A row the SQL flags but the kit accepts is not a finding: the kit is the reference.


def missing_required(rows: Iterable[Any]) -> Iterator[Detection]:
    for row in rows:
        missing = [field for field in MISSING_FIELDS if getattr(row, f"no_{field}")]
        yield Detection(
            "citizen",
            row.personal_id,
            row.commune_code,
            f"Missing: {', '.join(missing)}",
            fingerprint(row.personal_id, missing),
        )


def _pair_values(row: Any, side: str) -> tuple[Any, ...]:
    return tuple(
        getattr(row, f"{side}_{column}")
        for column in ("name_key", "birth_year", "birth_month", "birth_day", "old_id_number")
    )


def probable_duplicates(rows: Iterable[Any]) -> Iterator[Detection]:
    """One detection per pair, however many of the two tests (name+birth, old ID) it meets."""
    seen: set[str] = set()
    for row in rows:
        key = pair_key(row.a_id, row.b_id)
        if key in seen:
            continue
        seen.add(key)
        a, b = _pair_values(row, "a"), _pair_values(row, "b")
        reasons = []
        if a[:4] == b[:4] and a[3] is not None:
            reasons.append(f"same name and date of birth ({format_birth(*a[1:4])})")
        if a[4] is not None and a[4] == b[4]:
            reasons.append(f"same old ID number {a[4]}")
        yield Detection(
            "pair",
            key,
            row.commune_code,
            f"{row.a_id} and {row.b_id}: {'; '.join(reasons)}",
            fingerprint(row.a_id, a, row.b_id, b),
        )


def _died(row: Any) -> str:
    return f"Deceased ({row.date_of_death.isoformat()})" if row.date_of_death else "Deceased"


def deceased_heads(rows: Iterable[Any]) -> Iterator[Detection]:
    headed: dict[str, list[str]] = {}
    first: dict[str, Any] = {}
    for row in rows:  # one row per household headed
        first.setdefault(row.personal_id, row)
        codes = headed.setdefault(row.personal_id, [])
        if row.headed_household:
            codes.append(row.headed_household)
    for personal_id, row in first.items():
        codes = sorted(headed[personal_id])
        problems = [f"named head of household {code}" for code in codes]
        if row.relationship_to_head == "head":
            problems.append(f"relationship 'head' in household {row.household_code or '-'}")
        yield Detection(
            "citizen",
            personal_id,
            row.commune_code,
            f"{_died(row)} but {' and '.join(problems)}",
            fingerprint(
                personal_id,
                row.date_of_death,
                row.relationship_to_head,
                row.household_code,
                codes,
            ),
        )


def deceased_residents(rows: Iterable[Any]) -> Iterator[Detection]:
    for row in rows:
        problems = []
        if row.current_commune_code:
            problems.append(f"current residence in commune {row.current_commune_code}")
        if row.household_code:
            problems.append(f"member of household {row.household_code}")
        yield Detection(
            "citizen",
            row.personal_id,
            row.commune_code,
            f"{_died(row)} but {' and '.join(problems)}",
            fingerprint(
                row.personal_id, row.date_of_death, row.current_commune_code, row.household_code
            ),
        )


def households_without_head(rows: Iterable[Any]) -> Iterator[Detection]:
    for row in rows:
        if row.head_personal_id is None:
            detail = "No head named"
        elif row.head_found is None:
            detail = f"Head {row.head_personal_id} is not in the registry"
        elif row.head_household is None:
            detail = f"Head {row.head_personal_id} belongs to no household"
        else:
            detail = (
                f"Head {row.head_personal_id} is a member of household {row.head_household}, "
                "not of this one"
            )
        yield Detection(
            "household",
            row.code,
            row.commune_code,
            detail,
            fingerprint(row.code, row.head_personal_id, row.head_found, row.head_household),
        )


def age_on(today: dt.date, year: int, month: int | None, day: int | None) -> int:
    """Whole years since the latest birth date a partial date allows (never overstates age)."""
    month = month or 12
    day = day or calendar.monthrange(year, month)[1]
    return today.year - year - ((today.month, today.day) < (month, day))


def implausible_ages(rows: Iterable[Any], today: dt.date) -> Iterator[Detection]:
    for row in rows:
        birth = format_birth(row.birth_year, row.birth_month, row.birth_day)
        problems = []
        if row.status == "living":
            age = age_on(today, row.birth_year, row.birth_month, row.birth_day)
            if age > MAX_PLAUSIBLE_AGE:
                problems.append(f"Living, aged {age} (born {birth})")
        if row.died_before_birth:
            problems.append(
                f"Date of death {row.date_of_death.isoformat()} is before birth {birth}"
            )
        if not problems:
            continue  # the SQL pre-selects by year; the exact age is within bounds
        yield Detection(
            "citizen",
            row.personal_id,
            row.commune_code,
            "; ".join(problems),
            fingerprint(
                row.personal_id,
                row.status,
                row.birth_year,
                row.birth_month,
                row.birth_day,
                row.date_of_death,
            ),
        )


def implausible_relationships(rows: Iterable[Any]) -> Iterator[Detection]:
    for row in rows:
        problems = []
        if row.child_too_old:
            gap = row.birth_year - row.head_birth_year
            problems.append(
                f"Child born {row.birth_year}, head {row.head_id} born {row.head_birth_year}: "
                f"{gap} years apart (at least {MIN_PARENT_AGE_GAP} expected)"
            )
        if row.parent_too_young:
            gap = row.head_birth_year - row.birth_year
            problems.append(
                f"Parent born {row.birth_year}, head {row.head_id} born {row.head_birth_year}: "
                f"{gap} years apart (at least {MIN_PARENT_AGE_GAP} expected)"
            )
        if row.own_spouse:
            problems.append("Spouse is the person themself")
        yield Detection(
            "citizen",
            row.personal_id,
            row.commune_code,
            "; ".join(problems),
            fingerprint(
                row.personal_id,
                row.relationship_to_head,
                row.birth_year,
                row.spouse_personal_id,
                row.head_id,
                row.head_birth_year,
            ),
        )
