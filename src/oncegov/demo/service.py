"""The demo province: generate a synthetic population, load it, create the demo officers.

Runs inside the caller's transaction and never commits (the CLI command owns it). Refused in
production: neither a synthetic population nor accounts with derivable passwords belong there.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from oncegov.audit import service as audit
from oncegov.auth import service as auth
from oncegov.config import settings
from oncegov.demo import profiles
from oncegov.demo.accounts import DemoLogin, demo_accounts
from oncegov.demo.generator import DEFAULT_SEED, Population, generate
from oncegov.demo.loader import LoadCounts, load, rows_to_load
from oncegov.demo.profiles import CommuneInfo, ProvinceInfo
from oncegov.demo.repository import Deleted, DemoRepository
from oncegov.errors import Conflict, PermissionDenied, ValidationFailed
from oncegov.kit.actor import Actor
from oncegov.registry import service as registry

Mode = Literal["refuse", "if_empty", "replace"]
# (stage "generate" | "load", done, total)
Progress = Callable[[str, int, int], None]
MAX_SCALE = 4.0  # beyond this the six-digit personal-ID sequences would run short


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
    accounts_created: list[str] = field(default_factory=list)
    accounts_kept: list[str] = field(default_factory=list)


def refuse_in_production() -> None:
    if settings.environment == "production":
        raise PermissionDenied(
            "The demo population and demo accounts are not allowed in production",
            field="environment",
        )


def province_info(session: Session, province_code: str) -> ProvinceInfo:
    """The province and its communes (sorted by code) as the generator needs them."""
    province = registry.province(session, province_code)
    communes = registry.communes_of_province(session, province_code)
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
        province = registry.province(session, code)
        communes = registry.communes_of_province(session, code)
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
) -> DemoOutcome:
    """Generate and load the demo province, then create the demo officers.

    ``mode`` decides what happens when the registry already holds citizens: ``refuse`` raises
    Conflict, ``if_empty`` does nothing (``skipped``), ``replace`` deletes the earlier demo
    population first (rows whose creation record has source ``demo``; other rows stay).
    ``with_accounts=False`` loads the population without creating the demo officers.
    """
    refuse_in_production()
    if not 0 < scale <= MAX_SCALE:
        raise ValidationFailed(f"Scale must be above 0 and at most {MAX_SCALE}", field="scale")
    province = province_info(session, province_code or settings.province_code)
    existing = registry.count_citizens(session)
    outcome = DemoOutcome(skipped=False, existing_citizens=existing, province=province)
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
            outcome.deleted = DemoRepository(session).delete_demo_population()
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
            session, population, actor=actor.label, now=dt.datetime.now(dt.UTC), on_progress=loaded
        )
    except IntegrityError as exc:
        # Only when --replace kept citizens created otherwise and one collides with the demo.
        raise Conflict(
            "A personal ID or household code of the demo population is already taken",
            field="registry",
        ) from exc
    outcome.load_seconds = time.perf_counter() - started
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
            "accounts_created": outcome.accounts_created,
        },
    )
    return outcome
