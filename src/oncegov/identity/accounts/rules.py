"""eID input rules without database access: personal ID, birth date, portrait photo and
passcode checks, ages from (possibly partial) registry birth dates."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import re
import secrets

from oncegov.errors import ValidationFailed
from oncegov.kit import personal_id as pid
from oncegov.registry.schemas import CitizenOut
from oncegov.translatable import N_

MAX_PORTRAIT_BYTES = 2 * 1024 * 1024
_JPEG = b"\xff\xd8\xff"
_PNG = b"\x89PNG\r\n\x1a\n"
_BIRTH = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_PASSCODE = re.compile(r"\d{6}")


def clean_personal_id(value: str) -> str:
    value = (value or "").strip()
    if not pid.is_valid(value):
        raise ValidationFailed(N_("Enter the 12-digit personal ID number"), field="personal_id")
    return value


def parse_birth_date(value: str) -> dt.date:
    """``dd/mm/yyyy`` as printed on the chip ID card."""
    match = _BIRTH.fullmatch((value or "").strip())
    try:
        if not match:
            raise ValueError(value)
        return dt.date(int(match[3]), int(match[2]), int(match[1]))
    except ValueError:
        raise ValidationFailed(
            N_("Enter the date of birth as dd/mm/yyyy, e.g. 17/05/1985"), field="date_of_birth"
        ) from None


def age_on(born: dt.date, today: dt.date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def registry_birth(citizen: CitizenOut) -> dt.date | None:
    """The full birth date, or None when the registry knows only the year or month."""
    try:
        return dt.date.fromisoformat(citizen.date_of_birth)
    except ValueError:
        return None


def latest_possible_birth(citizen: CitizenOut) -> dt.date:
    """For the age limit on partial registry dates: assume the youngest possible person."""
    parts = [int(p) for p in citizen.date_of_birth.split("-")]
    if len(parts) == 3:
        return dt.date(parts[0], parts[1], parts[2])
    if len(parts) == 2:
        following = dt.date(parts[0] + parts[1] // 12, parts[1] % 12 + 1, 1)
        return following - dt.timedelta(days=1)
    return dt.date(parts[0], 12, 31)


def check_portrait(data: bytes) -> str:
    """JPEG or PNG (by their magic bytes), at most 2 MB; returns the SHA-256."""
    if not data:
        raise ValidationFailed(N_("Add a portrait photo"), field="portrait")
    if len(data) > MAX_PORTRAIT_BYTES:
        raise ValidationFailed(N_("The photo is larger than 2 MB"), field="portrait")
    if not (data.startswith(_JPEG) or data.startswith(_PNG)):
        raise ValidationFailed(N_("The photo must be a JPEG or PNG image"), field="portrait")
    return hashlib.sha256(data).hexdigest()


def check_passcode(passcode: str, repeat: str | None, born: dt.date | None) -> None:
    """Six digits, typed twice alike, and not trivially guessable."""
    if not _PASSCODE.fullmatch(passcode or ""):
        raise ValidationFailed(N_("The passcode must be exactly 6 digits"), field="passcode")
    if repeat is not None and not secrets.compare_digest(passcode, repeat):
        raise ValidationFailed(N_("The two passcodes differ"), field="passcode_repeat")
    if is_weak_passcode(passcode, born):
        raise ValidationFailed(
            N_(
                "This passcode is too easy to guess (same digit, a run like 123456, or your "
                "birth date); choose another"
            ),
            field="passcode",
            code="weak_passcode",
        )


def is_weak_passcode(passcode: str, born: dt.date | None) -> bool:
    digits = [int(c) for c in passcode]
    steps = {(b - a) % 10 for a, b in itertools.pairwise(digits)}
    if steps in ({0}, {1}, {9}):  # 111111, 123456 / 890123, 654321
        return True
    if passcode[:2] * 3 == passcode or passcode[:3] * 2 == passcode:  # 121212, 123123
        return True
    return born is not None and passcode == born.strftime("%d%m%y")
