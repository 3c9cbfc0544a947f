"""``oncegov procedures``: load the procedure catalogue's files, list what is in force, register
the portal as the OpenID Connect provider's relying party."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from oncegov.cli.common import cli_actor, console, err_console, fail, transaction
from oncegov.errors import OnceGovError
from oncegov.procedures.catalogue import service
from oncegov.procedures.catalogue.service import LoadReport
from oncegov.procedures.portal import service as portal

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


@app.command("portal-client")
def portal_client(
    public_url: str | None = typer.Option(
        None,
        "--public-url",
        help="The portal's public address (its redirect URI is <it>/portal/callback); "
        "ONCEGOV_OIDC_ISSUER by default.",
    ),
) -> None:
    """Register the portal as relying party `oncegov-portal` with the secret
    ONCEGOV_PORTAL_CLIENT_SECRET, or bring it back to that; running it again changes nothing."""
    try:
        with transaction() as session:
            client, changed = portal.ensure_portal_client(
                session, cli_actor(), public_url=public_url
            )
    except OnceGovError as exc:
        raise fail(exc) from exc
    state = "registered or updated" if changed else "already up to date"
    console.print(
        f"{client.client_id}: {state}; redirect URI {' '.join(client.redirect_uris)}",
        highlight=False,
    )
