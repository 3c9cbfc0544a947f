"""``oncegov demo``: generate and load the demo province; ``oncegov demo logins``: its accounts."""

from __future__ import annotations

import typer
from rich.progress import TaskID
from rich.table import Table

from oncegov.cli.common import cli_actor, console, fail, progress, transaction
from oncegov.demo import service as demo_service
from oncegov.demo.accounts import DemoLogin, seconds_left_in_step
from oncegov.demo.generator import DEFAULT_SEED
from oncegov.errors import OnceGovError

# The group's help is the callback's docstring (``oncegov demo --help``).
app = typer.Typer(no_args_is_help=False)

SEED_HELP = "Seed of the generator and of the demo accounts' credentials."


def logins_table(accounts: list[DemoLogin]) -> Table:
    """Usernames, passwords and the TOTP code valid right now (secrets for an authenticator
    app). Credentials never shrink to an ellipsis: a narrow terminal wraps them instead."""
    left = seconds_left_in_step()
    table = Table(title=f"Demo sign-ins (TOTP codes valid for {left} more seconds)")
    table.add_column("username", style="bold", overflow="fold")
    table.add_column("role", overflow="fold")
    table.add_column("password", no_wrap=True, min_width=19)
    table.add_column("code", style="green", no_wrap=True, min_width=6)
    table.add_column("TOTP secret", style="dim", overflow="fold")
    for account in accounts:
        table.add_row(
            account.username,
            " ".join(f"{role} {code}" for role, _, code in account.roles),
            account.password,
            account.current_code(),
            account.totp_secret,
        )
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
        "by this command) and load a new one. Existing demo accounts are kept.",
    ),
) -> None:
    """Generate and load a synthetic population of the configured province, create the demo
    officer accounts and print their sign-ins.

    Same seed and scale, same data. Without --if-empty or --replace the command refuses to
    touch a registry that already holds citizens. Refused when ONCEGOV_ENVIRONMENT=production.
    """
    if ctx.invoked_subcommand is not None:
        return
    if if_empty and replace:
        raise typer.BadParameter("choose either --if-empty or --replace")
    mode: demo_service.Mode = "if_empty" if if_empty else "replace" if replace else "refuse"
    try:
        with transaction() as session, progress() as bar:
            tasks: dict[str, TaskID] = {}

            def report(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    label = "generating people" if stage == "generate" else "loading rows"
                    tasks[stage] = bar.add_task(label, total=total)
                bar.update(tasks[stage], completed=done, total=total)

            outcome = demo_service.run_demo(
                session, cli_actor(), scale=scale, seed=seed, mode=mode, on_progress=report
            )
            accounts = demo_service.logins(session, seed=seed)
    except OnceGovError as exc:
        raise fail(exc) from exc
    if outcome.skipped:
        console.print(
            f"The registry already holds {outcome.existing_citizens:,} citizens: "
            "nothing to do (--if-empty)."
        )
    else:
        _print_summary(outcome)
    console.print(logins_table(accounts))


def _print_summary(outcome: demo_service.DemoOutcome) -> None:
    counts = outcome.counts
    assert counts is not None and outcome.province is not None
    if outcome.deleted is not None:
        console.print(
            f"deleted the earlier demo population: {outcome.deleted.citizens:,} citizens, "
            f"{outcome.deleted.households:,} households"
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
    """Print the demo accounts with their passwords and current TOTP codes (derived from the
    seed and this instance's secret key, not read from the database)."""
    try:
        with transaction() as session:
            accounts = demo_service.logins(session, seed=seed)
    except OnceGovError as exc:
        raise fail(exc) from exc
    console.print(logins_table(accounts))
