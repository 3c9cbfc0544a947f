"""Registry rules: the only entry other domains use to read or change population data.

Every function that returns a citizen's personal data records an audit entry with the actor,
the purpose and the subject; there is no other path to that data.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from oncegov.audit import service as audit
from oncegov.errors import NotFound, ValidationFailed
from oncegov.kit import clock
from oncegov.kit import personal_id as pid
from oncegov.kit.actor import Actor
from oncegov.kit.text import fold, name_key
from oncegov.registry import events
from oncegov.registry.models import Citizen, Household, RegistryChange
from oncegov.registry.repository import RegistryRepository
from oncegov.registry.schemas import (
    CITIZEN_COLUMNS,
    EDITABLE_FIELDS,
    ChangeOut,
    CitizenOut,
    CitizenSummary,
    HouseholdOut,
    LinkageIdentity,
    VisitIdentity,
)
from oncegov.registry.validation import CitizenValidator, FieldError, format_birth
from oncegov.translatable import N_
from oncegov.units import service as units
from oncegov.units.schemas import EVERYWHERE, UnitScope

SEARCH_LIMIT = 50
_ID_QUERY = re.compile(r"\d{12}")
_BIRTH_IN_QUERY = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})|(\d{4})-(\d{2})-(\d{2})|(\d{4})")


def to_out(citizen: Citizen) -> CitizenOut:
    data = {c: getattr(citizen, c) for c in CitizenOut.model_fields if hasattr(citizen, c)}
    data["date_of_birth"] = format_birth(citizen.birth_year, citizen.birth_month, citizen.birth_day)
    return CitizenOut.model_validate(data)


def to_summary(citizen: Citizen) -> CitizenSummary:
    return CitizenSummary(
        personal_id=citizen.personal_id,
        full_name=citizen.full_name,
        date_of_birth=format_birth(citizen.birth_year, citizen.birth_month, citizen.birth_day),
        sex=citizen.sex,
        permanent_commune_code=citizen.permanent_commune_code,
        status=citizen.status,
    )


def _require_purpose(purpose: str) -> str:
    purpose = purpose.strip()
    if not purpose:
        raise ValidationFailed(
            N_("A purpose is required to read a citizen's data"), field="purpose"
        )
    return purpose


# --- reads ------------------------------------------------------------------------------------


def get_citizen(
    session: Session,
    actor: Actor,
    personal_id: str,
    *,
    purpose: str,
    scope: UnitScope = EVERYWHERE,
) -> CitizenOut:
    """One citizen by personal ID, within the caller's unit scope. Audited."""
    purpose = _require_purpose(purpose)
    citizen = RegistryRepository(session).citizen(personal_id, scope)
    if citizen is None:
        # Same answer for "no such person" and "outside your units": no enumeration.
        raise NotFound(N_("No citizen with this personal ID in your area"), field="personal_id")
    audit.record(session, actor, "registry.read", purpose=purpose, subject_personal_id=personal_id)
    return to_out(citizen)


@dataclass(frozen=True, slots=True)
class VisitRead:
    """One audited read for a medical visit: who, whose data, and what the audit entry says."""

    actor: Actor
    personal_id: str
    action: str
    detail: dict[str, Any]


def identities_for_visits(
    session: Session, reads: Sequence[VisitRead], *, purpose: str
) -> list[tuple[VisitIdentity | None, int | None]]:
    """Many people by personal ID in one query, for medical reception desks; each read that
    finds its person is one audit entry (appended as one batch). Returns, per read, the
    identity (None: no such person) and the seq of its audit entry."""
    purpose = _require_purpose(purpose)
    found = RegistryRepository(session).identities_for_visit([r.personal_id for r in reads])
    hits = [r for r in reads if r.personal_id in found]
    seqs = iter(
        audit.record_many(
            session,
            [
                audit.PendingEntry(
                    actor=r.actor,
                    action=r.action,
                    purpose=purpose,
                    subject_personal_id=r.personal_id,
                    detail=r.detail,
                )
                for r in hits
            ],
        )
    )
    return [
        (found[r.personal_id], next(seqs)) if r.personal_id in found else (None, None)
        for r in reads
    ]


def identities_for_linkage(
    session: Session,
    actor: Actor,
    *,
    purpose: str,
    detail: dict[str, Any],
    scope: UnitScope = EVERYWHERE,
) -> tuple[int, Iterator[list[LinkageIdentity]]]:
    """The whole registry (within scope), for linking a sector database to it: one audit entry
    for the bulk read (its seq is returned), not one per person, since no officer sees these
    rows; the links a run makes are audited per citizen by linkage itself."""
    purpose = _require_purpose(purpose)
    (seq,) = audit.record_many(
        session,
        [audit.PendingEntry(actor, "registry.bulk_read", purpose=purpose, detail=detail)],
    )
    return seq, RegistryRepository(session).identities_for_linkage(scope)


def parse_search(query: str) -> dict[str, Any]:
    """Split a free-text query into name part and an optional birth date (d/m/yyyy or ISO)."""
    query = query.strip()
    birth: dict[str, int | None] = {"birth_year": None, "birth_month": None, "birth_day": None}
    match = _BIRTH_IN_QUERY.search(query)
    if match:
        if match[1]:
            birth = {
                "birth_day": int(match[1]),
                "birth_month": int(match[2]),
                "birth_year": int(match[3]),
            }
        elif match[4]:
            birth = {
                "birth_year": int(match[4]),
                "birth_month": int(match[5]),
                "birth_day": int(match[6]),
            }
        else:
            birth = {"birth_year": int(match[7]), "birth_month": None, "birth_day": None}
        query = (query[: match.start()] + query[match.end() :]).strip(" ,;")
    return {"name": query, **birth}


def search_citizens(
    session: Session,
    actor: Actor,
    query: str,
    *,
    purpose: str,
    scope: UnitScope = EVERYWHERE,
) -> list[CitizenSummary]:
    """Exact personal ID, or name (accent-insensitive, any word order) with optional birth date.

    The search itself is audited (query, result count); opening a record is audited again.
    """
    purpose = _require_purpose(purpose)
    repo = RegistryRepository(session)
    query = query.strip()
    if _ID_QUERY.fullmatch(query):
        found = repo.citizen(query, scope)
        results = [found] if found else []
    else:
        parts = parse_search(query)
        folded = fold(parts["name"])
        # Letters and digits count, not punctuation: "%%" or ".." is no name.
        if sum(char.isalnum() for char in folded) < 2 and parts["birth_year"] is None:
            raise ValidationFailed(N_("Type at least two letters of the name"), field="q")
        results = list(
            repo.search_by_name(
                scope,
                folded_prefix=folded or None,
                name_key=name_key(parts["name"]) if folded else None,
                birth_year=parts["birth_year"],
                birth_month=parts["birth_month"],
                birth_day=parts["birth_day"],
                limit=SEARCH_LIMIT,
            )
        )
    audit.record(
        session,
        actor,
        "registry.search",
        purpose=purpose,
        detail={"query": query, "results": len(results)},
    )
    return [to_summary(c) for c in results]


def match_by_name_and_birth(
    session: Session,
    actor: Actor,
    *,
    full_name: str,
    date_of_birth: str,
    purpose: str,
    scope: UnitScope = EVERYWHERE,
) -> list[CitizenSummary]:
    """Candidates whose name matches accent- and order-insensitively and whose birth date
    agrees (a year-only record matches any date in that year). Audited."""
    purpose = _require_purpose(purpose)
    from oncegov.registry.validation import PartialDate

    try:
        birth = PartialDate.parse(date_of_birth.strip())
    except ValueError as exc:
        # The parser's own text is English and technical: the reader gets one message.
        raise ValidationFailed(
            N_("Date of birth is not a valid date (day/month/year)"), field="date_of_birth"
        ) from exc
    key = name_key(full_name)
    if not key:
        raise ValidationFailed(N_("Full name is required"), field="full_name")
    candidates = RegistryRepository(session).search_by_name(
        scope,
        folded_prefix=None,
        name_key=key,
        birth_year=birth.year,
        birth_month=birth.month,
        birth_day=birth.day,
        limit=SEARCH_LIMIT,
    )
    audit.record(
        session,
        actor,
        "registry.match",
        purpose=purpose,
        detail={"results": len(candidates)},
    )
    return [to_summary(c) for c in candidates]


def household_of(
    session: Session,
    actor: Actor,
    personal_id: str,
    *,
    purpose: str,
    scope: UnitScope = EVERYWHERE,
) -> HouseholdOut | None:
    """The household a citizen belongs to, with its members. Audited for each member shown."""
    purpose = _require_purpose(purpose)
    repo = RegistryRepository(session)
    citizen = repo.citizen(personal_id, scope)
    if citizen is None:
        raise NotFound(N_("No citizen with this personal ID in your area"), field="personal_id")
    if citizen.household_code is None:
        return None
    household = repo.household(citizen.household_code)
    if household is None:
        return None
    members = repo.household_members(household.code)
    for member in members:
        audit.record(
            session,
            actor,
            "registry.read_household",
            purpose=purpose,
            subject_personal_id=member.personal_id,
            detail={"household": household.code},
        )
    return HouseholdOut(
        code=household.code,
        commune_code=household.commune_code,
        address=household.address,
        head_personal_id=household.head_personal_id,
        members=[to_summary(m) for m in members],
    )


def contact_of(
    session: Session, actor: Actor, personal_id: str, *, purpose: str
) -> tuple[str | None, str | None]:
    """A citizen's phone and e-mail as the registry holds them, to notify them (a dossier's
    status). Audited (``registry.read_contact``); (None, None) for an unknown person."""
    purpose = _require_purpose(purpose)
    citizen = RegistryRepository(session).citizen(personal_id, EVERYWHERE)
    if citizen is None:
        return None, None
    audit.record(
        session, actor, "registry.read_contact", purpose=purpose, subject_personal_id=personal_id
    )
    return citizen.phone, citizen.email


# The relations a public-service form may be about (``about`` in the procedure catalogue).
RELATIONS = ("father", "mother", "spouse", "child")


def relatives(
    session: Session, actor: Actor, personal_id: str, *, purpose: str
) -> dict[str, list[CitizenOut]]:
    """The applicant's parents, spouse and children as the registry links them, for a form
    about one of them (a child's birth, a parent's death). Every person returned is one
    audited read with ``purpose`` (the procedure). The applicant must exist."""
    purpose = _require_purpose(purpose)
    repo = RegistryRepository(session)
    citizen = repo.citizen(personal_id, EVERYWHERE)
    if citizen is None:
        raise NotFound(N_("No citizen with this personal ID in your area"), field="personal_id")
    found: dict[str, list[Citizen]] = {relation: [] for relation in RELATIONS}
    for relation, linked in (
        ("father", citizen.father_personal_id),
        ("mother", citizen.mother_personal_id),
        ("spouse", citizen.spouse_personal_id),
    ):
        person = repo.citizen(linked, EVERYWHERE) if linked else None
        if person is not None:
            found[relation].append(person)
    found["child"] = list(repo.children_of(personal_id))
    read = [
        audit.PendingEntry(
            actor=actor,
            action="registry.read_relative",
            purpose=purpose,
            subject_personal_id=person.personal_id,
            detail={"relation": relation},
        )
        for relation, people in found.items()
        for person in people
    ]
    if read:
        audit.record_many(session, read)
    return {relation: [to_out(p) for p in people] for relation, people in found.items()}


def history(
    session: Session,
    actor: Actor,
    personal_id: str,
    *,
    purpose: str,
    scope: UnitScope = EVERYWHERE,
) -> list[ChangeOut]:
    purpose = _require_purpose(purpose)
    repo = RegistryRepository(session)
    if repo.citizen(personal_id, scope) is None:
        raise NotFound(N_("No citizen with this personal ID in your area"), field="personal_id")
    audit.record(
        session, actor, "registry.read_history", purpose=purpose, subject_personal_id=personal_id
    )
    return [
        ChangeOut.model_validate(c, from_attributes=True)
        for c in repo.changes("citizen", personal_id)
    ]


# --- changes ----------------------------------------------------------------------------------


def _validator(session: Session) -> CitizenValidator:
    return CitizenValidator(units.commune_codes(session))


def _field_errors_to_exception(errors: Sequence[FieldError]) -> ValidationFailed:
    first = errors[0]
    return ValidationFailed(
        f"{first.field}: {first.message}",
        field=first.field,
        code="validation_failed",
        errors=[{"field": e.field, "code": e.code, "message": e.message} for e in errors],
    )


def current_row(citizen: Citizen) -> dict[str, str]:
    from oncegov.registry.validation import citizen_to_row

    return citizen_to_row({c.name: getattr(citizen, c.name) for c in Citizen.__table__.columns})


def diff_values(citizen: Citizen, clean: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for every stored column that ``clean`` changes."""
    changes: dict[str, list[Any]] = {}
    for column, new in clean.items():
        old = getattr(citizen, column)
        if old != new:
            changes[column] = [_jsonable(old), _jsonable(new)]
    return changes


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def record_change(
    session: Session,
    actor: Actor,
    personal_id: str,
    updates: dict[str, str | None],
    *,
    reason: str,
    legal_reference: str | None = None,
    source: str = "edit",
    scope: UnitScope = EVERYWHERE,
) -> CitizenOut:
    """Correct fields of a citizen. Validates the whole resulting record, writes a new version
    with who, why and under which document, and audits the change. No-op changes are refused."""
    reason = reason.strip()
    if not reason:
        raise ValidationFailed(N_("A reason is required for every change"), field="reason")
    unknown = [f for f in updates if f not in EDITABLE_FIELDS]
    if unknown:
        raise ValidationFailed(f"Field cannot be changed: {unknown[0]}", field=unknown[0])
    repo = RegistryRepository(session)
    citizen = repo.citizen_for_update(personal_id, scope)
    if citizen is None:
        raise NotFound(N_("No citizen with this personal ID in your area"), field="personal_id")
    row = current_row(citizen) | {k: (v or "") for k, v in updates.items()}
    clean, errors = _validator(session).validate(row)
    if errors:
        raise _field_errors_to_exception(errors)
    if updates.get("household_code") and repo.household(clean["household_code"]) is None:
        raise ValidationFailed(N_("No household with this code"), field="household_code")
    changes = diff_values(citizen, clean)
    if not changes:
        raise ValidationFailed(N_("Nothing to change: the values are the same"), field="changes")
    apply_change(
        session,
        citizen,
        changes,
        actor=actor,
        reason=reason,
        legal_reference=legal_reference,
        source=source,
    )
    audit.record(
        session,
        actor,
        "registry.change",
        purpose=reason,
        subject_personal_id=personal_id,
        detail={
            "fields": sorted(changes),
            "version": citizen.version,
            "legal_reference": legal_reference,
        },
    )
    return to_out(citizen)


def apply_change(
    session: Session,
    citizen: Citizen,
    changes: dict[str, list[Any]],
    *,
    actor: Actor,
    reason: str,
    legal_reference: str | None,
    source: str,
) -> None:
    """Write validated changes as the next version (used by edits, imports and corrections)."""
    for column, (_old, new) in changes.items():
        is_date_text = column == "date_of_death" and isinstance(new, str)
        setattr(citizen, column, dt.date.fromisoformat(new) if is_date_text else new)
    citizen.version += 1
    citizen.updated_at = clock.now()
    if changes.get("status", [None, None])[1] == "deceased":
        events.citizens_deceased(session, [citizen.personal_id])  # e.g. revokes the eID account
    RegistryRepository(session).add(
        RegistryChange(
            entity="citizen",
            entity_key=citizen.personal_id,
            version=citizen.version,
            changed_at=citizen.updated_at,
            actor=actor.label,
            source=source,
            reason=reason,
            legal_reference=legal_reference,
            changes=changes,
        )
    )


def allocate_personal_id(
    session: Session, *, birth_province_code: str, sex: str, birth_year: int
) -> str:
    """A new unique personal ID number (used when a birth is registered)."""
    if sex not in ("M", "F"):
        raise ValidationFailed(N_("Sex must be M or F"), field="sex")
    try:
        prefix = pid.prefix_for(birth_province_code, sex, birth_year)  # type: ignore[arg-type]
    except pid.PersonalIdError as exc:
        raise ValidationFailed(exc.message, field="birth_province_code") from exc
    repo = RegistryRepository(session)
    while True:
        sequence = repo.claim_sequence(prefix, start=1)
        if sequence > 999_999:
            raise ValidationFailed(N_("No personal ID numbers left for this prefix"), field="sex")
        number = f"{prefix}{sequence:06d}"
        if not repo.personal_id_taken(number):
            return number


def count_citizens(session: Session, scope: UnitScope = EVERYWHERE) -> int:
    return RegistryRepository(session).count_citizens(scope)


def household(session: Session, code: str) -> Household | None:
    return RegistryRepository(session).household(code)


def deceased_among(
    session: Session, actor: Actor, personal_ids: Sequence[str], *, purpose: str
) -> set[str]:
    """Which of ``personal_ids`` the registry records as deceased (eID sign-in and the
    accounts' safety-net sweep). Audited as one entry: only the vital status is returned."""
    purpose = _require_purpose(purpose)
    found = RegistryRepository(session).deceased_among(list(personal_ids))
    audit.record(
        session,
        actor,
        "registry.status_check",
        purpose=purpose,
        subject_personal_id=personal_ids[0] if len(personal_ids) == 1 else None,
        detail={"checked": len(personal_ids), "deceased": len(found)},
    )
    return found


# --- what a public-service form may pre-fill ---------------------------------------------------
# The citizen's data a procedure's form may take from the registry (source ``registry:<name>``
# in the procedure catalogue, ``procedures.catalogue``), named as ``CitizenOut`` names them.
# The catalogue refuses any other name when it loads; the values themselves are read later,
# per dossier, through an audited call of this service like every other read.
# Every canonical citizen column (the export's and import's) may be pre-filled.
PREFILLABLE_FIELDS: tuple[str, ...] = CITIZEN_COLUMNS


def prefillable_fields() -> tuple[str, ...]:
    """The registry fields a procedure's form may pre-fill (``PREFILLABLE_FIELDS``)."""
    return PREFILLABLE_FIELDS
