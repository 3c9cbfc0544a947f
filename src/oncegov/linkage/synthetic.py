"""Labelled synthetic sector extracts, made from registry people with realistic corruptions.

A social-insurance extract as the province really receives it: most records carry no personal
ID, some an old 9-digit ID; names lose their diacritics or are written in upper-case ASCII,
gain a typo, lose or gain a middle Thị/Văn, place tone marks the old way (Hoà, Thuỷ) or come
given-name first; day and month of birth get swapped, the year is off by one, a placeholder
(01/01, 01/07, 00/00) stands for an unknown day, or only the year, or the year and month,
survive; addresses name districts the 2025 reform abolished, or another commune (the person
moved); some people are not in the registry at all, among them namesakes (a registry person's
name and birth date, elsewhere) and twins (a registry person's household and birth date, a
given name a letter or two apart), and some registry people share a name and birth date with
another. Each generated record keeps the personal ID it truly
belongs to (``truth``; None for people absent from the registry), so linkage runs can be scored.

Seeded and deterministic: the same people, seed and rates give the same extract.
"""

from __future__ import annotations

import datetime as dt
import random
import string
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from oncegov.kit.text import fold, keying_distance, nfc, tone_marks_on_second_vowel
from oncegov.kit.vn_normalise import spelling_key

# Districts of Cao Bằng before the 2025 reform (and before the 2020 mergers), as sector
# databases still write them.
OLD_DISTRICTS = (
    "Thành phố Cao Bằng",
    "Huyện Bảo Lâm",
    "Huyện Bảo Lạc",
    "Huyện Hà Quảng",
    "Huyện Thông Nông",
    "Huyện Trùng Khánh",
    "Huyện Trà Lĩnh",
    "Huyện Hạ Lang",
    "Huyện Quảng Uyên",
    "Huyện Phục Hòa",
    "Huyện Hòa An",
    "Huyện Nguyên Bình",
    "Huyện Thạch An",
)


@dataclass(frozen=True, slots=True)
class Person:
    """A registry citizen as the generator needs them."""

    personal_id: str
    full_name: str
    birth_year: int
    birth_month: int | None
    birth_day: int | None
    sex: str
    commune_name: str | None = None
    old_id_number: str | None = None
    phone: str | None = None
    household_code: str | None = None  # members share it, and the hamlet of their address


@dataclass(frozen=True, slots=True)
class SectorRow:
    """One record of the generated extract, with its label and the corruptions applied."""

    record_key: str
    full_name: str
    date_of_birth: str  # as the sector writes it: dd/mm/yyyy, mm/yyyy, yyyy-mm, yyyy, …
    sex: str
    address: str
    old_id_number: str
    personal_id: str
    phone: str
    truth: str | None  # the personal ID it belongs to; None: not in the registry
    corruptions: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Rates:
    """Share of records each corruption touches (independently).

    ASSUMPTION: no published figures exist for Cao Bằng's sector data; the shares are
    plausible guesses, a few percent each, so that every pattern is seen often enough to be
    scored in an extract of a few thousand records.
    """

    has_personal_id: float = 0.30
    has_old_id: float = 0.35
    no_diacritics: float = 0.25
    typo: float = 0.08
    given_name_first: float = 0.04
    day_month_swapped: float = 0.03
    year_only: float = 0.02
    old_district: float = 0.50
    not_in_registry: float = 0.02
    # A register's placeholder for an unknown day and month: 01/01 or 01/07 written as if
    # known, or 00/00 (found by frequency in the extract: linkage.extract.placeholder_days).
    placeholder_date: float = 0.04
    year_off_by_one: float = 0.02  # the year misread or mistyped by one, day and month kept
    year_month_only: float = 0.02  # mm/yyyy, yyyy-mm or "tháng mm/yyyy"
    middle_name_changed: float = 0.03  # a middle Thị/Văn dropped, or added where there is none
    old_tone_marks: float = 0.15  # hoà/thuỷ placement (only visible in oa/oe/uy syllables)
    upper_ascii: float = 0.04  # NONG THI MAI: all upper case, no diacritics
    moved_commune: float = 0.03  # the address names another commune of the province
    # Look-alikes absent from the registry (truth None): together about 1-2% of records.
    namesake: float = 0.008  # same full name and birth date as a registry person, elsewhere
    twin: float = 0.006  # same household and birth date, given name one or two letters off


def _typo(name: str, rng: random.Random) -> str:
    letters = [i for i, ch in enumerate(name) if ch.isalpha()]
    if not letters:
        return name
    i = rng.choice(letters)
    kind = rng.random()
    if kind < 0.4:  # substitution
        return name[:i] + rng.choice(string.ascii_lowercase) + name[i + 1 :]
    if kind < 0.7 and len(letters) > 3:  # deletion
        return name[:i] + name[i + 1 :]
    return name[:i] + name[i] + name[i:]  # a doubled letter


def _given_first(name: str) -> str:
    parts = name.split()
    return " ".join(parts[1:] + parts[:1]) if len(parts) > 1 else name


_SEX_MIDDLE = {"F": "Thị", "M": "Văn"}


def _middle_changed(name: str, sex: str) -> str:
    """A middle Thị/Văn dropped; where there is none, the sex's one added after the family."""
    parts = name.split()
    if len(parts) >= 3 and any(fold(p) in ("thi", "van") for p in parts[1:-1]):
        middle = [p for p in parts[1:-1] if fold(p) not in ("thi", "van")]
        return " ".join([parts[0], *middle, parts[-1]])
    if len(parts) >= 2 and sex in _SEX_MIDDLE:
        return " ".join([parts[0], _SEX_MIDDLE[sex], *parts[1:]])
    return name


def _hamlet(household_code: str | None) -> str:
    """The residential group (tổ) of a household: shared by its members, made from its code."""
    if not household_code:
        return ""
    return f"Tổ {zlib.crc32(household_code.encode()) % 30 + 1}"


@dataclass(frozen=True, slots=True)
class _Date:
    """How this record's birth date is written (each flag only when it applies)."""

    year: int
    swap: bool = False
    year_only: bool = False
    placeholder: str | None = None  # "01/01", "01/07" or "00/00"
    year_month: str | None = None  # "slash", "iso" or "words"


def _birth_text(person: Person, how: _Date) -> str:
    year = how.year
    if how.year_only or person.birth_month is None:
        return f"{year:04d}"
    if how.placeholder is not None:
        return f"{how.placeholder}/{year:04d}"
    month = person.birth_month
    if person.birth_day is None or how.year_month == "slash":
        return f"{month:02d}/{year:04d}"
    if how.year_month == "iso":
        return f"{year:04d}-{month:02d}"
    if how.year_month == "words":
        return f"tháng {month:02d}/{year:04d}"
    day = person.birth_day
    if how.swap and day <= 12 and day != month:
        day, month = month, day
    return f"{day:02d}/{month:02d}/{year:04d}"


def _stranger(person: Person, rng: random.Random, index: int) -> Person:
    """Someone absent from the registry: another birth date and a changed given name."""
    born = dt.date(person.birth_year, person.birth_month or 1, person.birth_day or 1)
    shifted = born + dt.timedelta(days=rng.randint(400, 4000))
    parts = person.full_name.split()
    parts[-1] = rng.choice(["Khánh", "Thắng", "Huyền", "Phương", "Nhàn", "Quyết"])
    return replace(
        person,
        personal_id=f"absent-{index}",
        full_name=" ".join(parts),
        birth_year=shifted.year,
        birth_month=shifted.month,
        birth_day=shifted.day,
        old_id_number=None,
        household_code=None,
    )


def _namesake(person: Person, communes: Sequence[str], rng: random.Random, index: int) -> Person:
    """Someone absent from the registry with a registry person's full name and birth date,
    living in another commune, with no ID and no phone of theirs."""
    others = [c for c in communes if c != person.commune_name]
    return replace(
        person,
        personal_id=f"namesake-{index}",
        commune_name=rng.choice(others) if others else person.commune_name,
        old_id_number=None,
        phone=None,
        household_code=None,
    )


def _letters_changed(given: str, rng: random.Random) -> str:
    """The given name with one or two letters replaced, still another name once folded and
    spelling-keyed (a Lý/Lí variant would be the same name, not a twin's)."""
    folded = fold(given)
    letters = [i for i, ch in enumerate(folded) if ch.isalpha()]
    for _ in range(20):
        changed = list(folded)
        for i in rng.sample(letters, min(len(letters), rng.choice((1, 2)))):
            changed[i] = rng.choice([c for c in "aeioubcdghklmnprstvxy" if c != folded[i]])
        candidate = "".join(changed)
        if spelling_key(candidate) != spelling_key(folded):
            return candidate.capitalize()
    return folded.capitalize() + "a"


def _sibling_name(given: str, names: Sequence[str], rng: random.Random) -> str:
    """A real given name one or two letters from ``given`` (parents name twins alike: Hùng and
    Hưng, Kim and Kiên), else ``given`` with letters changed."""
    folded = fold(given).lower()
    near = [
        n
        for n in names
        if spelling_key(fold(n).lower()) != spelling_key(folded)
        and keying_distance(fold(n).lower(), folded, swaps=False) <= 2
    ]
    return rng.choice(near) if near else _letters_changed(given, rng)


def _twin(person: Person, names: Sequence[str], rng: random.Random, index: int) -> Person | None:
    """A twin absent from the registry: same household (address) and birth date, a given name
    one or two letters from the registry twin's; the household phone half the time."""
    if not person.household_code or person.birth_day is None:
        return None
    parts = person.full_name.split()
    if len(parts) < 2:
        return None
    parts[-1] = _sibling_name(parts[-1], names, rng)
    return replace(
        person,
        personal_id=f"twin-{index}",
        full_name=" ".join(parts),
        sex=rng.choice("MF"),
        old_id_number=None,
        phone=person.phone if rng.random() < 0.5 else None,
    )


def _drawn(
    drawn: Person,
    rates: Rates,
    places: tuple[Sequence[str], Sequence[str]],
    rng: random.Random,
    index: int,
) -> tuple[Person, str | None, list[str]]:
    """Whose record this is: the drawn registry person, or someone absent from the registry
    (a stranger, a namesake, a twin); their truth and the label."""
    communes, given_names = places
    draw = rng.random()
    if draw < rates.not_in_registry:
        return _stranger(drawn, rng, index), None, ["not_in_registry"]
    draw -= rates.not_in_registry
    if draw < rates.namesake:
        return _namesake(drawn, communes, rng, index), None, ["namesake"]
    draw -= rates.namesake
    if draw < rates.twin and (twin := _twin(drawn, given_names, rng, index)) is not None:
        return twin, None, ["twin"]
    return drawn, drawn.personal_id, []


def _name(person: Person, rates: Rates, rng: random.Random, applied: list[str]) -> str:
    name = nfc(person.full_name)
    if rng.random() < rates.middle_name_changed:
        changed = _middle_changed(name, person.sex)
        if changed != name:
            name = changed
            applied.append("middle_name_changed")
    if rng.random() < rates.old_tone_marks:
        changed = tone_marks_on_second_vowel(name)
        if changed != name:
            name = changed
            applied.append("old_tone_marks")
    no_diacritics = rng.random() < rates.no_diacritics
    if rng.random() < rates.upper_ascii:
        name = fold(name).upper()
        applied.append("upper_ascii")
    elif no_diacritics:
        name = fold(name).title()
        applied.append("no_diacritics")
    if rng.random() < rates.typo:
        name = _typo(name, rng)
        applied.append("typo")
    if rng.random() < rates.given_name_first:
        name = _given_first(name)
        applied.append("given_name_first")
    return name


def _date(person: Person, rates: Rates, rng: random.Random, applied: list[str]) -> _Date:
    """How the birth date is written; a corruption is labelled only where it shows."""
    swap = rng.random() < rates.day_month_swapped
    year_only = rng.random() < rates.year_only
    placeholder = rng.random() < rates.placeholder_date
    year_month = rng.random() < rates.year_month_only
    off_by_one = rng.random() < rates.year_off_by_one
    kind = rng.random()  # which placeholder or which year-and-month form
    year = person.birth_year
    if off_by_one:
        year += -1 if kind < 0.5 else 1
        applied.append("year_off_by_one")
    complete = person.birth_month is not None and person.birth_day is not None
    if year_only:
        applied.append("year_only")
        return _Date(year, year_only=True)
    if placeholder and complete:
        written = "01/01" if kind < 0.4 else "01/07" if kind < 0.7 else "00/00"
        applied.append("placeholder_date")
        return _Date(year, placeholder=written)
    if year_month and complete:
        form = "slash" if kind < 1 / 3 else "iso" if kind < 2 / 3 else "words"
        applied.append("year_month_only")
        return _Date(year, year_month=form)
    shows = complete and (person.birth_day or 0) <= 12 and person.birth_day != person.birth_month
    if swap and shows:
        applied.append("day_month_swapped")
    return _Date(year, swap=swap)


def _address(
    person: Person, rates: Rates, communes: Sequence[str], rng: random.Random, applied: list[str]
) -> str:
    commune = person.commune_name or ""
    if rng.random() < rates.moved_commune:
        others = [c for c in communes if c != commune]
        if commune and others:
            commune = rng.choice(others)
            applied.append("moved_commune")
    old = rng.random() < rates.old_district
    district = rng.choice(OLD_DISTRICTS) if old else ""
    if old:
        applied.append("old_district")
    parts = (_hamlet(person.household_code), commune, district, "Cao Bằng")
    return ", ".join(p for p in parts if p)


def generate(
    people: Sequence[Person], size: int, *, seed: int = 5, rates: Rates | None = None
) -> list[SectorRow]:
    """``size`` sector records drawn from ``people`` (each person at most once)."""
    rates = rates or Rates()
    rng = random.Random(seed)
    chosen = rng.sample(list(people), min(size, len(people)))
    communes = sorted({p.commune_name for p in people if p.commune_name})
    given_names = sorted({nfc(p.full_name).split()[-1] for p in people if p.full_name.strip()})
    rows = []
    for index, drawn in enumerate(chosen):
        person, truth, applied = _drawn(drawn, rates, (communes, given_names), rng, index)
        name = _name(person, rates, rng, applied)
        how = _date(person, rates, rng, applied)
        address = _address(person, rates, communes, rng, applied)
        has_pid = truth is not None and rng.random() < rates.has_personal_id
        has_old = person.old_id_number is not None and rng.random() < rates.has_old_id
        rows.append(
            SectorRow(
                record_key=f"BHXH{index + 1:08d}",
                full_name=name,
                date_of_birth=_birth_text(person, how),
                sex=person.sex,
                address=address,
                old_id_number=(person.old_id_number or "") if has_old else "",
                personal_id=person.personal_id if has_pid else "",
                phone=person.phone or "",
                truth=truth,
                corruptions=tuple(applied),
            )
        )
    return rows


def namesakes(people: Sequence[Person]) -> dict[tuple[str, int, int | None, int | None], int]:
    """How many registry people share each (folded name, birth date): the hard cases a
    deterministic name + birth date rule cannot tell apart."""
    counts: dict[tuple[str, int, int | None, int | None], int] = {}
    for p in people:
        key = (fold(p.full_name), p.birth_year, p.birth_month, p.birth_day)
        counts[key] = counts.get(key, 0) + 1
    return {key: n for key, n in counts.items() if n > 1}
