from __future__ import annotations

import unicodedata
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oncegov.kit.text import fold
from oncegov.kit.vn_normalise import (
    COMMON_FAMILY_NAMES,
    MAX_YEAR,
    MIN_YEAR,
    OLD_DISTRICTS_CAO_BANG,
    NameParts,
    SectorDate,
    canonical_order,
    date_candidates,
    excel_serial_date,
    name_order_variants,
    normalise_old_id,
    old_district_of,
    parse_sector_date,
    spelled_date,
    spelling_key,
    split_name,
)

FAMILIES = ["Nguyễn", "Nông", "Hoàng", "Bế", "Lục", "Triệu", "Đàm", "Sầm", "Giàng", "Lý", "Đặng"]
SYLLABLES = ["Văn", "Thị", "Ngọc", "Thu", "Dũng", "Ánh", "Hương", "Đức", "Thúy", "Quý", "Kiên"]
syllable = st.sampled_from(FAMILIES + SYLLABLES)
given_syllable = st.sampled_from(SYLLABLES)
names = st.lists(syllable, min_size=1, max_size=5)


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


# --- names ---------------------------------------------------------------------------------


def test_split_name_family_first() -> None:
    assert split_name("Nông Văn Dũng") == NameParts(
        "Nông", "Văn", "Dũng", "Nông Văn Dũng", "nong van dung"
    )
    assert split_name("Nguyễn Thị Ngọc Ánh").middle == "Thị Ngọc"
    assert split_name("Lý Quý") == NameParts("Lý", "", "Quý", "Lý Quý", "ly quy")


def test_split_name_single_token_empty_and_whitespace() -> None:
    assert split_name("Dũng") == NameParts("", "", "Dũng", "Dũng", "dung")
    assert split_name("   ") == NameParts("", "", "", "", "")
    assert split_name("  Đàm\t Văn \n Đức ").exact == "Đàm Văn Đức"
    assert split_name("Đàm Văn Đức").folded == "dam van duc"


def test_split_name_composes_nfd_input() -> None:
    parts = split_name(nfd("Nguyễn Thị Ánh"))
    assert parts.exact == "Nguyễn Thị Ánh"
    assert parts.family == "Nguyễn"


@given(names)
def test_split_name_round_trips_exact(tokens: list[str]) -> None:
    text = " ".join(tokens)
    parts = split_name(nfd(text))
    assert parts.exact == text
    assert " ".join(p for p in (parts.family, parts.middle, parts.given) if p) == text
    assert parts.folded == fold(text)


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("Nông Văn Dũng", "nong van dung"),
        ("Dung Van Nong", "nong van dung"),  # western: given middle family
        ("Dũng Nông Văn", "nong van dung"),  # given first, then the family block
        ("Anh Thi Ngoc Nguyen", "nguyen thi ngoc anh"),
        ("Dũng Văn Anh", "dung van anh"),  # no known family name: as written
        ("Giang Thu Nguyen", "giang thu nguyen"),  # both ends family names: ambiguous
        ("Dũng", "dung"),
        ("", ""),
    ],
)
def test_canonical_order(written: str, canonical: str) -> None:
    assert canonical_order(written) == canonical


def test_name_order_variants_cover_foreign_orders() -> None:
    registry = name_order_variants("Nông Văn Dũng")
    assert registry[0] == "nong van dung"
    assert {"dung van nong", "dung nong van"} <= set(registry)
    assert len(registry) == len(set(registry))
    assert set(name_order_variants("Dung Van Nong")) & set(registry)
    assert name_order_variants("") == [""]


def test_common_family_names_are_folded_and_cover_cao_bang() -> None:
    assert all(fold(n) == n for n in COMMON_FAMILY_NAMES)
    assert {"nguyen", "nong", "be", "luc", "trieu", "giang", "sung", "vang", "thao"} <= (
        COMMON_FAMILY_NAMES
    )
    assert "van" not in COMMON_FAMILY_NAMES


@given(st.text())
def test_name_order_variants_start_with_as_written(text: str) -> None:
    variants = name_order_variants(text)
    assert variants[0] == fold(text)
    assert canonical_order(text) in variants


@given(st.sampled_from(FAMILIES), st.lists(given_syllable, max_size=1), given_syllable)
def test_canonical_order_invariant_under_reversal(
    family: str, middle: list[str], given_name: str
) -> None:
    tokens = [family, *middle, given_name]
    assert canonical_order(" ".join(reversed(tokens))) == fold(" ".join(tokens))


@given(st.sampled_from(FAMILIES), st.lists(given_syllable, max_size=3), given_syllable)
def test_canonical_order_recovers_western_and_given_first_orders(
    family: str, middle: list[str], given_name: str
) -> None:
    family_first = fold(" ".join([family, *middle, given_name]))
    western = " ".join([given_name, *middle, family])
    given_first = " ".join([given_name, family, *middle])
    assert canonical_order(family_first) == family_first
    assert canonical_order(western) == family_first
    if middle:  # "Dũng Nông" is the western form of a two-token name
        assert canonical_order(given_first) == family_first
    assert {family_first, fold(western), fold(given_first)} <= set(
        name_order_variants(family_first)
    )


@given(st.text())
def test_canonical_order_is_idempotent(text: str) -> None:
    assert canonical_order(canonical_order(text)) == canonical_order(text)


# --- spelling --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Lý", "Lí"),  # y/i after consonants
        ("Kỳ", "Kì"),
        ("Mỹ", "mi"),
        ("Phương", "Fuong"),  # ph/f
        ("Kiên", "Cien"),  # k/c before e, i, y
        ("Nghĩa", "Ngia"),  # ngh/ng before e, i, y
        ("Ghềnh", "Genh"),  # gh/g before e, i, y
        ("Nguyễn  Thị", "nguyen thi"),  # folding: accents, doubled spaces
        ("Đức", "Duc"),
    ],
)
def test_spelling_variants_share_a_key(a: str, b: str) -> None:
    assert spelling_key(fold(a)) == spelling_key(fold(b))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Huy", "Hui"),  # uy is its own rhyme
        ("Quý", "Quí"),  # not after u/q (conservative)
        ("Hay", "Hai"),  # ay ≠ ai
        ("Dung", "Giung"),  # regional d/gi not merged
        ("Khanh", "Canh"),  # kh is a consonant of its own
    ],
)
def test_distinct_syllables_keep_distinct_keys(a: str, b: str) -> None:
    assert spelling_key(fold(a)) != spelling_key(fold(b))


@given(st.text())
def test_spelling_key_is_idempotent(text: str) -> None:
    key = spelling_key(fold(text))
    assert spelling_key(key) == key
    assert spelling_key(text) == key


# --- dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12/05/1990", SectorDate(1990, 5, 12, ambiguous=True)),
        ("1/2/1990", SectorDate(1990, 2, 1, ambiguous=True)),
        ("25-12-1990", SectorDate(1990, 12, 25)),
        ("12.12.1990", SectorDate(1990, 12, 12)),
        ("1990-05-25", SectorDate(1990, 5, 25)),
        ("25051990", SectorDate(1990, 5, 25)),
        ("19900525", SectorDate(1990, 5, 25)),  # yyyymmdd fallback
        ("05/1990", SectorDate(1990, 5)),
        ("1990", SectorDate(1990)),
        (" 25/05/1990 00:00:00 ", SectorDate(1990, 5, 25)),
        ("1990-05-25T00:00:00", SectorDate(1990, 5, 25)),
        ("29/02/2000", SectorDate(2000, 2, 29)),
        ("1990-05", SectorDate(1990, 5)),  # ISO 8601 year and month
        # A zero day or month is unknown.
        ("00/00/1990", SectorDate(1990)),
        ("00/05/1990", SectorDate(1990, 5)),
        ("00/1990", SectorDate(1990)),
        # In words, as forms write them.
        ("ngày 12 tháng 5 năm 1990", SectorDate(1990, 5, 12, ambiguous=True)),
        ("Ngày 25/05/1990", SectorDate(1990, 5, 25)),
        ("tháng 05/1990", SectorDate(1990, 5)),
        ("Tháng 5 năm 1990", SectorDate(1990, 5)),
        ("thg 5/1990", SectorDate(1990, 5)),
        ("T5/1990", SectorDate(1990, 5)),
        ("th.5-1990", SectorDate(1990, 5)),
        ("năm 1990", SectorDate(1990)),
        ("NĂM 1990", SectorDate(1990)),
        # A five-digit Excel serial: never ambiguous.
        ("31179", SectorDate(1985, 5, 12)),
        ("31179.0", SectorDate(1985, 5, 12)),
    ],
)
def test_parse_sector_date(text: str, expected: SectorDate) -> None:
    assert parse_sector_date(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "abc", "31/02/1990", "29/02/1900", "13/1990", "05/00/1990", "12/05-1990", "0990", "3000",
     "1990-13-01", "123456789", "١٩٩٠", "12/5/90", "12/05/90", "5/90", "tháng 13/1990",
     "ngày 31 tháng 2 năm 1990", "năm", "nam 90", "ngày 12", "1234", "123456"],
)  # fmt: skip
def test_parse_sector_date_rejects(text: str) -> None:
    assert parse_sector_date(text) is None


@given(st.text())
def test_parse_sector_date_never_raises(text: str) -> None:
    parsed = parse_sector_date(text)
    assert parsed is None or MIN_YEAR <= parsed.year <= MAX_YEAR
    assert parse_sector_date(nfd(text)) == parse_sector_date(unicodedata.normalize("NFC", text))


valid_dates = st.dates(min_value=date(MIN_YEAR, 1, 1), max_value=date(MAX_YEAR, 12, 31))


@given(
    valid_dates,
    st.sampled_from(
        ["{d:02d}/{m:02d}/{y}", "{d}/{m}/{y}", "{d:02d}-{m:02d}-{y}", "{y}-{m:02d}-{d:02d}",
         "{d:02d}{m:02d}{y}"]
    ),
)  # fmt: skip
def test_parse_sector_date_round_trips_full_dates(value: date, pattern: str) -> None:
    text = pattern.format(d=value.day, m=value.month, y=value.year)
    parsed = parse_sector_date(text)
    assert parsed is not None
    assert (parsed.year, parsed.month, parsed.day) == (value.year, value.month, value.day)
    assert parsed.ambiguous == (value.day <= 12 and value.day != value.month)


@given(valid_dates)
def test_parse_sector_date_round_trips_partial_dates(value: date) -> None:
    assert parse_sector_date(f"{value.month:02d}/{value.year}") == SectorDate(
        value.year, value.month
    )
    assert parse_sector_date(str(value.year)) == SectorDate(value.year)


@given(valid_dates)
def test_date_candidates_of_ambiguous_dates_hold_both_orders(value: date) -> None:
    parsed = parse_sector_date(f"{value.day:02d}/{value.month:02d}/{value.year}")
    assert parsed is not None
    candidates = date_candidates(parsed)
    assert candidates[0] == (value.year, value.month, value.day)
    if parsed.ambiguous:
        assert (value.year, value.day, value.month) in candidates
        assert len(candidates) == 2
    else:
        assert len(candidates) == 1


@pytest.mark.parametrize(
    ("text", "numeric"),
    [
        ("ngày 12 tháng 5 năm 1985", "12/5/1985"),
        ("ngay 12 thang 05 nam 1985", "12/05/1985"),
        ("Ngày 12, tháng 5, năm 1985", "12/5/1985"),
        ("ngày 12/5/1985", "12/5/1985"),
        ("tháng 05/1985", "05/1985"),
        ("tháng 5 năm 1985", "5/1985"),
        ("thg 5/1985", "5/1985"),
        ("T5/1985", "5/1985"),
        ("t.5/1985", "5/1985"),
        ("năm 1985", "1985"),
        ("12/05/1985", "12/05/1985"),  # nothing to rewrite
        ("sinh năm 1985", "sinh năm 1985"),  # only a whole value is rewritten
    ],
)
def test_spelled_dates_are_rewritten_in_numbers(text: str, numeric: str) -> None:
    assert spelled_date(text) == numeric


@given(st.dates(min_value=date(1927, 5, 18), max_value=date(2100, 12, 31)))
def test_five_digit_excel_serials_are_days_since_1899_12_30(value: date) -> None:
    serial = (value - date(1899, 12, 30)).days
    assert excel_serial_date(str(serial)) == (value.year, value.month, value.day)
    assert excel_serial_date(str(serial)[1:]) is None  # four digits are a year, not a serial


def test_date_candidates_examples() -> None:
    assert date_candidates(SectorDate(1990, 5, 3, ambiguous=True)) == [(1990, 5, 3), (1990, 3, 5)]
    assert date_candidates(SectorDate(1990, 5)) == [(1990, 5, None)]
    assert date_candidates(SectorDate(1990)) == [(1990, None, None)]


# --- old districts ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "district"),
    [
        ("Xóm Nà Rị, xã Cần Yên, huyện Thông Nông, tỉnh Cao Bằng", "ha quang"),
        ("huyện Trà Lĩnh", "trung khanh"),
        ("H. Phục Hoà, Cao Bằng", "quang hoa"),  # old tone placement "Hoà"
        ("Quảng Uyên - Cao Bằng", "quang hoa"),
        ("Tổ 5, phường Sông Hiến, TP. Cao Bằng", "cao bang"),
        ("Thành phố Cao Bằng", "cao bang"),
        ("thi xa cao bang", "cao bang"),
        ("Nguyên Bình, Cao Bằng", "nguyen binh"),
        ("HUYEN HOA AN", "hoa an"),
        ("Bảo Lạc", "bao lac"),
        ("Bảo Lâm", "bao lam"),
        ("xã Trùng Khánh, huyện Hạ Lang", "ha lang"),  # the commune name is not the district
    ],
)
def test_old_district_of(address: str, district: str) -> None:
    assert old_district_of(address) == district
    assert old_district_of(nfd(address)) == district


@pytest.mark.parametrize(
    "address",
    ["", "Cao Bằng", "tỉnh Cao Bằng", "Hà Nội", "xã Trùng Khánh, tỉnh Cao Bằng", "Hòa Anh"],
)
def test_old_district_of_finds_nothing(address: str) -> None:
    assert old_district_of(address) is None


def test_old_districts_map_to_the_ten_pre_2025_districts() -> None:
    assert len(set(OLD_DISTRICTS_CAO_BANG.values())) == 10
    assert all(fold(k) == k for k in OLD_DISTRICTS_CAO_BANG)
    assert all(OLD_DISTRICTS_CAO_BANG[v] == v for v in OLD_DISTRICTS_CAO_BANG.values())


# --- ID numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("085123456", "085123456"),
        (" 085 123 456 ", "085123456"),
        ("004.085.123.456", "004085123456"),
        ("004-085-123456", "004085123456"),
        ("12345678", None),
        ("0040851234567", None),
        ("08512345a", None),
        ("CMND 085123456", None),
        ("", None),
        ("٠٨٥١٢٣٤٥٦", None),  # non-ASCII digits
    ],
)
def test_normalise_old_id(text: str, expected: str | None) -> None:
    assert normalise_old_id(text) == expected


# --- Unicode forms ---------------------------------------------------------------------------


@given(st.text())
def test_nfc_and_nfd_inputs_give_identical_results(text: str) -> None:
    composed, decomposed = unicodedata.normalize("NFC", text), nfd(text)
    for function in (
        split_name,
        name_order_variants,
        canonical_order,
        spelling_key,
        parse_sector_date,
        old_district_of,
        normalise_old_id,
    ):
        assert function(composed) == function(decomposed)


@given(names)
def test_nfc_and_nfd_names_give_identical_results(tokens: list[str]) -> None:
    text = " ".join(tokens)
    assert split_name(nfd(text)) == split_name(text)
    assert name_order_variants(nfd(text)) == name_order_variants(text)
    assert spelling_key(nfd(text)) == spelling_key(text)
