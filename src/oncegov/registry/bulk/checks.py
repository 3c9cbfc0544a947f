"""Row checks that need no database: validation of every row and faults between rows of the
same file (a personal ID twice, an old ID number given to two people, two heads of a household).

Large files are checked in a child process while the parent writes the previous batches, so
the two halves of the work (pure-Python validation, the database's own work) overlap on two
cores; small files are checked in-process. Both paths run the same ``RowChecker``.
"""

from __future__ import annotations

import multiprocessing
import operator
import queue as queue_module
import traceback
from collections.abc import Generator
from dataclasses import dataclass
from multiprocessing.queues import Queue
from typing import Any

from oncegov.errors import ValidationFailed
from oncegov.registry.bulk.io import CitizenSource, NumberedRow
from oncegov.registry.bulk.schemas import RowError
from oncegov.registry.models import Citizen
from oncegov.registry.validation import CitizenValidator

# The stored columns a validated row fills, in table order (derived ones included).
DATA_COLUMNS: tuple[str, ...] = tuple(
    column.name
    for column in Citizen.__table__.columns
    if column.name not in {"id", "version", "created_at", "updated_at"}
)
pick_data = operator.itemgetter(*DATA_COLUMNS)

# Queue depth between the checking child and the writing parent (batches in flight).
_QUEUE_DEPTH = 4
_POLL_SECONDS = 1.0

Values = tuple[Any, ...]  # a validated row in DATA_COLUMNS order


@dataclass(frozen=True, slots=True)
class CheckedBatch:
    rows: int  # data rows read in this batch
    accepted: list[tuple[int, Values]]  # (row number, validated values)
    errors: list[RowError]


class RowChecker:
    """Validates rows and checks them against the earlier rows of the file. The later row is
    the one reported. Every row takes part, valid or not, so a rerun decides the same way."""

    def __init__(
        self,
        header: list[str],
        validator: CitizenValidator,
        forced: dict[int, list[RowError]],
    ) -> None:
        self.header = header
        self.validate = validator.validate
        self.forced = forced
        self.first_row_of: dict[str, int] = {}
        self.old_id_claims: dict[str, tuple[int, str]] = {}
        self.head_rows: dict[str, int] = {}

    def check(self, batch: list[NumberedRow]) -> CheckedBatch:
        header, validate, width = self.header, self.validate, len(self.header)
        accepted: list[tuple[int, Values]] = []
        rejected: list[RowError] = []
        for number, values in batch:
            if len(values) != width:
                reason = f"has {len(values)} values, the header has {width} columns"
                rejected.append(RowError(number, "", "", "", "wrong_field_count", reason))
                continue
            raw = dict(zip(header, values, strict=True))
            clean, faults = validate(raw)
            pid = (raw["personal_id"] or "").strip()
            errors = [RowError(number, pid, f.field, f.value, f.code, f.message) for f in faults]
            self._between_rows(number, pid, raw, errors)
            forced = self.forced.get(number)
            if forced:
                errors.extend(forced)
            if errors:
                rejected.extend(errors)
            else:
                accepted.append((number, pick_data(clean)))
        return CheckedBatch(len(batch), accepted, rejected)

    def _between_rows(
        self, number: int, pid: str, raw: dict[str, str | None], errors: list[RowError]
    ) -> None:
        if pid:
            first = self.first_row_of.setdefault(pid, number)
            if first != number:
                reason = f"appears more than once in the file (first in row {first})"
                errors.append(
                    RowError(number, pid, "personal_id", pid, "duplicate_in_file", reason)
                )
        old_id = (raw["old_id_number"] or "").strip()
        if old_id and pid:
            claim = self.old_id_claims.setdefault(old_id, (number, pid))
            if claim[1] != pid:
                reason = f"is also given to {claim[1]} in row {claim[0]}"
                errors.append(
                    RowError(number, pid, "old_id_number", old_id, "old_id_in_file", reason)
                )
        household = (raw["household_code"] or "").strip()
        if household and (raw["relationship_to_head"] or "").strip() == "head":
            head_row = self.head_rows.setdefault(household, number)
            if head_row != number:
                reason = f"household {household} already has its head in row {head_row}"
                errors.append(
                    RowError(number, pid, "relationship_to_head", "head", "second_head", reason)
                )


def checked_batches(
    source: CitizenSource,
    validator: CitizenValidator,
    forced: dict[int, list[RowError]],
    batch_size: int,
) -> Generator[CheckedBatch]:
    """Checked batches of ``source``, in order, computed in this process."""
    checker = RowChecker(source.header, validator, forced)
    for batch in source.batches(batch_size):
        yield checker.check(batch)


# --- the checking child process ---------------------------------------------------------------

_DONE = "done"
_REFUSED = "refused"
_CRASHED = "crashed"


def _check_in_child(
    source: CitizenSource,
    validator: CitizenValidator,
    forced: dict[int, list[RowError]],
    batch_size: int,
    out: Queue[object],
) -> None:
    try:
        for checked in checked_batches(source, validator, forced, batch_size):
            out.put(checked)
    except ValidationFailed as exc:  # an unreadable file: the parent raises it as it is
        out.put((_REFUSED, exc.message, exc.field, exc.code))
    except Exception as exc:  # a bug: the parent raises it with the child's traceback
        out.put((_CRASHED, "".join(traceback.format_exception(exc)), None, None))
    else:
        out.put(_DONE)


def checked_batches_in_child(
    source: CitizenSource,
    validator: CitizenValidator,
    forced: dict[int, list[RowError]],
    batch_size: int,
) -> Generator[CheckedBatch]:
    """The same batches, computed by a child process a few batches ahead of the consumer."""
    # spawn: a fresh interpreter, never a copy of this one's database connections.
    context = multiprocessing.get_context("spawn")
    out = context.Queue(maxsize=_QUEUE_DEPTH)
    child = context.Process(
        target=_check_in_child,
        args=(source, validator, forced, batch_size, out),
        name="oncegov-import-checks",
        daemon=True,
    )
    child.start()
    try:
        while True:
            try:
                item = out.get(timeout=_POLL_SECONDS)
            except queue_module.Empty:
                if child.is_alive():
                    continue
                try:  # it may have finished just now: what it sent is still in the pipe
                    item = out.get(timeout=_POLL_SECONDS)
                except queue_module.Empty:
                    raise RuntimeError("the import's checking process ended early") from None
            if item == _DONE:
                break
            if isinstance(item, tuple):
                outcome, message, field, code = item
                if outcome == _REFUSED:
                    raise ValidationFailed(message, field=field, code=code)
                raise RuntimeError(f"the import's checking process failed:\n{message}")
            assert isinstance(item, CheckedBatch)
            yield item
    finally:
        if child.is_alive():
            child.terminate()
        child.join()
        out.close()
