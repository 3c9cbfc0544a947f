"""Shapes of bulk imports and exports: modes, outcomes, the error report, progress callbacks."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol


class ImportMode(StrEnum):
    ALL_OR_NOTHING = "all_or_nothing"  # any error: nothing is written
    ACCEPT_VALID = "accept_valid"  # valid rows are loaded, the rest reported


class ImportStatus(StrEnum):
    LOADED = "loaded"  # every row loaded (created, updated or unchanged)
    PARTIAL = "partial"  # --accept-valid and some rows rejected
    REJECTED = "rejected"  # nothing written


# Spreadsheet numbering: the header is row 1, the first data row is row 2.
HEADER_ROW = 1
FIRST_DATA_ROW = 2

REPORT_COLUMNS: tuple[str, ...] = ("row", "personal_id", "field", "value", "code", "reason")


@dataclass(frozen=True, slots=True)
class RowError:
    """One fault: the spreadsheet row (header = 1), the field, the value as given and why."""

    row: int
    personal_id: str
    field: str
    value: str
    code: str
    reason: str

    def as_report_row(self) -> list[str]:
        return [str(self.row), self.personal_id, self.field, self.value, self.code, self.reason]


@dataclass
class ImportResult:
    file_name: str
    file_sha256: str
    mode: ImportMode
    status: ImportStatus = ImportStatus.LOADED
    rows_total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0  # rows with at least one error
    households_created: int = 0
    errors: list[RowError] = field(default_factory=list)
    run_id: int | None = None

    @property
    def is_rejected(self) -> bool:
        return self.status is ImportStatus.REJECTED

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows_total,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "households_created": self.households_created,
        }


@dataclass(frozen=True)
class ExportResult:
    file_name: str
    file_format: str
    rows: int


class ProgressCallback(Protocol):
    """Called after each batch with rows done so far and the expected total (None: unknown)."""

    def __call__(self, done: int, total: int | None) -> None: ...
