"""Importing a sector extract (e.g. the social-insurance database) for record linkage.

A *mapping file* (YAML or TOML) names the source columns that hold each field::

    source: social-insurance
    record_key: MA_SO_BHXH
    full_name: HO_TEN              # or family_name + middle_name + given_name
    date_of_birth: NGAY_SINH
    sex: GIOI_TINH
    address: DIA_CHI               # and/or commune (both present: joined with ", ")
    old_id_number: SO_CMND
    personal_id: SO_CCCD
    phone: DIEN_THOAI
    date_format: "%d/%m/%Y"        # optional; one format or a list, tried before the built-ins
    sex_values: {"1": M, "0": F}   # optional; tried before the built-ins (M/F, Nam/Nữ, …)

``read_extract`` then reads a CSV (UTF-8 with or without byte-order mark; ``,`` ``;`` or tab,
chosen from the header line) or a Parquet file and gives normalised ``SectorRecord``\\ s.
Unreadable dates and malformed personal IDs are counted, never fatal; a duplicate or empty
record key is.

Error messages are constant English strings marked with ``N_`` (translated when shown); the
specifics travel as ``field`` (the mapping key at fault) and params (``column``, ``line``, …).
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import tomllib
import types
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

import yaml

from oncegov.errors import ValidationFailed
from oncegov.kit import clock
from oncegov.kit.text import fold, nfc
from oncegov.kit.vn_normalise import excel_serial_date, spelled_date
from oncegov.registry.bulk.io import ParquetSource, file_format
from oncegov.translatable import N_

# --- the mapping ------------------------------------------------------------------------------

COLUMN_KEYS: tuple[str, ...] = (
    "record_key",
    "full_name",
    "family_name",
    "middle_name",
    "given_name",
    "date_of_birth",
    "sex",
    "address",
    "commune",
    "old_id_number",
    "personal_id",
    "phone",
)
OPTION_KEYS: tuple[str, ...] = ("source", "date_format", "sex_values")
MAPPING_KEYS: frozenset[str] = frozenset(COLUMN_KEYS + OPTION_KEYS)
NAME_PARTS: tuple[str, ...] = ("family_name", "middle_name", "given_name")
MAPPING_FORMATS = {".yaml": "yaml", ".yml": "yaml", ".toml": "toml"}
SEXES = ("M", "F")


@dataclass(frozen=True)
class ExtractMapping:
    """Which source column holds which field, and how to read dates and sex codes."""

    source: str
    record_key: str
    date_of_birth: str
    full_name: str | None = None
    family_name: str | None = None
    middle_name: str | None = None
    given_name: str | None = None
    sex: str | None = None
    address: str | None = None
    commune: str | None = None
    old_id_number: str | None = None
    personal_id: str | None = None
    phone: str | None = None
    date_formats: tuple[str, ...] = ()
    sex_values: Mapping[str, str | None] = field(default_factory=lambda: types.MappingProxyType({}))

    def columns(self) -> dict[str, str]:
        """Mapping key → source column, for every key that is mapped (file order)."""
        found = {key: getattr(self, key) for key in COLUMN_KEYS}
        return {key: column for key, column in found.items() if column is not None}


def _column_name(key: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValidationFailed(
            N_("A mapped column must be given as a column name"),
            field=key,
            code="bad_value",
            value=repr(value),
        )
    name = nfc(str(value))
    if not name:
        raise ValidationFailed(
            N_("A mapped column name must not be empty"), field=key, code="bad_value"
        )
    return name


def _date_formats(value: Any) -> tuple[str, ...]:
    formats = [value] if isinstance(value, str) else value
    if not isinstance(formats, list) or not formats:
        raise ValidationFailed(
            N_("date_format must be a format such as %d/%m/%Y, or a list of them"),
            field="date_format",
            code="bad_value",
        )
    for fmt in formats:
        if not isinstance(fmt, str) or ("%Y" not in fmt and "%y" not in fmt):
            raise ValidationFailed(
                N_("Each date_format must contain a year directive (%Y)"),
                field="date_format",
                code="bad_value",
                value=repr(fmt),
            )
    return tuple(formats)


def _sex_values(value: Any) -> Mapping[str, str | None]:
    if not isinstance(value, dict):
        raise ValidationFailed(
            N_("sex_values must map source codes to M or F"), field="sex_values", code="bad_value"
        )
    codes: dict[str, str | None] = {}
    for code, sex in value.items():
        if isinstance(code, bool) or not isinstance(code, str | int):
            # YAML reads an unquoted yes/no/on/off as a boolean.
            raise ValidationFailed(
                N_("Each sex_values code must be text; quote it in the mapping file"),
                field="sex_values",
                code="bad_value",
                value=repr(code),
            )
        if sex is not None and (not isinstance(sex, str) or sex.strip().upper() not in SEXES):
            raise ValidationFailed(
                N_("Each sex_values entry must be M, F or empty"),
                field="sex_values",
                code="bad_value",
                key=str(code),
                value=repr(sex),
            )
        codes[nfc(str(code))] = None if sex is None else sex.strip().upper()
    return types.MappingProxyType(codes)


def parse_mapping(data: Any, *, default_source: str = "extract") -> ExtractMapping:
    """An ``ExtractMapping`` from already-parsed mapping data (a dict, as YAML/TOML give)."""
    if not isinstance(data, dict):
        raise ValidationFailed(
            N_("The mapping file must hold key: value pairs"), field="file", code="bad_mapping"
        )
    for key in data:
        if key not in MAPPING_KEYS:
            raise ValidationFailed(
                N_("Unknown mapping key"), field=str(key), code="unknown_key", key=str(key)
            )
    for key in ("record_key", "date_of_birth"):
        if data.get(key) is None:
            raise ValidationFailed(
                N_("This mapping key is required"), field=key, code="missing_key", key=key
            )
    columns = {
        key: _column_name(key, data[key]) for key in COLUMN_KEYS if data.get(key) is not None
    }
    parts = [key for key in NAME_PARTS if key in columns]
    if "full_name" in columns and parts:
        raise ValidationFailed(
            N_("Map either full_name or the name parts (family_name, middle_name, given_name)"),
            field="full_name",
            code="conflicting_keys",
            parts=parts,
        )
    if "full_name" not in columns:
        if not parts:
            raise ValidationFailed(
                N_("Map full_name, or family_name and given_name"),
                field="full_name",
                code="missing_key",
                key="full_name",
            )
        for key in ("family_name", "given_name"):
            if key not in columns:
                raise ValidationFailed(
                    N_("With name parts, both family_name and given_name are required"),
                    field=key,
                    code="missing_key",
                    key=key,
                )
    by_column: dict[str, str] = {}
    for key, column in columns.items():
        if column in by_column:
            raise ValidationFailed(
                N_("Two mapping keys name the same column"),
                field=key,
                code="conflicting_keys",
                column=column,
                other=by_column[column],
            )
        by_column[column] = key
    source = data.get("source", default_source)
    if not isinstance(source, str) or not source.strip():
        raise ValidationFailed(
            N_("source must be a non-empty name"), field="source", code="bad_value"
        )
    date_formats = _date_formats(data["date_format"]) if "date_format" in data else ()
    sex_values = _sex_values(data.get("sex_values", {}))
    return ExtractMapping(
        source=source.strip(),
        record_key=columns["record_key"],
        date_of_birth=columns["date_of_birth"],
        full_name=columns.get("full_name"),
        family_name=columns.get("family_name"),
        middle_name=columns.get("middle_name"),
        given_name=columns.get("given_name"),
        sex=columns.get("sex"),
        address=columns.get("address"),
        commune=columns.get("commune"),
        old_id_number=columns.get("old_id_number"),
        personal_id=columns.get("personal_id"),
        phone=columns.get("phone"),
        date_formats=date_formats,
        sex_values=sex_values,
    )


_TOML_LINE = re.compile(r"at line (\d+)")


def load_mapping(path: str | os.PathLike[str]) -> ExtractMapping:
    """Read a YAML (``.yaml``/``.yml``) or TOML (``.toml``) mapping file."""
    path = Path(path)
    fmt = MAPPING_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValidationFailed(
            N_("The mapping file must end in .yaml, .yml or .toml"),
            field="file",
            code="unknown_format",
        )
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ValidationFailed(
            N_("No such mapping file"), field="file", code="not_found", path=str(path)
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationFailed(
            N_("The mapping file cannot be read as UTF-8 text"),
            field="file",
            code="unreadable",
            detail=str(exc),
        ) from exc
    data: Any
    if fmt == "yaml":
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = None if mark is None else mark.line + 1
            raise ValidationFailed(
                N_("The mapping file is not valid YAML"),
                field="file",
                code="bad_syntax",
                line=line,
                detail=str(exc),
            ) from exc
    else:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            found = _TOML_LINE.search(str(exc))
            raise ValidationFailed(
                N_("The mapping file is not valid TOML"),
                field="file",
                code="bad_syntax",
                line=int(found.group(1)) if found else None,
                detail=str(exc),
            ) from exc
    if data is None:
        raise ValidationFailed(N_("The mapping file is empty"), field="file", code="empty_file")
    return parse_mapping(data, default_source=path.stem)


# --- dates ------------------------------------------------------------------------------------

MIN_BIRTH_YEAR = 1880
# A date-time as spreadsheets and Parquet write it: keep the date, drop the time of day.
_TIME_SUFFIX = re.compile(r"[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$")
_DMY = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_YMD = re.compile(r"(\d{4})[/.-](\d{1,2})[/.-](\d{1,2})")
_MY = re.compile(r"(\d{1,2})[/.-](\d{4})")
# Year and month, year first: ISO 8601's reduced precision ``YYYY-MM`` (the registry's own
# export writes partial dates so, docs/data-formats.md) and the same with / or . .
_YM = re.compile(r"(\d{4})[/.-](\d{1,2})")
_EIGHT = re.compile(r"\d{8}")
_YEAR = re.compile(r"\d{4}")

BirthDate = tuple[int, int | None, int | None]  # year, month, day (None: unknown)


def _checked(year: int, month: int | None, day: int | None, today: dt.date) -> BirthDate | None:
    """The date if it exists and is a plausible birth date. Day or month 0 (as ``00/00/1950``,
    the registers' way of writing "unknown") makes the date partial."""
    if not MIN_BIRTH_YEAR <= year <= today.year:
        return None
    if not month:
        return (year, None, None) if not day else None
    if not 1 <= month <= 12:
        return None
    if not day:
        return None if (year, month) > (today.year, today.month) else (year, month, None)
    try:
        date = dt.date(year, month, day)
    except ValueError:
        return None
    return None if date > today else (year, month, day)


def _with_format(text: str, fmt: str, today: dt.date) -> BirthDate | None:
    try:
        parsed = dt.datetime.strptime(text, fmt)  # noqa: DTZ007 - a calendar date, no instant
    except ValueError:
        return None
    has_month = any(d in fmt for d in ("%m", "%b", "%B"))
    has_day = has_month and "%d" in fmt
    return _checked(
        parsed.year, parsed.month if has_month else None, parsed.day if has_day else None, today
    )


def parse_birth_date(
    text: str, formats: tuple[str, ...] = (), today: dt.date | None = None
) -> BirthDate | None:
    """(year, month, day) from a date of birth as sector databases write it, or None.

    ``formats`` (strptime) are tried first, then: dd/mm/yyyy, d/m/yyyy, dd-mm-yyyy, dd.mm.yyyy,
    yyyy-mm-dd, ddmmyyyy (else yyyymmdd), mm/yyyy and yyyy-mm (partial: year and month) and
    yyyy (partial); the same written in words (``ngày 12 tháng 5 năm 1985``, ``tháng 5/1985``,
    ``T5/1985``, ``năm 1985``: ``kit.vn_normalise.spelled_date``) and five-digit Excel date
    serials (``31178``). Day-first, as Vietnamese records are written, unless the second number
    cannot be a month (``05/17/1990`` is 17 May). A day or month written 0 is unknown
    (``00/05/1985``: May 1985; ``00/00/1985``: 1985).

    Two-digit years (``12/5/85``) are refused, not guessed: a birth year in a register may be
    1885 as well as 1985, and 05 may be 1905 or 2005. A sector that knows its convention says
    so with ``date_format: "%d/%m/%y"`` (Python reads 69–99 as 19xx, 00–68 as 20xx; a date in
    the future is refused).
    """
    today = today or clock.today()
    text = _TIME_SUFFIX.sub("", text.strip())
    for fmt in formats:
        if (found := _with_format(text, fmt, today)) is not None:
            return found
    text = spelled_date(text)
    if (serial := excel_serial_date(text)) is not None:
        return _checked(*serial, today)
    if match := _DMY.fullmatch(text):
        day, month, year = (int(g) for g in match.groups())
        if month > 12 and day <= 12:  # written month-first: 05/17/1990
            day, month = month, day
        return _checked(year, month, day, today)
    if match := _YMD.fullmatch(text):
        year, month, day = (int(g) for g in match.groups())
        return _checked(year, month, day, today)
    if _EIGHT.fullmatch(text):
        day_first = _checked(int(text[4:]), int(text[2:4]), int(text[:2]), today)
        return day_first or _checked(int(text[:4]), int(text[4:6]), int(text[6:]), today)
    if match := _MY.fullmatch(text):
        month, year = (int(g) for g in match.groups())
        return _checked(year, month, None, today)  # month 00: year only
    if match := _YM.fullmatch(text):
        year, month = (int(g) for g in match.groups())
        return _checked(year, month, None, today)
    if _YEAR.fullmatch(text):
        return _checked(int(text), None, None, today)
    return None


# --- records ----------------------------------------------------------------------------------

_BUILTIN_SEX = {
    "m": "M",
    "nam": "M",
    "male": "M",
    "trai": "M",
    "f": "F",
    "nu": "F",
    "female": "F",
    "gai": "F",
}
_PERSONAL_ID = re.compile(r"\d{12}")
_PHONE_NOISE = re.compile(r"[\s.\-()]")


@dataclass(frozen=True, slots=True)
class SectorRecord:
    """One normalised record of a sector extract."""

    record_key: str
    full_name: str  # NFC, single-spaced; "" when the source has none
    date_of_birth_text: str | None  # as written in the source (stripped)
    birth_year: int | None
    birth_month: int | None
    birth_day: int | None
    sex: str | None  # "M" | "F" | None
    address: str | None
    old_id_number: str | None
    personal_id: str | None  # 12 digits, else None
    phone: str | None


@dataclass(frozen=True)
class Extract:
    """A read extract: its records and what could not be understood."""

    source: str
    records: list[SectorRecord]
    rows: int
    unparsed_dates: int = 0  # a date was written but could not be read (kept, year None)
    missing_dates: int = 0  # no date at all
    invalid_personal_ids: int = 0  # a personal ID that is not 12 digits (kept as None)
    unknown_sex: int = 0  # a sex code neither sex_values nor the built-ins know
    placeholder_days: tuple[str, ...] = ()  # "dd/mm" written for an unknown day and month
    placeholder_dates: int = 0  # records whose day and month were such a placeholder


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    return nfc(value) or None


class _Counts:
    def __init__(self) -> None:
        self.unparsed_dates = 0
        self.missing_dates = 0
        self.invalid_personal_ids = 0
        self.unknown_sex = 0


class _Normaliser:
    """Turns one source row into a ``SectorRecord``, counting what it could not read."""

    def __init__(self, mapping: ExtractMapping, header: list[str]) -> None:
        self.mapping = mapping
        self.counts = _Counts()
        self.today = clock.today()
        positions: dict[str, list[int]] = {}
        for index, name in enumerate(header):
            positions.setdefault(name, []).append(index)
        self.index: dict[str, int] = {}
        for key, column in mapping.columns().items():
            found = positions.get(column)
            if not found:
                raise ValidationFailed(
                    N_("A mapped column is missing from the file"),
                    field=key,
                    code="column_missing",
                    column=column,
                )
            if len(found) > 1:
                raise ValidationFailed(
                    N_("A mapped column appears more than once in the file"),
                    field=key,
                    code="column_duplicate",
                    column=column,
                )
            self.index[key] = found[0]
        self.sex_exact = dict(mapping.sex_values)
        self.sex_folded = {fold(code): sex for code, sex in mapping.sex_values.items()}

    def value(self, values: list[str | None], key: str) -> str | None:
        index = self.index.get(key)
        if index is None or index >= len(values):
            return None
        return _clean(values[index])

    def sex(self, raw: str | None) -> str | None:
        if raw is None:
            return None
        if raw in self.sex_exact:
            return self.sex_exact[raw]
        folded = fold(raw)
        if folded in self.sex_folded:
            return self.sex_folded[folded]
        if folded in _BUILTIN_SEX:
            return _BUILTIN_SEX[folded]
        self.counts.unknown_sex += 1
        return None

    def personal_id(self, raw: str | None) -> str | None:
        if raw is None:
            return None
        compact = "".join(raw.split())
        if _PERSONAL_ID.fullmatch(compact):
            return compact
        self.counts.invalid_personal_ids += 1
        return None

    def full_name(self, values: list[str | None]) -> str:
        if self.mapping.full_name is not None:
            return self.value(values, "full_name") or ""
        parts = (self.value(values, key) for key in NAME_PARTS)
        return " ".join(part for part in parts if part)

    def record(self, values: list[str | None], key: str) -> SectorRecord:
        date_text = self.value(values, "date_of_birth")
        year = month = day = None
        if date_text is None:
            self.counts.missing_dates += 1
        elif (found := parse_birth_date(date_text, self.mapping.date_formats, self.today)) is None:
            self.counts.unparsed_dates += 1
        else:
            year, month, day = found
        address_parts = [self.value(values, k) for k in ("address", "commune")]
        address = ", ".join(part for part in address_parts if part) or None
        phone = self.value(values, "phone")
        return SectorRecord(
            record_key=key,
            full_name=self.full_name(values),
            date_of_birth_text=date_text,
            birth_year=year,
            birth_month=month,
            birth_day=day,
            sex=self.sex(self.value(values, "sex")),
            address=address,
            old_id_number=self.value(values, "old_id_number"),
            personal_id=self.personal_id(self.value(values, "personal_id")),
            phone=(_PHONE_NOISE.sub("", phone) or None) if phone else None,
        )


# --- files ------------------------------------------------------------------------------------

DELIMITERS = (",", ";", "\t")
_BATCH = 5000

# A data row: its line number (the header is line 1) and its values in header order.
_Row = tuple[int, list[str | None]]


def _unreadable_csv(exc: Exception, line: int | None = None) -> ValidationFailed:
    return ValidationFailed(
        N_("The file cannot be read as UTF-8 CSV"),
        field="file",
        code="unreadable",
        line=line,
        detail=str(exc),
    )


def _sniff_delimiter(header_line: str) -> str:
    """The delimiter the header line uses most (``,`` when it has none)."""
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv_rows(handle: TextIO) -> tuple[list[str], Iterator[_Row]]:
    try:
        first = handle.readline()
        handle.seek(0)
        if not first.strip():
            raise ValidationFailed(N_("The file is empty"), field="file", code="empty_file")
        reader = csv.reader(handle, delimiter=_sniff_delimiter(first))
        header = [nfc(column) for column in next(reader)]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise _unreadable_csv(exc, 1) from exc

    def rows() -> Iterator[_Row]:
        start = reader.line_num + 1
        try:
            for values in reader:
                if any(v.strip() for v in values):
                    row: list[str | None] = list(values)
                    yield start, row
                start = reader.line_num + 1
        except (UnicodeDecodeError, csv.Error) as exc:
            raise _unreadable_csv(exc, start) from exc

    return header, rows()


def _parquet_rows(source: ParquetSource) -> Iterator[_Row]:
    for batch in source.batches(_BATCH):
        yield from batch


def read_extract(path: str | os.PathLike[str], mapping: ExtractMapping) -> Extract:
    """Read a CSV or Parquet extract (by extension) and normalise it with ``mapping``."""
    path = Path(path)
    if not path.is_file():
        raise ValidationFailed(N_("No such file"), field="file", code="not_found", path=str(path))
    if file_format(path) == "parquet":
        source = ParquetSource(path)
        header = [nfc(column) for column in source.header]
        return _normalise(header, _parquet_rows(source), mapping)
    # utf-8-sig: accept the byte-order mark spreadsheet programs put in front.
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header, rows = _csv_rows(handle)
        return _normalise(header, rows, mapping)


def _normalise(header: list[str], rows: Iterator[_Row], mapping: ExtractMapping) -> Extract:
    if not any(header):
        raise ValidationFailed(N_("The file has no header row"), field="file", code="empty_file")
    normaliser = _Normaliser(mapping, header)
    records: list[SectorRecord] = []
    seen: dict[str, int] = {}
    for line, values in rows:
        key = normaliser.value(values, "record_key")
        if key is None:
            raise ValidationFailed(
                N_("A row has no record key"), field="record_key", code="missing_key", line=line
            )
        if key in seen:
            raise ValidationFailed(
                N_("The same record key appears twice"),
                field="record_key",
                code="duplicate_key",
                key=key,
                line=line,
                first_line=seen[key],
            )
        seen[key] = line
        records.append(normaliser.record(values, key))
    if not records:
        raise ValidationFailed(N_("The file has no data rows"), field="file", code="no_rows")
    counts = normaliser.counts
    return Extract(
        source=mapping.source,
        records=records,
        rows=len(records),
        unparsed_dates=counts.unparsed_dates,
        missing_dates=counts.missing_dates,
        invalid_personal_ids=counts.invalid_personal_ids,
        unknown_sex=counts.unknown_sex,
    )


# --- placeholder birth dates ------------------------------------------------------------------

# Registers write a birth date whose day and month nobody knew as a fixed day ("01/01",
# "01/07", "31/12" …), and which one differs from register to register, so it is found per
# extract by frequency, never from a list. A real birthday takes about 1/365 of a population,
# seasonal variation moving that by tens of percent; a day at several times that share is
# not a birthday. ASSUMPTION (no published figure): the factor and the minimum count below are
# design choices, far outside natural variation so that a real day is never taken for one,
# and low enough that a placeholder used for 1-2% of an extract's records is caught.
PLACEHOLDER_FACTOR = 4.0  # times the share one day of the year has
PLACEHOLDER_MIN_RECORDS = 20  # fewer records on one day are never suspected
DAYS_PER_YEAR = 365.25


def placeholder_days(records: Sequence[SectorRecord]) -> frozenset[tuple[int, int]]:
    """The (month, day) pairs written far more often than any real birthday is."""
    written: Counter[tuple[int, int]] = Counter()
    for r in records:
        if r.birth_month and r.birth_day:
            written[(r.birth_month, r.birth_day)] += 1
    total = sum(written.values())
    threshold = max(PLACEHOLDER_MIN_RECORDS, PLACEHOLDER_FACTOR * total / DAYS_PER_YEAR)
    return frozenset(pair for pair, count in written.items() if count >= threshold)


def without_placeholder_dates(extract: Extract) -> Extract:
    """The extract with a placeholder day and month read as unknown (the year is kept, the text
    as written too): ``01/01/1960`` where 01/01 is this extract's placeholder says "born in
    1960", so it neither contradicts the registry's real birthday nor agrees with a namesake's
    01/01 by chance."""
    found = placeholder_days(extract.records)
    if not found:
        return extract
    records: list[SectorRecord] = []
    for record in extract.records:
        if (record.birth_month, record.birth_day) in found:
            records.append(replace(record, birth_month=None, birth_day=None))
        else:
            records.append(record)
    cleared = sum(1 for new, old in zip(records, extract.records, strict=True) if new is not old)
    days = tuple(f"{day:02d}/{month:02d}" for month, day in sorted(found))
    return replace(extract, records=records, placeholder_days=days, placeholder_dates=cleared)
