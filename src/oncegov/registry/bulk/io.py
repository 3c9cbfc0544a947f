"""Reading and writing citizen files: CSV (UTF-8) and Parquet (every column a string).

Both formats stream in batches, so files of any size pass through in bounded memory. Sources
can be read more than once (an ``--accept-valid`` import may need a second pass).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TextIO

import pyarrow as pa
import pyarrow.parquet as pq

from oncegov.errors import ValidationFailed
from oncegov.registry.bulk.schemas import FIRST_DATA_ROW, REPORT_COLUMNS, RowError

FORMATS = {".csv": "csv", ".parquet": "parquet"}
CSV_ENCODING = "utf-8"
_HASH_CHUNK = 1 << 20

# One data row: its spreadsheet row number and its values in header order (None = absent).
NumberedRow = tuple[int, list[str | None]]


def file_format(path: Path) -> str:
    """``csv`` or ``parquet``, from the file extension."""
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise ValidationFailed(
            "The file must end in .csv or .parquet", field="file", code="unknown_format"
        ) from None


class CitizenSource(Protocol):
    """A file (or list of rows) to import: its header, identity and its rows in batches."""

    name: str
    header: list[str]
    sha256: str
    expected_rows: int | None

    def batches(self, size: int) -> Iterator[list[NumberedRow]]: ...


def _sha256_and_lines(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    lines = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
            lines += chunk.count(b"\n")
    return digest.hexdigest(), lines


class CsvSource:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = path.name
        self.sha256, lines = _sha256_and_lines(path)
        # Physical lines minus the header: exact unless a quoted value spans lines.
        self.expected_rows: int | None = max(lines - 1, 0)
        try:
            with self._open() as handle:
                first = next(csv.reader(handle), None)
        except (UnicodeDecodeError, csv.Error) as exc:
            raise ValidationFailed(
                f"The file cannot be read as UTF-8 CSV: {exc}", field="file", code="unreadable"
            ) from exc
        self.header = [] if first is None else [c.strip() for c in first]

    def _open(self) -> TextIO:
        # utf-8-sig: accept the byte-order mark spreadsheet programs put in front.
        return self.path.open(encoding="utf-8-sig", newline="")

    def batches(self, size: int) -> Iterator[list[NumberedRow]]:
        number = FIRST_DATA_ROW - 1
        with self._open() as handle:
            reader = csv.reader(handle)
            try:
                next(reader, None)
                batch: list[NumberedRow] = []
                for number, values in enumerate(reader, start=FIRST_DATA_ROW):
                    if not values:
                        continue  # a blank line
                    batch.append((number, values))  # type: ignore[arg-type]
                    if len(batch) >= size:
                        yield batch
                        batch = []
            except (UnicodeDecodeError, csv.Error) as exc:
                raise ValidationFailed(
                    f"The file cannot be read as UTF-8 CSV after row {number}: {exc}",
                    field="file",
                    code="unreadable",
                ) from exc
            if batch:
                yield batch


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


class ParquetSource:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = path.name
        self.sha256, _ = _sha256_and_lines(path)
        parquet = self._open()
        self.header = [str(name).strip() for name in parquet.schema_arrow.names]
        self.expected_rows: int | None = int(parquet.metadata.num_rows)

    def _open(self) -> pq.ParquetFile:
        try:
            return pq.ParquetFile(self.path)
        except (pa.ArrowException, OSError) as exc:
            raise ValidationFailed(
                f"The file cannot be read as Parquet: {exc}", field="file", code="unreadable"
            ) from exc

    def batches(self, size: int) -> Iterator[list[NumberedRow]]:
        number = FIRST_DATA_ROW
        records = self._open().iter_batches(batch_size=size)
        while True:
            try:
                record_batch = next(records, None)
            except (pa.ArrowException, OSError) as exc:
                raise ValidationFailed(
                    f"The file cannot be read as Parquet after row {number - 1}: {exc}",
                    field="file",
                    code="unreadable",
                ) from exc
            if record_batch is None:
                return
            columns = [column.to_pylist() for column in record_batch.columns]
            batch: list[NumberedRow] = []
            for values in zip(*columns, strict=True):
                batch.append((number, [_text(v) for v in values]))
                number += 1
            yield batch


class RowsSource:
    """Rows given in memory (tests, other services): the header is the first row's keys."""

    def __init__(self, rows: Sequence[Mapping[str, str | None]], name: str = "<rows>") -> None:
        self.rows = rows
        self.name = name
        self.header = list(rows[0]) if rows else []
        self.expected_rows: int | None = len(rows)
        digest = hashlib.sha256()
        for row in rows:
            digest.update(json.dumps(row, ensure_ascii=False, sort_keys=True).encode())
            digest.update(b"\n")
        self.sha256 = digest.hexdigest()

    def batches(self, size: int) -> Iterator[list[NumberedRow]]:
        batch: list[NumberedRow] = []
        for number, row in enumerate(self.rows, start=FIRST_DATA_ROW):
            batch.append((number, [row.get(column) for column in self.header]))
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch


def open_source(
    source: str | os.PathLike[str] | Sequence[Mapping[str, str | None]],
) -> CitizenSource:
    """A re-readable source for a path (by extension) or for rows already in memory."""
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        if not path.is_file():
            raise ValidationFailed(f"No such file: {path}", field="file", code="not_found")
        return CsvSource(path) if file_format(path) == "csv" else ParquetSource(path)
    return RowsSource(source)


# --- writing --------------------------------------------------------------------------------


class RowWriter(Protocol):
    def write(self, rows: Sequence[Sequence[str]]) -> None: ...

    def close(self) -> None: ...


class CsvWriter:
    """UTF-8 without byte-order mark, header first, LF line ends, minimal quoting."""

    def __init__(self, path: Path, header: Sequence[str]) -> None:
        self.handle = path.open("w", encoding=CSV_ENCODING, newline="")
        self.writer = csv.writer(self.handle, lineterminator="\n")
        self.writer.writerow(header)

    def write(self, rows: Sequence[Sequence[str]]) -> None:
        self.writer.writerows(rows)

    def close(self) -> None:
        self.handle.close()


class ParquetWriter:
    """Every column a nullable string; an empty value is written as null. One row group per
    batch, zstd-compressed."""

    def __init__(self, path: Path, header: Sequence[str]) -> None:
        self.header = list(header)
        self.schema = pa.schema([(column, pa.string()) for column in self.header])
        self.writer = pq.ParquetWriter(path, self.schema, compression="zstd")

    def write(self, rows: Sequence[Sequence[str]]) -> None:
        if not rows:
            return
        columns = [
            pa.array([value or None for value in column], type=pa.string())
            for column in zip(*rows, strict=True)
        ]
        self.writer.write_table(pa.Table.from_arrays(columns, schema=self.schema))

    def close(self) -> None:
        self.writer.close()


def open_writer(path: Path, header: Sequence[str], fmt: str) -> RowWriter:
    """A writer for ``fmt`` (``csv`` or ``parquet``) at ``path``, whatever its extension."""
    if fmt == "csv":
        return CsvWriter(path, header)
    return ParquetWriter(path, header)


@dataclass(frozen=True)
class StagedFile:
    """Write to ``<name>.partial`` and move into place only when complete, so a failed export
    never leaves a truncated file under the requested name."""

    target: Path

    @property
    def partial(self) -> Path:
        return self.target.with_name(self.target.name + ".partial")

    def commit(self) -> None:
        self.partial.replace(self.target)

    def discard(self) -> None:
        self.partial.unlink(missing_ok=True)


def write_report(path: Path, errors: Sequence[RowError]) -> None:
    """The full error report as CSV (columns: ``REPORT_COLUMNS``)."""
    with path.open("w", encoding=CSV_ENCODING, newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(REPORT_COLUMNS)
        writer.writerows(error.as_report_row() for error in errors)
