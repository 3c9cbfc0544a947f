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
from sqlalchemy.orm import Session

from oncegov.db import get_sessionmaker
from oncegov.errors import OnceGovError
from oncegov.kit.actor import Actor

console = Console()
err_console = Console(stderr=True)


@contextmanager
def transaction() -> Iterator[Session]:
    """The command owns the transaction: commit when it finishes, roll back when it raises."""
    with get_sessionmaker()() as session:
        try:
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
