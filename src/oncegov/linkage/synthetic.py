"""Labelled synthetic sector extracts, made from registry people with realistic corruptions.

A social-insurance extract as the province really receives it: most records carry no personal
ID, some an old 9-digit ID; names lose their diacritics, gain a typo, or come given-name first;
day and month of birth get swapped or only the year survives; addresses name districts the
2025 reform abolished; some people are not in the registry at all, and some registry people
share a name and birth date with another. Each generated record keeps the personal ID it truly
belongs to (``truth``; None for people absent from the registry), so linkage runs can be scored.

Seeded and deterministic: the same people, seed and rates give the same extract.
"""

from __future__ import annotations

import datetime as dt
import random
import string
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from oncegov.kit.text import fold, nfc

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


@dataclass(frozen=True, slots=True)
class SectorRow:
    """One record of the generated extract, with its label and the corruptions applied."""

    record_key: str
    full_name: str
    date_of_birth: str  # as the sector writes it: dd/mm/yyyy, or only yyyy
    sex: str
    address: str
    old_id_number: str
    personal_id: str
    phone: str
    truth: str | None  # the personal ID it belongs to; None: not in the registry
    corruptions: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Rates:
    """Share of records each corruption touches (independently)."""

    has_personal_id: float = 0.30
    has_old_id: float = 0.35
    no_diacritics: float = 0.25
    typo: float = 0.08
    given_name_first: float = 0.04
    day_month_swapped: float = 0.03
    year_only: float = 0.02
    old_district: float = 0.50
    not_in_registry: float = 0.02


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


def _birth_text(person: Person, swap: bool, year_only: bool) -> str:
    if year_only or person.birth_month is None:
        return f"{person.birth_year:04d}"
    if person.birth_day is None:
        return f"{person.birth_month:02d}/{person.birth_year:04d}"
    day, month = person.birth_day, person.birth_month
    if swap and day <= 12 and day != month:
        day, month = month, day
    return f"{day:02d}/{month:02d}/{person.birth_year:04d}"


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
    )


def generate(
    people: Sequence[Person], size: int, *, seed: int = 5, rates: Rates | None = None
) -> list[SectorRow]:
    """``size`` sector records drawn from ``people`` (each person at most once)."""
    rates = rates or Rates()
    rng = random.Random(seed)
    chosen = rng.sample(list(people), min(size, len(people)))
    rows = []
    for index, drawn in enumerate(chosen):
        applied: list[str] = []
        person = drawn
        truth: str | None = drawn.personal_id
        if rng.random() < rates.not_in_registry:
            person, truth = _stranger(drawn, rng, index), None
            applied.append("not_in_registry")
        name = nfc(person.full_name)
        if rng.random() < rates.no_diacritics:
            name = fold(name).title()
            applied.append("no_diacritics")
        if rng.random() < rates.typo:
            name = _typo(name, rng)
            applied.append("typo")
        if rng.random() < rates.given_name_first:
            name = _given_first(name)
            applied.append("given_name_first")
        swap = rng.random() < rates.day_month_swapped
        year_only = rng.random() < rates.year_only
        if swap:
            applied.append("day_month_swapped")
        if year_only:
            applied.append("year_only")
        old = rng.random() < rates.old_district
        district = rng.choice(OLD_DISTRICTS) if old else ""
        if old:
            applied.append("old_district")
        address = ", ".join(p for p in (person.commune_name or "", district, "Cao Bằng") if p)
        has_pid = truth is not None and rng.random() < rates.has_personal_id
        has_old = person.old_id_number is not None and rng.random() < rates.has_old_id
        rows.append(
            SectorRow(
                record_key=f"BHXH{index + 1:08d}",
                full_name=name,
                date_of_birth=_birth_text(person, swap, year_only),
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
