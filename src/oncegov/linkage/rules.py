"""The deterministic rules of linkage, tried before the probabilistic model.

1. The record carries a personal ID that the registry holds, and the registry's name and birth
   date agree with the record's: link it.
2. Otherwise the record carries an old 9-digit ID held by exactly one registry person, and
   name and birth date agree likewise: link it.

An ID that is found but disagrees on name or birth date is never linked by these rules alone:
a wrong link pays a pension to the wrong person. (``matching`` links one whose name is the
holder's with a single keying error, when the run's safety checks, which know the registry's
given names and twins, say that error makes no other person's name.) Otherwise it goes to
clerical review with the reason. Agreement is deliberately forgiving of how sector data is
written (no diacritics, another name order, a common spelling variant, a dropped or added
Thị/Văn; day and month swapped, a year-only date, a year one off with day and month equal)
and strict on everything else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from oncegov.kit.text import fold
from oncegov.kit.vn_normalise import (
    OPTIONAL_MIDDLE_NAMES,
    canonical_order,
    name_core,
    name_order_variants,
    spelling_key,
)
from oncegov.linkage.extract import SectorRecord

PERSONAL_ID = "deterministic_personal_id"
OLD_ID = "deterministic_old_id"


@dataclass(frozen=True, slots=True)
class RegistryPerson:
    """What linkage compares of a registry citizen."""

    personal_id: str
    full_name: str
    birth_year: int
    birth_month: int | None
    birth_day: int | None
    sex: str
    old_id_number: str | None = None
    commune_code: str | None = None
    phone: str | None = None
    household_code: str | None = None  # shared by household members: twins are found by it
    # Registered residences other than ``commune_code`` (permanent, temporary): an address
    # naming one of them agrees on place.
    other_communes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    """``personal_id`` is set for a link; ``review`` names why a found ID was not linked."""

    method: str  # PERSONAL_ID | OLD_ID
    personal_id: str | None
    review: str | None = None  # name_differs | birth_differs | old_id_shared
    holders: tuple[str, ...] = ()  # the registry holders of the ID found (review candidates)


def _name_keys(name: str) -> set[str]:
    variants = {canonical_order(name), *name_order_variants(name)}
    return {spelling_key(v) for v in variants if v}


def _gendered_middle(tokens: list[str]) -> set[str]:
    return {t for t in tokens[1:-1] if t in OPTIONAL_MIDDLE_NAMES}


def _same_but_gendered_middle(sector_name: str, registry_name: str) -> bool:
    """Equal once a dropped or added Thị/Văn is put aside; never Thị for Văn (a sister for a
    brother)."""
    sector = spelling_key(canonical_order(sector_name)).split()
    registry = spelling_key(canonical_order(registry_name)).split()
    if len(sector) < 2 or len(registry) < 2:
        return False
    sector_middle, registry_middle = _gendered_middle(sector), _gendered_middle(registry)
    nested = sector_middle <= registry_middle or registry_middle <= sector_middle
    return name_core(sector) == name_core(registry) and nested


def names_agree(sector_name: str, registry_name: str) -> bool:
    """Same person's name as sector data writes it: folded, in any order the kit recognises,
    with the conservative spelling variants, with or without a Thị/Văn middle name; the token
    multiset must match otherwise."""
    if not sector_name.strip():
        return False
    if _name_keys(sector_name) & _name_keys(registry_name):
        return True
    if _same_but_gendered_middle(sector_name, registry_name):
        return True
    return sorted(spelling_key(fold(sector_name)).split()) == sorted(
        spelling_key(fold(registry_name)).split()
    )


def _year_keyed_wrong(record: SectorRecord, person: RegistryPerson) -> bool:
    """The year one off and day and month both known and equal: a keying error in the year,
    accepted only beside an ID and an agreeing name."""
    return (
        record.birth_year is not None
        and abs(record.birth_year - person.birth_year) == 1
        and record.birth_month is not None
        and record.birth_day is not None
        and (record.birth_month, record.birth_day) == (person.birth_month, person.birth_day)
    )


def births_agree(record: SectorRecord, person: RegistryPerson) -> bool:
    """Same year (or one off, with day and month equal); month and day equal where both are
    known, or day and month swapped."""
    if _year_keyed_wrong(record, person):
        return True
    if record.birth_year is None or record.birth_year != person.birth_year:
        return False
    pairs = [(record.birth_month, record.birth_day), (record.birth_day, record.birth_month)]
    for month, day in pairs:
        if month is not None and person.birth_month is not None and month != person.birth_month:
            continue
        if day is not None and person.birth_day is not None and day != person.birth_day:
            continue
        return True
    return False


def _validated(record: SectorRecord, person: RegistryPerson, method: str) -> RuleOutcome:
    holders = (person.personal_id,)
    if not names_agree(record.full_name, person.full_name):
        return RuleOutcome(method, None, review="name_differs", holders=holders)
    if not births_agree(record, person):
        return RuleOutcome(method, None, review="birth_differs", holders=holders)
    return RuleOutcome(method, person.personal_id, holders=holders)


def apply_rules(
    record: SectorRecord,
    by_personal_id: Mapping[str, RegistryPerson],
    by_old_id: Mapping[str, Sequence[RegistryPerson]],
) -> RuleOutcome | None:
    """The rule that decides this record, or None (left to the model)."""
    if record.personal_id and record.personal_id in by_personal_id:
        return _validated(record, by_personal_id[record.personal_id], PERSONAL_ID)
    if record.old_id_number and record.old_id_number in by_old_id:
        holders = by_old_id[record.old_id_number]
        if len(holders) > 1:
            shared = tuple(p.personal_id for p in holders)
            return RuleOutcome(OLD_ID, None, review="old_id_shared", holders=shared)
        return _validated(record, holders[0], OLD_ID)
    return None
