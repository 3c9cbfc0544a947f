"""An independent generator of labelled sector extracts, for testing record linkage.

Written without sight of the project's own extract generator or of the linkage model, from a
list of patterns seen in real sector data and the registry's schema only; so a model tuned on
the other generator can be measured on data it was not shaped by. Nobody tunes the model on
this generator's output (``docs/linkage-independent-generator.md``).

``generate(people, size, seed=…)`` draws ``size`` records of a social-insurance-like extract
from the registry ``people``: most belong to a registry person (``truth`` = their personal ID),
some to people who are not in the registry at all (``truth`` = None): namesakes, twins of a
registry person, and absentees from elsewhere. Each record names the patterns applied to it
(``PATTERNS`` is the vocabulary). Same people, size, seed and rates: the same records.

The rates (``PatternRates``) are modelling assumptions chosen to make the patterns frequent
enough to measure, not figures measured in any real database.
"""

from __future__ import annotations

import random
import unicodedata
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from functools import lru_cache

from oncegov.kit.personal_id import sex_century_digit
from oncegov.kit.text import fold


@dataclass(frozen=True, slots=True)
class RegistryPerson:
    """What the caller gives for each living registry citizen."""

    personal_id: str  # 12 digits
    full_name: str  # NFC Vietnamese, e.g. "Nông Thị Hoà"
    birth_year: int
    birth_month: int | None
    birth_day: int | None
    sex: str  # "M" or "F"
    household_code: str | None
    commune_name: str | None  # current (2025) commune or ward name, e.g. "Phường Thục Phán"
    province_name: str | None  # e.g. "Cao Bằng"
    old_id_number: str | None  # 9-digit old ID card number, if any
    phone: str | None  # "09…" 10 digits, if any


@dataclass(frozen=True, slots=True)
class LabelledRecord:
    """One row of the extract and its label."""

    record_key: str  # unique 10-digit social-insurance code
    full_name: str
    date_of_birth: str  # as the sector wrote it
    sex: str  # "1" male, "0" female, "" unknown
    address: str  # free text
    old_id_number: str  # "" if none
    personal_id: str  # "" if none
    phone: str  # "" if none
    truth: str | None  # the registry personal ID; None = a person not in the registry
    patterns: tuple[str, ...]  # names from PATTERNS


@dataclass(frozen=True, slots=True)
class PatternRates:
    """How often each pattern is applied. MODELLING ASSUMPTIONS, not measurements: each value
    is a guess at a plausible order of magnitude, raised where a pattern is rare in life but
    must occur often enough to be measured. The base of each rate is given after it."""

    # Who the records belong to (share of all records; exact counts, rounded).
    namesake: float = 0.010  # common names × one birthday in a large population: rare, but fatal
    twin: float = 0.005  # twins are ~1-2 % of births; only the unregistered one is counted here
    absentee: float = 0.050  # people insured here, registered elsewhere (migrant workers…)
    # Dates, exclusive (share of records of a registry person whose full date is known).
    date_placeholder: float = 0.05  # unknown day/month typed as 01/01 etc.; the mean, see below
    placeholder_spread: float = 0.6  # the extract's share is drawn in mean × [1 - s, 1 + s]
    date_year_off: float = 0.02  # a year typed from an age, or a misread digit
    date_year_month: float = 0.02  # only month and year were copied from an old document
    date_year_only: float = 0.02  # only the year was copied
    date_day_month_swapped: float = 0.01  # a spreadsheet in a US locale
    date_other_form: float = 0.10  # dd-mm-yyyy, d/m/yyyy, ISO, dd.mm.yyyy (split evenly)
    # Names (share of records of a registry person; base narrowed where said).
    name_middle_dropped: float = 0.04  # of names with middle Thị/Văn; other middles at 0.4×
    name_middle_added: float = 0.015  # of names without Thị/Văn: the clerk adds the usual one
    name_tone_placement: float = 0.25  # of names with an open oa/oe/uy syllable: keyboard setting
    name_upper_ascii: float = 0.04  # old systems without Vietnamese fonts
    name_ascii: float = 0.02  # diacritics lost on copy, title case kept
    name_typo: float = 0.03  # one slip of the hand (drop, double, swap, key, tone), split evenly
    name_given_first: float = 0.01  # western order from a passport-like form
    name_extra_spaces: float = 0.02  # double or surrounding spaces
    # Places (share of records of a registry person).
    address_moved: float = 0.05  # the record is older than the person's last move
    address_old_district: float = 0.15  # written before the 2025 reform abolished districts
    address_old_commune: float = 0.35  # of old-district records with a known pre-2025 unit name
    address_commune_only: float = 0.12  # no hamlet or group written
    address_hamlet_variant: float = 0.08  # bản/thôn for xóm, no prefix, TDP for Tổ…
    address_abbreviated: float = 0.10  # X., P., TT., H., TP., T.
    # Identifiers: carried (share of records whose person holds one; not a pattern) ...
    carry_personal_id: float = 0.45  # collected since the chip cards of 2021
    carry_old_id: float = 0.50  # the 9-digit card most older records hold
    carry_phone: float = 0.40  # a contact number on the declaration
    # ... and wrong (share of the records carrying that identifier).
    personal_id_wrong_digit: float = 0.02  # one digit mistyped
    personal_id_wrong_relative: float = 0.01  # a household member's number copied
    old_id_wrong_digit: float = 0.03
    old_id_wrong_relative: float = 0.01
    phone_wrong_digit: float = 0.03
    phone_relative: float = 0.05  # families share phones
    # Sex (share of records of a registry person).
    sex_missing: float = 0.02
    sex_wrong: float = 0.003
    # Twins' records carrying their registry sibling's (or another member's) phone.
    twin_relative_phone: float = 0.4

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"rate {item.name} must be between 0 and 1, got {value}")
        groups = {
            "namesake + twin + absentee": self.namesake + self.twin + self.absentee,
            "date patterns": self.date_placeholder * (1 + self.placeholder_spread)
            + self.date_year_off
            + self.date_year_month
            + self.date_year_only
            + self.date_day_month_swapped,
            "name_upper_ascii + name_ascii": self.name_upper_ascii + self.name_ascii,
            "personal_id_wrong_*": self.personal_id_wrong_digit + self.personal_id_wrong_relative,
            "old_id_wrong_*": self.old_id_wrong_digit + self.old_id_wrong_relative,
            "phone_*": self.phone_wrong_digit + self.phone_relative,
            "sex_*": self.sex_missing + self.sex_wrong,
        }
        for name, total in groups.items():
            if total > 1.0:
                raise ValueError(f"exclusive rates {name} add up to more than 1 ({total})")


# The pattern vocabulary: every name a record's ``patterns`` may hold.
KINDS = ("namesake", "twin", "absentee")
DATE_PATTERNS = (
    "date_placeholder",
    "date_year_off",
    "date_year_month",
    "date_year_only",
    "date_day_month_swapped",
    "date_registry_partial",  # the registry itself knows only the year or year and month
)
DATE_FORMS = ("date_form_dash", "date_form_unpadded", "date_form_iso", "date_form_dot")
TYPO_KINDS = ("drop", "double", "swap", "key", "tone")
NAME_PATTERNS = (
    "name_middle_dropped",
    "name_middle_added",
    "name_tone_placement",
    *(f"name_typo_{kind}" for kind in TYPO_KINDS),
    "name_given_first",
    "name_upper_ascii",
    "name_ascii",
    "name_extra_spaces",
)
ADDRESS_PATTERNS = (
    "address_moved",
    "address_old_district",
    "address_old_commune",
    "address_commune_only",
    "address_hamlet_variant",
    "address_abbreviated",
)
IDENTIFIER_PATTERNS = (
    "personal_id_wrong_digit",
    "personal_id_wrong_relative",
    "old_id_wrong_digit",
    "old_id_wrong_relative",
    "phone_wrong_digit",
    "phone_relative",
)
SEX_PATTERNS = ("sex_missing", "sex_wrong")
PATTERNS: tuple[str, ...] = (
    KINDS
    + DATE_PATTERNS
    + DATE_FORMS
    + NAME_PATTERNS
    + ADDRESS_PATTERNS
    + IDENTIFIER_PATTERNS
    + SEX_PATTERNS
)


# --- the extract's own habits -------------------------------------------------------------------

# Placeholders for an unknown day and month: (label, day, month); month None keeps the real
# month (only the day was unknown). Base weights; each extract reweights them (extract_style).
PLACEHOLDERS: tuple[tuple[str, int, int | None, float], ...] = (
    ("01/01", 1, 1, 40.0),
    ("01/07", 1, 7, 14.0),  # mid-year
    ("00/00", 0, 0, 10.0),  # not a date: typed where the form had no "unknown" box
    ("31/12", 31, 12, 8.0),  # end of year, as some age calculations assume
    ("15/06", 15, 6, 6.0),
    ("01/mm", 1, None, 15.0),
    ("15/mm", 15, None, 7.0),
)


@dataclass(frozen=True, slots=True)
class ExtractStyle:
    """The habits of one extract (one sector office, one software), drawn from the seed:
    placeholders differ from extract to extract, so a detector must find them by frequency."""

    placeholder_share: float  # share of full-date records written with a placeholder
    placeholder_weights: tuple[tuple[str, float], ...]  # label → weight, this extract's mix
    lower_unit_words: bool  # "xã Nam Tuấn" rather than "Xã Nam Tuấn"
    province_word: bool  # "tỉnh Cao Bằng" rather than "Cao Bằng"


def extract_style(seed: int = 17, rates: PatternRates | None = None) -> ExtractStyle:
    """The style ``generate`` uses for ``seed`` (its own random stream, so callers can see it)."""
    rates = rates or PatternRates()
    rng = random.Random(f"extract-style-{seed}")
    spread = rates.placeholder_spread
    share = rates.date_placeholder * rng.uniform(1 - spread, 1 + spread)
    weights = tuple(
        (label, weight * rng.lognormvariate(0.0, 0.7)) for label, _, _, weight in PLACEHOLDERS
    )
    return ExtractStyle(
        placeholder_share=share,
        placeholder_weights=weights,
        lower_unit_words=rng.random() < 0.5,
        province_word=rng.random() < 0.5,
    )


# --- places ---------------------------------------------------------------------------------

# Cao Bằng before the 2025 reform: district (kind, name) → the 2025 communes on its former
# territory (by where their seat lies; approximate where a new commune straddles two).
_CAO_BANG_DISTRICTS: dict[tuple[str, str], str] = {
    ("thành phố", "Cao Bằng"): "Thục Phán, Nùng Trí Cao, Tân Giang",
    ("huyện", "Bảo Lâm"): "Quảng Lâm, Nam Quang, Lý Bôn, Bảo Lâm, Yên Thổ",
    ("huyện", "Bảo Lạc"): "Sơn Lộ, Hưng Đạo, Bảo Lạc, Cốc Pàng, Cô Ba, Khánh Xuân, Xuân Trường, "
    "Huy Giáp",
    ("huyện", "Hà Quảng"): "Thanh Long, Cần Yên, Thông Nông, Trường Hà, Hà Quảng, Lũng Nặm, "
    "Tổng Cọt",
    ("huyện", "Trùng Khánh"): "Quang Hán, Trà Lĩnh, Quang Trung, Đoài Dương, Trùng Khánh, "
    "Đàm Thủy, Đình Phong",
    ("huyện", "Hạ Lang"): "Lý Quốc, Hạ Lang, Vinh Quý, Quang Long",
    ("huyện", "Quảng Hòa"): "Phục Hòa, Bế Văn Đàn, Độc Lập, Quảng Uyên, Hạnh Phúc",
    ("huyện", "Hòa An"): "Nam Tuấn, Hòa An, Bạch Đằng, Nguyễn Huệ",
    ("huyện", "Nguyên Bình"): "Ca Thành, Phan Thanh, Thành Công, Tĩnh Túc, Tam Kim, "
    "Nguyên Bình, Minh Tâm",
    ("huyện", "Thạch An"): "Minh Khai, Canh Tân, Kim Đồng, Thạch An, Đông Khê, Đức Long",
}
# Districts merged into the above in 2020; records older than that still name them.
_CAO_BANG_PRE_2020: dict[str, str] = {
    "Thông Nông": "Thanh Long, Cần Yên, Thông Nông",
    "Trà Lĩnh": "Quang Hán, Trà Lĩnh, Quang Trung",
    "Quảng Uyên": "Độc Lập, Quảng Uyên, Hạnh Phúc",
    "Phục Hòa": "Phục Hòa",
}
# Pre-2025 towns and wards whose names records still carry (approximate, plausible).
_CAO_BANG_OLD_UNITS: dict[str, tuple[tuple[str, str], ...]] = {
    "Hòa An": (("thị trấn", "Nước Hai"),),
    "Bảo Lâm": (("thị trấn", "Pác Miầu"),),
    "Bảo Lạc": (("thị trấn", "Bảo Lạc"),),
    "Thông Nông": (("thị trấn", "Thông Nông"),),
    "Hà Quảng": (("thị trấn", "Xuân Hòa"),),
    "Trùng Khánh": (("thị trấn", "Trùng Khánh"),),
    "Trà Lĩnh": (("thị trấn", "Hùng Quốc"),),
    "Hạ Lang": (("thị trấn", "Thanh Nhật"),),
    "Quảng Uyên": (("thị trấn", "Quảng Uyên"),),
    "Phục Hòa": (("thị trấn", "Hòa Thuận"), ("thị trấn", "Tà Lùng")),
    "Nguyên Bình": (("thị trấn", "Nguyên Bình"),),
    "Tĩnh Túc": (("thị trấn", "Tĩnh Túc"),),
    "Đông Khê": (("thị trấn", "Đông Khê"),),
    "Thục Phán": (("phường", "Hợp Giang"), ("phường", "Sông Bằng"), ("phường", "Sông Hiến")),
    "Nùng Trí Cao": (("phường", "Đề Thám"), ("phường", "Ngọc Xuân")),
    "Tân Giang": (("phường", "Hòa Chung"), ("phường", "Duyệt Trung")),
}


def _split_list(text: str) -> list[str]:
    return [item.strip() for item in text.split(",")]


def _old_district_table() -> dict[str, list[tuple[str, str]]]:
    """Folded 2025 commune name → the former districts (current-to-2025 first)."""
    table: dict[str, list[tuple[str, str]]] = {}
    for district, communes in _CAO_BANG_DISTRICTS.items():
        for commune in _split_list(communes):
            table.setdefault(fold(commune), []).append(district)
    for district_name, communes in _CAO_BANG_PRE_2020.items():
        for commune in _split_list(communes):
            table[fold(commune)].append(("huyện", district_name))
    return table


OLD_DISTRICTS: dict[str, dict[str, list[tuple[str, str]]]] = {"cao bang": _old_district_table()}
OLD_UNITS: dict[str, dict[str, tuple[tuple[str, str], ...]]] = {
    "cao bang": {fold(name): units for name, units in _CAO_BANG_OLD_UNITS.items()}
}

_UNIT_KINDS = ("thành phố", "thị trấn", "thị xã", "đặc khu", "phường", "xã", "huyện", "tỉnh")
ABBREVIATIONS = {
    "xã": "X.",
    "phường": "P.",
    "thị trấn": "TT.",
    "thị xã": "TX.",
    "đặc khu": "ĐK.",
    "huyện": "H.",
    "thành phố": "TP.",
    "tỉnh": "T.",
}

# Tày-Nùng place-name elements for hamlets: Nà (field), Khuổi (stream), Pác (mouth), Bó
# (spring), Lũng (valley), Phiêng (flat land), Khau (pass), Cốc (foot), Nặm (water) …
_HAMLET_HEADS = _split_list(
    "Nà, Khuổi, Pác, Bó, Lũng, Phiêng, Khau, Cốc, Nặm, Pò, Còn, Kéo, Slam, Tả, Đông, Lăng"
)
_HAMLET_TAILS = _split_list(
    "Mạ, Pản, Rầy, Lùng, Hoan, Chang, Ngàm, Đăm, Khoang, Luông, Thin, Sảng, Mòn, Cải, Vường, "
    "Phai, Nưa, Giàng, Củm, Cháng, Ỏ, Slảng, Tậu, Mu, Lẹng, Bông, Kha, Nhùng, Pất, Thuông, Coóc"
)


@lru_cache(maxsize=8192)
def _kind_and_name(unit: str) -> tuple[str | None, str]:
    """``"Phường Thục Phán"`` → ``("phường", "Thục Phán")``; a bare name → ``(None, name)``."""
    lowered = unit.lower()
    for kind in _UNIT_KINDS:
        if lowered.startswith(kind + " "):
            return kind, unit[len(kind) + 1 :].strip()
    return None, unit.strip()


@lru_cache(maxsize=8192)
def _folded(text: str) -> str:
    """``fold`` of the few unit names an extract repeats many times."""
    return fold(text)


def _stable(text: str) -> int:
    """A number from ``text`` that is the same in every run (``hash`` is salted per process)."""
    return zlib.crc32(text.encode("utf-8"))


def _localities(commune_name: str) -> list[str]:
    """The hamlets (rural) or residential groups (urban) of a commune, fixed by its name."""
    kind, _ = _kind_and_name(commune_name)
    rng = random.Random(f"localities-{commune_name}")
    if kind == "phường":
        return [f"Tổ {number}" for number in range(1, 31 + rng.randrange(15))]
    count = 18 + rng.randrange(20)
    hamlets: list[str] = []
    while len(hamlets) < count:
        roll = rng.random()
        prefix = "Xóm" if roll < 0.75 else "Bản" if roll < 0.9 else "Thôn"
        name = f"{rng.choice(_HAMLET_HEADS)} {rng.choice(_HAMLET_TAILS)}"
        if all(not hamlet.endswith(" " + name) for hamlet in hamlets):
            hamlets.append(f"{prefix} {name}")
    return hamlets


_LOCALITY_CACHE: dict[str, list[str]] = {}


def _locality_in(commune_name: str, anchor: str) -> str:
    localities = _LOCALITY_CACHE.get(commune_name)
    if localities is None:
        localities = _LOCALITY_CACHE[commune_name] = _localities(commune_name)
    return localities[_stable(anchor) % len(localities)]


def household_locality(person: RegistryPerson) -> str:
    """The hamlet or group of a person's household (``"Xóm Nà Mạ"``, ``"Tổ 7"``), the same for
    every member: fixed by the household code (the personal ID for people without one).
    Empty when the person has no commune."""
    if not person.commune_name:
        return ""
    return _locality_in(person.commune_name, person.household_code or person.personal_id)


# --- names ----------------------------------------------------------------------------------

_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")  # huyền sắc ngã hỏi nặng
_TONE_LIST = ("\u0300", "\u0301", "\u0303", "\u0309", "\u0323")
_VOWELS = frozenset("aăâeêioôơuưy")
_COMMON_MIDDLES = {"M": "Văn", "F": "Thị"}
_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _keyboard_neighbours() -> dict[str, str]:
    neighbours: dict[str, str] = {}
    for row_index, row in enumerate(_KEYBOARD_ROWS):
        for col, key in enumerate(row):
            near = [row[i] for i in (col - 1, col + 1) if 0 <= i < len(row)]
            for other_index in (row_index - 1, row_index + 1):
                if 0 <= other_index < len(_KEYBOARD_ROWS):
                    other = _KEYBOARD_ROWS[other_index]
                    near += [other[i] for i in (col - 1, col, col + 1) if 0 <= i < len(other)]
            neighbours[key] = "".join(near)
    return neighbours


_NEIGHBOURS = _keyboard_neighbours()


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _base_letter(char: str) -> str:
    """``"ầ"`` → ``"a"``, ``"đ"`` → ``"d"``."""
    return fold(char) or char


def _tone_index(syllable: str) -> int | None:
    """Index of the (NFC) character carrying the tone mark, or None."""
    for index, char in enumerate(syllable):
        if any(mark in _TONE_MARKS for mark in unicodedata.normalize("NFD", char)):
            return index
    return None


def _without_tone(char: str) -> str:
    return _nfc("".join(c for c in unicodedata.normalize("NFD", char) if c not in _TONE_MARKS))


def _with_tone(char: str, tone: str | None) -> str:
    bare = _without_tone(char)
    return _nfc(unicodedata.normalize("NFD", bare) + tone) if tone else bare


@lru_cache(maxsize=65536)  # names repeat: the same few thousand syllables
def flip_tone_placement(syllable: str) -> str | None:
    """Old ↔ new tone placement in an open oa/oe/uy syllable (``Hoà`` ↔ ``Hòa``, ``Thuỷ`` ↔
    ``Thủy``, ``Khoẻ`` ↔ ``Khỏe``); None when the syllable has no such choice (``Hoàng``,
    ``Quý``: after q the u is part of the consonant)."""
    bare = "".join(_without_tone(c) for c in syllable).lower()
    if len(bare) < 2 or bare[-2:] not in ("oa", "oe", "uy") or bare[-3:-2] == "q":
        return None
    index = _tone_index(syllable)
    last = len(syllable) - 1
    if index not in (last - 1, last):
        return None
    tone = next(m for m in unicodedata.normalize("NFD", syllable[index]) if m in _TONE_MARKS)
    target = last - 1 if index == last else last
    chars = list(syllable)
    chars[index] = _without_tone(chars[index])
    chars[target] = _with_tone(chars[target], tone)
    return "".join(chars)


def strip_diacritics(text: str) -> str:
    """``"Đàm Thị Hoà"`` → ``"Dam Thi Hoa"`` (case kept)."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance between two short strings (characters, NFC)."""
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            cost = 0 if char_a == char_b else 1
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost))
        previous = current
    return previous[-1]


# Given names that twins are given: a letter or a tone apart (same sex).
_TWIN_PAIRS = {
    "M": "Hùng Hưng, Tuấn Tuân, Minh Mạnh, Cường Cương, Thành Thanh, Tâm Tân, Phúc Phú, "
    "Vinh Vĩnh, Hiếu Hiệu, Khánh Khang, Lâm Lam, Toàn Toản, Thắng Thăng, Quân Quang, Sơn Sang",
    "F": "Lan Lanh, Hoa Hòa, Thu Thư, Thủy Thúy, Hương Hường, Huyền Huyên, Thơ Thơm, Yến Yên, "
    "Hiền Hiên, Nga Ngà, Hằng Hạnh, Phương Phượng, Liên Liễu, My Mỹ, Linh Lĩnh",
}


def _twin_pairs() -> dict[str, dict[str, list[str]]]:
    table: dict[str, dict[str, list[str]]] = {}
    for sex, pairs in _TWIN_PAIRS.items():
        by_name: dict[str, list[str]] = {}
        for pair in _split_list(pairs):
            first, second = pair.split()
            by_name.setdefault(first, []).append(second)
            by_name.setdefault(second, []).append(first)
        table[sex] = by_name
    return table


TWIN_PAIRS = _twin_pairs()


# --- dates ----------------------------------------------------------------------------------

_FULL_FORMS: dict[str, str] = {
    "": "{d:02d}/{m:02d}/{y}",  # the extract's own form (the mapping's date_format)
    "date_form_dash": "{d:02d}-{m:02d}-{y}",
    "date_form_unpadded": "{d}/{m}/{y}",
    "date_form_iso": "{y}-{m:02d}-{d:02d}",
    "date_form_dot": "{d:02d}.{m:02d}.{y}",
}
# Month-and-year written forms, with weights.
_YEAR_MONTH_FORMS: tuple[tuple[str, int], ...] = (
    ("{m:02d}/{y}", 40),
    ("{m}/{y}", 15),
    ("{y}-{m:02d}", 15),
    ("{m:02d}-{y}", 10),
    ("{y}/{m:02d}", 6),
    ("{m:02d}.{y}", 5),
    ("tháng {m:02d}/{y}", 5),
    ("thg {m}/{y}", 4),
)
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _valid_day(year: int, month: int, day: int) -> int:
    """``day`` clamped to the month (29 February in a common year → 28)."""
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    last = 29 if month == 2 and leap else 28 if month == 2 else _DAYS_IN_MONTH[month - 1]
    return min(day, last)


def _weighted_table(items: Sequence[tuple[str, float]], size: int = 1000) -> tuple[str, ...]:
    total = sum(weight for _, weight in items)
    table: list[str] = []
    for value, weight in items:
        table.extend([value] * max(1, round(size * weight / total)))
    return tuple(table)


# --- identifiers ----------------------------------------------------------------------------

# Where absentees come from: (2025 province code, personal-ID birth code, old-ID prefix, weight).
_ORIGINS: tuple[tuple[int, str, str, int], ...] = (
    (20, "020", "08", 20),  # Lạng Sơn
    (19, "019", "09", 18),  # Thái Nguyên
    (1, "001", "01", 15),  # Hà Nội
    (8, "008", "07", 10),  # Tuyên Quang
    (25, "025", "13", 8),  # Phú Thọ
    (24, "024", "12", 6),  # Bắc Ninh
    (38, "038", "17", 5),  # Thanh Hóa
    (40, "040", "18", 5),  # Nghệ An
    (15, "015", "06", 4),  # Lào Cai
    (31, "031", "03", 3),  # Hải Phòng
)
_PHONE_PREFIXES = _split_list(
    "096, 097, 098, 086, 032, 033, 034, 035, 036, 037, 038, 039, 091, 094, 088, 081, 082, "
    "083, 084, 085, 090, 093, 089, 070, 076, 077, 078, 079"
)


def _other_province_communes() -> dict[int, tuple[str, list[tuple[str, str]]]]:
    """Province code → (province name, [(commune kind, commune name)]) for absentees' homes."""
    from vietnam_provinces import Province, Ward

    wanted = {origin[0] for origin in _ORIGINS}
    names = {int(p.code): p.name for p in Province.iter_all() if int(p.code) in wanted}
    communes: dict[int, list[tuple[str, str]]] = {code: [] for code in names}
    for ward in Ward.iter_all():
        code = int(ward.province_code)
        if code in communes:
            kind, name = _kind_and_name(ward.name)
            communes[code].append((kind or "xã", name))
    return {code: (names[code], communes[code]) for code in sorted(names)}


# --- the generator --------------------------------------------------------------------------


@dataclass(slots=True)
class _Address:
    locality: str  # "Xóm Nà Mạ", "Tổ 7", "" for none
    commune_kind: str | None
    commune: str
    district: tuple[str, str] | None
    province_kind: str
    province: str
    province_full: str  # as the population names it ("Cao Bằng", "Thành phố Hà Nội")


def _address(locality: str, commune: str, province_full: str) -> _Address:
    kind, name = _kind_and_name(commune)
    province_kind, province = _kind_and_name(province_full)
    return _Address(locality, kind, name, None, province_kind or "tỉnh", province, province_full)


@dataclass(slots=True)
class _Draft:
    """A record being written: the identity it describes and what the sector made of it."""

    family: str
    middles: list[str]
    given: str
    sex: str
    year: int
    month: int | None
    day: int | None
    address: _Address | None
    personal_id: str
    old_id: str
    phone: str
    truth: str | None
    patterns: list[str]


class _Generator:
    """One extract's making: the population's indexes, the extract's style, one random stream."""

    def __init__(self, people: Sequence[RegistryPerson], seed: int, rates: PatternRates) -> None:
        self.people = people
        self.rates = rates
        self.style = extract_style(seed, rates)
        self.rng = random.Random(seed)
        self.random = self.rng.random
        self.taken_ids = {p.personal_id for p in people}
        self.taken_old_ids = {p.old_id_number for p in people if p.old_id_number}
        self.taken_phones = {p.phone for p in people if p.phone}
        self.households: dict[str, list[int]] = {}
        communes: dict[str, dict[str, None]] = {}  # province → its communes, in people's order
        self.given_names: dict[str, dict[str, None]] = {"M": {}, "F": {}}
        for index, person in enumerate(people):
            if person.household_code:
                self.households.setdefault(person.household_code, []).append(index)
            if person.commune_name and person.province_name:
                communes.setdefault(person.province_name, {})[person.commune_name] = None
            self.given_names.setdefault(person.sex, {}).setdefault(
                person.full_name.rsplit(" ", 1)[-1], None
            )
        self.communes = {province: list(names) for province, names in communes.items()}
        self.twin_names: dict[tuple[str, str], list[str]] = {}
        placeholders = {label: (day, month) for label, day, month, _ in PLACEHOLDERS}
        self.placeholder_table = tuple(
            placeholders[label] for label in _weighted_table(self.style.placeholder_weights)
        )
        self.year_month_table = _weighted_table(_YEAR_MONTH_FORMS)
        self.origins = _other_province_communes()
        self.origin_table = tuple(o for o in _ORIGINS for _ in range(o[3]))

    # --- helpers ---------------------------------------------------------------------------

    def chance(self, rate: float) -> bool:
        return self.random() < rate

    def pick(self, items: Sequence[str]) -> str:
        return items[int(self.random() * len(items))]

    def digits(self, count: int) -> str:
        return f"{self.rng.randrange(10**count):0{count}d}"

    def fresh(self, taken: set[str], make: Callable[[], str]) -> str:
        while True:
            value = make()
            if value not in taken:
                taken.add(value)
                return value

    def new_personal_id(self, birth_code: str, sex: str, year: int) -> str:
        digit = sex_century_digit("F" if sex == "F" else "M", year)
        prefix = f"{birth_code}{digit}{year % 100:02d}"
        return self.fresh(self.taken_ids, lambda: prefix + self.digits(6))

    def new_old_id(self, prefix: str) -> str:
        return self.fresh(self.taken_old_ids, lambda: prefix + self.digits(7))

    def new_phone(self) -> str:
        return self.fresh(self.taken_phones, lambda: self.pick(_PHONE_PREFIXES) + self.digits(7))

    def digit_off(self, number: str) -> str:
        position = int(self.random() * len(number))
        wrong = self.pick([d for d in "0123456789" if d != number[position]])
        return number[:position] + wrong + number[position + 1 :]

    def relatives(self, person: RegistryPerson) -> list[RegistryPerson]:
        if not person.household_code:
            return []
        members = self.households.get(person.household_code, [])
        return [self.people[i] for i in members if self.people[i].personal_id != person.personal_id]

    def home_address(self, person: RegistryPerson) -> _Address | None:
        if not person.commune_name:
            return None
        return _address(household_locality(person), person.commune_name, person.province_name or "")

    # --- record kinds ----------------------------------------------------------------------

    def true_draft(self, person: RegistryPerson) -> _Draft:
        tokens = person.full_name.split()
        draft = _Draft(
            family=tokens[0],
            middles=tokens[1:-1],
            given=tokens[-1] if len(tokens) > 1 else "",
            sex=person.sex,
            year=person.birth_year,
            month=person.birth_month,
            day=person.birth_day,
            address=self.home_address(person),
            personal_id="",
            old_id="",
            phone="",
            truth=person.personal_id,
            patterns=[],
        )
        self.true_identifiers(draft, person)
        return draft

    def true_identifiers(self, draft: _Draft, person: RegistryPerson) -> None:
        rates, patterns = self.rates, draft.patterns
        if self.chance(rates.carry_personal_id):
            draft.personal_id = self.wrong_or_right(
                person.personal_id,
                person,
                lambda p: p.personal_id,
                (rates.personal_id_wrong_digit, "personal_id_wrong_digit"),
                (rates.personal_id_wrong_relative, "personal_id_wrong_relative"),
                patterns,
            )
        if person.old_id_number and self.chance(rates.carry_old_id):
            draft.old_id = self.wrong_or_right(
                person.old_id_number,
                person,
                lambda p: p.old_id_number,
                (rates.old_id_wrong_digit, "old_id_wrong_digit"),
                (rates.old_id_wrong_relative, "old_id_wrong_relative"),
                patterns,
            )
        if person.phone and self.chance(rates.carry_phone):
            draft.phone = self.wrong_or_right(
                person.phone,
                person,
                lambda p: p.phone,
                (rates.phone_wrong_digit, "phone_wrong_digit"),
                (rates.phone_relative, "phone_relative"),
                patterns,
            )

    def wrong_or_right(
        self,
        value: str,
        person: RegistryPerson,
        of: Callable[[RegistryPerson], str | None],
        digit: tuple[float, str],
        relative: tuple[float, str],
        patterns: list[str],
    ) -> str:
        """``value`` as carried: right, a digit off, or a relative's (when one has it)."""
        roll = self.random()
        if roll < relative[0]:
            theirs = [v for p in self.relatives(person) if (v := of(p)) and v != value]
            if theirs:
                patterns.append(relative[1])
                return theirs[int(self.random() * len(theirs))]
            roll = relative[0]  # no relative holds one: the same slip, as a digit
        if relative[0] <= roll < relative[0] + digit[0]:
            patterns.append(digit[1])
            return self.digit_off(value)
        return value

    def namesake_draft(self, person: RegistryPerson) -> _Draft | None:
        """Another person with the same name and birth date, living in another commune."""
        if person.birth_day is None or not person.commune_name or not person.province_name:
            return None
        others = [
            c for c in self.communes.get(person.province_name, []) if c != person.commune_name
        ]
        if not others:
            return None
        commune = self.pick(others)
        tokens = person.full_name.split()
        anchor = f"namesake-{person.personal_id}-{self.random()}"
        address = _address(_locality_in(commune, anchor), commune, person.province_name)
        draft = self.stranger_draft(tokens, person, address, person.personal_id[:3])
        draft.patterns.append("namesake")
        return draft

    def twin_draft(self, person: RegistryPerson) -> _Draft | None:
        """An unregistered twin: same household and birth date, a given name a letter apart."""
        if person.birth_day is None or not person.household_code or not person.commune_name:
            return None
        tokens = person.full_name.split()
        if len(tokens) < 2:
            return None
        given = self.twin_given_name(person, tokens[-1])
        if given is None:
            return None
        draft = self.stranger_draft(
            [*tokens[:-1], given], person, self.home_address(person), person.personal_id[:3]
        )
        draft.patterns.append("twin")
        if self.chance(self.rates.twin_relative_phone):
            phones = [p.phone for p in [person, *self.relatives(person)] if p.phone]
            if phones:
                draft.phone = phones[int(self.random() * len(phones))]
                draft.patterns.append("phone_relative")
        return draft

    def twin_given_name(self, person: RegistryPerson, given: str) -> str | None:
        """A given name 1–2 edits from ``given`` that no one of the household born that day
        already has."""
        same_day = {
            p.full_name.rsplit(" ", 1)[-1]
            for p in [person, *self.relatives(person)]
            if (p.birth_year, p.birth_month, p.birth_day)
            == (person.birth_year, person.birth_month, person.birth_day)
        }
        candidates = [
            name
            for name in TWIN_PAIRS.get(person.sex, {}).get(given, [])
            + self.near_names(person, given)
            if name not in same_day
        ]
        return self.pick(candidates) if candidates else None

    def near_names(self, person: RegistryPerson, given: str) -> list[str]:
        key = (person.sex, given)
        cached = self.twin_names.get(key)
        if cached is None:
            lowered, first = given.lower(), fold(given)[:1]
            cached = [
                name
                for name in self.given_names.get(person.sex, {})
                if abs(len(name) - len(given)) <= 2
                and fold(name)[:1] == first
                and 1 <= edit_distance(name.lower(), lowered) <= 2
            ]
            self.twin_names[key] = cached
        return cached

    def absentee_draft(self) -> _Draft:
        """Someone from elsewhere: a plausible name from the registry's own name stock."""
        tokens, donor_sex = self.absentee_name()
        year = 1960 + int(self.random() * 47)
        month = 1 + int(self.random() * 12)
        day = _valid_day(year, month, 1 + int(self.random() * 31))
        origin = self.origin_table[int(self.random() * len(self.origin_table))]
        if self.communes and self.chance(0.3):  # living here, registered nowhere here
            province_name = next(iter(self.communes))
            commune = self.pick(self.communes[province_name])
            address = _address(
                _locality_in(commune, f"absentee-{self.random()}"), commune, province_name
            )
        else:
            province_name, communes = self.origins[origin[0]]
            kind, name = communes[int(self.random() * len(communes))]
            group = "Tổ dân phố" if kind == "phường" else "Thôn"
            locality = f"{group} {1 + int(self.random() * 20)}"
            address = _address(locality, f"{kind} {name}", province_name)
        stand_in = RegistryPerson(
            personal_id="",
            full_name=" ".join(tokens),
            birth_year=year,
            birth_month=month,
            birth_day=day,
            sex=donor_sex,
            household_code=None,
            commune_name=None,
            province_name=None,
            old_id_number=None,
            phone=None,
        )
        draft = self.stranger_draft(tokens, stand_in, address, origin[1], old_prefix=origin[2])
        draft.patterns.append("absentee")
        return draft

    def absentee_name(self) -> tuple[list[str], str]:
        """Family and middle name of one registry person, the given name of another of the same
        sex and middle name (so ``Thị``/``Mí``/``Văn`` go with names of their tradition)."""
        people = self.people
        donor = people[int(self.random() * len(people))]
        tokens = donor.full_name.split()
        for _ in range(30):
            other = people[int(self.random() * len(people))]
            words = other.full_name.split()
            if other.sex == donor.sex and words[0] != tokens[0] and words[1:-1] == tokens[1:-1]:
                return [*tokens[:-1], words[-1]], donor.sex
        return tokens, donor.sex

    def stranger_draft(
        self,
        tokens: list[str],
        like: RegistryPerson,
        address: _Address | None,
        birth_code: str,
        *,
        old_prefix: str | None = None,
    ) -> _Draft:
        """A person not in the registry, born when ``like`` was: their own identifiers."""
        rates = self.rates
        personal_id = old_id = phone = ""
        if self.chance(rates.carry_personal_id):
            personal_id = self.new_personal_id(birth_code, like.sex, like.birth_year)
        if like.birth_year <= 2002 and self.chance(rates.carry_old_id * 0.7):
            prefix = old_prefix or (like.old_id_number or "08")[:2]
            old_id = self.new_old_id(prefix)
        if self.chance(rates.carry_phone):
            phone = self.new_phone()
        return _Draft(
            family=tokens[0],
            middles=tokens[1:-1],
            given=tokens[-1] if len(tokens) > 1 else "",
            sex=like.sex,
            year=like.birth_year,
            month=like.birth_month,
            day=like.birth_day,
            address=address,
            personal_id=personal_id,
            old_id=old_id,
            phone=phone,
            truth=None,
            patterns=[],
        )

    # --- writing ---------------------------------------------------------------------------

    def write(self, draft: _Draft, key: str) -> LabelledRecord:
        """The record as the sector wrote it; only a registry person's record is corrupted
        (name spelling, date value, commune, sex); strangers get the harmless forms only, so
        a namesake keeps the name and date that make it dangerous."""
        corrupt = draft.truth is not None
        name = self.write_name(draft, corrupt)
        date = self.write_date(draft, corrupt)
        address = self.write_address(draft, corrupt)
        sex = "1" if draft.sex == "M" else "0"
        if corrupt:
            roll = self.random()
            if roll < self.rates.sex_missing:
                sex = ""
                draft.patterns.append("sex_missing")
            elif roll < self.rates.sex_missing + self.rates.sex_wrong:
                sex = "0" if sex == "1" else "1"
                draft.patterns.append("sex_wrong")
        return LabelledRecord(
            record_key=key,
            full_name=name,
            date_of_birth=date,
            sex=sex,
            address=address,
            old_id_number=draft.old_id,
            personal_id=draft.personal_id,
            phone=draft.phone,
            truth=draft.truth,
            patterns=tuple(draft.patterns),
        )

    # names

    def write_name(self, draft: _Draft, corrupt: bool) -> str:
        rates, patterns = self.rates, draft.patterns
        middles = list(draft.middles)
        if corrupt:
            self.change_middles(draft, middles)
        tokens = [draft.family, *middles, draft.given] if draft.given else [draft.family]
        if corrupt:
            flippable = [i for i, t in enumerate(tokens) if flip_tone_placement(t)]
            if flippable and self.chance(rates.name_tone_placement):
                for index in flippable:
                    tokens[index] = flip_tone_placement(tokens[index]) or tokens[index]
                patterns.append("name_tone_placement")
            if self.chance(rates.name_typo):
                self.typo(tokens, patterns)
            if len(tokens) > 1 and self.chance(rates.name_given_first):
                rest = tokens[:-1]
                tokens = [tokens[-1], *(rest[1:] + rest[:1] if self.chance(0.6) else rest)]
                patterns.append("name_given_first")
        name = " ".join(tokens)
        roll = self.random()
        if roll < rates.name_upper_ascii:
            name = strip_diacritics(name).upper()
            patterns.append("name_upper_ascii")
        elif roll < rates.name_upper_ascii + rates.name_ascii:
            name = strip_diacritics(name)
            patterns.append("name_ascii")
        if corrupt and self.chance(rates.name_extra_spaces):
            name = self.extra_spaces(name)
            patterns.append("name_extra_spaces")
        return name

    def change_middles(self, draft: _Draft, middles: list[str]) -> None:
        common = _COMMON_MIDDLES.get(draft.sex, "Thị")
        has_common = any(m in ("Thị", "Văn") for m in middles)
        if middles:
            rate = self.rates.name_middle_dropped * (1.0 if has_common else 0.4)
            if self.chance(rate):
                drop = next((i for i, m in enumerate(middles) if m in ("Thị", "Văn")), 0)
                del middles[drop]
                draft.patterns.append("name_middle_dropped")
                return
        if not has_common and self.chance(self.rates.name_middle_added):
            middles.insert(0, common)
            draft.patterns.append("name_middle_added")

    def typo(self, tokens: list[str], patterns: list[str]) -> None:
        """One slip in one word (the given name or a middle one, more often than the family)."""
        index = len(tokens) - 1 if self.chance(0.6) else int(self.random() * len(tokens))
        word = tokens[index]
        kind = TYPO_KINDS[int(self.random() * len(TYPO_KINDS))]
        changed = self.slip(word, kind)
        if changed != word and changed:
            tokens[index] = changed
            patterns.append(f"name_typo_{kind}")

    def slip(self, word: str, kind: str) -> str:
        chars = list(word)
        if kind == "drop" and len(chars) >= 3:
            del chars[1 + int(self.random() * (len(chars) - 1))]
        elif kind == "double":
            at = int(self.random() * len(chars))
            chars.insert(at, chars[at].lower() if at else chars[at])
        elif kind == "swap" and len(chars) >= 3:
            at = 1 + int(self.random() * (len(chars) - 2))
            chars[at], chars[at + 1] = chars[at + 1], chars[at]
        elif kind == "key":
            at = 1 + int(self.random() * (len(chars) - 1)) if len(chars) > 1 else 0
            near = _NEIGHBOURS.get(_base_letter(chars[at]).lower(), "")
            if near:
                chars[at] = self.pick(near)
        elif kind == "tone":
            vowels = [i for i, c in enumerate(chars) if _base_letter(c).lower() in _VOWELS]
            if vowels:
                toned = _tone_index(word)
                at = vowels[-1] if toned is None else toned
                current = next(
                    (m for m in unicodedata.normalize("NFD", chars[at]) if m in _TONE_MARKS), None
                )
                options: list[str | None] = [t for t in _TONE_LIST if t != current]
                if current is not None:
                    options.append(None)
                chars[at] = _with_tone(chars[at], options[int(self.random() * len(options))])
        return _nfc("".join(chars))

    def extra_spaces(self, name: str) -> str:
        roll = self.random()
        if roll < 0.5 and " " in name:
            spaces = [i for i, c in enumerate(name) if c == " "]
            at = spaces[int(self.random() * len(spaces))]
            return name[:at] + "  " + name[at + 1 :]
        if roll < 0.8:
            return name + " "
        return " " + name + "  "

    # dates

    def write_date(self, draft: _Draft, corrupt: bool) -> str:
        year, month, day = draft.year, draft.month, draft.day
        if month is None or day is None:
            return self.partial_date(draft)
        form = ""
        roll = self.random()
        if roll < self.rates.date_other_form:
            form = DATE_FORMS[int(roll / self.rates.date_other_form * len(DATE_FORMS))]
        if corrupt:
            written = self.corrupted_date(year, month, day, form, draft.patterns)
            if written is not None:
                return written
        return self.full_date(year, month, day, form, draft.patterns)

    def full_date(self, year: int, month: int, day: int, form: str, patterns: list[str]) -> str:
        if form:
            patterns.append(form)
        return _FULL_FORMS[form].format(d=day, m=month, y=year)

    def corrupted_date(
        self, year: int, month: int, day: int, form: str, patterns: list[str]
    ) -> str | None:
        """The date under one of the exclusive date patterns, or None when none is drawn."""
        rates = self.rates
        bands = (
            (self.style.placeholder_share, "date_placeholder"),
            (rates.date_year_off, "date_year_off"),
            (rates.date_year_month, "date_year_month"),
            (rates.date_year_only, "date_year_only"),
            (rates.date_day_month_swapped, "date_day_month_swapped"),
        )
        roll, limit, chosen = self.random(), 0.0, None
        for rate, name in bands:
            limit += rate
            if roll < limit:
                chosen = name
                break
        if chosen is None or (chosen == "date_day_month_swapped" and day == month):
            return None  # (05/05 swapped is still 05/05: nothing to see)
        if chosen == "date_placeholder":
            return self.placeholder(year, month, form, patterns)
        patterns.append(chosen)
        if chosen == "date_year_off":
            year += -1 if self.chance(0.5) else 1
            return self.full_date(year, month, _valid_day(year, month, day), form, patterns)
        if chosen == "date_year_month":
            return self.pick(self.year_month_table).format(y=year, m=month)
        if chosen == "date_year_only":
            return str(year)
        return f"{month:02d}/{day:02d}/{year}"

    def placeholder(self, year: int, month: int | None, form: str, patterns: list[str]) -> str:
        table = self.placeholder_table
        day, fixed_month = table[int(self.random() * len(table))]
        written_month = fixed_month if fixed_month is not None else month or 1
        patterns.append("date_placeholder")
        if form:
            patterns.append(form)
        return _FULL_FORMS[form].format(d=day, m=written_month, y=year)

    def partial_date(self, draft: _Draft) -> str:
        """The registry knows only the year (or year and month): what the sector typed."""
        draft.patterns.append("date_registry_partial")
        if draft.month is None:
            if self.chance(0.45):
                draft.patterns.append("date_year_only")
                return str(draft.year)
            return self.placeholder(draft.year, None, "", draft.patterns)
        if self.chance(0.5):
            draft.patterns.append("date_year_month")
            return self.pick(self.year_month_table).format(y=draft.year, m=draft.month)
        return self.placeholder(draft.year, draft.month, "", draft.patterns)

    # addresses

    def write_address(self, draft: _Draft, corrupt: bool) -> str:
        address = draft.address
        if address is None:
            return ""
        rates, patterns = self.rates, draft.patterns
        stranger_kind = next((k for k in KINDS if k in patterns), None)
        locality = address.locality
        commune_kind, commune, district = address.commune_kind, address.commune, address.district
        if corrupt and self.chance(rates.address_moved):
            moved = self.moved_commune(address)
            if moved:
                commune_kind, commune, locality = moved
                patterns.append("address_moved")
        if stranger_kind != "twin" and locality and self.chance(rates.address_commune_only):
            locality = ""
            patterns.append("address_commune_only")
        if stranger_kind != "twin" and locality and self.chance(rates.address_hamlet_variant):
            varied = self.hamlet_variant(locality)
            if varied != locality:
                locality = varied
                patterns.append("address_hamlet_variant")
        province_key = _folded(address.province)
        olds = OLD_DISTRICTS.get(province_key, {}).get(_folded(commune))
        if olds and stranger_kind != "absentee" and self.chance(rates.address_old_district):
            # 30 % of them older than the 2020 mergers, where the commune lay in a merged district
            older = olds[1:]
            district = self.pick_pair(older) if older and self.chance(0.3) else olds[0]
            patterns.append("address_old_district")
            units = OLD_UNITS.get(province_key, {}).get(_folded(commune))
            if units and stranger_kind is None and self.chance(rates.address_old_commune):
                commune_kind, commune = units[int(self.random() * len(units))]
                patterns.append("address_old_commune")
        abbreviate = self.chance(rates.address_abbreviated)
        if abbreviate:
            patterns.append("address_abbreviated")
        parts = [locality] if locality else []
        parts.append(self.unit(commune_kind, commune, abbreviate))
        if district:
            parts.append(self.unit(district[0], district[1], abbreviate))
        if address.province:
            province_kind = address.province_kind
            if abbreviate or self.style.province_word or province_kind != "tỉnh":
                parts.append(self.unit(province_kind, address.province, abbreviate))
            else:
                parts.append(address.province)
        return ", ".join(parts)

    def pick_pair(self, items: Sequence[tuple[str, str]]) -> tuple[str, str]:
        return items[int(self.random() * len(items))]

    def moved_commune(self, address: _Address) -> tuple[str | None, str, str] | None:
        """Another commune of the province: where the person lived when the record was made."""
        communes = self.communes.get(address.province_full, [])
        others = [c for c in communes if _kind_and_name(c)[1] != address.commune]
        if not others:
            return None
        commune = self.pick(others)
        kind, name = _kind_and_name(commune)
        return kind, name, _locality_in(commune, f"moved-{self.random()}")

    def hamlet_variant(self, locality: str) -> str:
        """The hamlet or group written another way: another prefix, none, a group's long form."""
        head, _, rest = locality.partition(" ")
        if head == "Tổ":
            number = int(locality.rsplit(" ", 1)[-1])
            forms = [
                form
                for form in (
                    f"Tổ {number}",
                    f"Tổ dân phố {number}",
                    f"TDP {number}",
                    f"Tổ {number:02d}",
                    f"Tổ dân phố số {number}",
                )
                if form != locality
            ]
            return forms[int(self.random() * len(forms))]
        others = [p for p in ("Xóm", "Bản", "Thôn", "xóm", "bản", "") if p != head]
        prefix = self.pick(others)
        return f"{prefix} {rest}" if prefix else rest

    def unit(self, kind: str | None, name: str, abbreviate: bool) -> str:
        if kind is None:
            return name
        if abbreviate:
            return f"{ABBREVIATIONS[kind]}{'' if self.chance(0.3) else ' '}{name}"
        word = kind if self.style.lower_unit_words else kind.capitalize()
        return f"{word} {name}"

    # --- the extract -----------------------------------------------------------------------

    def record_keys(self, size: int) -> list[str]:
        """Unique 10-digit codes: the province's two digits and eight of a sequence."""
        prefix = self.people[0].personal_id[1:3] if self.people else "04"
        return [f"{prefix}{n:08d}" for n in self.rng.sample(range(10**8), size)]

    def draw(self, maker: Callable[[RegistryPerson], _Draft | None]) -> _Draft:
        """A draft from the first suitable registry person of a few random tries."""
        for _ in range(200):
            draft = maker(self.people[int(self.random() * len(self.people))])
            if draft is not None:
                return draft
        raise ValueError("the population has no person this kind of record can be made from")

    def extract(self, size: int) -> list[LabelledRecord]:
        rates = self.rates
        counts = {kind: round(size * getattr(rates, kind)) for kind in KINDS}
        true_count = size - sum(counts.values())
        if true_count > len(self.people):
            raise ValueError(
                f"{size} records need {true_count} registry people, the population has "
                f"{len(self.people)}"
            )
        chosen = self.rng.sample(range(len(self.people)), true_count)
        drafts = [self.true_draft(self.people[i]) for i in chosen]
        drafts += [self.draw(self.namesake_draft) for _ in range(counts["namesake"])]
        drafts += [self.draw(self.twin_draft) for _ in range(counts["twin"])]
        drafts += [self.absentee_draft() for _ in range(counts["absentee"])]
        self.rng.shuffle(drafts)
        keys = self.record_keys(size)
        return [self.write(draft, key) for draft, key in zip(drafts, keys, strict=True)]


def generate(
    people: Sequence[RegistryPerson],
    size: int,
    *,
    seed: int = 17,
    rates: PatternRates | None = None,
) -> list[LabelledRecord]:
    """``size`` labelled records of an extract drawn from the registry ``people``, in a
    shuffled order; deterministic for the same arguments. Raises ``ValueError`` when the
    population is too small for ``size`` (each registry person appears at most once as
    themself) or offers no person to make namesakes or twins from."""
    if size < 0:
        raise ValueError("size must not be negative")
    if size == 0:
        return []
    if not people:
        raise ValueError("the population is empty")
    return _Generator(people, seed, rates or PatternRates()).extract(size)
