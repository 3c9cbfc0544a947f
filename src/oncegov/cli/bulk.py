"""``oncegov import citizens`` / ``oncegov export citizens``: CSV or Parquet files.

The command owns the transaction. A rejected import is rolled back whole, then recorded (run row
and audit entry) in a small transaction of its own. Formats: docs/data-formats.md.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import Progress, TaskID
from rich.table import Table

from oncegov.cli.common import cli_actor, console, fail, progress, transaction
from oncegov.errors import OnceGovError
from oncegov.registry.bulk import service as bulk
from oncegov.registry.bulk.io import write_report
from oncegov.registry.bulk.schemas import ImportMode, ImportResult, ImportStatus, RowError

import_app = typer.Typer(help="Import registry data.", no_args_is_help=True)
export_app = typer.Typer(help="Export registry data.", no_args_is_help=True)

ERRORS_SHOWN = 20


class _Rejected(Exception):
    """Raised inside the transaction so that it rolls back; carries the outcome out."""

    def __init__(self, result: ImportResult) -> None:
        super().__init__("import rejected")
        self.result = result


class _Bar:
    """Adapts the service's progress callback to a Rich task (the total may be an estimate)."""

    def __init__(self, bar: Progress, description: str) -> None:
        self.bar = bar
        self.task: TaskID = bar.add_task(description, total=None)
        self.done = 0

    def __call__(self, done: int, total: int | None) -> None:
        self.done = done
        self.bar.update(self.task, completed=done, total=max(total, done) if total else None)

    def finish(self) -> None:
        self.bar.update(self.task, total=self.done, completed=self.done)


@import_app.command("citizens")
def import_citizens(
    file: Path = typer.Argument(..., help="A .csv (UTF-8) or .parquet file of citizens."),
    reason: str = typer.Option(..., "--reason", help="Why: recorded on every version written."),
    legal_reference: str | None = typer.Option(
        None, "--legal-reference", help="The document behind the changes, if any."
    ),
    accept_valid: bool = typer.Option(
        False, "--accept-valid", help="Load the valid rows and report the rest."
    ),
    report: Path | None = typer.Option(
        None, "--report", help="Write the full error report to this CSV file."
    ),
) -> None:
    """Import citizens: all or nothing unless --accept-valid; re-importing changes nothing."""
    actor = cli_actor()
    mode = ImportMode.ACCEPT_VALID if accept_valid else ImportMode.ALL_OR_NOTHING
    try:
        try:
            with transaction() as session, progress() as bar:
                hook = _Bar(bar, "importing citizens")
                result = bulk.import_citizens(
                    session,
                    actor,
                    file,
                    mode=mode,
                    reason=reason,
                    legal_reference=legal_reference,
                    progress=hook,
                )
                hook.finish()
                if result.is_rejected:
                    raise _Rejected(result)
        except _Rejected as rejected:
            result = rejected.result
            with transaction() as session:
                result.run_id = bulk.record_rejected_import(session, actor, result, reason=reason)
    except OnceGovError as exc:
        raise fail(exc) from exc
    _print_outcome(result)
    if report is not None:
        write_report(report, result.errors)
        console.print(f"error report: {report} ({len(result.errors):,} errors)")
    if result.is_rejected:
        raise typer.Exit(1)


def _print_outcome(result: ImportResult) -> None:
    colour = {
        ImportStatus.LOADED: "green",
        ImportStatus.PARTIAL: "yellow",
        ImportStatus.REJECTED: "red",
    }[result.status]
    console.print(
        f"[{colour}]{result.status.value}[/{colour}] {result.file_name} (run {result.run_id}): "
        f"{result.rows_total:,} rows, {result.created:,} created, {result.updated:,} updated, "
        f"{result.unchanged:,} unchanged, {result.rejected:,} rejected, "
        f"{result.households_created:,} households created"
    )
    if result.is_rejected:
        console.print("[red]nothing was written[/red]")
    if result.errors:
        _print_errors(result.errors)


def _print_errors(errors: list[RowError]) -> None:
    table = Table("row", "personal_id", "field", "value", "reason", title="errors (header = row 1)")
    for error in errors[:ERRORS_SHOWN]:
        table.add_row(str(error.row), error.personal_id, error.field, error.value, error.reason)
    console.print(table)
    if len(errors) > ERRORS_SHOWN:
        console.print(f"… and {len(errors) - ERRORS_SHOWN:,} more (use --report FILE for all)")


@export_app.command("citizens")
def export_citizens(
    file: Path = typer.Argument(..., help="Output file: .csv (UTF-8) or .parquet."),
    purpose: str = typer.Option(
        ..., "--purpose", help="Why the data is exported (recorded in the audit log)."
    ),
) -> None:
    """Export every citizen, in personal-ID order, in the import's format."""
    try:
        with transaction() as session, progress() as bar:
            hook = _Bar(bar, "exporting citizens")
            result = bulk.export_citizens(
                session, cli_actor(), file, purpose=purpose, progress=hook
            )
            hook.finish()
    except OnceGovError as exc:
        raise fail(exc) from exc
    console.print(f"[green]exported[/green] {result.rows:,} citizens to {file}")
