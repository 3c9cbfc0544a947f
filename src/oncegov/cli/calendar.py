"""``oncegov calendar``: the working-day calendar's dates declared off or working."""

from __future__ import annotations

import typer

from oncegov.cli.common import cli_actor, console, fail, transaction
from oncegov.errors import OnceGovError
from oncegov.procedures.calendar import service

app = typer.Typer(
    help="Working-day calendar: holidays, and dates declared off (nghỉ bù) or working (làm bù).",
    no_args_is_help=True,
)


@app.command("list")
def list_days(
    year: int | None = typer.Option(None, "--year", help="One year: its holidays and entries."),
) -> None:
    """The administrators' entries; with --year, every holiday, compensation and adjustment."""
    try:
        with transaction() as session:
            if year is None:
                for entry in service.list_days(session):
                    typer.echo(
                        f"{entry.day.isoformat()}\t{entry.kind}\t{entry.reason}\t"
                        f"{entry.legal_reference}\t{entry.created_by}"
                    )
                return
            view = service.year_view(session, year)
    except OnceGovError as exc:
        raise fail(exc) from exc
    for status in view.days:
        state = "work" if status.working else "off"
        typer.echo(
            f"{status.day.isoformat()}\t{state}\t{status.source.value}\t{status.name}\t"
            f"{status.legal_reference}"
        )


@app.command("add")
def add(
    day: str = typer.Argument(..., help="YYYY-MM-DD"),
    kind: str = typer.Option(..., "--kind", help="off (nghỉ bù, nghỉ) | work (làm bù)"),
    reason: str = typer.Option(..., "--reason"),
    reference: str = typer.Option(..., "--reference", help="The deciding document."),
) -> None:
    """Declare a date off or a working day (recorded in the audit log)."""
    try:
        parsed = service.parse_day(day)
        with transaction() as session:
            entry = service.add_day(
                session,
                cli_actor(),
                day=parsed,
                kind=kind,
                reason=reason,
                legal_reference=reference,
            )
    except OnceGovError as exc:
        raise fail(exc) from exc
    console.print(f"{entry.day.isoformat()}: {entry.kind}", highlight=False)


@app.command("remove")
def remove(day: str = typer.Argument(..., help="YYYY-MM-DD")) -> None:
    """Remove a date's entry (recorded in the audit log)."""
    try:
        parsed = service.parse_day(day)
        with transaction() as session:
            service.remove_day(session, cli_actor(), parsed)
    except OnceGovError as exc:
        raise fail(exc) from exc
    console.print(f"{parsed.isoformat()}: removed", highlight=False)
