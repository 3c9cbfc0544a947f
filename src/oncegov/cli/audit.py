"""``oncegov audit``: verify the hash chain."""

from __future__ import annotations

import typer

from oncegov.audit import service as audit
from oncegov.cli.common import console, err_console, transaction

app = typer.Typer(help="The audit log.", no_args_is_help=True)


@app.command("verify")
def verify() -> None:
    """Recompute the hash chain and report the first entry altered, deleted or reordered."""
    with transaction() as session, console.status("verifying the audit chain…") as status:
        result = audit.verify(session, lambda n: status.update(f"verified {n:,} entries…"))
    if result.ok:
        console.print(f"[green]audit chain intact[/green]: {result.checked:,} entries")
        return
    err_console.print(
        f"[red]audit chain broken[/red] at entry {result.first_bad_seq}: {result.problem} "
        f"({result.checked:,} entries verified before it)"
    )
    raise typer.Exit(2)
