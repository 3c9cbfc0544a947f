"""``oncegov demo``: generate and load the demo province; ``oncegov demo logins``: its accounts."""

from __future__ import annotations

import typer
from rich.progress import TaskID
from rich.table import Table

from oncegov.cli.common import (
    cli_actor,
    console,
    fail,
    migrate_database,
    progress,
    transaction,
)
from oncegov.demo import service as demo_service
from oncegov.demo.accounts import CitizenLogin, DemoLogin, seconds_left_in_step
from oncegov.demo.generator import DEFAULT_SEED
from oncegov.errors import OnceGovError

# The group's help is the callback's docstring (``oncegov demo --help``).
app = typer.Typer(no_args_is_help=False)

SEED_HELP = "Seed of the generator and of the demo accounts' credentials."
STAGES = {
    "generate": "generating people",
    "load": "loading rows",
    "cards": "ID-card applications",
    "eid": "eID accounts",
    "health": "health-insurance cards",
}


def logins_table(accounts: list[DemoLogin]) -> Table:
    """Usernames, roles, passwords and TOTP secrets. No one-time code: it would have expired
    by the time the portal is up; the secrets go into an authenticator app once (see
    ``print_enrolment``), or ``oncegov demo code USERNAME`` prints a code valid right now.
    Credentials never shrink to an ellipsis: a narrow terminal wraps them instead."""
    table = Table(title="Demo officers (sign in at /login)")
    table.add_column("username", style="bold", no_wrap=True)
    table.add_column("role", overflow="fold")
    table.add_column("password", no_wrap=True, min_width=19)
    table.add_column("TOTP secret", style="dim", overflow="fold")
    for account in accounts:
        table.add_row(
            account.username,
            " ".join(f"{role} {code}" for role, _, code in account.roles),
            account.password,
            account.totp_secret,
        )
    return table


def print_enrolment(accounts: list[DemoLogin]) -> None:
    """The otpauth URIs to add to an authenticator app (paste, or make a QR code of one), and
    how to get a code without one."""
    console.print(
        "Authenticator codes: add each officer to an authenticator app (Aegis, FreeOTP, "
        "Google Authenticator…) with its TOTP secret above or its otpauth URI:"
    )
    for account in accounts:
        console.print(f"  {account.provisioning_uri}", soft_wrap=True, highlight=False)
    console.print(
        "No authenticator app at hand? [bold]oncegov demo code USERNAME[/bold] prints a code "
        "valid right now."
    )


def citizen_logins_table(logins: list[CitizenLogin]) -> Table:
    """The named demo citizens' eID sign-ins (/eid/login). A level-2 sign-in asks for the
    code texted to the phone: the local SMS outbox shows it at /eid/sms."""
    table = Table(title="Demo citizens' eID sign-ins (/eid/login; texts at /eid/sms)")
    table.add_column("level", style="bold")
    table.add_column("personal ID", no_wrap=True, min_width=12)
    table.add_column("passcode", no_wrap=True, min_width=6)
    table.add_column("phone", no_wrap=True, min_width=10)
    table.add_column("status", overflow="fold")
    for login in logins:
        table.add_row(
            str(login.level),
            login.personal_id or "-",
            login.passcode,
            login.phone,
            login.status or "not loaded (run oncegov demo with this seed)",
        )
    return table


def facility_logins_table(logins: list[demo_service.FacilityLogin]) -> Table:
    """Two demo facilities' hospital-system tokens (every facility has one, derived alike)."""
    table = Table(
        title="Demo hospital-system tokens (Authorization: Bearer …, POST /api/v1/health/checkins)"
    )
    table.add_column("facility", overflow="fold")
    table.add_column("token name", no_wrap=True)
    table.add_column("token", no_wrap=True)
    for login in logins:
        table.add_row(f"{login.code} {login.name}", login.token_name, login.token)
    return table


@app.callback(invoke_without_command=True)
def demo(
    ctx: typer.Context,
    scale: float = typer.Option(
        1.0, help="Fraction of the real population (1.0 ≈ 550,000 people for Cao Bằng)."
    ),
    seed: int = typer.Option(DEFAULT_SEED, help=SEED_HELP),
    if_empty: bool = typer.Option(
        False, "--if-empty", help="Do nothing (and succeed) if the registry already has citizens."
    ),
    replace: bool = typer.Option(
        False,
        "--replace",
        help="If the registry has citizens, delete the earlier demo population (rows created "
        "by this command) with every chip ID-card application, eID account and "
        "health-insurance card, and load a new one. Existing demo officer accounts are kept.",
    ),
) -> None:
    """Generate and load a synthetic population of the configured province with its chip
    ID-card applications, eID accounts, medical facilities and health-insurance cards, create
    the demo officer accounts and print the sign-ins (officers, and citizens at eID level 1
    and 2).

    Same seed and scale, same data. Without --if-empty or --replace the command refuses to
    touch a registry that already holds citizens. Refused when ONCEGOV_ENVIRONMENT=production.
    """
    if ctx.invoked_subcommand is not None:
        return
    if if_empty and replace:
        raise typer.BadParameter("choose either --if-empty or --replace")
    mode: demo_service.Mode = "if_empty" if if_empty else "replace" if replace else "refuse"
    try:
        demo_service.refuse_in_production()
    except OnceGovError as exc:
        raise fail(exc) from exc
    migrate_database()  # a first-time user's one command: it needs no `oncegov migrate` first
    try:
        with transaction() as session, progress() as bar:
            tasks: dict[str, TaskID] = {}

            def report(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(STAGES.get(stage, stage), total=total)
                bar.update(tasks[stage], completed=done, total=total)

            outcome = demo_service.run_demo(
                session, cli_actor(), scale=scale, seed=seed, mode=mode, on_progress=report
            )
            accounts = demo_service.logins(session, seed=seed)
            citizens = demo_service.logins_of_citizens(session, seed=seed)
            facilities = demo_service.facility_logins(session, seed=seed)
    except OnceGovError as exc:
        raise fail(exc) from exc
    if outcome.procedures is not None:
        loaded = outcome.procedures
        console.print(
            f"procedure catalogue: {len(loaded.added)} versions added, "
            f"{len(loaded.unchanged)} unchanged, {len(loaded.problems)} errors"
            + ("" if loaded.ok else " (run `oncegov procedures load` to see them)")
        )
    if outcome.skipped:
        console.print(
            f"The registry already holds {outcome.existing_citizens:,} citizens: "
            "nothing to do (--if-empty)."
        )
    else:
        _print_summary(outcome)
    _print_logins(accounts, citizens, facilities)


def _print_logins(
    accounts: list[DemoLogin],
    citizens: list[CitizenLogin],
    facilities: list[demo_service.FacilityLogin],
) -> None:
    console.print(logins_table(accounts))
    print_enrolment(accounts)
    console.print(citizen_logins_table(citizens))
    console.print(facility_logins_table(facilities))


def _print_summary(outcome: demo_service.DemoOutcome) -> None:
    counts = outcome.counts
    assert counts is not None and outcome.province is not None
    deleted = outcome.deleted
    if deleted is not None:
        console.print(
            f"deleted the earlier demo population: {deleted.citizens:,} citizens, "
            f"{deleted.households:,} households, {deleted.applications:,} ID-card "
            f"applications, {deleted.eid_accounts:,} eID accounts, "
            f"{outcome.deleted_insurance_cards:,} health-insurance cards"
        )
    total = outcome.generation_seconds + outcome.load_seconds
    console.print(
        f"[green]loaded[/green] {counts.citizens:,} citizens in {counts.households:,} households "
        f"of {outcome.province.name} ({len(outcome.province.communes)} communes), "
        f"{counts.changes:,} change records"
    )
    console.print(
        f"generation {outcome.generation_seconds:.1f} s, load {outcome.load_seconds:.1f} s, "
        f"{counts.rows / max(total, 1e-9):,.0f} rows/s"
    )
    console.print(
        f"[green]loaded[/green] {outcome.applications:,} chip ID-card applications "
        f"({outcome.application_steps:,} steps) in {outcome.cards_seconds:.1f} s, "
        f"{outcome.eid_accounts:,} eID accounts ({outcome.eid_at_intake:,} level 2 registered "
        f"with a card application) in {outcome.eid_seconds:.1f} s"
    )
    console.print(
        f"[green]loaded[/green] {outcome.facilities:,} medical facilities "
        f"({outcome.facilities_created:,} new), {outcome.insurance_cards:,} health-insurance "
        f"cards ({outcome.insured_share:.1%} of living residents insured) in "
        f"{outcome.health_seconds:.1f} s"
    )
    dossiers = outcome.dossiers
    online = dossiers.online / dossiers.dossiers if dossiers.dossiers else 0.0
    console.print(
        f"[green]loaded[/green] {dossiers.dossiers:,} public-service dossiers of the past year "
        f"({online:.0%} online, {dossiers.open:,} open, {dossiers.waiting:,} waiting for "
        f"additions, {dossiers.late:,} late; {dossiers.events:,} events) in "
        f"{outcome.dossier_seconds:.1f} s"
    )
    faults = ", ".join(
        f"{len(keys)} {kind.replace('_', ' ')}" for kind, keys in outcome.faults.items()
    )
    console.print(f"deliberate data-quality faults: {faults}")
    if outcome.accounts_kept:
        console.print(
            f"demo accounts already present, kept with the credentials of the seed they were "
            f"created with: {', '.join(outcome.accounts_kept)}"
        )


@app.command("logins")
def logins(seed: int = typer.Option(DEFAULT_SEED, help=SEED_HELP)) -> None:
    """Print the demo accounts with their passwords and TOTP secrets (otpauth URIs for an
    authenticator app), and the named demo citizens' eID passcodes (derived from the seed and
    this instance's secret key, not read from the database; only the citizens' personal IDs
    are looked up)."""
    try:
        with transaction() as session:
            accounts = demo_service.logins(session, seed=seed)
            citizens = demo_service.logins_of_citizens(session, seed=seed)
            facilities = demo_service.facility_logins(session, seed=seed)
    except OnceGovError as exc:
        raise fail(exc) from exc
    _print_logins(accounts, citizens, facilities)


@app.command("code")
def code(
    username: str = typer.Argument(..., help="A demo officer, e.g. pc06.demo."),
    seed: int = typer.Option(DEFAULT_SEED, help=SEED_HELP),
) -> None:
    """Print the authenticator code of a demo officer valid right now (derived from the seed
    and this instance's secret key, like the password)."""
    try:
        with transaction() as session:
            accounts = {a.username: a for a in demo_service.logins(session, seed=seed)}
    except OnceGovError as exc:
        raise fail(exc) from exc
    account = accounts.get(username)
    if account is None:
        raise typer.BadParameter(
            f"not a demo officer; one of: {', '.join(accounts)}", param_hint="USERNAME"
        )
    # The sign-in also accepts the code of the step before (clock drift): about 30 s more.
    console.print(
        f"{account.username}: [bold green]{account.current_code()}[/bold green] "
        f"(valid for about {seconds_left_in_step() + 30} s; run again for a fresh one)"
    )
