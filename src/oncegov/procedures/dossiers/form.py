"""A procedure's form filled for one applicant: each field's value and where it came from.

Pure: no database. ``registry:<field>`` and ``eid`` values come from the registry records read
(audited) by the service; they are locked, shown with their source, and read again when the
dossier is submitted, so a dossier holds what the registry said at that moment, never what a
browser sent. ``applicant`` and ``exchange:<service>`` values are typed and checked here by the
field's type (``exchange`` ones stay typed until the data exchange connects the service, and are
marked so).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from oncegov.errors import ValidationFailed
from oncegov.integrations.sms import normalise_phone
from oncegov.kit import personal_id as pid
from oncegov.kit.text import clean_text
from oncegov.procedures.catalogue.schemas import FormField, LocalText, Procedure
from oncegov.registry.schemas import SEX_LABELS, CitizenOut, display_birth
from oncegov.translatable import N_

TEXT_MAX = 500
LONG_TEXT_MAX = 4000
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s.]{2,63}$")
_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_NUMBER = re.compile(r"^-?\d{1,12}(?:[.,]\d{1,6})?$")

SOURCE_LABELS: dict[str, str] = {
    "registry": N_("From the national population database"),
    "eid": N_("Proven by your electronic identity"),
    "exchange": N_("Another agency's data: type it for now (the connection is not yet made)"),
    "applicant": N_("Typed by you"),
}

# The relations the registry links (``registry.service.relatives``) for each ``about`` of the
# catalogue. ``deceased``: the death being declared is not yet in the registry (registering it
# is what records it), so any linked relative may be the one declared dead.
RELATION_OF_ABOUT: dict[str, tuple[str, ...]] = {
    "child": ("child",),
    "spouse": ("spouse",),
    "father": ("father",),
    "mother": ("mother",),
    "deceased": ("father", "mother", "spouse", "child"),
}


@dataclass(frozen=True, slots=True)
class FilledField:
    key: str
    label: LocalText
    type: str
    source: str
    source_kind: str
    about: str
    required: bool
    value: str | None
    locked: bool
    choices: tuple[LocalText, ...] = ()

    @property
    def source_label(self) -> str:
        return SOURCE_LABELS[self.source_kind]

    @property
    def shown(self) -> str | None:
        """The value as people read it (``shown_value``)."""
        return shown_value(self.type, self.source, self.value)

    @property
    def shown_is_label(self) -> bool:
        return shown_is_label(self.source)


# Registry fields whose stored value is a code: the form shows its label (a message id).
CODED_REGISTRY_FIELDS: dict[str, dict[str, str]] = {"registry:sex": SEX_LABELS}
_ISO_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def shown_value(field_type: str, source: str, value: str | None) -> str | None:
    """A stored value as people read it: a date as dd/mm/yyyy (a partial one as mm/yyyy or
    yyyy), a registry code as the message id of its label (``shown_is_label``: the page
    translates it), anything else as stored."""
    if value is None:
        return None
    labels = CODED_REGISTRY_FIELDS.get(source)
    if labels is not None:
        return labels.get(value, value)
    if field_type == "date" and _ISO_DATE.match(value):
        return display_birth(value)
    return value


def shown_is_label(source: str) -> bool:
    return source in CODED_REGISTRY_FIELDS


def subject_about(procedure: Procedure) -> str | None:
    """The registered relative the form pre-fills fields of (None: only the applicant's). A
    form about a newborn child types the child's details: there is no record to read yet."""
    for field in procedure.form:
        if field.about in RELATION_OF_ABOUT and is_locked(field):
            return field.about
    return None


def _registry_value(record: CitizenOut | None, name: str) -> str | None:
    if record is None:
        return None
    value = getattr(record, name, None)
    if value is None:
        return None
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def prefilled_value(
    field: FormField, applicant: CitizenOut, subject: CitizenOut | None
) -> str | None:
    """A locked field's value from the records read (None when the registry has none)."""
    record = subject if field.about in RELATION_OF_ABOUT else applicant
    if field.source == "eid":
        return applicant.personal_id if field.about == "applicant" else None
    return _registry_value(record, field.source.split(":", 1)[1])


def is_locked(field: FormField) -> bool:
    return field.source_kind == "registry" or field.source == "eid"


def fill(
    procedure: Procedure,
    applicant: CitizenOut,
    subject: CitizenOut | None,
    typed: dict[str, Any],
) -> list[FilledField]:
    """Every field of the form with its value: locked ones from the records, the rest typed."""
    filled = []
    for field in procedure.form:
        locked = is_locked(field)
        value = prefilled_value(field, applicant, subject) if locked else typed.get(field.key)
        filled.append(
            FilledField(
                key=field.key,
                label=field.label,
                type=field.type,
                source=field.source,
                source_kind=field.source_kind,
                about=field.about,
                required=field.required,
                value=None if value in (None, "") else str(value),
                locked=locked,
                choices=tuple(field.choices),
            )
        )
    return filled


def _date(raw: str) -> str:
    match = _DMY.match(raw)
    try:
        if match:
            day, month, year = (int(part) for part in match.groups())
            return dt.date(year, month, day).isoformat()
        return dt.date.fromisoformat(raw).isoformat()
    except ValueError:
        raise ValueError(N_("Enter a date as dd/mm/yyyy")) from None


def _checked(field: FormField, raw: str) -> str:
    """One typed value as stored, or ``ValueError`` with the reason."""
    if field.type == "long_text":
        value = clean_text(raw, multiline=True)
        if len(value) > LONG_TEXT_MAX:
            raise ValueError(N_("This text is too long"))
        return value
    value = clean_text(raw)
    if len(value) > TEXT_MAX:
        raise ValueError(N_("This text is too long"))
    if field.type == "date":
        return _date(value)
    if field.type == "personal_id":
        if not pid.is_valid(value):
            raise ValueError(N_("A personal ID number has 12 digits"))
        return value
    if field.type == "phone":
        try:
            return normalise_phone(value)
        except ValidationFailed:
            raise ValueError(N_("Enter a Vietnamese mobile number, e.g. 0912345678")) from None
    if field.type == "email":
        if not _EMAIL.match(value):
            raise ValueError(N_("Enter an e-mail address, e.g. name@example.vn"))
        return value
    if field.type == "number":
        if not _NUMBER.match(value):
            raise ValueError(N_("Enter a number"))
        return value.replace(",", ".")
    if field.type == "choice":
        allowed = {choice.vi for choice in field.choices}
        if value not in allowed:
            raise ValueError(N_("Choose one of the options"))
    return value


def check_typed(
    procedure: Procedure, submitted: dict[str, Any], *, complete: bool
) -> dict[str, str]:
    """The typed fields' values as stored. ``complete``: every required typed field must be
    there (submission); otherwise a draft may be partial. Locked fields are never taken from
    ``submitted``. Refused with ``ValidationFailed`` naming the first field, every problem in
    ``errors``."""
    values: dict[str, str] = {}
    problems: list[dict[str, str]] = []
    for field in procedure.form:
        if is_locked(field):
            continue
        raw = submitted.get(field.key)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if complete and field.required:
                problems.append({"field": field.key, "message": N_("This field is required")})
            continue
        if not isinstance(raw, str):
            problems.append({"field": field.key, "message": N_("Enter text")})
            continue
        try:
            values[field.key] = _checked(field, raw)
        except ValueError as refused:
            problems.append({"field": field.key, "message": str(refused)})
    if problems:
        first = problems[0]
        raise ValidationFailed(first["message"], field=first["field"], errors=problems)
    return values


def missing_prefill(filled: list[FilledField]) -> list[str]:
    """Required locked fields the registry has no value for (the record needs correcting)."""
    return [f.key for f in filled if f.locked and f.required and f.value is None]
