"""The ``oncegov`` command line. Each command calls domain services only."""

from __future__ import annotations

import typer

from oncegov.cli import (
    audit,
    bulk,
    calendar,
    citizens,
    demo,
    eid,
    health,
    link,
    oidc,
    procedures,
    quality,
    users,
    worker,
)
from oncegov.config import settings

app = typer.Typer(
    name="oncegov",
    help="OnceGov: population registry and digital government.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)
app.add_typer(users.app, name="users")
app.add_typer(citizens.app, name="citizens")
app.add_typer(audit.app, name="audit")
app.add_typer(quality.app, name="quality")
app.add_typer(bulk.import_app, name="import")
app.add_typer(bulk.export_app, name="export")
app.add_typer(demo.app, name="demo")
app.add_typer(eid.app, name="eid")
app.add_typer(oidc.app, name="oidc")
app.add_typer(health.app, name="health")
app.add_typer(link.app, name="link")
app.add_typer(calendar.app, name="calendar")
app.add_typer(procedures.app, name="procedures")
app.command(name="worker")(worker.worker)


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema (Alembic)."""
    from oncegov.cli.common import migrate_database

    migrate_database()
    typer.echo("database is up to date")


def _refuse_to_start() -> None:
    """Stop ``serve`` with one line per reason (exit 1) before it listens: the schema is not
    the code's, or production runs with development settings or demo officers."""
    from oncegov.cli.common import err_console, transaction
    from oncegov.cli.preflight import production_refusals

    with transaction() as session:  # checks the schema first
        refusals = production_refusals(settings, session)
    if refusals:
        err_console.print("[red]refusing to start in production:[/red]", highlight=False)
        for refusal in refusals:
            err_console.print(f"[red]- {refusal}[/red]", highlight=False)
        raise typer.Exit(1)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, help="Worker processes (use PostgreSQL for more than one)."),
) -> None:
    """Run the portal (uvicorn)."""
    import os

    import uvicorn

    _refuse_to_start()
    # Worker processes read their settings from the environment.
    os.environ["ONCEGOV_SERVER_TUNING"] = "true"
    settings.server_tuning = True

    uvicorn.run(
        "oncegov.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # uvicorn believes X-Forwarded-* from 127.0.0.1 by default; here only the configured
        # proxies are (none by default), the same ones web.client.client_ip trusts.
        proxy_headers=bool(settings.trusted_proxies.strip()),
        forwarded_allow_ips=settings.trusted_proxies.strip() or "",
        limit_concurrency=settings.server_max_concurrency,
    )


if __name__ == "__main__":
    app()
