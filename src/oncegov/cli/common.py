"""Helpers shared by CLI commands: a transaction per command, a Rich console, progress bars."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from oncegov.db import get_sessionmaker, is_outage
from oncegov.errors import OnceGovError
from oncegov.kit.actor import Actor
from oncegov.migrate import SchemaNotReady, require_current_schema, upgrade

console = Console()
err_console = Console(stderr=True)

_checked: set[str] = set()  # engines whose schema this process has found current


def cli_engine() -> Engine:
    with get_sessionmaker()() as session:
        bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def check_database(session: Session) -> None:
    """Stop the command with one line (exit 1, no stack trace) when the database does not
    answer or its schema is not the code's: checked once per process, before any work, on the
    command's own connection."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    key = engine.url.render_as_string(hide_password=True)
    if key in _checked:
        return
    try:
        require_current_schema(session.connection())
    except SchemaNotReady as exc:
        err_console.print(f"[red]{exc}[/red]", highlight=False)
        raise typer.Exit(1) from None
    except Exception as exc:
        if not is_outage(exc):
            raise
        err_console.print(f"[red]{outage_message(engine)}[/red]", highlight=False)
        raise typer.Exit(1) from None
    _checked.add(key)


def outage_message(engine: Engine) -> str:
    where = engine.url.render_as_string(hide_password=True)
    return f"The database does not answer ({where}, ONCEGOV_DATABASE_URL): is it running?"


def migrate_database() -> None:
    """Bring the command's database to the code's schema (``oncegov migrate``, the demo)."""
    engine = cli_engine()
    try:
        upgrade(engine.url.render_as_string(hide_password=False))
    except Exception as exc:
        if not is_outage(exc):
            raise
        err_console.print(f"[red]{outage_message(engine)}[/red]", highlight=False)
        raise typer.Exit(1) from None


@contextmanager
def transaction() -> Iterator[Session]:
    """The command owns the transaction: commit when it finishes, roll back when it raises.
    The schema is checked first (``check_database``)."""
    with get_sessionmaker()() as session:
        try:
            check_database(session)
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def cli_actor() -> Actor:
    """The operating-system user running the command, as recorded in the audit log."""
    return Actor(
        kind="system", id=f"cli:{getpass.getuser()}", name=getpass.getuser(), channel="cli"
    )


def progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


def fail(exc: OnceGovError) -> typer.Exit:
    """Print a domain error (the field at fault and why) and return the exit to raise."""
    err_console.print(f"[red]{exc.field or 'error'}: {exc.message}[/red]")
    return typer.Exit(1)
