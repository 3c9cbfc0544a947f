"""``oncegov health``: medical facilities and their hospital systems' tokens."""

from __future__ import annotations

import typer
from rich.table import Table

from oncegov.cli.common import cli_actor, console, fail, transaction
from oncegov.errors import NotFound, OnceGovError
from oncegov.health import service
from oncegov.units import service as units

app = typer.Typer(
    help="Health: medical facilities and their hospital systems' tokens.", no_args_is_help=True
)


@app.command("token")
def token(
    facility_code: str = typer.Argument(..., help="The facility's 5-digit code, e.g. 04001."),
    name: str = typer.Option(..., "--name", help="A unique name for the system, e.g. his-04001."),
) -> None:
    """Issue a token for a facility's hospital system: it checks patients in at that facility
    (bearer token of POST /api/v1/health/checkins). Printed once; it cannot be read again."""
    try:
        with transaction() as session:
            issued = service.issue_facility_token(session, cli_actor(), facility_code, name)
    except OnceGovError as exc:
        raise fail(exc) from exc
    console.print(f"token for {facility_code} ({name}), shown once:")
    console.print(issued, soft_wrap=True)


@app.command("revoke")
def revoke(name: str = typer.Argument(..., help="The token's name.")) -> None:
    """Revoke a facility system's token at once."""
    try:
        with transaction() as session:
            revoked = service.revoke_facility_token(session, cli_actor(), name)
            if not revoked:
                raise NotFound(f"No live token named {name}", field="name")
    except OnceGovError as exc:
        raise fail(exc) from exc
    console.print(f"revoked {name}")


@app.command("facilities")
def facilities() -> None:
    """List the medical facilities: code, name, level and commune."""
    with transaction() as session:
        found = service.facilities(session)
        names = units.CommuneNames(session)
        rows = [(f.code, f.name, f.level, names.label(f.commune_code), f.is_active) for f in found]
    table = Table(title=f"Medical facilities ({len(rows)})")
    table.add_column("code", style="bold", no_wrap=True)
    table.add_column("name", overflow="fold")
    table.add_column("level", overflow="fold")
    table.add_column("commune", overflow="fold")
    for code, name, level, commune, active in rows:
        table.add_row(code, name if active else f"{name} (inactive)", level, commune)
    console.print(table)
