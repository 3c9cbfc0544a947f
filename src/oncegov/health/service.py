"""Health-insurance check-in: the rules. The only entry other code uses (routes, FHIR, CLI).

A check-in identifies one patient by exact identifier, reads the few fields the reception needs
through ``registry.service`` (one audit entry per check-in, purpose "medical examination"),
adds the insurance card and the warnings, and stores the visit. ``check_in`` takes a batch:
the JSON API group-commits many desks' requests in one transaction (``db.GroupCommitter``),
the reception page and FHIR pass a batch of one.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from oncegov.audit import service as audit
from oncegov.auth import service as auth
from oncegov.auth.roles import HEALTH_CHECKIN
from oncegov.auth.schemas import Principal
from oncegov.config import settings
from oncegov.errors import (
    Conflict,
    NotFound,
    OnceGovError,
    PermissionDenied,
    TooManyRequests,
    ValidationFailed,
)
from oncegov.health import demo
from oncegov.health.models import CHECKIN_METHODS, MedicalFacility
from oncegov.health.repository import HealthRepository
from oncegov.identity.accounts import service as eid
from oncegov.identity.accounts.qr import EidQrRejected, verify_checkin_token
from oncegov.identity.cards import service as id_cards
from oncegov.kit import chip_qr, clock
from oncegov.kit import personal_id as pid
from oncegov.kit.actor import Actor
from oncegov.kit.chip_qr import ChipQr
from oncegov.kit.text import fold
from oncegov.registry import service as registry
from oncegov.registry.schemas import VisitIdentity
from oncegov.registry.validation import format_birth
from oncegov.translatable import N_

PURPOSE = "medical examination"
CHECKIN_ACTION = "health.checkin"
CHIP_CARD_METHODS = ("personal_id", "chip_qr")  # the chip ID card itself, typed or scanned

# Warning codes and what the receptionist reads. A warning never blocks the check-in: the
# reception decides (an expired card still gets treated, at the patient's own cost).
WARNINGS: dict[str, str] = {
    "deceased": N_("The registry records this person as deceased"),
    "missing": N_("The registry records this person as missing"),
    "no_card": N_("No health-insurance card: not insured"),
    "card_expired": N_("The health-insurance card has expired"),
    "card_not_yet_valid": N_("The health-insurance card is not valid yet"),
    "card_locked": N_("The health-insurance card is locked by the insurer"),
    "eid_locked": N_("The eID account is locked"),
    "eid_revoked": N_("The eID account is revoked"),
    "checked_in_elsewhere_today": N_("Already checked in at another facility today"),
    "qr_full_name": N_("The name in the card's QR differs from the registry"),
    "qr_date_of_birth": N_("The date of birth in the card's QR differs from the registry"),
    "qr_sex": N_("The sex in the card's QR differs from the registry"),
    "qr_old_id_number": N_("The old ID number in the card's QR differs from the registry"),
    "qr_address": N_("The address in the card's QR differs from the registry"),
    "qr_date_of_issue": N_("The card's date of issue matches no card issued to this person"),
}


# --- who is checking in -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FacilityDesk:
    """A facility's reception (a receptionist's session or the facility's system token)."""

    facility_code: str
    facility_name: str
    actor: Actor


# code -> (valid until (monotonic), name, active). Facilities rarely change; a deactivated one
# is refused within ``service_token_cache_seconds``, like a revoked token.
_facility_cache: dict[str, tuple[float, str, bool]] = {}


def _facility_row(session: Session | None, code: str) -> tuple[str, bool] | None:
    cached = _facility_cache.get(code)
    if cached is not None and cached[0] >= time.monotonic():
        return cached[1], cached[2]
    if session is None:
        return None
    facility = HealthRepository(session).facility(code)
    if facility is None:
        return None
    expires = time.monotonic() + settings.service_token_cache_seconds
    _facility_cache[code] = (expires, facility.name, facility.is_active)
    return facility.name, facility.is_active


def forget_facilities() -> None:
    _facility_cache.clear()


def cached_desk(principal: Principal, channel: str) -> FacilityDesk | None:
    """``desk_for`` without a database session when the facility is already known."""
    codes = principal.agencies_for(HEALTH_CHECKIN)
    if len(codes) != 1 or _facility_row(None, next(iter(codes))) is None:
        return None
    return desk_for(None, principal, channel)


def desk_for(session: Session | None, principal: Principal, channel: str) -> FacilityDesk:
    """The facility a caller checks patients in for: its check-in permission must be held for
    exactly one facility (an agency-scoped role or token). Anything else is refused."""
    if not principal.can(HEALTH_CHECKIN):
        raise PermissionDenied(N_("You do not have permission for this"), permission=HEALTH_CHECKIN)
    codes = principal.agencies_for(HEALTH_CHECKIN)
    row = _facility_row(session, next(iter(codes))) if len(codes) == 1 else None
    if row is None or not row[1]:
        raise PermissionDenied(
            N_("This account is not bound to one active medical facility"),
            code="facility_unknown",
        )
    code = next(iter(codes))
    actor = Actor(
        kind=principal.kind,
        id=principal.name,
        name=principal.display_name,
        agency=row[0],
        channel=channel,
    )
    return FacilityDesk(facility_code=code, facility_name=row[0], actor=actor)


# --- identification ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Identification:
    """How the patient was identified: ``personal_id`` typed in, the chip card's QR
    (``chip``), or the eID check-in QR (``eid_token``, verified in the batch)."""

    method: str
    personal_id: str | None = None
    chip: ChipQr | None = None
    eid_token: str | None = None


def by_personal_id(text: str) -> Identification:
    number = "".join(text.split())
    try:
        pid.parse(number)
    except pid.PersonalIdError as exc:
        raise NotValidIdentifier(
            N_("A personal ID number has 12 digits and a known province code"),
            field="personal_id",
            code="personal_id_invalid",
        ) from exc
    return Identification("personal_id", personal_id=number)


def by_chip_qr(text: str, today: dt.date | None = None) -> Identification:
    qr = chip_qr.parse(text, today=today or clock.local_day(clock.now()))
    return Identification("chip_qr", personal_id=qr.personal_id, chip=qr)


def by_eid_qr(token: str) -> Identification:
    token = token.strip()
    if not token:
        raise NotValidIdentifier(N_("The eID QR is empty"), field="eid_qr", code="eid_qr_malformed")
    return Identification("eid_qr", eid_token=token)


def identification(method: str, value: str) -> Identification:
    if method == "personal_id":
        return by_personal_id(value)
    if method == "chip_qr":
        return by_chip_qr(value)
    if method == "eid_qr":
        return by_eid_qr(value)
    raise NotValidIdentifier(
        N_("Unknown identification method"), field="method", allowed=list(CHECKIN_METHODS)
    )


class NotValidIdentifier(OnceGovError):
    status = 422
    code = "identifier_invalid"


# --- the answer -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CheckInWarning:
    code: str
    message: str  # untranslated source string; translated where shown


@dataclass(frozen=True, slots=True)
class Coverage:
    social_insurance_code: str
    card_number: str  # the personal ID now serves as the card number
    beneficiary_group: str
    benefit_level: int
    valid_from: dt.date
    valid_to: dt.date
    five_years_from: dt.date | None
    locked: bool

    def valid_on(self, day: dt.date) -> bool:
        return self.valid_from <= day <= self.valid_to and not self.locked


@dataclass(frozen=True, slots=True)
class CheckInRequest:
    desk: FacilityDesk
    identification: Identification


@dataclass(frozen=True, slots=True)
class CheckInResult:
    checkin_id: int
    facility_code: str
    checked_in_at: dt.datetime
    method: str
    repeat: bool  # this person was already checked in here today: the same visit
    personal_id: str
    full_name: str
    date_of_birth: str
    sex: str
    coverage: Coverage | None
    initial_care_here: bool
    warnings: tuple[CheckInWarning, ...] = field(default=())

    @property
    def warning_codes(self) -> list[str]:
        return [w.code for w in self.warnings]


def _warning(code: str) -> CheckInWarning:
    return CheckInWarning(code, WARNINGS[code])


# --- the batch --------------------------------------------------------------------------------


class PatientNotFound(NotFound):
    code = "patient_not_found"


def _not_found() -> PatientNotFound:
    return PatientNotFound(N_("No citizen with this personal ID"), field="personal_id")


def _rate_limited() -> TooManyRequests:
    return TooManyRequests(
        N_("Too many check-ins from this facility; try again in a minute"),
        code="too_many_requests",
        retry_after=60,
    )


def _verify_eid_tokens(
    session: Session, requests: Sequence[CheckInRequest], outcomes: list[Any], now: dt.datetime
) -> list[str | None]:
    numbers: list[str | None] = []
    for index, request in enumerate(requests):
        ident = request.identification
        if outcomes[index] is not None:
            numbers.append(None)
        elif ident.method == "eid_qr":
            try:
                numbers.append(
                    verify_checkin_token(session, ident.eid_token or "", now).personal_id
                )
            except EidQrRejected as exc:
                outcomes[index] = exc
                numbers.append(None)
        else:
            numbers.append(ident.personal_id)
    return numbers


def _apply_rate_limits(
    session: Session, requests: Sequence[CheckInRequest], outcomes: list[Any]
) -> None:
    by_facility: dict[str, list[int]] = {}
    for index, request in enumerate(requests):
        by_facility.setdefault(f"health:{request.desk.facility_code}", []).append(index)
    allowed = auth.take_hits(
        session,
        {key: len(indexes) for key, indexes in by_facility.items()},
        settings.health_checkin_limit_per_minute,
    )
    for key, indexes in by_facility.items():
        for index in indexes[allowed[key] :]:
            outcomes[index] = _rate_limited()


def _coverage(card: Any) -> Coverage | None:
    if card is None:
        return None
    return Coverage(
        social_insurance_code=card.social_insurance_code,
        card_number=card.personal_id,
        beneficiary_group=card.beneficiary_group,
        benefit_level=card.benefit_level,
        valid_from=card.valid_from,
        valid_to=card.valid_to,
        five_years_from=card.five_years_from,
        locked=card.status == "locked",
    )


def _card_warnings(coverage: Coverage | None, day: dt.date) -> list[str]:
    if coverage is None:
        return ["no_card"]
    codes = ["card_locked"] if coverage.locked else []
    if day > coverage.valid_to:
        codes.append("card_expired")
    elif day < coverage.valid_from:
        codes.append("card_not_yet_valid")
    return codes


def _registry_birth(person: VisitIdentity) -> tuple[int, int | None, int | None]:
    return person.birth_year, person.birth_month, person.birth_day


def _qr_mismatches(qr: ChipQr, person: VisitIdentity, issued: set[dt.date] | None) -> list[str]:
    codes: list[str] = []
    if qr.full_name != person.full_name:
        codes.append("qr_full_name")
    year, month, day = _registry_birth(person)
    born = qr.date_of_birth
    if born.year != year or (month and born.month != month) or (day and born.day != day):
        codes.append("qr_date_of_birth")
    if qr.sex != person.sex:
        codes.append("qr_sex")
    if (qr.old_id_number or None) != (person.old_id_number or None):
        codes.append("qr_old_id_number")
    registered = fold(person.permanent_address or "")
    if not registered or registered not in fold(qr.address):
        codes.append("qr_address")
    if issued is not None and qr.date_of_issue not in issued:
        codes.append("qr_date_of_issue")
    return codes


@dataclass
class _Context:
    """Everything one batch reads besides the registry, fetched once for all its people."""

    day: dt.date
    cards: dict[str, Any]
    eid: dict[str, str]
    today: dict[str, list[Any]]  # personal ID -> today's check-ins (any facility)
    issued: dict[str, set[dt.date]]


def _context(
    session: Session, requests: Sequence[CheckInRequest], people: list[str], day: dt.date
) -> _Context:
    repo = HealthRepository(session)
    today: dict[str, list[Any]] = {}
    for row in repo.checkins_on(day, people):
        today.setdefault(row.personal_id, []).append(row)
    chip_people = [
        r.identification.personal_id or "" for r in requests if r.identification.method == "chip_qr"
    ]
    return _Context(
        day=day,
        cards=repo.cards_for(people),
        eid=eid.statuses_of(session, people),
        today=today,
        issued=id_cards.issue_dates_of(session, chip_people) if chip_people else {},
    )


def _warnings_for(
    request: CheckInRequest, person: VisitIdentity, coverage: Coverage | None, ctx: _Context
) -> tuple[CheckInWarning, ...]:
    codes: list[str] = []
    if person.status in ("deceased", "missing"):
        codes.append(person.status)
    codes.extend(_card_warnings(coverage, ctx.day))
    eid_status = ctx.eid.get(person.personal_id)
    if eid_status == "locked":
        codes.append("eid_locked")
    elif eid_status == "revoked":
        codes.append("eid_revoked")
    here = request.desk.facility_code
    if any(row.facility_code != here for row in ctx.today.get(person.personal_id, ())):
        codes.append("checked_in_elsewhere_today")
    chip = request.identification.chip
    if chip is not None:
        codes.extend(_qr_mismatches(chip, person, ctx.issued.get(person.personal_id)))
    return tuple(_warning(code) for code in codes)


@dataclass
class _Pending:
    index: int
    request: CheckInRequest
    person: VisitIdentity
    audit_seq: int
    result: dict[str, Any]
    row: dict[str, Any] | None  # None: a repeat of a visit already stored
    existing: Any | None = None


def check_in(
    session: Session, requests: Sequence[CheckInRequest], now: dt.datetime | None = None
) -> list[CheckInResult | OnceGovError]:
    """Check a batch of patients in; one outcome per request, in order. Writes the visits and
    their audit entries in the caller's transaction (the caller commits before answering)."""
    now = now or clock.now()
    day = clock.local_day(now)
    outcomes: list[Any] = [None] * len(requests)
    _apply_rate_limits(session, requests, outcomes)
    numbers = _verify_eid_tokens(session, requests, outcomes, now)
    live = [i for i, number in enumerate(numbers) if number is not None and outcomes[i] is None]
    reads = [
        registry.VisitRead(
            actor=requests[i].desk.actor,
            personal_id=numbers[i] or "",
            action=CHECKIN_ACTION,
            detail={
                "facility": requests[i].desk.facility_code,
                "method": requests[i].identification.method,
            },
        )
        for i in live
    ]
    identities = registry.identities_for_visits(session, reads, purpose=PURPOSE)
    found = [
        (i, person, seq or 0) for i, (person, seq) in zip(live, identities, strict=True) if person
    ]
    for i, (person, _) in zip(live, identities, strict=True):
        if person is None:
            outcomes[i] = _not_found()
    ctx = _context(session, requests, [person.personal_id for _, person, _ in found], day)
    pending = [_prepare(i, requests[i], person, seq, ctx, now) for i, person, seq in found]
    _store(session, pending)
    for item in pending:
        outcomes[item.index] = CheckInResult(**item.result)
    return outcomes


def _prepare(
    index: int,
    request: CheckInRequest,
    person: VisitIdentity,
    audit_seq: int,
    ctx: _Context,
    now: dt.datetime,
) -> _Pending:
    coverage = _coverage(ctx.cards.get(person.personal_id))
    here = request.desk.facility_code
    card = ctx.cards.get(person.personal_id)
    initial_care_here = card is not None and card.initial_care_facility_code == here
    warnings = _warnings_for(request, person, coverage, ctx)
    existing = next(
        (r for r in ctx.today.get(person.personal_id, ()) if r.facility_code == here), None
    )
    result: dict[str, Any] = {
        "checkin_id": existing.id if existing is not None else 0,
        "facility_code": here,
        "checked_in_at": existing.checked_in_at if existing is not None else now,
        "method": request.identification.method,
        "repeat": existing is not None,
        "personal_id": person.personal_id,
        "full_name": person.full_name,
        "date_of_birth": format_birth(*_registry_birth(person)),
        "sex": person.sex,
        "coverage": coverage,
        "initial_care_here": initial_care_here,
        "warnings": warnings,
    }
    row = None
    if existing is None:
        row = {
            "facility_code": here,
            "personal_id": person.personal_id,
            "day": ctx.day,
            "checked_in_at": now,
            "method": request.identification.method,
            "benefit_level": coverage.benefit_level if coverage else None,
            "initial_care_here": initial_care_here,
            "warnings": " ".join(w.code for w in warnings),
            "audit_seq": audit_seq,
        }
        # A second request for the same person at the same desk later in this batch is a
        # repeat of this one, not a second row.
        ctx.today.setdefault(person.personal_id, []).append(_Marker(here))
    return _Pending(index, request, person, audit_seq, result, row)


@dataclass
class _Marker:
    """Stands for a visit of this batch not inserted yet (its id is filled in by ``_store``)."""

    facility_code: str
    id: int = 0
    checked_in_at: dt.datetime | None = None


def _store(session: Session, pending: list[_Pending]) -> None:
    new = [p for p in pending if p.row is not None]
    ids = HealthRepository(session).insert_checkins([p.row for p in new if p.row])
    first_at: dict[tuple[str, str], tuple[int, dt.datetime]] = {}
    for item, new_id in zip(new, ids, strict=True):
        item.result["checkin_id"] = new_id
        key = (item.result["facility_code"], item.result["personal_id"])
        first_at[key] = (new_id, item.result["checked_in_at"])
    for item in pending:
        if item.row is None and item.result["checkin_id"] == 0:
            key = (item.result["facility_code"], item.result["personal_id"])
            item.result["checkin_id"], item.result["checked_in_at"] = first_at[key]


def check_in_one(
    session: Session, desk: FacilityDesk, ident: Identification, now: dt.datetime | None = None
) -> CheckInResult:
    """One check-in in the caller's transaction (reception page, FHIR); raises its error."""
    outcome = check_in(session, [CheckInRequest(desk, ident)], now)[0]
    if isinstance(outcome, OnceGovError):
        raise outcome
    return outcome


# --- facilities and cards for other callers ---------------------------------------------------


def facility(session: Session, code: str) -> MedicalFacility:
    found = HealthRepository(session).facility(code)
    if found is None:
        raise NotFound(N_("No medical facility with this code"), field="facility_code")
    return found


def facilities(session: Session) -> Sequence[MedicalFacility]:
    return HealthRepository(session).facilities()


def patient_and_coverage(
    session: Session, desk: FacilityDesk, personal_id: str, *, action: str
) -> tuple[VisitIdentity, Coverage | None, bool]:
    """One patient and their card for a hospital system (FHIR reads): exact personal ID only,
    audited with purpose "medical examination". Returns (patient, coverage, initial care
    here)."""
    number = by_personal_id(personal_id).personal_id or ""
    auth.hit_rate_limit(
        session, f"health:{desk.facility_code}", settings.health_checkin_limit_per_minute
    )
    read = registry.VisitRead(desk.actor, number, action, {"facility": desk.facility_code})
    person, _ = registry.identities_for_visits(session, [read], purpose=PURPOSE)[0]
    if person is None:
        raise _not_found()
    card = HealthRepository(session).cards_for([number]).get(number)
    here = card is not None and card.initial_care_facility_code == desk.facility_code
    return person, _coverage(card), here


# --- statistics -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DailyCount:
    day: dt.date
    facility_code: str
    method: str
    count: int


@dataclass(frozen=True, slots=True)
class CheckInStatistics:
    since: dt.date
    until: dt.date
    daily: list[DailyCount]
    by_method: dict[str, int]
    active_facilities: int
    facilities_by_chip_card: int  # checked in at least one patient by chip ID card

    @property
    def total(self) -> int:
        return sum(self.by_method.values())

    @property
    def chip_card_share(self) -> float:
        if not self.active_facilities:
            return 0.0
        return self.facilities_by_chip_card / self.active_facilities


def statistics(
    session: Session, since: dt.date, until: dt.date, facility_code: str | None = None
) -> CheckInStatistics:
    """Check-ins per facility, day and method in ``since..until`` (inclusive), and the share of
    active facilities that checked in at least one patient by chip ID card (typed or scanned)."""
    if until < since:
        raise NotValidIdentifier(N_("The period ends before it starts"), field="until")
    if (until - since).days > 366:
        raise NotValidIdentifier(N_("The period can be at most one year"), field="since")
    repo = HealthRepository(session)
    daily = [
        DailyCount(row[0], row[1], row[2], int(row[3]))
        for row in repo.daily_counts(since, until, facility_code)
    ]
    by_method = dict.fromkeys(CHECKIN_METHODS, 0)
    for count in daily:
        by_method[count.method] += count.count
    using = repo.facilities_using(CHIP_CARD_METHODS, since, until)
    return CheckInStatistics(
        since=since,
        until=until,
        daily=daily,
        by_method=by_method,
        active_facilities=repo.count_active_facilities(),
        facilities_by_chip_card=using,
    )


# --- demo -------------------------------------------------------------------------------------


def demo_hospital_code(province_code: str) -> str:
    """The demo province's general hospital (the first facility the demo generates)."""
    return f"{province_code}001"


def _demo_refused() -> None:
    if settings.environment == "production":
        raise PermissionDenied("Demo health data is not allowed in production", field="environment")


def load_demo_facilities(
    session: Session,
    province_code: str,
    province_name: str,
    communes: Sequence[tuple[str, str, str]],
    rng: random.Random,
) -> tuple[int, int]:
    """Insert the demo network of medical facilities (``health.demo``) that is not there yet
    (by code; facilities already stored are kept as they are). ``communes`` are the province's
    ``(code, name, division_type)``. Returns (inserted, total)."""
    _demo_refused()
    repo = HealthRepository(session)
    existing = {code for code, _, _ in repo.facility_rows()}
    now = clock.now()
    rows = [
        (*facility.row(), True, now)
        for facility in demo.generate_facilities(
            province_code, province_name, [demo.Commune(*c) for c in communes], rng
        )
        if facility.code not in existing
    ]
    inserted = repo.bulk_insert_facilities(
        (*demo.FACILITY_COLUMNS, "is_active", "created_at"), rows
    )
    forget_facilities()
    return inserted, len(existing) + inserted


def ensure_demo_facility_tokens(session: Session, tokens: dict[str, tuple[str, str]]) -> int:
    """Give every demo facility its hospital system's token, ``{code: (name, token)}``, unless
    a token of that name exists. Returns how many were created."""
    _demo_refused()
    created = 0
    for code, (name, token) in tokens.items():
        if auth.service_token_exists(session, name):
            continue
        auth.create_service_token(
            session,
            name=name,
            permissions=[HEALTH_CHECKIN],
            scope_kind="agency",
            scope_code=code,
            token=token,
        )
        created += 1
    return created


def load_demo_cards(
    session: Session,
    citizens: Iterable[Sequence[Any]],
    rng: random.Random,
    today: dt.date,
    *,
    province_code: str,
    communes: Sequence[tuple[str, str, str]],
    batch_size: int = 50_000,
) -> demo.CardCounts:
    """Generate and bulk-insert demo health-insurance cards for ``citizens`` (rows as
    ``health.demo`` describes) in the caller's transaction, numbered after those already
    stored, their initial-care facilities among the stored ones. Refused in production."""
    _demo_refused()
    repo = HealthRepository(session)
    units = [demo.Commune(*c) for c in communes]
    network = demo.Network.of(province_code, repo.facility_rows(), units)
    if not network.fallback:
        raise ValidationFailed(
            "No medical facilities: load the demo facilities first", field="facilities"
        )
    generator = demo.CardGenerator(network, rng, today, province_code, first_id=repo.next_card_id())
    batch: list[tuple[Any, ...]] = []
    for row in generator.rows(citizens):
        batch.append(row)
        if len(batch) >= batch_size:
            repo.bulk_insert_cards(demo.CARD_COLUMNS, batch)
            batch.clear()
    repo.bulk_insert_cards(demo.CARD_COLUMNS, batch)
    return generator.counts


def delete_all_cards(session: Session) -> int:
    """Remove every health-insurance card (the demo loader's ``--replace``: cards refer to
    the citizens it deletes). Check-ins stay: they are the facilities' records."""
    _demo_refused()
    return HealthRepository(session).delete_all_cards()


# --- facility system tokens -------------------------------------------------------------------


def issue_facility_token(session: Session, actor: Actor, facility_code: str, name: str) -> str:
    """A bearer token for one active facility's hospital system (permission
    ``health.checkin``, scope that facility); the plain token is returned once. Audited."""
    found = facility(session, facility_code)
    if not found.is_active:
        raise ValidationFailed(N_("This medical facility is not active"), field="facility_code")
    name = name.strip()
    if not name:
        raise ValidationFailed(N_("A token needs a name"), field="name")
    try:
        with session.begin_nested():
            token = auth.create_service_token(
                session,
                name=name,
                permissions=[HEALTH_CHECKIN],
                scope_kind="agency",
                scope_code=found.code,
            )
    except IntegrityError as exc:
        raise Conflict(N_("A service token with this name already exists"), field="name") from exc
    audit.record(
        session,
        actor,
        "health.token.issue",
        purpose="Issue a facility system token",
        detail={"facility": found.code, "name": name},
    )
    return token


def revoke_facility_token(session: Session, actor: Actor, name: str) -> bool:
    """Revoke a service token by name at once; False if there is no live token of that name.
    Audited when one was revoked."""
    revoked = auth.revoke_service_token(session, name)
    if revoked:
        audit.record(
            session,
            actor,
            "health.token.revoke",
            purpose="Revoke a facility system token",
            detail={"name": name},
        )
    return revoked
