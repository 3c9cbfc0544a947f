"""Bulk import and export of citizens (CSV or Parquet). Never commits: the caller owns the
transaction.

- ``import_citizens`` validates every row, writes new citizens (version 1) and changed ones (a new
  version each), founds missing households from their members, records an ``ImportRun`` and one
  audit entry. All or nothing by default; ``ACCEPT_VALID`` loads the valid rows. A rejected import
  writes nothing; the caller may record the attempt with ``record_rejected_import`` in a
  transaction of its own.
- ``export_citizens`` streams the registry to a file and records one audit entry for the export.

File formats and semantics: docs/data-formats.md.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from sqlalchemy.orm import Session

from oncegov.audit import service as audit
from oncegov.errors import ValidationFailed
from oncegov.kit import clock
from oncegov.kit.actor import Actor
from oncegov.registry import events
from oncegov.registry.bulk.checks import checked_batches, checked_batches_in_child
from oncegov.registry.bulk.importer import ImportContext, ImportPass, header_errors
from oncegov.registry.bulk.io import (
    CitizenSource,
    StagedFile,
    file_format,
    open_source,
    open_writer,
)
from oncegov.registry.bulk.models import ImportRun
from oncegov.registry.bulk.repository import BulkRepository
from oncegov.registry.bulk.schemas import (
    HEADER_ROW,
    ExportResult,
    ImportMode,
    ImportResult,
    ImportStatus,
    ProgressCallback,
    RowError,
)
from oncegov.registry.schemas import CITIZEN_COLUMNS
from oncegov.registry.validation import CitizenValidator, citizen_to_row
from oncegov.translatable import N_
from oncegov.units import service as units
from oncegov.units.schemas import EVERYWHERE, UnitScope

BATCH_SIZE = 5000
EXPORT_BATCH = 5000
# From this size on, rows are checked in a child process while this one writes (starting the
# child costs about a second).
PARALLEL_MIN_ROWS = 50_000
# Columns citizen_to_row needs: the file's columns with the birth date as stored.
_EXPORT_SOURCE_COLUMNS = (
    *(c for c in CITIZEN_COLUMNS if c != "date_of_birth"),
    "birth_year",
    "birth_month",
    "birth_day",
)
# Bound on --accept-valid reruns (see _load).
_MAX_PASSES = 50

Source = str | os.PathLike[str] | Sequence[Mapping[str, str | None]]


def _required(value: str | None, field: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(f"{what} is required", field=field)
    return value


def import_citizens(
    session: Session,
    actor: Actor,
    source: Source,
    *,
    mode: ImportMode = ImportMode.ALL_OR_NOTHING,
    reason: str,
    legal_reference: str | None = None,
    progress: ProgressCallback | None = None,
    parallel: bool | None = None,
) -> ImportResult:
    """Import citizens from a .csv/.parquet path or from rows in memory (header = first row's
    keys). Returns the outcome; a ``REJECTED`` result has written nothing at all.

    ``parallel`` checks rows in a child process while this one writes (default: for files of
    at least ``PARALLEL_MIN_ROWS`` rows)."""
    reason = _required(reason, "reason", "A reason")
    legal_reference = (legal_reference or "").strip() or None
    data = open_source(source)
    result = ImportResult(file_name=data.name, file_sha256=data.sha256, mode=mode)
    problems = header_errors(data.header)
    if problems:
        result.status = ImportStatus.REJECTED  # before any data row is read
        result.errors = problems
        return result

    repo = BulkRepository(session)
    validator = CitizenValidator(units.commune_codes(session))
    ctx = ImportContext(
        repo=repo,
        actor_label=actor.label,
        reason=reason,
        legal_reference=legal_reference,
        now=clock.now(),
        registry_had_citizens=repo.has_citizens(),
        registry_had_households=repo.has_households(),
    )
    if parallel is None:
        parallel = (data.expected_rows or 0) >= PARALLEL_MIN_ROWS
    run = _load(session, ctx, data, validator, mode, progress, parallel)
    result.rows_total = run.rows_total
    result.errors = run.errors
    result.rejected = len(run.rejected_rows)
    if run.errors and mode is ImportMode.ALL_OR_NOTHING:
        result.status = ImportStatus.REJECTED
        return result
    result.status = ImportStatus.PARTIAL if run.rejected_rows else ImportStatus.LOADED
    events.citizens_deceased(session, run.became_deceased)  # e.g. revokes their eID accounts
    result.created, result.updated, result.unchanged = run.created, run.updated, run.unchanged
    result.households_created = run.households_created
    result.run_id = _record_run(session, actor, result, started_at=ctx.now, reason=reason)
    return result


def _load(
    session: Session,
    ctx: ImportContext,
    data: CitizenSource,
    validator: CitizenValidator,
    mode: ImportMode,
    progress: ProgressCallback | None,
    parallel: bool,
) -> ImportPass:
    """Run passes over the file inside a savepoint: kept when the import goes through, rolled
    back when it is rejected, and rerun (``--accept-valid``) when the end of the file revealed
    faults in rows already written."""
    check = checked_batches_in_child if parallel else checked_batches
    forced: dict[int, list[RowError]] = {}
    for _ in range(_MAX_PASSES):
        savepoint = session.begin_nested()
        batches = check(data, validator, forced, BATCH_SIZE)
        try:
            run = ImportPass(ctx)
            run.run(batches, progress, data.expected_rows)
        except BaseException:
            savepoint.rollback()
            raise
        finally:
            batches.close()  # stops the checking child, if any, whatever happened
        if run.errors and mode is ImportMode.ALL_OR_NOTHING:
            savepoint.rollback()
            return run
        if not run.late:
            savepoint.commit()  # releases the savepoint; the caller's transaction decides
            return run
        savepoint.rollback()
        forced = {**forced, **run.late}
    # Each rerun rejects at least one more row, so this needs a pathological chain of rows
    # each giving up an old ID number the next one takes.
    raise ValidationFailed(  # pragma: no cover
        N_("The file's old ID numbers depend on each other too deeply"), field="old_id_number"
    )


def record_rejected_import(
    session: Session, actor: Actor, result: ImportResult, *, reason: str
) -> int:
    """Record a rejected import (run row and audit entry); call it in a fresh transaction after
    rolling back the import's own."""
    if not result.is_rejected:
        raise ValidationFailed(N_("Only a rejected import is recorded this way"), field="status")
    return _record_run(session, actor, result, started_at=clock.now(), reason=reason)


def _record_run(
    session: Session, actor: Actor, result: ImportResult, *, started_at: dt.datetime, reason: str
) -> int:
    run = ImportRun(
        kind="citizens",
        file_name=result.file_name[:300],
        file_sha256=result.file_sha256,
        mode=result.mode.value,
        actor=actor.label,
        started_at=started_at,
        finished_at=clock.now(),
        status=result.status.value,
        rows_total=result.rows_total,
        rows_created=result.created,
        rows_updated=result.updated,
        rows_unchanged=result.unchanged,
        rows_rejected=result.rejected,
    )
    BulkRepository(session).add(run)
    header_fault = any(e.row == HEADER_ROW for e in result.errors)
    audit.record(
        session,
        actor,
        "registry.import",
        purpose=reason,
        detail={
            "run": run.id,
            "file": result.file_name,
            "sha256": result.file_sha256,
            "mode": result.mode.value,
            "status": result.status.value,
            "header_fault": header_fault,
            **result.counts(),
        },
    )
    return run.id


def export_citizens(
    session: Session,
    actor: Actor,
    path: str | os.PathLike[str],
    *,
    purpose: str,
    scope: UnitScope = EVERYWHERE,
    progress: ProgressCallback | None = None,
) -> ExportResult:
    """Write the citizens within ``scope`` to a .csv or .parquet file in personal-ID order, one
    batch at a time. One audit entry records the export (file name, format, row count)."""
    purpose = _required(purpose, "purpose", "A purpose")
    target = Path(path)
    fmt = file_format(target)
    repo = BulkRepository(session)
    total = repo.count_citizens(scope)
    staged = StagedFile(target)
    writer = open_writer(staged.partial, CITIZEN_COLUMNS, fmt)
    rows = 0
    try:
        try:
            for page in repo.citizen_batches(scope, _EXPORT_SOURCE_COLUMNS, EXPORT_BATCH):
                texts = [citizen_to_row(values) for values in page]
                writer.write([[text[c] for c in CITIZEN_COLUMNS] for text in texts])
                rows += len(page)
                if progress is not None:
                    progress(rows, total)
        finally:
            writer.close()
        audit.record(
            session,
            actor,
            "registry.export",
            purpose=purpose,
            detail={"file": target.name, "format": fmt, "rows": rows},
        )
    except BaseException:
        staged.discard()
        raise
    staged.commit()
    return ExportResult(file_name=target.name, file_format=fmt, rows=rows)
