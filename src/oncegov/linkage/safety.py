"""Safe auto-links: what a model link needs beyond a high probability.

The model weighs the fields of a pair; it cannot know that two people share a name and a birth
date when only one of them is in the registry, nor that the registry person has a twin. Those
are the costly errors of linkage (the wrong person's ID attached to a pension), so an auto-link
by the model must also pass these checks, by construction rather than by weight:

1. **Personal ID.** A record carrying a personal ID that is not the model's candidate's (nor
   one keying error away from it) is evidence of another person: an officer decides.
2. **Twins and fuzzy given names.** Household-level facts — the commune, the phone — are shared
   by siblings. When the record's given name differs from the candidate's (a letter or two, or
   only in its diacritics where both are written with them) and is itself a name people bear,
   only a person-level identifier (the old ID, the personal ID) can tell a typo from a sibling;
   a word nobody in the registry bears as a given name, one keying error from the candidate's,
   is a typo, not a sibling's name. A candidate with a household member born the same day (a
   twin) never auto-links on a differing given name.
3. **Namesakes.** Name and birth date alone are not enough: the link also needs an identifier
   (old ID, phone) or agreement on place (the commune), unless the name and birth date are rare
   enough in the whole population that no one else is expected to share them *and* the record
   does not name another commune than the candidate's (that is evidence of another person).

A record stopped by a check goes to clerical review with the check's name as the reason.

The "not in this registry" prior is estimated per extract from the records whose personal ID
proves it: a well-formed ID the registry does not hold.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from oncegov.kit.text import fold, keying_distance
from oncegov.kit.vn_normalise import OPTIONAL_MIDDLE_NAMES, spelling_key
from oncegov.linkage.extract import SectorRecord
from oncegov.linkage.features import CommuneIndex, name_features, normalise_phone
from oncegov.linkage.rules import RegistryPerson, births_agree

# Reasons of a held auto-link (linkage_results.reason; labelled in service.REASONS).
PERSONAL_ID_DIFFERS = "personal_id_differs"
TWIN = "twin"
GIVEN_NAME_DIFFERS = "given_name_differs"
NAMESAKE = "namesake"
HOLD_REASONS = (PERSONAL_ID_DIFFERS, TWIN, GIVEN_NAME_DIFFERS, NAMESAKE)


@dataclass(frozen=True, slots=True)
class SafetySettings:
    """The ``safety`` block of a source's settings."""

    population_size: int
    max_expected_namesakes: float
    absent_prior_share: float
    absent_prior_weight: float

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> SafetySettings:
        block = spec.get("safety", {})
        prior = spec.get("prior", {})
        return cls(
            population_size=int(block.get("population_size", 100_000_000)),
            max_expected_namesakes=float(block.get("max_expected_namesakes", 0.01)),
            absent_prior_share=1.0 - float(prior.get("match_rate", 0.97)),
            absent_prior_weight=float(block.get("absent_prior_weight", 20)),
        )


# --- what the registry says ---------------------------------------------------------------------

DateKey = tuple[int, int | None, int | None]


@dataclass(frozen=True)
class Population:
    """Counts over the registry that the checks need: how often each name key and each birth
    date (or year-month, or year) occurs, and who has a twin."""

    size: int
    names: Mapping[str, int]  # name key → people
    given_names: Mapping[str, int]  # given name, keyed and as written (lower case) → people
    dates: Mapping[DateKey, int]  # (year, month, day), (year, month, None), (year, None, None)
    twins: frozenset[str]  # personal IDs with a household member born the same day


def _date_keys(year: int, month: int | None, day: int | None) -> list[DateKey]:
    keys: list[DateKey] = [(year, None, None)]
    if month is not None:
        keys.append((year, month, None))
        if day is not None:
            keys.append((year, month, day))
    return keys


def population(people: Iterable[RegistryPerson]) -> Population:
    names: Counter[str] = Counter()
    given_names: Counter[str] = Counter()
    dates: Counter[DateKey] = Counter()
    born_in: dict[tuple[str, int, int, int], list[str]] = {}
    size = 0
    for person in people:
        size += 1
        key = name_features(person.full_name).key
        if key:
            names[key] += 1
            given_key, given_written, _ = _given(person.full_name)
            given_names.update(n for n in {given_key, given_written} if n is not None)
        dates.update(_date_keys(person.birth_year, person.birth_month, person.birth_day))
        if person.household_code and person.birth_month and person.birth_day:
            born = (person.household_code, person.birth_year, person.birth_month, person.birth_day)
            born_in.setdefault(born, []).append(person.personal_id)
    twins = frozenset(pid for members in born_in.values() if len(members) > 1 for pid in members)
    return Population(size=size, names=names, given_names=given_names, dates=dates, twins=twins)


def absent_share(
    records: Sequence[SectorRecord], known: Container[str], settings: SafetySettings
) -> tuple[float, int, int]:
    """The share of this extract's people who are not in the registry, estimated from the
    records with a well-formed personal ID: (estimate, such records, of them not held).

    A Beta prior centred on the settings' share, worth ``absent_prior_weight`` records, keeps a
    small extract from swinging it (assumption: the weight is a judgement, not a measured
    figure). A mistyped ID counts as absent, so the share leans high: the safe side."""
    with_id = [r.personal_id for r in records if r.personal_id]
    absent = sum(1 for pid in with_id if pid not in known)
    weight = settings.absent_prior_weight
    estimate = (absent + weight * settings.absent_prior_share) / (len(with_id) + weight)
    return estimate, len(with_id), absent


# --- the checks ---------------------------------------------------------------------------------


def _given(full_name: str) -> tuple[str | None, str | None, bool]:
    """(given-name key, given name as written in lower case, written with diacritics)."""
    features = name_features(full_name)
    if not features.exact:
        return None, None, False
    written = features.exact.split()
    # The written given name sits where canonical order put it: last, unless the name was
    # written given-name first; the key's last token is the reliable one.
    given_written = next(
        (w for w in reversed(written) if name_features(w).key == features.given), written[-1]
    )
    return features.given, given_written, features.exact != features.folded


def one_typo_apart(written: str, held: str) -> bool:
    """The same ID number, or one keying error away from it: one digit changed, or two
    neighbours swapped. By chance a 12-digit number lands this close to a given one with a
    probability of about 1.2e-10 (108 neighbours of 10^12): as good as the number itself."""
    if written == held:
        return True
    if len(written) != len(held):
        return False
    differ = [i for i, (a, b) in enumerate(zip(written, held, strict=True)) if a != b]
    if len(differ) == 1:
        return True
    return (
        len(differ) == 2
        and differ[1] == differ[0] + 1
        and written[differ[0]] == held[differ[1]]
        and written[differ[1]] == held[differ[0]]
    )


def _tokens(full_name: str) -> tuple[list[tuple[str, str]], bool]:
    """(spelling key, word as written in lower case) of each word, and whether the name is
    written with diacritics."""
    features = name_features(full_name)
    if not features.exact:
        return [], False
    words = features.exact.split()
    return [(spelling_key(fold(w)), w) for w in words], features.exact != features.folded


def differing_names(record_name: str, registry_name: str) -> tuple[list[tuple[str, str]], bool]:
    """The record's words that are not the registry person's, in any order — by their keys,
    or by their marks where both names are written with them (``Hùng``/``Hưng``); a dropped
    or added Thị/Văn is no difference. Also whether the registry name has a word the record
    lacks (a given name left out)."""
    record, record_marked = _tokens(record_name)
    person, person_marked = _tokens(registry_name)
    left: dict[str, list[str]] = {}
    for key, written in person:
        left.setdefault(key, []).append(written)
    differing: list[tuple[str, str]] = []
    unmatched = 0  # record words with no registry word of their key
    for key, written in record:
        if left.get(key):
            theirs = left[key].pop(0)
            if record_marked and person_marked and written != theirs:
                differing.append((key, written))
        elif key not in OPTIONAL_MIDDLE_NAMES:
            differing.append((key, written))
            unmatched += 1
    lacking = sum(len(words) for k, words in left.items() if k not in OPTIONAL_MIDDLE_NAMES)
    return differing, lacking > unmatched


def one_keying_error(record_name: str, registry_name: str) -> bool:
    """Each word of the record that the registry name lacks is one keying error from a word
    the registry name has and the record lacks: a typo, not another name."""
    record = [k for k, _ in _tokens(record_name)[0]]
    person = [k for k, _ in _tokens(registry_name)[0]]
    extra = [k for k in record if k not in person and k not in OPTIONAL_MIDDLE_NAMES]
    lacking = [k for k in person if k not in record and k not in OPTIONAL_MIDDLE_NAMES]
    return bool(lacking) and all(
        min(keying_distance(word, other) for other in lacking) <= 1 for word in extra
    )


@dataclass(frozen=True)
class Checker:
    """The checks of one run: the registry's people and counts, and the extract's communes."""

    people: Mapping[str, RegistryPerson]
    counts: Population
    communes: CommuneIndex
    settings: SafetySettings

    def expected_namesakes(self, record: SectorRecord, person: RegistryPerson) -> float:
        """How many *other* people in the whole population are expected to share the
        candidate's name key and the birth date as far as the record gives it (independence
        of name and date assumed; frequencies from this registry stand for the country's)."""
        if record.birth_year is None:
            return float("inf")
        key = name_features(person.full_name).key
        size = max(self.counts.size, 1)
        name_share = max(self.counts.names.get(key or "", 0), 1) / size
        date = _date_keys(record.birth_year, record.birth_month, record.birth_day)[-1]
        date_share = max(self.counts.dates.get(date, 0), 1) / size
        return (self.settings.population_size - 1) * name_share * date_share

    def hold(self, record: SectorRecord, personal_id: str) -> str | None:
        """Why the model's auto-link of ``record`` to ``personal_id`` must wait for an
        officer, or None when it is safe."""
        person = self.people.get(personal_id)
        if person is None:
            return None
        if record.personal_id and not one_typo_apart(record.personal_id, personal_id):
            return PERSONAL_ID_DIFFERS
        same_old_id = bool(record.old_id_number) and record.old_id_number == person.old_id_number
        # The candidate's own personal ID on a record whose name the rule found to differ is
        # the evidence in dispute (a relative's ID is written so), not support for the name:
        # only the old ID, or a personal ID one keying error off, tells a typo from a sibling.
        typo_id = bool(record.personal_id) and record.personal_id != personal_id
        same_id = bool(record.personal_id) or same_old_id
        differing, missing = differing_names(record.full_name, person.full_name)
        if differing or missing:
            if personal_id in self.counts.twins:
                return TWIN
            if not (same_old_id or typo_id) and (
                missing
                or self.bears_a_name(record.full_name, differing)
                or not one_keying_error(record.full_name, person.full_name)
            ):
                return GIVEN_NAME_DIFFERS
        place = self._place(record)
        # Agreement on place: the record names a commune the person is registered in (where
        # they live now, or their permanent or temporary residence).
        residences = {person.commune_code, *person.other_communes} - {None}
        if same_id or self._same_phone(record, person) or place in residences:
            return None
        # Rarity stands in for corroboration only when nothing contradicts it: a record naming
        # another commune is evidence of another person, whatever the name's frequency.
        elsewhere = place is not None and bool(residences)
        rare = self.expected_namesakes(record, person) <= self.settings.max_expected_namesakes
        return None if rare and not elsewhere else NAMESAKE

    def bears_a_name(self, full_name: str, differing: Sequence[tuple[str, str]]) -> bool:
        """One of the record's differing words is a given name someone in the registry bears
        (as written, marks included, when the record has them): it may be a sibling's name.
        A word nobody bears is a keying error, which household facts may then confirm."""
        _, marked = _tokens(full_name)
        return any(
            self.counts.given_names.get(written if marked else key, 0) >= 1
            for key, written in differing
        )

    def mistyped_name(self, record: SectorRecord, personal_id: str) -> bool:
        """The record carries this person's ID and birth date, and its name is theirs with
        one keying error in one word, a word no one bears as a given name (so not a
        sibling's), and the person has no twin: the ID, the date and a near-identical name
        agree, which the rules may link."""
        person = self.people.get(personal_id)
        if person is None or personal_id in self.counts.twins:
            return False
        if not births_agree(record, person):
            return False
        differing, missing = differing_names(record.full_name, person.full_name)
        if missing or len(differing) != 1 or self.bears_a_name(record.full_name, differing):
            return False
        return one_keying_error(record.full_name, person.full_name)

    def namesakes(self, record: SectorRecord, personal_ids: Sequence[str]) -> bool:
        """Two or more of the candidates share a name key and birth date: not an ambiguous
        score but two people."""
        seen: set[tuple[str | None, int, int | None, int | None]] = set()
        for pid in personal_ids:
            person = self.people.get(pid)
            if person is None:
                continue
            key = (
                name_features(person.full_name).key,
                person.birth_year,
                person.birth_month,
                person.birth_day,
            )
            if key in seen:
                return True
            seen.add(key)
        return False

    @staticmethod
    def _same_phone(record: SectorRecord, person: RegistryPerson) -> bool:
        phone = normalise_phone(record.phone)
        return phone is not None and phone == normalise_phone(person.phone)

    def _place(self, record: SectorRecord) -> str | None:
        """The commune the record's address names, if one."""
        return self.communes.of(record.address)


def checker(
    people: Sequence[RegistryPerson], communes: CommuneIndex, spec: Mapping[str, Any]
) -> Checker:
    """The checks of a run over these registry people, with the settings' ``safety`` block."""
    return Checker(
        {p.personal_id: p for p in people},
        population(people),
        communes,
        SafetySettings.from_spec(spec),
    )
