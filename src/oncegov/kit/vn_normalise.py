"""Normalising Vietnamese person data from sector databases for record linkage.

Sector data (social insurance, health, education) holds names without diacritics, misspelt or
in western order, dates with day and month swapped or only a year, old 9-digit ID numbers
(CMND) and addresses in pre-2025 or even pre-2020 districts. Everything here is a pure
function: no I/O, no exceptions on bad input (unparseable values give ``None``).

Folding (lower case, no diacritics, ``đ`` → ``d``, single spaces) is ``kit.text.fold``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from oncegov.kit.text import fold, nfc

# ---------------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NameParts:
    """A name split in Vietnamese order. ``family``/``middle``/``given`` are NFC.

    ``middle`` holds every token between the family and the given name (``"Thị Ngọc"``), and
    is empty for two-token names. A single-token name is taken as a given name.
    """

    family: str
    middle: str
    given: str
    exact: str
    folded: str


def split_name(full_name: str) -> NameParts:
    """Split a family-first name: ``Nông Văn Dũng`` → ``Nông`` / ``Văn`` / ``Dũng``.

    Input is NFC-normalised with collapsed whitespace (``exact``); ``folded`` is ``fold(exact)``.
    """
    exact = nfc(full_name)
    tokens = exact.split()
    if not tokens:
        return NameParts("", "", "", "", "")
    if len(tokens) == 1:
        return NameParts("", "", tokens[0], exact, fold(exact))
    return NameParts(tokens[0], " ".join(tokens[1:-1]), tokens[-1], exact, fold(exact))


# Folded family names common in Cao Bằng: the national top ones plus Tày, Nùng, Mông, Dao and
# Sán Chay surnames. "van" (Văn) is deliberately absent: it is far more often a middle name.
# fmt: off
COMMON_FAMILY_NAMES: frozenset[str] = frozenset(
    {
        # Kinh, nationally common
        "nguyen", "tran", "le", "pham", "hoang", "huynh", "phan", "vu", "vo", "dang", "bui",
        "do", "ho", "ngo", "duong", "ly", "truong", "dinh", "luong", "trinh", "doan", "dao",
        "cao", "lam", "mai", "ta", "quach", "kieu", "lai", "chu", "ha", "tong", "luu",
        # Tày, Nùng, Sán Chay
        "nong", "be", "ma", "luc", "lo", "trieu", "hua", "dam", "sam", "vi", "lang", "mong",
        "lanh", "ninh", "hau",
        # Mông, Dao
        "giang", "sung", "vang", "thao", "lau", "mua", "chao", "ban", "phung",
    }
)
# fmt: on


def _is_family(token: str) -> bool:
    return token in COMMON_FAMILY_NAMES


def _reorder(tokens: list[str]) -> list[str]:
    """Family-first order of folded tokens, when a foreign order is detectable.

    - western order, given … family (``dung van nong``): the last token is a common family
      name and the first is not → ``[last] + middle + [first]`` (``nong van dung``);
    - given-first with the family block after it (``dung nong van``): neither the first nor
      the last token is a common family name but the second is → rotate (``nong van dung``).

    Anything else (including both ends being family names) stays as written.
    """
    if len(tokens) < 2 or _is_family(tokens[0]):
        return tokens
    if _is_family(tokens[-1]):
        return [tokens[-1], *tokens[1:-1], tokens[0]]
    if len(tokens) >= 3 and _is_family(tokens[1]):
        return [*tokens[1:], tokens[0]]
    return tokens


def canonical_order(full_name: str) -> str:
    """Folded name, family-first when it is detectably in a foreign order."""
    return " ".join(_reorder(fold(full_name).split()))


def name_order_variants(full_name: str) -> list[str]:
    """Folded orderings a sector record of this person may use, the as-written form first.

    Holds the as-written form, the family-first (canonical) form and, from it, the two
    foreign forms (western ``given … family`` and given-first ``given family …``), without
    duplicates. Two names with a common variant may be the same person in different orders.
    """
    written = fold(full_name).split()
    canonical = _reorder(written)
    candidates = [written, canonical]
    if len(canonical) >= 2:
        candidates.append([canonical[-1], *canonical[1:-1], canonical[0]])
        candidates.append([canonical[-1], *canonical[:-1]])
    variants: list[str] = []
    for tokens in candidates:
        text = " ".join(tokens)
        if text not in variants:
            variants.append(text)
    return variants


# ---------------------------------------------------------------------------------------------
# Spelling variants
# ---------------------------------------------------------------------------------------------

# Rules applied per folded syllable, in this order (each is a variant of one spoken syllable;
# the key is deliberately conservative: regional d/gi/r, s/x, tr/ch confusions are NOT merged,
# they distinguish real names):
# 1. final "y" → "i" when only consonants precede it: Lý/Lí, Kỳ/Kì, Mỹ/Mĩ, Sỹ/Sĩ, Hy/Hi
#    (the 1980s spelling reform variants). Not after a vowel: "uy" (Huy, Thúy, Quý) and "ay"
#    are distinct rhymes.
_Y_AFTER_CONSONANTS = re.compile(r"^([b-df-hj-np-tv-xz]+)y$")
# 2. initial "ph" → "f": foreign or hurried spellings ("Fuong" for Phương).
_PH = re.compile(r"^ph")
# 3. "k" before e/i/y → "c": Vietnamese writes k there, misspellings use c (Kiên/Ciên).
_K_BEFORE_FRONT = re.compile(r"^k(?=[eiy])")
# 4. "gh"/"ngh" before e/i/y → "g"/"ng": the h is often dropped (Nghĩa/Ngĩa, Ghềnh/Gềnh).
_GH_BEFORE_FRONT = re.compile(r"^(n?g)h(?=[eiy])")
# Case, diacritics (Thị/Thi, Đ/D) and doubled spaces are already removed by ``fold``.


def _syllable_key(syllable: str) -> str:
    syllable = _Y_AFTER_CONSONANTS.sub(r"\1i", syllable)
    syllable = _PH.sub("f", syllable)
    syllable = _K_BEFORE_FRONT.sub("c", syllable)
    return _GH_BEFORE_FRONT.sub(r"\1", syllable)


# Middle names that only mark sex ("Thị" for women, "Văn" for men): sector records and
# registry entries drop or add them ("Nông Mai" for "Nông Thị Mai").
OPTIONAL_MIDDLE_NAMES = frozenset({"thi", "van"})


def name_core(tokens: Sequence[str]) -> str:
    """The folded name tokens (family first) without the middle ``thi``/``van`` tokens; the
    first and last token always stay (``Văn`` is also a family name, ``Thi`` a given name)."""
    if len(tokens) <= 2:
        return " ".join(tokens)
    middle = [t for t in tokens[1:-1] if t not in OPTIONAL_MIDDLE_NAMES]
    return " ".join([tokens[0], *middle, tokens[-1]])


def spelling_key(folded_name: str) -> str:
    """Key equal for common spelling variants of a name (``Lý Phương`` ~ ``li fuong``).

    The argument is folded again, so unfolded input gives the same key.
    """
    return " ".join(_syllable_key(s) for s in fold(folded_name).split())


# ---------------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------------

MIN_YEAR = 1850
MAX_YEAR = 2100


@dataclass(frozen=True, slots=True)
class SectorDate:
    """A possibly partial date. ``ambiguous``: day and month could have been swapped."""

    year: int
    month: int | None = None
    day: int | None = None
    ambiguous: bool = False


_A = re.ASCII
_DMY = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4})", _A)  # dd/mm/yyyy, d-m-yyyy, dd.mm.yyyy
_YMD = re.compile(r"(\d{4})([/.-])(\d{1,2})\2(\d{1,2})", _A)  # yyyy-mm-dd, yyyy/m/d
_MY = re.compile(r"(\d{1,2})[/.-](\d{4})", _A)  # mm/yyyy
_YM = re.compile(r"(\d{4})[/.-](\d{1,2})", _A)  # yyyy-mm (ISO 8601 year and month)
_EIGHT = re.compile(r"\d{8}", _A)  # ddmmyyyy (yyyymmdd when that is not a valid date)
_YEAR = re.compile(r"\d{4}", _A)
# Exports often append a time of day: "12/05/1990 00:00:00", "1990-05-12T00:00:00".
_TIME_SUFFIX = re.compile(r"[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$", _A)


def _make(year: int, month: int | None = None, day: int | None = None) -> SectorDate | None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    if not month:  # none or 0: unknown, and so is the day then
        return SectorDate(year) if not day else None
    if not 1 <= month <= 12:
        return None
    if not day:
        return SectorDate(year, month)
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        return None
    return SectorDate(year, month, day, ambiguous=day <= 12 and day != month)


# Dates written in words, as forms and letters do (matched on folded text, so "tháng", "thang"
# and "THÁNG" are one): "ngày 12 tháng 5 năm 1985", "ngày 12/05/1985", "tháng 05/1985",
# "tháng 5 năm 1985", "thg 5/1985", "th.5/1985", "T5/1985", "năm 1985". Each is rewritten to
# the numeric form it stands for (d/m/yyyy, m/yyyy, yyyy), which the parsers then read.
_MONTH_WORD = r"(?:thang|thg|th|t)\.?"
_YEAR_SEP = r"(?:\s*[/.-]\s*|\s*,?\s*nam\s*)"
_SPELLED_DMY = re.compile(
    rf"ngay\s*(\d{{1,2}})(?:\s*[/.-]\s*|\s*,?\s*{_MONTH_WORD}\s*)(\d{{1,2}}){_YEAR_SEP}(\d{{4}})",
    _A,
)
_SPELLED_MY = re.compile(rf"{_MONTH_WORD}\s*(\d{{1,2}}){_YEAR_SEP}(\d{{4}})", _A)
_SPELLED_Y = re.compile(r"nam\s*(\d{4})", _A)


def spelled_date(text: str) -> str:
    """``text`` with a date written in Vietnamese words rewritten in numbers, else unchanged:
    ``ngày 12 tháng 5 năm 1985`` → ``12/5/1985``, ``tháng 05/1985`` and ``T5/1985`` →
    ``5/1985``, ``năm 1985`` → ``1985``. Only the whole value is rewritten, never a part."""
    folded = fold(text)
    if m := _SPELLED_DMY.fullmatch(folded):
        return f"{m[1]}/{m[2]}/{m[3]}"
    if m := _SPELLED_MY.fullmatch(folded):
        return f"{m[1]}/{m[2]}"
    if m := _SPELLED_Y.fullmatch(folded):
        return m[1]
    return text


# Excel stores a date as the number of days since 30 December 1899 (its 1900 date system; the
# fictitious 29 February 1900 only shifts serials below 61). A date column saved as a number
# shows such a serial: 31179 is 12 May 1985. Only five-digit serials are read (18 May 1927 to
# 2173): four digits are a year, and no other date form is five digits long, so nothing else
# can be misread as one. A trailing ".0" (a float column) is accepted.
_EXCEL_SERIAL = re.compile(r"(\d{5})(?:\.0+)?", _A)
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def excel_serial_date(text: str) -> tuple[int, int, int] | None:
    """``(year, month, day)`` of a five-digit Excel date serial (``31179`` → 1985-05-12)."""
    if not (m := _EXCEL_SERIAL.fullmatch(text.strip())):
        return None
    day = _EXCEL_EPOCH + dt.timedelta(days=int(m[1]))
    return day.year, day.month, day.day


def parse_sector_date(text: str) -> SectorDate | None:
    """Parse dd/mm/yyyy, d/m/yyyy, dd-mm-yyyy, yyyy-mm-dd, ddmmyyyy, mm/yyyy, yyyy-mm or yyyy,
    the same written in words (``spelled_date``) or a five-digit Excel serial
    (``excel_serial_date``).

    Day-first is assumed for the slash and dash forms, as Vietnamese data writes them. A day or
    month written 0 is unknown: ``00/05/1985`` is May 1985, ``00/00/1985`` the year alone.
    Two-digit years (``12/5/85``) are refused: a birth year may be 1885 as well as 1985.
    Returns ``None`` for anything else, impossible dates and years outside
    ``MIN_YEAR``–``MAX_YEAR``; never raises.
    """
    if not isinstance(text, str):
        return None
    value = text.strip()
    value = spelled_date(_TIME_SUFFIX.sub("", value).strip())
    if serial := excel_serial_date(value):
        found = _make(*serial)  # a serial cannot have day and month swapped
        return None if found is None else replace(found, ambiguous=False)
    if m := _DMY.fullmatch(value):
        return _make(int(m[4]), int(m[3]), int(m[1]))
    if m := _YMD.fullmatch(value):
        return _make(int(m[1]), int(m[3]), int(m[4]))
    if m := _MY.fullmatch(value):
        return _make(int(m[2]), int(m[1]))
    if m := _YM.fullmatch(value):
        return _make(int(m[1]), int(m[2]))
    if _EIGHT.fullmatch(value):
        # Both readings can never be valid at once: a yyyymmdd year in range starts with
        # 18–21, which as a ddmmyyyy month would be above 12.
        return _make(int(value[4:]), int(value[2:4]), int(value[:2])) or _make(
            int(value[:4]), int(value[4:6]), int(value[6:])
        )
    if _YEAR.fullmatch(value):
        return _make(int(value))
    return None


def date_candidates(date: SectorDate) -> list[tuple[int, int | None, int | None]]:
    """``(year, month, day)`` as parsed and, if ambiguous, with day and month swapped."""
    candidates: list[tuple[int, int | None, int | None]] = [(date.year, date.month, date.day)]
    if date.ambiguous:
        candidates.append((date.year, date.day, date.month))
    return candidates


# ---------------------------------------------------------------------------------------------
# Old administrative units
# ---------------------------------------------------------------------------------------------

# Folded district names of Cao Bằng before the 2025 abolition of districts → the folded name of
# the district they belonged to then. Resolution 897/NQ-UBTVQH14 (effective 1 Feb 2020) merged
# Thông Nông into Hà Quảng, Trà Lĩnh into Trùng Khánh, and Phục Hòa with Quảng Uyên into the new
# Quảng Hòa. "cao bang" is the city (Thành phố, earlier Thị xã Cao Bằng); in free text it is
# only recognised with a city prefix, since bare "Cao Bằng" is the province.
OLD_DISTRICTS_CAO_BANG: dict[str, str] = {
    "cao bang": "cao bang",
    "bao lam": "bao lam",
    "bao lac": "bao lac",
    "ha quang": "ha quang",
    "trung khanh": "trung khanh",
    "ha lang": "ha lang",
    "quang hoa": "quang hoa",
    "hoa an": "hoa an",
    "nguyen binh": "nguyen binh",
    "thach an": "thach an",
    "thong nong": "ha quang",
    "tra linh": "trung khanh",
    "phuc hoa": "quang hoa",
    "quang uyen": "quang hoa",
}

_CITY = "cao bang"
_DISTRICT_PREFIX = r"huyen|h|thanh pho|tp|thi xa|tx"
# A name after a commune or province marker is not a district (post-2025 communes reuse old
# district names, e.g. "xã Trùng Khánh").
_OTHER_PREFIX = frozenset({"xa", "phuong", "p", "thi tran", "tt", "tinh", "t"})
_DISTRICT_NAMES = "|".join(sorted(OLD_DISTRICTS_CAO_BANG, key=len, reverse=True))
_DISTRICT_IN_TEXT = re.compile(
    rf"(?:(?<![a-z0-9])((?:{_DISTRICT_PREFIX}|{'|'.join(sorted(_OTHER_PREFIX))}))\s)?"
    rf"(?<![a-z0-9])({_DISTRICT_NAMES})(?![a-z0-9])"
)


def old_district_of(address_text: str) -> str | None:
    """The (folded, current-before-2025) district named in a free-text address, or ``None``.

    Folded matching, punctuation ignored. A name after "huyện"/"thành phố"/"TP"/"thị xã" wins
    over a bare one; a name after "xã"/"phường"/"thị trấn"/"tỉnh" is ignored. Within a tier
    the first match wins.
    """
    text = " ".join(re.sub(r"[^a-z0-9]+", " ", fold(address_text)).split())
    bare: str | None = None
    for match in _DISTRICT_IN_TEXT.finditer(text):
        prefix, name = match[1], match[2]
        if prefix in _OTHER_PREFIX:
            continue
        if prefix is not None:
            return OLD_DISTRICTS_CAO_BANG[name]
        if bare is None and name != _CITY:
            bare = OLD_DISTRICTS_CAO_BANG[name]
    return bare


# ---------------------------------------------------------------------------------------------
# ID numbers
# ---------------------------------------------------------------------------------------------

_ID_SEPARATORS = re.compile(r"[\s.\-]+")
_ID_DIGITS = re.compile(r"\d{9}|\d{12}", re.ASCII)


def normalise_old_id(text: str) -> str | None:
    """A 9-digit CMND or 12-digit CCCD number with spaces, dots and dashes removed, else ``None``.

    Only the shape is checked (letters or other lengths give ``None``); validate a 12-digit
    number further with ``kit.personal_id``.
    """
    if not isinstance(text, str):
        return None
    digits = _ID_SEPARATORS.sub("", text)
    return digits if _ID_DIGITS.fullmatch(digits) else None
