"""``oncegov procedures``: load the procedure catalogue's files, list what is in force."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from oncegov.cli.common import console, err_console, transaction
from oncegov.procedures.catalogue import service
from oncegov.procedures.catalogue.service import LoadReport

app = typer.Typer(help="The procedure catalogue.", no_args_is_help=True)


def print_report(report: LoadReport) -> None:
    table = Table("files", "added", "unchanged", "errors", title="Procedure catalogue")
    table.add_row(
        str(report.files),
        str(len(report.added)),
        str(len(report.unchanged)),
        f"[red]{len(report.problems)}[/red]" if report.problems else "0",
    )
    console.print(table)
    for code, version in report.added:
        console.print(f"[green]added[/green] {code} version {version}", highlight=False)
    for problem in report.problems:
        err_console.print(f"[red]{problem}[/red]", highlight=False, soft_wrap=True)


@app.command("load")
def load(
    path: Path | None = typer.Option(
        None,
        "--path",
        help="Directory of catalogue files (*.yaml); the bundled catalogue by default.",
        file_okay=False,
    ),
) -> None:
    """Validate and store the catalogue: new versions are added, published ones left as they
    are; a changed published version, or any file's problem, is an error (exit 1)."""
    with transaction() as session:
        report = service.load_catalogue(session, path)
    print_report(report)
    if not report.ok:
        raise typer.Exit(1)


@app.command("list")
def list_procedures() -> None:
    """The procedures in force today: code, version, name, field, level, online level."""
    with transaction() as session:
        found = service.catalogue(session)
    table = Table("code", "version", "since", "name", "field", "level", "online")
    for stored in found:
        p = stored.definition
        table.add_row(
            stored.code,
            str(stored.version),
            stored.effective_from.isoformat(),
            p.name.vi,
            p.field.value,
            p.level,
            p.online_level,
        )
    console.print(table)
    console.print(f"{len(found)} procedures in force")
