"""12-digit personal identification numbers (số định danh cá nhân, Circular 59/2021/TT-BCA).

Layout: ``PPP C YY NNNNNN``
- ``PPP``  code of the province where the birth was registered (the pre-2025 codes, which stay
  printed on every card; the 34 post-reform codes are a subset of them),
- ``C``    sex and century of birth: 0/1 male/female born 1900–1999, 2/3 in 2000–2099,
  4/5 in 2100–2199, 6/7 in 2200–2299, 8/9 in 2300–2399,
- ``YY``   the last two digits of the birth year,
- ``NNNNNN`` a random sequence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Sex = Literal["M", "F"]

# Province codes used in personal ID numbers (the 63 provinces before the 2025 merger).
BIRTH_PROVINCE_CODES: frozenset[str] = frozenset(
    f"{c:03d}"
    for c in (
        1,
        2,
        4,
        6,
        8,
        10,
        11,
        12,
        14,
        15,
        17,
        19,
        20,
        22,
        24,
        25,
        26,
        27,
        30,
        31,
        33,
        34,
        35,
        36,
        37,
        38,
        40,
        42,
        44,
        45,
        46,
        48,
        49,
        51,
        52,
        54,
        56,
        58,
        60,
        62,
        64,
        66,
        67,
        68,
        70,
        72,
        74,
        75,
        77,
        79,
        80,
        82,
        83,
        84,
        86,
        87,
        89,
        91,
        92,
        93,
        94,
        95,
        96,
    )
)

FIRST_CENTURY = 1900
LAST_YEAR = 2399
_DIGITS = re.compile(r"\d{12}")


class PersonalIdError(ValueError):
    """A personal ID number that is malformed or inconsistent; ``code`` names the fault."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class PersonalId:
    province_code: str
    sex: Sex
    birth_year: int
    sequence: str

    @property
    def number(self) -> str:
        return (
            f"{self.province_code}{sex_century_digit(self.sex, self.birth_year)}"
            f"{self.birth_year % 100:02d}{self.sequence}"
        )


def sex_century_digit(sex: Sex, birth_year: int) -> int:
    if not FIRST_CENTURY <= birth_year <= LAST_YEAR:
        raise PersonalIdError(
            "birth_year_out_of_range",
            f"Birth year {birth_year} is outside {FIRST_CENTURY}–{LAST_YEAR}",
        )
    century_index = (birth_year - FIRST_CENTURY) // 100
    return century_index * 2 + (1 if sex == "F" else 0)


def parse(number: str) -> PersonalId:
    """Parse a personal ID number, raising ``PersonalIdError`` with the precise fault."""
    if not isinstance(number, str) or not number:
        raise PersonalIdError("empty", "Personal ID number is empty")
    if len(number) != 12:
        raise PersonalIdError(
            "wrong_length", f"Personal ID number must have 12 digits, got {len(number)} characters"
        )
    if not _DIGITS.fullmatch(number):
        raise PersonalIdError("not_digits", "Personal ID number must contain digits only")
    province = number[:3]
    if province not in BIRTH_PROVINCE_CODES:
        raise PersonalIdError(
            "unknown_province", f"Personal ID number starts with unknown province code {province}"
        )
    digit = int(number[3])
    sex: Sex = "F" if digit % 2 else "M"
    birth_year = FIRST_CENTURY + (digit // 2) * 100 + int(number[4:6])
    return PersonalId(province, sex, birth_year, number[6:])


def check_consistency(number: str, *, birth_year: int | None, sex: Sex | None) -> PersonalId:
    """Parse and check the number against the record's birth year and sex."""
    parsed = parse(number)
    if birth_year is not None and parsed.birth_year != birth_year:
        raise PersonalIdError(
            "birth_year_mismatch",
            f"Personal ID number encodes birth year {parsed.birth_year}, "
            f"the record says {birth_year}",
        )
    if sex is not None and parsed.sex != sex:
        raise PersonalIdError(
            "sex_mismatch",
            f"Personal ID number encodes sex {parsed.sex}, the record says {sex}",
        )
    return parsed


def is_valid(number: str) -> bool:
    try:
        parse(number)
    except PersonalIdError:
        return False
    return True


def prefix_for(province_code: str, sex: Sex, birth_year: int) -> str:
    """The first six digits shared by everyone registered in a province with that sex and year."""
    code = province_code.zfill(3)
    if code not in BIRTH_PROVINCE_CODES:
        raise PersonalIdError("unknown_province", f"Unknown province code {province_code}")
    return f"{code}{sex_century_digit(sex, birth_year)}{birth_year % 100:02d}"
