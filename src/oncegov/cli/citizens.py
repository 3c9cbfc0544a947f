"""``oncegov citizens``: look up the registry from the server's shell (audited like any read)."""

from __future__ import annotations

import typer
from rich.table import Table

from oncegov.cli.common import cli_actor, console, fail, transaction
from oncegov.errors import OnceGovError
from oncegov.registry import service as registry

app = typer.Typer(help="Look up citizens (every read is audited).", no_args_is_help=True)
PURPOSE = typer.Option(
    ..., "--purpose", help="Why you read this record (recorded in the audit log)."
)


@app.command("show")
def show(personal_id: str, purpose: str = PURPOSE) -> None:
    """Show one citizen's record."""
    try:
        with transaction() as session:
            citizen = registry.get_citizen(session, cli_actor(), personal_id, purpose=purpose)
    except OnceGovError as exc:
        raise fail(exc) from exc
    table = Table(show_header=False)
    for field, value in citizen.model_dump().items():
        table.add_row(field, "" if value is None else str(value))
    console.print(table)


@app.command("search")
def search(query: str, purpose: str = PURPOSE) -> None:
    """Search by personal ID, or name (without diacritics is fine) and optional birth date."""
    try:
        with transaction() as session:
            results = registry.search_citizens(session, cli_actor(), query, purpose=purpose)
    except OnceGovError as exc:
        raise fail(exc) from exc
    table = Table("personal ID", "full name", "born", "sex", "commune", "status")
    for row in results:
        table.add_row(
            row.personal_id,
            row.full_name,
            row.date_of_birth,
            row.sex,
            row.permanent_commune_code or "",
            row.status,
        )
    console.print(table)
    console.print(f"{len(results)} found")
