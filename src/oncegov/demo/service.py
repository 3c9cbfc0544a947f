"""The demo province: generate a synthetic population, load it, create the demo officers.

Runs inside the caller's transaction and never commits (the CLI command owns it). Refused in
production: neither a synthetic population nor accounts with derivable passwords belong there.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from oncegov import db
from oncegov.audit import service as audit
from oncegov.auth import service as auth
from oncegov.config import settings
from oncegov.demo import profiles
from oncegov.demo.accounts import (
    DOSSIER_APPROVER,
    DOSSIER_CLERK,
    DOSSIER_HANDLER,
    CitizenLogin,
    DemoLogin,
    citizen_logins,
    demo_accounts,
    derive_facility_token,
    facility_token_name,
)
from oncegov.demo.generator import DEFAULT_SEED, Population, generate
from oncegov.demo.loader import LoadCounts, load, rows_to_load
from oncegov.demo.profiles import CommuneInfo, ProvinceInfo
from oncegov.demo.repository import Deleted, DemoRepository
from oncegov.demo.rows import (
    BIRTH_DAY,
    BIRTH_MONTH,
    BIRTH_YEAR,
    CURRENT_COMMUNE,
    DATE_OF_DEATH,
    ETHNICITY,
    FULL_NAME,
    HOUSEHOLD,
    PERMANENT_ADDRESS,
    PERMANENT_COMMUNE,
    PHONE,
    PID,
    SEX,
    STATUS,
)
from oncegov.errors import Conflict, PermissionDenied, ValidationFailed
from oncegov.health import service as health
from oncegov.identity.accounts import demo_loader as eid_demo
from oncegov.identity.cards import service as cards
from oncegov.kit import clock
from oncegov.kit.actor import Actor
from oncegov.procedures.catalogue import service as catalogue
from oncegov.procedures.catalogue.service import LoadReport
from oncegov.procedures.dossiers import demo as dossier_demo
from oncegov.procedures.portal import service as portal
from oncegov.registry import service as registry
from oncegov.units import service as units

Mode = Literal["refuse", "if_empty", "replace"]
# (stage "generate" | "load" | "cards" | "eid" | "health", done, total); the last three count
# citizens.
Progress = Callable[[str, int, int], None]
MAX_SCALE = 4.0  # beyond this the six-digit personal-ID sequences would run short
PROGRESS_EVERY = 20_000  # citizens between two progress reports of the cards and eID stages
# Named demo citizens: living, a full birth date, of working age, in the province's first
# commune (the one the first demo commune officer serves).
NAMED_AGES = range(25, 56)


@dataclass
class DemoOutcome:
    skipped: bool  # --if-empty on a registry that already had citizens
    existing_citizens: int
    province: ProvinceInfo | None = None
    counts: LoadCounts | None = None
    deleted: Deleted | None = None
    faults: dict[str, list[str]] = field(default_factory=dict)
    generation_seconds: float = 0.0
    load_seconds: float = 0.0
    applications: int = 0  # chip ID-card applications
    application_steps: int = 0
    eid_accounts: int = 0
    eid_at_intake: int = 0  # level-2 accounts registered with a card application
    cards_seconds: float = 0.0  # generation and load of the applications
    eid_seconds: float = 0.0  # generation and load of the eID accounts
    facilities: int = 0  # medical facilities in the database after the load
    facilities_created: int = 0
    insurance_cards: int = 0
    insured_share: float = 0.0  # of the living residents
    health_seconds: float = 0.0  # facilities and health-insurance cards
    facility_tokens: int = 0  # hospital-system tokens created for the demo facilities
    deleted_insurance_cards: int = 0  # --replace
    accounts_created: list[str] = field(default_factory=list)
    accounts_kept: list[str] = field(default_factory=list)
    citizen_logins: list[CitizenLogin] = field(default_factory=list)
    # The bundled procedure catalogue, loaded on every run (idempotent, cheap).
    procedures: LoadReport | None = None
    dossiers: dossier_demo.DemoDossiers = field(default_factory=dossier_demo.DemoDossiers)
    dossier_seconds: float = 0.0
    deleted_dossiers: int = 0  # --replace


def refuse_in_production() -> None:
    if settings.environment == "production":
        raise PermissionDenied(
            "The demo population and demo accounts are not allowed in production",
            field="environment",
        )


def demo_officers_present(session: Session, province_code: str | None = None) -> list[str]:
    """Usernames of the demo officers (``oncegov demo``) that exist and are active: their
    passwords derive from a published seed, so production refuses to start with any."""
    try:
        province = province_info(session, province_code or settings.province_code)
    except ValidationFailed:
        return []  # no province loaded: no demo could have run
    accounts = demo_accounts(province.code, province.communes, DEFAULT_SEED)
    demo_names = {account.username for account in accounts}
    return sorted(
        officer.username
        for officer, _ in auth.list_officers(session)
        if officer.is_active and officer.username in demo_names
    )


def province_info(session: Session, province_code: str) -> ProvinceInfo:
    """The province and its communes (sorted by code) as the generator needs them."""
    province = units.province(session, province_code)
    communes = units.communes_of_province(session, province_code)
    if province is None or not communes:
        raise ValidationFailed(
            f"Unknown province code {province_code} (run `oncegov migrate` first?)",
            field="province_code",
        )
    return ProvinceInfo(
        code=province.code,
        name=province.name,
        communes=tuple(
            CommuneInfo(c.code, c.name, c.division_type, c.codename)
            for c in sorted(communes, key=lambda c: c.code)
        ),
    )


def _sources(session: Session, province_code: str) -> dict[str, tuple[str, list[CommuneInfo]]]:
    """Provinces temporary residents come from, with their communes."""
    sources: dict[str, tuple[str, list[CommuneInfo]]] = {}
    for code in profiles.SOURCE_PROVINCES:
        if code == province_code:
            continue
        province = units.province(session, code)
        communes = units.communes_of_province(session, code)
        if province is not None and communes:
            sources[code] = (
                province.name,
                [
                    CommuneInfo(c.code, c.name, c.division_type, c.codename)
                    for c in sorted(communes, key=lambda c: c.code)
                ],
            )
    return sources


def logins(
    session: Session, *, seed: int = DEFAULT_SEED, province_code: str | None = None
) -> list[DemoLogin]:
    """The demo accounts and their credentials, derived from the seed (not read back)."""
    refuse_in_production()
    province = province_info(session, province_code or settings.province_code)
    return demo_accounts(province.code, province.communes, seed)


@dataclass(frozen=True)
class FacilityLogin:
    code: str
    name: str
    level: str
    token_name: str
    token: str


def facility_logins(session: Session, *, seed: int = DEFAULT_SEED) -> list[FacilityLogin]:
    """The demo tokens of two facilities' hospital systems (the provincial general hospital
    and the first commune health station); every facility has one, derived the same way."""
    refuse_in_production()
    chosen: list[FacilityLogin] = []
    for level in ("provincial_hospital", "commune_health_station"):
        found = next((f for f in health.facilities(session) if f.level == level), None)
        if found is not None:
            chosen.append(
                FacilityLogin(
                    found.code,
                    found.name,
                    level,
                    facility_token_name(found.code),
                    derive_facility_token(seed, found.code),
                )
            )
    return chosen


def logins_of_citizens(session: Session, *, seed: int = DEFAULT_SEED) -> list[CitizenLogin]:
    """The named demo citizens' eID sign-ins, derived from the seed; the personal ID is that
    of the account holding the seed's reserved phone (None when no such demo is loaded)."""
    refuse_in_production()
    found = []
    for login in citizen_logins(seed):
        account = eid_demo.demo_account_with_phone(session, login.phone)
        found.append(
            dataclasses.replace(
                login,
                personal_id=account.personal_id if account else None,
                status=account.status if account else None,
            )
        )
    return found


def generate_population(
    session: Session,
    *,
    scale: float,
    seed: int = DEFAULT_SEED,
    province: ProvinceInfo | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> Population:
    """Generate (without loading) the population of a province, the configured one by
    default."""
    if not 0 < scale <= MAX_SCALE:
        raise ValidationFailed(f"Scale must be above 0 and at most {MAX_SCALE}", field="scale")
    province = province or province_info(session, settings.province_code)
    return generate(
        province,
        scale=scale,
        seed=seed,
        sources=_sources(session, province.code),
        on_progress=on_progress,
    )


def create_accounts(session: Session, accounts: list[DemoLogin]) -> tuple[list[str], list[str]]:
    """Create the demo officers that do not exist yet; returns (created, kept) usernames.
    An existing account is kept as it is (its credentials match only if the seed did)."""
    existing = {officer.username for officer, _ in auth.list_officers(session)}
    created: list[str] = []
    kept: list[str] = []
    for account in accounts:
        if account.username in existing:
            kept.append(account.username)
            continue
        auth.create_officer(
            session,
            username=account.username,
            full_name=account.full_name,
            password=account.password,
            roles=list(account.roles),
            totp_secret=account.totp_secret,
        )
        created.append(account.username)
    return created, kept


def run_demo(
    session: Session,
    actor: Actor,
    *,
    scale: float = 1.0,
    seed: int = DEFAULT_SEED,
    mode: Mode = "refuse",
    province_code: str | None = None,
    with_accounts: bool = True,
    on_progress: Progress | None = None,
    today: dt.date | None = None,
) -> DemoOutcome:
    """Generate and load the demo province, its chip ID-card applications and eID accounts,
    then create the demo officers.

    ``mode`` decides what happens when the registry already holds citizens: ``refuse`` raises
    Conflict, ``if_empty`` does nothing (``skipped``), ``replace`` deletes the earlier demo
    population first (rows whose creation record has source ``demo``; other rows stay) and,
    before it, every chip ID-card application and eID account (they refer to citizens; a
    demo instance has no others worth keeping).
    ``with_accounts=False`` loads the population without creating the demo officers and the
    named demo citizens' passcodes.

    The registry's population is fixed at the generator's reference date; applications and
    eID accounts are dated up to ``today`` (the province's today by default), so the ones in
    progress are current: same seed, scale and day, same data. Their random streams are
    derived from the seed, apart from the population's.
    """
    refuse_in_production()
    if not 0 < scale <= MAX_SCALE:
        raise ValidationFailed(f"Scale must be above 0 and at most {MAX_SCALE}", field="scale")
    province = province_info(session, province_code or settings.province_code)
    existing = registry.count_citizens(session)
    outcome = DemoOutcome(skipped=False, existing_citizens=existing, province=province)
    outcome.procedures = catalogue.load_catalogue(session)
    portal.ensure_portal_client(session, actor)  # the portal signs citizens in through OIDC
    if existing and mode == "if_empty":
        outcome.skipped = True
        return outcome
    if existing and mode == "refuse":
        raise Conflict(
            f"The registry already holds {existing:,} citizens; use --if-empty to leave it "
            "as it is, or --replace to delete the demo population and load a new one",
            field="registry",
        )
    if existing and mode == "replace":
        try:
            # Applications refer to accounts, both (and health-insurance cards) to citizens:
            # delete in that order.
            outcome.deleted_dossiers = dossier_demo.delete_all(session)
            outcome.deleted_insurance_cards = health.delete_all_cards(session)
            deleted_applications = cards.delete_all_applications(session)
            deleted_accounts = eid_demo.delete_all_accounts(session)
            outcome.deleted = dataclasses.replace(
                DemoRepository(session).delete_demo_population(),
                applications=deleted_applications,
                eid_accounts=deleted_accounts,
            )
        except IntegrityError as exc:
            raise Conflict(
                "Other records refer to the demo population (e.g. citizens added to demo "
                "households); it cannot be replaced",
                field="registry",
            ) from exc

    def generated(done: int, total: int) -> None:
        if on_progress is not None:
            on_progress("generate", done, total)

    started = time.perf_counter()
    population = generate_population(
        session, scale=scale, seed=seed, province=province, on_progress=generated
    )
    outcome.generation_seconds = time.perf_counter() - started
    outcome.faults = population.faults

    total_rows = rows_to_load(population)

    def loaded(done: int) -> None:
        if on_progress is not None:
            on_progress("load", done, total_rows)

    started = time.perf_counter()
    try:
        outcome.counts = load(
            session, population, actor=actor.label, now=clock.now(), on_progress=loaded
        )
    except IntegrityError as exc:
        # Only when --replace kept citizens created otherwise and one collides with the demo.
        raise Conflict(
            "A personal ID or household code of the demo population is already taken",
            field="registry",
        ) from exc
    outcome.load_seconds = time.perf_counter() - started
    _load_identity(
        session,
        population,
        province,
        outcome,
        seed=seed,
        today=today or cards.today(),
        with_logins=with_accounts,
        on_progress=on_progress,
    )
    _load_health(
        session,
        population,
        province,
        outcome,
        seed=seed,
        today=today or cards.today(),
        on_progress=on_progress,
    )
    _load_dossiers(session, population, province, outcome, seed=seed, today=today or cards.today())
    if with_accounts:
        accounts = demo_accounts(province.code, province.communes, seed)
        outcome.accounts_created, outcome.accounts_kept = create_accounts(session, accounts)
    audit.record(
        session,
        actor,
        "demo.load",
        purpose="Load the demo population",
        detail={
            "province": province.code,
            "scale": scale,
            "seed": seed,
            "citizens": outcome.counts.citizens,
            "households": outcome.counts.households,
            "id_card_applications": outcome.applications,
            "eid_accounts": outcome.eid_accounts,
            "medical_facilities": outcome.facilities,
            "insurance_cards": outcome.insurance_cards,
            "dossiers": outcome.dossiers.dossiers,
            "accounts_created": outcome.accounts_created,
        },
    )
    db.refresh_planner_statistics(session)  # a whole province just arrived in bulk
    return outcome


def _counted(
    rows: Iterable[tuple[Any, ...]], total: int, stage: str, on_progress: Progress | None
) -> Iterator[tuple[Any, ...]]:
    """``rows`` as they are, reporting every PROGRESS_EVERY rows consumed."""
    for done, row in enumerate(rows, start=1):
        yield row
        if on_progress is not None and done % PROGRESS_EVERY == 0:
            on_progress(stage, done, total)
    if on_progress is not None:
        on_progress(stage, total, total)


def _residence(row: tuple[Any, ...], communes: frozenset[str]) -> tuple[str | None, str | None]:
    """(commune, address for a card by post) an application counts under: the permanent
    residence when it is in the province, else where the citizen lives here (a temporary
    resident applies here, but no card goes by post to another province)."""
    if row[PERMANENT_COMMUNE] in communes:
        return row[PERMANENT_COMMUNE], row[PERMANENT_ADDRESS]
    return row[CURRENT_COMMUNE], None


def _named_citizens(
    population: Population,
    province: ProvinceInfo,
    finished: dict[str, list[Any]],
    today: dt.date,
    seed: int,
) -> dict[str, tuple[int, str, str]]:
    """personal ID → (level, phone, passcode) of the named demo citizens: the first citizens
    (in generation order) of the province's first commune who are living, of working age,
    with a full birth date and not one of the deliberate faults; the level-2 one holds a
    chip card."""
    home = province.communes[0].code
    faulty = {key for keys in population.faults.values() for key in keys}
    logins = citizen_logins(seed)
    named: dict[str, tuple[int, str, str]] = {}
    for row in population.citizens:
        if len(named) == len(logins):
            break
        if (
            row[STATUS] != "living"
            or row[PERMANENT_COMMUNE] != home
            or row[BIRTH_DAY] is None
            or row[PID] in faulty
            or today.year - int(row[BIRTH_YEAR]) not in NAMED_AGES
        ):
            continue
        login = logins[len(named)]
        if login.level == 2 and row[PID] not in finished:
            continue
        named[row[PID]] = (login.level, login.phone, login.passcode)
    return named


def _load_identity(
    session: Session,
    population: Population,
    province: ProvinceInfo,
    outcome: DemoOutcome,
    *,
    seed: int,
    today: dt.date,
    with_logins: bool,
    on_progress: Progress | None,
) -> None:
    """Chip ID-card applications, then eID accounts (level 2 mostly registered at a card's
    intake), then the link from those applications to their accounts."""
    communes = frozenset(c.code for c in province.communes)
    total = len(population.citizens)
    started = time.perf_counter()
    card_rows = (
        (
            row[PID],
            row[BIRTH_YEAR],
            row[BIRTH_MONTH],
            row[BIRTH_DAY],
            row[STATUS],
            commune,
            row[SEX],
            row[FULL_NAME],
            address,
            row[DATE_OF_DEATH],
        )
        for row in population.citizens
        for commune, address in (_residence(row, communes),)
    )
    finished: dict[str, list[Any]] = {}
    outcome.applications, outcome.application_steps = cards.load_demo_applications(
        session,
        _counted(card_rows, total, "cards", on_progress),
        random.Random(f"oncegov-demo:cards:{seed}"),
        today,
        finished=finished,
    )
    outcome.cards_seconds = time.perf_counter() - started

    started = time.perf_counter()
    named = _named_citizens(population, province, finished, today, seed) if with_logins else {}
    account_rows = (
        (
            row[PID],
            row[BIRTH_YEAR],
            row[BIRTH_MONTH],
            row[BIRTH_DAY],
            row[STATUS],
            _residence(row, communes)[0],
            row[PHONE],
            row[DATE_OF_DEATH],
        )
        for row in population.citizens
    )
    loaded = eid_demo.load_demo_accounts(
        session,
        _counted(account_rows, total, "eid", on_progress),
        random.Random(f"oncegov-demo:eid:{seed}"),
        today,
        cards=finished,
        named=named,
    )
    outcome.eid_accounts = loaded.accounts
    outcome.eid_at_intake = cards.link_demo_eid_accounts(session, loaded.links)
    outcome.eid_seconds = time.perf_counter() - started
    if with_logins:
        outcome.citizen_logins = [
            dataclasses.replace(login, personal_id=pid, status="active")
            for pid, (level, phone, passcode) in named.items()
            for login in citizen_logins(seed)
            if login.phone == phone
        ]


def _load_health(
    session: Session,
    population: Population,
    province: ProvinceInfo,
    outcome: DemoOutcome,
    *,
    seed: int,
    today: dt.date,
    on_progress: Progress | None,
) -> None:
    """The province's medical facilities (those not stored yet), then health-insurance cards
    for the living residents, counted where they live in the province."""
    started = time.perf_counter()
    communes = [(c.code, c.name, c.division_type) for c in province.communes]
    outcome.facilities_created, outcome.facilities = health.load_demo_facilities(
        session,
        province.code,
        province.name,
        communes,
        random.Random(f"oncegov-demo:facilities:{seed}"),
    )
    codes = [facility.code for facility in health.facilities(session)]
    outcome.facility_tokens = health.ensure_demo_facility_tokens(
        session,
        {code: (facility_token_name(code), derive_facility_token(seed, code)) for code in codes},
    )
    in_province = frozenset(c.code for c in province.communes)
    rows = (
        (
            row[PID],
            row[BIRTH_YEAR],
            row[BIRTH_MONTH],
            row[BIRTH_DAY],
            row[STATUS],
            _residence(row, in_province)[0],
            row[ETHNICITY],
            row[HOUSEHOLD],
            row[SEX],
        )
        for row in population.citizens
    )
    counts = health.load_demo_cards(
        session,
        _counted(rows, len(population.citizens), "health", on_progress),
        random.Random(f"oncegov-demo:health:{seed}"),
        today,
        province_code=province.code,
        communes=communes,
    )
    outcome.insurance_cards = counts.cards
    outcome.insured_share = counts.insured_share
    outcome.health_seconds = time.perf_counter() - started


def _load_dossiers(
    session: Session,
    population: Population,
    province: ProvinceInfo,
    outcome: DemoOutcome,
    *,
    seed: int,
    today: dt.date,
) -> None:
    """A year of public-service dossiers of the living residents, at their communes'
    centres, moved by the demo officers of the first commune and the province."""
    started = time.perf_counter()
    in_province = frozenset(c.code for c in province.communes)
    residents = (
        dossier_demo.Resident(row[PID], commune, row[FULL_NAME])
        for row in population.citizens
        if row[STATUS] == "living" and (commune := _residence(row, in_province)[0]) is not None
    )
    officers = dossier_demo.Officers(
        receiver=f"officer:{DOSSIER_CLERK}",
        processor=f"officer:{DOSSIER_HANDLER}",
        approver=f"officer:{DOSSIER_APPROVER}",
    )
    outcome.dossiers = dossier_demo.load_demo_dossiers(
        session, residents, officers, seed=seed, today=today
    )
    outcome.dossier_seconds = time.perf_counter() - started
