"""The QR code printed on the chip ID card (CCCD), parsed strictly.

Seven fields separated by ``|``::

    personal ID|old ID|full name|date of birth ddmmyyyy|sex|address|date of issue ddmmyyyy

The old 9-digit ID is empty when the holder never had one. Sex is ``Nam`` or ``Nữ``. Anything
else (a missing or extra field, an impossible date, a personal ID that fails its own checks) is
refused with the field named; a well-formed QR whose fields disagree with the registry is not
an error here: the check-in shows each disagreement as a warning.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from oncegov.errors import ValidationFailed
from oncegov.kit import personal_id as pid
from oncegov.kit.text import fold, nfc
from oncegov.translatable import N_

FIELDS = (
    "personal_id",
    "old_id_number",
    "full_name",
    "date_of_birth",
    "sex",
    "address",
    "date_of_issue",
)
MAX_LENGTH = 600  # the printed QR holds about 250 characters; anything far longer is not one
FIRST_ISSUE_YEAR = 2016  # the first 12-digit citizen identity cards
_DATE = re.compile(r"\d{8}")
_OLD_ID = re.compile(r"\d{9}")
_SEX = {"nam": "M", "nu": "F"}


class ChipQrInvalid(ValidationFailed):
    code = "chip_qr_invalid"


@dataclass(frozen=True, slots=True)
class ChipQr:
    personal_id: str
    old_id_number: str | None
    full_name: str
    date_of_birth: dt.date
    sex: str  # M | F
    address: str
    date_of_issue: dt.date


def _refuse(message: str, qr_field: str, **params: Any) -> ChipQrInvalid:
    return ChipQrInvalid(message, field="chip_qr", qr_field=qr_field, **params)


def _date(text: str, qr_field: str) -> dt.date:
    if not _DATE.fullmatch(text):
        raise _refuse(N_("The QR date must be 8 digits, ddmmyyyy"), qr_field)
    try:
        return dt.date(int(text[4:]), int(text[2:4]), int(text[:2]))
    except ValueError as exc:
        raise _refuse(N_("The QR holds an impossible date"), qr_field) from exc


def parse(text: str, *, today: dt.date) -> ChipQr:
    """Parse the scanned text; raise ``ChipQrInvalid`` naming the faulty field."""
    text = text.strip()
    if not text or len(text) > MAX_LENGTH:
        raise _refuse(N_("This is not the QR of a chip ID card"), "text")
    parts = text.split("|")
    if len(parts) != len(FIELDS):
        raise _refuse(
            N_("The chip ID card QR must have 7 fields separated by |"),
            "text",
            found=len(parts),
        )
    number, old_id, name, birth, sex, address, issued = (part.strip() for part in parts)
    try:
        parsed_id = pid.parse(number)
    except pid.PersonalIdError as exc:
        raise _refuse(N_("The personal ID in the QR is not valid"), "personal_id") from exc
    if old_id and not _OLD_ID.fullmatch(old_id):
        raise _refuse(N_("The old ID number in the QR must have 9 digits"), "old_id_number")
    full_name = nfc(name)
    if not full_name or any(ch.isdigit() for ch in full_name):
        raise _refuse(N_("The full name in the QR is missing or not a name"), "full_name")
    date_of_birth = _date(birth, "date_of_birth")
    if date_of_birth > today or date_of_birth.year != parsed_id.birth_year:
        raise _refuse(
            N_("The date of birth in the QR does not fit its personal ID"), "date_of_birth"
        )
    sex_code = _SEX.get(fold(sex))
    if sex_code is None:
        raise _refuse(N_("Sex in the QR must be Nam or Nữ"), "sex")
    if not nfc(address):
        raise _refuse(N_("The address in the QR is missing"), "address")
    date_of_issue = _date(issued, "date_of_issue")
    if not (dt.date(FIRST_ISSUE_YEAR, 1, 1) <= date_of_issue <= today):
        raise _refuse(N_("The date of issue in the QR is not possible"), "date_of_issue")
    return ChipQr(
        personal_id=number,
        old_id_number=old_id or None,
        full_name=full_name,
        date_of_birth=date_of_birth,
        sex=sex_code,
        address=nfc(address),
        date_of_issue=date_of_issue,
    )


def render(qr: ChipQr) -> str:
    """The QR text of a card (demo, tests and the benchmark print cards with it)."""
    return "|".join(
        [
            qr.personal_id,
            qr.old_id_number or "",
            qr.full_name,
            qr.date_of_birth.strftime("%d%m%Y"),
            "Nam" if qr.sex == "M" else "Nữ",
            qr.address,
            qr.date_of_issue.strftime("%d%m%Y"),
        ]
    )
