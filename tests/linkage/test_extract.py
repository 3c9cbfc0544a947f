"""Importing sector extracts with a mapping file."""

from __future__ import annotations

import datetime as dt
import unicodedata
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from oncegov.errors import ValidationFailed
from oncegov.linkage.extract import (
    PLACEHOLDER_MIN_RECORDS,
    Extract,
    ExtractMapping,
    SectorRecord,
    load_mapping,
    parse_birth_date,
    parse_mapping,
    placeholder_days,
    read_extract,
    without_placeholder_dates,
)

YAML_MAPPING = """\
source: social-insurance
record_key: MA_SO
full_name: HO_TEN
date_of_birth: NGAY_SINH
sex: GIOI_TINH
address: DIA_CHI
old_id_number: SO_CMND
personal_id: SO_CCCD
phone: DIEN_THOAI
date_format: "%d/%m/%Y"
sex_values:
  "1": M
  "0": F
"""

TOML_MAPPING = """\
source = "health-insurance"
record_key = "ma"
family_name = "ho"
middle_name = "dem"
given_name = "ten"
date_of_birth = "ngay_sinh"
commune = "xa"
date_format = ["%d/%m/%Y", "%Y-%m-%d"]

[sex_values]
Nam = "M"
"Nữ" = "F"
"""

HEADER = "MA_SO;HO_TEN;NGAY_SINH;GIOI_TINH;DIA_CHI;SO_CMND;SO_CCCD;DIEN_THOAI"


def write(path: Path, text: str, *, bom: bool = False) -> Path:
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
    return path


def mapping_yaml(tmp_path: Path, text: str = YAML_MAPPING) -> ExtractMapping:
    return load_mapping(write(tmp_path / "bhxh.yaml", text))


def csv_extract(tmp_path: Path, *rows: str, header: str = HEADER, bom: bool = True) -> Path:
    return write(tmp_path / "extract.csv", "\r\n".join([header, *rows]) + "\r\n", bom=bom)


def failure(excinfo: pytest.ExceptionInfo[ValidationFailed]) -> tuple[str | None, str]:
    return excinfo.value.field, excinfo.value.code


# --- mapping files ----------------------------------------------------------------------------


def test_yaml_mapping(tmp_path: Path) -> None:
    mapping = mapping_yaml(tmp_path)
    assert mapping.source == "social-insurance"
    assert mapping.record_key == "MA_SO"
    assert mapping.full_name == "HO_TEN"
    assert mapping.date_formats == ("%d/%m/%Y",)
    assert dict(mapping.sex_values) == {"1": "M", "0": "F"}
    assert mapping.columns()["personal_id"] == "SO_CCCD"
    assert "family_name" not in mapping.columns()


def test_toml_mapping(tmp_path: Path) -> None:
    mapping = load_mapping(write(tmp_path / "bhyt.toml", TOML_MAPPING))
    assert mapping.source == "health-insurance"
    assert (mapping.family_name, mapping.middle_name, mapping.given_name) == ("ho", "dem", "ten")
    assert mapping.full_name is None
    assert mapping.commune == "xa"
    assert mapping.date_formats == ("%d/%m/%Y", "%Y-%m-%d")
    assert dict(mapping.sex_values) == {"Nam": "M", "Nữ": "F"}


def test_yml_extension_and_default_source(tmp_path: Path) -> None:
    text = "record_key: k\nfull_name: n\ndate_of_birth: d\nsex_values: {1: M, 2: f}\n"
    mapping = load_mapping(write(tmp_path / "tax-office.yml", text))
    assert mapping.source == "tax-office"
    assert dict(mapping.sex_values) == {"1": "M", "2": "F"}  # YAML ints become codes


def test_unknown_mapping_key(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed) as excinfo:
        mapping_yaml(tmp_path, YAML_MAPPING + "birth_place: NOI_SINH\n")
    assert failure(excinfo) == ("birth_place", "unknown_key")


@pytest.mark.parametrize("key", ["record_key", "date_of_birth"])
def test_missing_required_key(tmp_path: Path, key: str) -> None:
    text = "\n".join(line for line in YAML_MAPPING.splitlines() if not line.startswith(key))
    with pytest.raises(ValidationFailed) as excinfo:
        mapping_yaml(tmp_path, text)
    assert failure(excinfo) == (key, "missing_key")


def test_missing_name(tmp_path: Path) -> None:
    text = YAML_MAPPING.replace("full_name: HO_TEN\n", "")
    with pytest.raises(ValidationFailed) as excinfo:
        mapping_yaml(tmp_path, text)
    assert failure(excinfo) == ("full_name", "missing_key")


def test_name_parts_need_family_and_given_name(tmp_path: Path) -> None:
    text = YAML_MAPPING.replace("full_name: HO_TEN\n", "family_name: HO\nmiddle_name: DEM\n")
    with pytest.raises(ValidationFailed) as excinfo:
        mapping_yaml(tmp_path, text)
    assert failure(excinfo) == ("given_name", "missing_key")


def test_both_full_name_and_parts(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed) as excinfo:
        mapping_yaml(tmp_path, YAML_MAPPING + "given_name: TEN\n")
    assert failure(excinfo) == ("full_name", "conflicting_keys")
    assert excinfo.value.params["parts"] == ["given_name"]


def test_two_keys_one_column(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed) as excinfo:
        mapping_yaml(tmp_path, YAML_MAPPING.replace("SO_CMND", "SO_CCCD"))
    assert failure(excinfo) == ("personal_id", "conflicting_keys")


def test_bad_yaml_syntax_gives_the_line(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed) as excinfo:
        mapping_yaml(tmp_path, "record_key: k\nfull_name: [unclosed\ndate_of_birth: d\n")
    assert failure(excinfo) == ("file", "bad_syntax")
    assert isinstance(excinfo.value.params["line"], int)


def test_bad_toml_syntax_gives_the_line(tmp_path: Path) -> None:
    path = write(tmp_path / "m.toml", 'record_key = "k"\nfull_name = "n"\ndate_of_birth = \n')
    with pytest.raises(ValidationFailed) as excinfo:
        load_mapping(path)
    assert failure(excinfo) == ("file", "bad_syntax")
    assert excinfo.value.params["line"] == 3


def test_yaml_boolean_sex_code_must_be_quoted(tmp_path: Path) -> None:
    text = YAML_MAPPING.replace('"1": M', "yes: M")
    with pytest.raises(ValidationFailed) as excinfo:
        mapping_yaml(tmp_path, text)
    assert failure(excinfo) == ("sex_values", "bad_value")


def test_bad_sex_value_and_date_format() -> None:
    base = {"record_key": "k", "full_name": "n", "date_of_birth": "d"}
    with pytest.raises(ValidationFailed) as excinfo:
        parse_mapping({**base, "sex_values": {"1": "male"}})
    assert failure(excinfo) == ("sex_values", "bad_value")
    with pytest.raises(ValidationFailed) as excinfo:
        parse_mapping({**base, "date_format": "%d/%m"})
    assert failure(excinfo) == ("date_format", "bad_value")


@pytest.mark.parametrize(
    ("name", "text", "code"),
    [
        ("m.json", "{}", "unknown_format"),
        ("m.yaml", "", "empty_file"),
        ("m.yaml", "- a\n- b\n", "bad_mapping"),
    ],
)
def test_unusable_mapping_file(tmp_path: Path, name: str, text: str, code: str) -> None:
    with pytest.raises(ValidationFailed) as excinfo:
        load_mapping(write(tmp_path / name, text))
    assert failure(excinfo) == ("file", code)


# --- reading extracts -------------------------------------------------------------------------


def test_csv_with_bom_and_semicolons(tmp_path: Path) -> None:
    decomposed = unicodedata.normalize("NFD", "Nông  Thị Ánh")
    path = csv_extract(
        tmp_path,
        f"BH001;{decomposed};05/03/1990;0;Xã Hưng Đạo, Cao Bằng;080123456;001090012345;"
        "0912 345 678",
        "BH002;Hoàng Văn Dũng;1/2/1985;1;;;;",
    )
    extract = read_extract(path, mapping_yaml(tmp_path))
    assert isinstance(extract, Extract)
    assert extract.source == "social-insurance"
    assert extract.rows == 2
    first, second = extract.records
    assert first == SectorRecord(
        record_key="BH001",
        full_name="Nông Thị Ánh",
        date_of_birth_text="05/03/1990",
        birth_year=1990,
        birth_month=3,
        birth_day=5,
        sex="F",
        address="Xã Hưng Đạo, Cao Bằng",
        old_id_number="080123456",
        personal_id="001090012345",
        phone="0912345678",
    )
    assert unicodedata.is_normalized("NFC", first.full_name)
    assert (second.birth_year, second.birth_month, second.birth_day) == (1985, 2, 1)
    assert second.sex == "M"
    assert (second.address, second.old_id_number, second.personal_id, second.phone) == (
        None,
        None,
        None,
        None,
    )
    assert extract.unparsed_dates == extract.invalid_personal_ids == 0


@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_delimiter_is_sniffed(tmp_path: Path, delimiter: str) -> None:
    rows = [["MA_SO", "HO_TEN", "NGAY_SINH"], ["A1", "Lý Văn Bình", "1970"]]
    text = "\n".join(delimiter.join(row) for row in rows) + "\n"
    mapping = parse_mapping(
        {"record_key": "MA_SO", "full_name": "HO_TEN", "date_of_birth": "NGAY_SINH"}
    )
    extract = read_extract(write(tmp_path / "e.csv", text), mapping)
    assert extract.records[0].full_name == "Lý Văn Bình"


def test_quoted_values_with_delimiter(tmp_path: Path) -> None:
    path = csv_extract(tmp_path, 'BH1;Lê Thị Hoa;02/02/1992;0;"Xóm 1; Xã A";;;', bom=False)
    extract = read_extract(path, mapping_yaml(tmp_path))
    assert extract.records[0].address == "Xóm 1; Xã A"


def test_parquet_with_name_parts_and_commune(tmp_path: Path) -> None:
    table = pa.table(
        {
            "ma": ["Y1", "Y2", "Y3"],
            "ho": ["Nông", "Đàm", "Bế"],
            "dem": ["Văn", None, " Thị "],
            "ten": ["Dũng", "Hùng", "Lan"],
            "ngay_sinh": ["15/08/1979", "1960-12-01", "03/1988"],
            "xa": ["Xã Quảng Uyên", None, "Phường Thục Phán"],
            "gioi": ["Nam", "nam", "Nữ"],
        }
    )
    path = tmp_path / "bhyt.parquet"
    pq.write_table(table, path)
    mapping = parse_mapping(
        {
            "record_key": "ma",
            "family_name": "ho",
            "middle_name": "dem",
            "given_name": "ten",
            "date_of_birth": "ngay_sinh",
            "commune": "xa",
            "sex": "gioi",
            "sex_values": {"Nam": "M", "Nữ": "F"},
        }
    )
    extract = read_extract(path, mapping)
    names = [r.full_name for r in extract.records]
    assert names == ["Nông Văn Dũng", "Đàm Hùng", "Bế Thị Lan"]
    dates = [(r.birth_year, r.birth_month, r.birth_day) for r in extract.records]
    assert dates == [(1979, 8, 15), (1960, 12, 1), (1988, 3, None)]
    assert [r.address for r in extract.records] == ["Xã Quảng Uyên", None, "Phường Thục Phán"]
    assert [r.sex for r in extract.records] == ["M", "M", "F"]  # case-insensitive codes


def test_parquet_date_column(tmp_path: Path) -> None:
    table = pa.table(
        {"k": ["1"], "n": ["Ma Văn Kháng"], "d": pa.array([dt.date(1950, 1, 31)], pa.date32())}
    )
    path = tmp_path / "dates.parquet"
    pq.write_table(table, path)
    mapping = parse_mapping({"record_key": "k", "full_name": "n", "date_of_birth": "d"})
    record = read_extract(path, mapping).records[0]
    assert (record.birth_year, record.birth_month, record.birth_day) == (1950, 1, 31)


def test_missing_mapped_column(tmp_path: Path) -> None:
    path = csv_extract(tmp_path, "BH1;X;01/01/1990;1;;;;", header=HEADER.replace("SO_CCCD", "CCCD"))
    with pytest.raises(ValidationFailed) as excinfo:
        read_extract(path, mapping_yaml(tmp_path))
    assert failure(excinfo) == ("personal_id", "column_missing")
    assert excinfo.value.params == {"column": "SO_CCCD"}


def test_duplicate_record_key_names_the_line(tmp_path: Path) -> None:
    path = csv_extract(
        tmp_path,
        "BH1;An;01/01/1990;1;;;;",
        "",
        "BH2;Bình;01/01/1991;1;;;;",
        "BH1;Chi;01/01/1992;0;;;;",
    )
    with pytest.raises(ValidationFailed) as excinfo:
        read_extract(path, mapping_yaml(tmp_path))
    assert failure(excinfo) == ("record_key", "duplicate_key")
    assert excinfo.value.params == {"key": "BH1", "line": 5, "first_line": 2}


def test_empty_record_key(tmp_path: Path) -> None:
    path = csv_extract(tmp_path, "BH1;An;01/01/1990;1;;;;", " ;Bình;01/01/1991;1;;;;")
    with pytest.raises(ValidationFailed) as excinfo:
        read_extract(path, mapping_yaml(tmp_path))
    assert failure(excinfo) == ("record_key", "missing_key")
    assert excinfo.value.params == {"line": 3}


def test_unparseable_dates_are_counted_not_fatal(tmp_path: Path) -> None:
    path = csv_extract(
        tmp_path,
        "BH1;An;31/02/1990;1;;;;",
        "BH2;Bình;không rõ;1;;;;",
        "BH3;Chi;;0;;;;",
        "BH4;Dung;12/12/1912;0;;;;",
    )
    extract = read_extract(path, mapping_yaml(tmp_path))
    assert extract.rows == 4
    assert extract.unparsed_dates == 2
    assert extract.missing_dates == 1
    first, second, third, fourth = extract.records
    assert (first.date_of_birth_text, first.birth_year) == ("31/02/1990", None)
    assert (second.date_of_birth_text, second.birth_year) == ("không rõ", None)
    assert (third.date_of_birth_text, third.birth_year) == (None, None)
    assert fourth.birth_year == 1912


def test_year_only_and_month_year_are_partial(tmp_path: Path) -> None:
    path = csv_extract(
        tmp_path, "BH1;An;1956;1;;;;", "BH2;Bình;07/1962;1;;;;", "BH3;Chi;00/00/1940;0;;;;"
    )
    extract = read_extract(path, mapping_yaml(tmp_path))
    dates = [(r.birth_year, r.birth_month, r.birth_day) for r in extract.records]
    assert dates == [(1956, None, None), (1962, 7, None), (1940, None, None)]
    assert extract.unparsed_dates == 0


def test_sex_values_mapping(tmp_path: Path) -> None:
    path = csv_extract(
        tmp_path,
        "BH1;An;1956;1;;;;",
        "BH2;Bình;1956;0;;;;",
        "BH3;Chi;1956;Nữ;;;;",
        "BH4;Dung;1956;9;;;;",
        "BH5;Em;1956;;;;;",
    )
    extract = read_extract(path, mapping_yaml(tmp_path))
    assert [r.sex for r in extract.records] == ["M", "F", "F", None, None]
    assert extract.unknown_sex == 1


def test_invalid_personal_id_counted(tmp_path: Path) -> None:
    path = csv_extract(
        tmp_path,
        "BH1;An;1956;1;;;001 056 012 345;",
        "BH2;Bình;1956;0;;;12345;",
        "BH3;Chi;1956;0;;;00105601234X;",
        "BH4;Dung;1956;0;;080123456;;",
    )
    extract = read_extract(path, mapping_yaml(tmp_path))
    assert [r.personal_id for r in extract.records] == ["001056012345", None, None, None]
    assert extract.invalid_personal_ids == 2
    assert extract.records[3].old_id_number == "080123456"


def test_empty_file_and_no_rows(tmp_path: Path) -> None:
    mapping = mapping_yaml(tmp_path)
    with pytest.raises(ValidationFailed) as excinfo:
        read_extract(write(tmp_path / "empty.csv", "", bom=True), mapping)
    assert failure(excinfo) == ("file", "empty_file")
    with pytest.raises(ValidationFailed) as excinfo:
        read_extract(csv_extract(tmp_path, "", ";;;;;;;"), mapping)
    assert failure(excinfo) == ("file", "no_rows")


def test_not_utf8_and_unknown_extension(tmp_path: Path) -> None:
    mapping = mapping_yaml(tmp_path)
    path = tmp_path / "latin.csv"
    path.write_bytes((HEADER + "\nBH1;Nguy\xe9n;1990;1;;;;\n").encode("latin-1"))
    with pytest.raises(ValidationFailed) as excinfo:
        read_extract(path, mapping)
    assert failure(excinfo) == ("file", "unreadable")
    with pytest.raises(ValidationFailed) as excinfo:
        read_extract(write(tmp_path / "e.xlsx", "x"), mapping)
    assert failure(excinfo) == ("file", "unknown_format")
    with pytest.raises(ValidationFailed) as excinfo:
        read_extract(tmp_path / "absent.csv", mapping)
    assert failure(excinfo) == ("file", "not_found")


def test_ten_thousand_rows(tmp_path: Path) -> None:
    rows = [
        f"BH{i:05d};Nguyễn Văn {i};{i % 28 + 1:02d}/{i % 12 + 1:02d}/{1940 + i % 80};{i % 2};"
        f"Xã {i % 100};;{i:012d};09{i:08d}"
        for i in range(10_000)
    ]
    extract = read_extract(csv_extract(tmp_path, *rows), mapping_yaml(tmp_path))
    assert extract.rows == len(extract.records) == 10_000
    assert extract.unparsed_dates == extract.invalid_personal_ids == 0
    last = extract.records[-1]
    assert (last.record_key, last.birth_year, last.personal_id) == ("BH09999", 2019, "000000009999")


# --- the date parser --------------------------------------------------------------------------

TODAY = dt.date(2025, 7, 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("05/03/1990", (1990, 3, 5)),
        ("5/3/1990", (1990, 3, 5)),
        ("05-03-1990", (1990, 3, 5)),
        ("05.03.1990", (1990, 3, 5)),
        ("1990-03-05", (1990, 3, 5)),
        ("05031990", (1990, 3, 5)),
        ("19900305", (1990, 3, 5)),  # not a ddmmyyyy date: read as yyyymmdd
        ("03/1990", (1990, 3, None)),
        ("1990-03", (1990, 3, None)),  # ISO 8601 year and month: the registry's export form
        ("1990-3", (1990, 3, None)),
        ("1990/03", (1990, 3, None)),
        ("1990.03", (1990, 3, None)),
        ("1990-13", None),
        ("2025-08", None),  # next month
        ("2025-07", (2025, 7, None)),
        ("1990", (1990, None, None)),
        ("00/03/1990", (1990, 3, None)),
        ("00/00/1990", (1990, None, None)),  # zero day and month: the year alone
        ("00/1990", (1990, None, None)),
        ("03-1990", (1990, 3, None)),
        ("tháng 03/1990", (1990, 3, None)),
        ("Tháng 3 năm 1990", (1990, 3, None)),
        ("thg 3/1990", (1990, 3, None)),
        ("T3/1990", (1990, 3, None)),
        ("ngày 5 tháng 3 năm 1990", (1990, 3, 5)),
        ("Ngày 05/03/1990", (1990, 3, 5)),
        ("năm 1990", (1990, None, None)),
        ("ngày 00 tháng 03 năm 1990", (1990, 3, None)),
        ("32937", (1990, 3, 5)),  # an Excel date serial (a date column saved as a number)
        ("32937.0", (1990, 3, 5)),
        ("46000", None),  # 9 December 2025: in the future
        ("5/3/90", None),  # two-digit year: 1890 or 1990? refused, not guessed
        ("05/03/90", None),
        ("3/90", None),
        ("1990-03-05T00:00:00", (1990, 3, 5)),
        ("05/03/1990 00:00", (1990, 3, 5)),
        ("29/02/2000", (2000, 2, 29)),
        ("29/02/1999", None),
        ("13/1990", None),
        ("1850", None),
        ("02/07/2025", None),  # tomorrow
        ("abc", None),
        ("", None),
    ],
)
def test_parse_birth_date(text: str, expected: tuple[int, int | None, int | None] | None) -> None:
    assert parse_birth_date(text, today=TODAY) == expected


def test_date_format_hint_first() -> None:
    assert parse_birth_date("03/05/1990", ("%m/%d/%Y",), today=TODAY) == (1990, 3, 5)
    assert parse_birth_date("Mar 1990", ("%b %Y",), today=TODAY) == (1990, 3, None)
    assert parse_birth_date("25/12/1990", ("%m/%d/%Y",), today=TODAY) == (1990, 12, 25)


def test_a_two_digit_year_is_read_only_with_the_mappings_format() -> None:
    assert parse_birth_date("05/03/90", today=TODAY) is None
    assert parse_birth_date("05/03/90", ("%d/%m/%y",), today=TODAY) == (1990, 3, 5)
    assert parse_birth_date("05/03/50", ("%d/%m/%y",), today=TODAY) is None  # 2050


def test_a_month_first_date_is_read_when_the_day_cannot_be_a_month() -> None:
    assert parse_birth_date("05/17/1990") == (1990, 5, 17)
    assert parse_birth_date("17/05/1990") == (1990, 5, 17)
    assert parse_birth_date("13/13/1990") is None


# --- placeholder birth dates ------------------------------------------------------------------


def _records(dates: list[tuple[int, int | None, int | None]]) -> list[SectorRecord]:
    return [
        SectorRecord(f"K{i}", "Nông Văn A", None, y, m, d, "M", None, None, None, None)
        for i, (y, m, d) in enumerate(dates)
    ]


def _spread(count: int) -> list[tuple[int, int | None, int | None]]:
    """Real-looking birthdays: every day of the year about equally often."""
    start = dt.date(1970, 1, 1)
    days = [start + dt.timedelta(days=(i * 37) % 365) for i in range(count)]
    return [(1970 + i % 40, d.month, d.day) for i, d in enumerate(days)]


def test_a_day_far_above_a_birthdays_share_is_a_placeholder() -> None:
    # 3,650 real birthdays (about 10 a day) and 200 records written 01/07 (unknown day and
    # month in this register), plus 60 written 31/12.
    dates = _spread(3_650) + [(1960, 7, 1)] * 200 + [(1955, 12, 31)] * 60
    assert placeholder_days(_records(dates)) == {(7, 1), (12, 31)}


def test_real_birthdays_are_never_placeholders() -> None:
    assert placeholder_days(_records(_spread(20_000))) == frozenset()
    # A small extract: a few people sharing a birthday are never enough.
    below = PLACEHOLDER_MIN_RECORDS - 2  # _spread's first day is 01/01 too
    assert placeholder_days(_records([(1980, 1, 1)] * below + _spread(50))) == frozenset()


def test_placeholder_dates_are_read_as_the_year_alone() -> None:
    dates = _spread(3_650) + [(1960, 1, 1)] * 100 + [(1961, 1, None), (1962, None, None)]
    extract = Extract("social-insurance", _records(dates), rows=len(dates))
    cleared = without_placeholder_dates(extract)
    assert cleared.placeholder_days == ("01/01",)
    assert cleared.placeholder_dates == 100 + sum(
        1 for _, m, d in _spread(3_650) if (m, d) == (1, 1)
    )
    placeholder = cleared.records[3_650]
    assert (placeholder.birth_year, placeholder.birth_month, placeholder.birth_day) == (
        1960,
        None,
        None,
    )
    # Partial dates and the other days are untouched.
    assert cleared.records[-2].birth_month == 1 and cleared.records[-1].birth_year == 1962
    assert cleared.records[1] == extract.records[1]


def test_an_extract_without_placeholders_is_returned_as_it_is() -> None:
    extract = Extract("social-insurance", _records(_spread(500)), rows=500)
    assert without_placeholder_dates(extract) is extract
