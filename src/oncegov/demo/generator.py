"""Deterministic synthetic population of a province: households, citizens, a few faults.

Pure Python, no database: ``generate(province, scale=…, seed=…)`` returns plain tuples in the
column order of ``CITIZEN_FIELDS`` and ``HOUSEHOLD_FIELDS``, ready for a bulk insert. One
``random.Random(seed)`` drives everything in a fixed order, so the same seed and scale always
give the same rows (``Population.digest`` proves it).

The model, household by household (the age pyramid emerges from it):
- a household's ethnicity is drawn from its commune's table (profiles.py); Mông, Dao and Lô Lô
  households are larger (more children, more multi-generation homes);
- kinds: couple with children; with the head's parents; an older couple with a married son (or
  daughter), the child-in-law and grandchildren; grandparents raising grandchildren; elderly
  alone; a young single; a single parent;
- children are born to mothers from 17–18 on, at group-typical spacing, and leave home in their
  twenties (daughters earlier, on marriage);
- people who died since the registry went live (mid-2021) stay on record as ``deceased``:
  parents of heads, spouses of widowed heads; they belong to no household and live nowhere;
- a few percent are temporary residents from other provinces (their birth-province code in the
  personal ID, permanent address there, temporary and current address here);
- a handful of deliberate data-quality faults (``FAULT_KINDS``) for the quality checks to find.

Personal ID numbers use ``kit.personal_id.prefix_for`` and a per-prefix sequence that advances
by a random step, so they are unique, consistent with birth year and sex, and look random.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from oncegov.demo import names, profiles
from oncegov.demo.names import Name, NamingStyle, style_for
from oncegov.demo.profiles import (
    CHILD_COUNTS,
    DEFAULT_RELIGIONS,
    FIRST_BIRTH,
    HEAD_AGES,
    HOUSEHOLD_KINDS,
    INTERMARRIAGE,
    RELIGIONS,
    SPACING,
    CommuneInfo,
    CommunePlan,
    ProvinceInfo,
    weighted,
)
from oncegov.demo.rows import (
    BIRTH_COMMUNE,
    BIRTH_DAY,
    BIRTH_MONTH,
    BIRTH_YEAR,
    CITIZEN_FIELDS,
    CURRENT_ADDRESS,
    CURRENT_COMMUNE,
    DATE_OF_DEATH,
    EMAIL,
    ETHNICITY,
    FATHER,
    FOLDED,
    FULL_NAME,
    HH_CODE,
    HH_HEAD,
    HOMETOWN,
    HOUSEHOLD,
    KEY,
    MOTHER,
    NATIONALITY,
    OLD_ID,
    PERMANENT_ADDRESS,
    PERMANENT_COMMUNE,
    PHONE,
    PID,
    RELATIONSHIP,
    RELIGION,
    SEX,
    SPOUSE,
    STATUS,
    TEMPORARY_ADDRESS,
    TEMPORARY_COMMUNE,
)
from oncegov.kit import personal_id as pid

DEFAULT_SEED = 20250701
FAULT_KINDS = ("deceased_head", "household_without_head", "probable_duplicate")
# Deliberate faults at full scale; fewer in a small population (at most one in 50 households).
FAULT_COUNTS = {"deceased_head": 6, "household_without_head": 6, "probable_duplicate": 12}

ProgressCallback = Callable[[int, int], None]  # (people generated, people planned)
_BLANK_ROW: list[Any] = [None] * len(CITIZEN_FIELDS)
_BLANK_ROW[NATIONALITY] = "VN"
_BLANK_ROW[STATUS] = "living"


def _blank_row() -> list[Any]:
    """A citizen row with every field empty but nationality and status."""
    return _BLANK_ROW.copy()


@dataclass
class Population:
    """Generated rows plus what the generator knows about them (for tests and reports)."""

    province_code: str
    seed: int
    scale: float
    households: list[tuple[Any, ...]] = field(default_factory=list)
    citizens: list[tuple[Any, ...]] = field(default_factory=list)
    faults: dict[str, list[str]] = field(default_factory=dict)

    def digest(self) -> str:
        """SHA-256 over every row: equal digests mean identical populations."""
        sha = hashlib.sha256()
        for rows in (self.households, self.citizens):
            for row in rows:
                sha.update(repr(row).encode())
        sha.update(repr(sorted(self.faults.items())).encode())
        return sha.hexdigest()


class _Home:
    """The household being built: where it is and what its members share."""

    __slots__ = ("address", "code", "commune", "commune_index", "religion")

    def __init__(
        self, code: str | None, commune: str, commune_index: int, address: str, religion: str
    ) -> None:
        self.code = code
        self.commune = commune
        self.commune_index = commune_index
        self.address = address
        self.religion = religion


class _Generator:
    def __init__(
        self, province: ProvinceInfo, scale: float, seed: int, source_names: dict[str, str]
    ) -> None:
        self.province = province
        self.source_names = source_names
        self.scale = scale
        self.rng = random.Random(seed)
        self.random = self.rng.random
        self.birth_code = province.code.zfill(3)
        self.reference = profiles.REFERENCE_DATE.toordinal()
        self.reference_year = profiles.REFERENCE_DATE.year
        self.deaths_since = profiles.DEATHS_RECORDED_SINCE.toordinal()
        self.hometowns = [f"{c.name}, {province.name}" for c in province.communes]
        self.old_id_prefix = profiles.OLD_ID_PREFIX.get(province.code, "0" + province.code[-1])
        # Sequences advance by a random step; a smaller step beyond full scale keeps them in
        # six digits (the busiest prefix holds ~6,000 people per 550,000).
        self.id_step = max(1, min(60, int(60 / scale))) if scale > 1 else 60
        self.id_last: dict[str, int] = {}
        self.id_prefix: dict[tuple[str, str, int], str] = {}
        self.old_id_last = self.rng.randrange(100_000, 400_000)
        self.citizens: list[list[Any]] = []
        self.households: list[list[Any]] = []
        self.commune_localities: dict[int, list[str]] = {}
        self.deceased_count = 0

    # --- numbers ---------------------------------------------------------------------------

    def new_personal_id(self, birth_code: str, sex: str, year: int) -> str:
        key = (birth_code, sex, year)
        prefix = self.id_prefix.get(key)
        if prefix is None:
            prefix = pid.prefix_for(birth_code, sex, year)  # type: ignore[arg-type]
            self.id_prefix[key] = prefix
            self.id_last[prefix] = self.rng.randrange(0, 40_000)
        sequence = self.id_last[prefix] + 1 + int(self.random() * self.id_step)
        if sequence > 999_999:
            raise RuntimeError(f"personal ID sequences exhausted for prefix {prefix}")
        self.id_last[prefix] = sequence
        return f"{prefix}{sequence:06d}"

    def new_old_id(self, prefix: str) -> str:
        self.old_id_last += 1 + int(self.random() * 12)
        return f"{prefix}{self.old_id_last:07d}"

    def phone(self) -> str:
        r = self.random
        prefixes = names.PHONE_PREFIXES
        return f"{prefixes[int(r() * len(prefixes))]}{int(r() * 10_000_000):07d}"

    # --- people ----------------------------------------------------------------------------

    def birth(self, age: int) -> tuple[int, int | None, int | None, int]:
        """A birth date ``age`` full years before the reference date; old records sometimes
        know only the year, or the year and month. Returns (year, month, day, ordinal)."""
        ordinal = self.reference - int((age + self.random()) * 365.2425)
        date = dt.date.fromordinal(ordinal)
        year = date.year
        if year < 1975:
            roll = self.random()
            if year < 1960:
                if roll < 0.12:
                    return year, None, None, ordinal
                if roll < 0.18:
                    return year, date.month, None, ordinal
            elif roll < 0.03:
                return year, None, None, ordinal
        return year, date.month, date.day, ordinal

    def name(self, style: NamingStyle, sex: str, year: int, family: Name) -> tuple[str, str, str]:
        r = self.random
        if year >= 2000 and r() < style.modern_share:
            middles = style.modern_middle_male if sex == "M" else style.modern_middle_female
            givens = style.modern_given_male if sex == "M" else style.modern_given_female
        else:
            middles = style.middle_male if sex == "M" else style.middle_female
            givens = style.given_male if sex == "M" else style.given_female
        middle = middles[int(r() * len(middles))]
        given = givens[int(r() * len(givens))]
        folded = (family[1], middle[1], given[1])
        return (
            f"{family[0]} {middle[0]} {given[0]}",
            " ".join(folded),
            " ".join(sorted(folded)),
        )

    def family_name(self, eth: str) -> Name:
        families = style_for(eth).families
        return families[int(self.random() * len(families))]

    def person(
        self,
        home: _Home,
        sex: str,
        age: int,
        eth: str,
        family: Name,
        relationship: str | None,
        *,
        local_birth: float = 0.75,
    ) -> list[Any]:
        """A living member of ``home``; ``local_birth`` = chance the birth was registered in
        the household's own commune (else elsewhere in the province)."""
        r = self.random
        year, month, day, _ = self.birth(age)
        full, folded, key = self.name(style_for(eth), sex, year, family)
        if r() < local_birth:
            birth_index = home.commune_index
        else:
            birth_index = int(r() * len(self.province.communes))
        old_id = None
        phone = None
        email = None
        if age >= 18:
            if year <= 2002 and r() < 0.65:
                old_id = self.new_old_id(self.old_id_prefix)
            if r() < (0.88 if age < 60 else 0.55 if age < 75 else 0.25):
                phone = self.phone()
            if age <= 40 and r() < 0.08:
                email = f"{folded.replace(' ', '')}{year % 100:02d}@gmail.com"
        row = _blank_row()
        row[PID] = self.new_personal_id(self.birth_code, sex, year)
        row[OLD_ID] = old_id
        row[FULL_NAME], row[FOLDED], row[KEY] = full, folded, key
        row[BIRTH_YEAR], row[BIRTH_MONTH], row[BIRTH_DAY] = year, month, day
        row[SEX], row[ETHNICITY], row[RELIGION] = sex, eth, home.religion
        row[BIRTH_COMMUNE] = self.province.communes[birth_index].code
        row[HOMETOWN] = self.hometowns[birth_index]
        row[PERMANENT_COMMUNE] = row[CURRENT_COMMUNE] = home.commune
        row[PERMANENT_ADDRESS] = row[CURRENT_ADDRESS] = home.address
        row[HOUSEHOLD], row[RELATIONSHIP] = home.code, relationship
        row[PHONE], row[EMAIL] = phone, email
        self.citizens.append(row)
        return row

    def deceased(self, home: _Home, sex: str, age: int, eth: str, family: Name) -> list[Any] | None:
        """Someone of ``home`` who died since the registry went live, aged ``age`` today had they
        lived; None when they would have died before it (and so never be on record)."""
        r = self.random
        year, month, day, born = self.birth(age)
        earliest = max(self.deaths_since, born + 365 * 45)
        latest = min(self.reference - 1, born + int(101 * 365.25))
        if earliest > latest:
            return None
        death = dt.date.fromordinal(earliest + int(r() * (latest - earliest + 1)))
        full, folded, key = self.name(style_for(eth), sex, year, family)
        old_id = self.new_old_id(self.old_id_prefix) if r() < 0.7 else None
        # No household, no current residence: only the last permanent one.
        row = _blank_row()
        row[PID] = self.new_personal_id(self.birth_code, sex, year)
        row[OLD_ID] = old_id
        row[FULL_NAME], row[FOLDED], row[KEY] = full, folded, key
        row[BIRTH_YEAR], row[BIRTH_MONTH], row[BIRTH_DAY] = year, month, day
        row[SEX], row[ETHNICITY], row[RELIGION] = sex, eth, home.religion
        row[BIRTH_COMMUNE] = row[PERMANENT_COMMUNE] = home.commune
        row[HOMETOWN] = self.hometowns[home.commune_index]
        row[PERMANENT_ADDRESS] = home.address
        row[STATUS], row[DATE_OF_DEATH] = "deceased", death
        self.citizens.append(row)
        self.deceased_count += 1
        return row

    # --- relationships ---------------------------------------------------------------------

    @staticmethod
    def marry(a: list[Any], b: list[Any]) -> None:
        a[SPOUSE] = b[PID]
        b[SPOUSE] = a[PID]

    @staticmethod
    def parents(child: list[Any], father: list[Any] | None, mother: list[Any] | None) -> None:
        if father is not None:
            child[FATHER] = father[PID]
            child[HOMETOWN] = father[HOMETOWN]  # quê quán follows the father
        if mother is not None:
            child[MOTHER] = mother[PID]
            if father is None:
                child[HOMETOWN] = mother[HOMETOWN]

    def spouse_ethnicity(self, eth: str, big: bool) -> str:
        if self.random() < (0.03 if big else 0.12):
            return INTERMARRIAGE[int(self.random() * len(INTERMARRIAGE))]
        return eth

    def child_ethnicity(self, father_eth: str, mother_eth: str) -> str:
        return father_eth if self.random() < 0.85 else mother_eth

    def children_ages(self, mother_age: int, big: bool) -> list[tuple[int, str]]:
        """Ages and sexes of the children still living with their mother."""
        r = self.random
        counts = CHILD_COUNTS[big]
        wanted = counts[int(r() * len(counts))]
        first, span = FIRST_BIRTH[big]
        gap, gap_span = SPACING[big]
        age = mother_age - first - int(r() * span)
        result: list[tuple[int, str]] = []
        for _ in range(wanted):
            if age < 0:
                break
            sex = "M" if r() < 0.51 else "F"
            leaves_at = 19 + int(r() * 10) if sex == "M" else 18 + int(r() * 8)
            if age < leaves_at:
                result.append((age, sex))
            age -= gap + int(r() * gap_span)
        return result

    def add_children(
        self,
        home: _Home,
        father: list[Any] | None,
        mother: list[Any] | None,
        mother_age: int,
        relationship: str,
        big: bool,
        family: Name,
    ) -> None:
        father_eth = father[ETHNICITY] if father else (mother[ETHNICITY] if mother else "02")
        mother_eth = mother[ETHNICITY] if mother else father_eth
        for age, sex in self.children_ages(mother_age, big):
            eth = self.child_ethnicity(father_eth, mother_eth)
            child = self.person(home, sex, age, eth, family, relationship, local_birth=0.92)
            self.parents(child, father, mother)

    def couple(
        self, home: _Home, head_age: int, eth: str, big: bool, *, male_head: float = 0.85
    ) -> tuple[list[Any], list[Any], list[Any], int]:
        """Head and spouse; returns (head, husband, wife, wife's age)."""
        r = self.random
        if r() < male_head:
            husband_age = head_age
            wife_age = max(16, head_age - int(r() * 7) + 1)
            head = husband = self.person(home, "M", husband_age, eth, self.family_name(eth), "head")
            wife_eth = self.spouse_ethnicity(eth, big)
            wife = self.person(
                home, "F", wife_age, wife_eth, self.family_name(wife_eth), "spouse", local_birth=0.5
            )
        else:
            wife_age = head_age
            husband_age = head_age + int(r() * 6)
            head = wife = self.person(home, "F", wife_age, eth, self.family_name(eth), "head")
            husband_eth = self.spouse_ethnicity(eth, big)
            husband = self.person(
                home,
                "M",
                husband_age,
                husband_eth,
                self.family_name(husband_eth),
                "spouse",
                local_birth=0.5,
            )
        self.marry(husband, wife)
        return head, husband, wife, wife_age

    def deceased_parents(self, home: _Home, head: list[Any], head_age: int, chance: float) -> None:
        """Parents of the head who died in the last few years (linked from the head)."""
        r = self.random
        eth = head[ETHNICITY]
        if r() < chance:
            father_age = head_age + 22 + int(r() * 12)
            father = self.deceased(home, "M", father_age, eth, self.family_of(head))
            if father is not None:
                head[FATHER] = father[PID]
        if r() < chance * 0.7:
            mother_age = head_age + 19 + int(r() * 12)
            mother = self.deceased(home, "F", mother_age, eth, self.family_name(eth))
            if mother is not None:
                head[MOTHER] = mother[PID]

    def family_of(self, row: list[Any]) -> Name:
        """The family name of ``row`` (its first word) with its folded form."""
        return row[FULL_NAME].split(" ", 1)[0], row[FOLDED].split(" ", 1)[0]

    # --- households ------------------------------------------------------------------------

    def nuclear(self, home: _Home, eth: str, big: bool) -> list[Any]:
        r = self.random
        ages = HEAD_AGES[("nuclear", big)]
        head_age = ages[int(r() * len(ages))]
        head, husband, wife, wife_age = self.couple(home, head_age, eth, big)
        self.add_children(home, husband, wife, wife_age, "child", big, self.family_of(husband))
        if r() < 0.03:
            sibling_age = max(16, head_age + int(r() * 17) - 8)
            sex = "M" if r() < 0.5 else "F"
            sibling = self.person(home, sex, sibling_age, eth, self.family_of(head), "sibling")
            sibling[HOMETOWN] = head[HOMETOWN]
        if head_age >= 40:
            self.deceased_parents(home, head, head_age, 0.08 if head_age >= 50 else 0.04)
        return head

    def extended(self, home: _Home, eth: str, big: bool) -> list[Any]:
        r = self.random
        ages = HEAD_AGES["extended"]
        head_age = ages[int(r() * len(ages))]
        head, husband, wife, wife_age = self.couple(home, head_age, eth, big, male_head=0.95)
        self.add_children(home, husband, wife, wife_age, "child", big, self.family_of(husband))
        father_age = head_age + 22 + int(r() * 12)
        mother_age = father_age - int(r() * 6)
        both = r() < 0.4
        father_lives = both or r() < 0.35
        mother_lives = both or not father_lives
        father = mother = None
        if father_lives:
            father = self.person(home, "M", father_age, eth, self.family_of(head), "parent")
        elif r() < 0.35:
            father = self.deceased(home, "M", father_age, eth, self.family_of(head))
        if mother_lives:
            mother = self.person(home, "F", mother_age, eth, self.family_name(eth), "parent")
        elif r() < 0.35:
            mother = self.deceased(home, "F", mother_age, eth, self.family_name(eth))
        if father is not None and mother is not None:
            self.marry(father, mother)
        self.parents(head, father, mother)
        return head

    def stem(self, home: _Home, eth: str, big: bool) -> list[Any]:
        """Older couple, a married child with their spouse and children, maybe younger
        unmarried children."""
        r = self.random
        ages = HEAD_AGES["stem"]
        head_age = ages[int(r() * len(ages))]
        husband: list[Any] | None
        wife: list[Any] | None
        if r() < 0.8 or head_age < 65:
            head, husband, wife, wife_age = self.couple(home, head_age, eth, big, male_head=0.9)
        else:  # widowed head
            sex = "F" if r() < 0.65 else "M"
            head = self.person(home, sex, head_age, eth, self.family_name(eth), "head")
            husband = head if sex == "M" else None
            wife = head if sex == "F" else None
            wife_age = head_age
            if r() < 0.4:
                partner = self.deceased(
                    home, "M" if sex == "F" else "F", head_age, eth, self.family_name(eth)
                )
                if partner is not None:
                    self.marry(head, partner)
        family = self.family_of(husband) if husband is not None else self.family_name(eth)
        son = r() < 0.85
        child_age = max(20, wife_age - 20 - int(r() * 14))
        child = self.person(
            home, "M" if son else "F", child_age, eth, family, "child", local_birth=0.9
        )
        self.parents(child, husband, wife)
        in_law_eth = self.spouse_ethnicity(eth, big)
        in_law_age = max(18, child_age - int(r() * 6)) if son else child_age + int(r() * 6)
        in_law = self.person(
            home,
            "F" if son else "M",
            in_law_age,
            in_law_eth,
            self.family_name(in_law_eth),
            "child_in_law",
            local_birth=0.5,
        )
        self.marry(child, in_law)
        young_father, young_mother = (child, in_law) if son else (in_law, child)
        self.add_children(
            home,
            young_father,
            young_mother,
            in_law_age if son else child_age,
            "grandchild",
            big,
            self.family_of(young_father),
        )
        if head_age < 62 and r() < 0.4:
            for age, sex in self.children_ages(wife_age, big):
                if age < child_age - 1:
                    younger = self.person(home, sex, age, eth, family, "child", local_birth=0.92)
                    self.parents(younger, husband, wife)
        self.deceased_parents(home, head, head_age, 0.06)
        return head

    def skipped(self, home: _Home, eth: str, big: bool) -> list[Any]:
        """Grandparents raising grandchildren whose parents work elsewhere."""
        r = self.random
        ages = HEAD_AGES["skipped"]
        head_age = ages[int(r() * len(ages))]
        if r() < 0.6:
            head, husband, _, _ = self.couple(home, head_age, eth, big, male_head=0.8)
            family = self.family_of(husband)
        else:
            sex = "F" if r() < 0.7 else "M"
            head = self.person(home, sex, head_age, eth, self.family_name(eth), "head")
            family = self.family_of(head) if sex == "M" else self.family_name(eth)
        for _ in range(1 + int(r() * 3)):
            sex = "M" if r() < 0.51 else "F"
            grandchild = self.person(
                home, sex, 1 + int(r() * 15), eth, family, "grandchild", local_birth=0.8
            )
            grandchild[HOMETOWN] = head[HOMETOWN]
        return head

    def elderly(self, home: _Home, eth: str, big: bool) -> list[Any]:
        r = self.random
        ages = HEAD_AGES["elderly"]
        head_age = ages[int(r() * len(ages))]
        if r() < 0.55:
            return self.couple(home, head_age, eth, big, male_head=0.9)[0]
        sex = "F" if r() < 0.72 else "M"
        head = self.person(home, sex, head_age, eth, self.family_name(eth), "head")
        if r() < 0.4:
            partner_age = head_age + (int(r() * 6) if sex == "F" else -int(r() * 6))
            partner = self.deceased(
                home, "M" if sex == "F" else "F", partner_age, eth, self.family_name(eth)
            )
            if partner is not None:
                self.marry(head, partner)
        return head

    def young(self, home: _Home, eth: str, big: bool) -> list[Any]:
        ages = HEAD_AGES["young"]
        head_age = ages[int(self.random() * len(ages))]
        sex = "M" if self.random() < 0.6 else "F"
        return self.person(home, sex, head_age, eth, self.family_name(eth), "head")

    def single_parent(self, home: _Home, eth: str, big: bool) -> list[Any]:
        r = self.random
        ages = HEAD_AGES["single_parent"]
        head_age = ages[int(r() * len(ages))]
        if r() < 0.8:
            head = self.person(home, "F", head_age, eth, self.family_name(eth), "head")
            father: list[Any] | None = None
            if head_age >= 40 and r() < 0.3:
                father = self.deceased(home, "M", head_age + 2, eth, self.family_name(eth))
                if father is not None:
                    self.marry(head, father)
            family = self.family_of(father) if father else self.family_name(eth)
            self.add_children(home, father, head, head_age, "child", big, family)
        else:
            head = self.person(home, "M", head_age, eth, self.family_name(eth), "head")
            mother_age = max(18, head_age - 3)
            self.add_children(home, head, None, mother_age, "child", big, self.family_of(head))
        return head

    # --- communes ----------------------------------------------------------------------------

    def localities(self, plan: CommunePlan) -> list[str]:
        """Hamlets (rural) or residential groups (urban) of a commune, sized for full scale."""
        r = self.random
        commune = plan.commune
        suffix = f", {commune.name}, {self.province.name}"
        if commune.is_ward:
            groups = max(5, plan.full_population // 4 // 60)
            return [f"Tổ {n}{suffix}" for n in range(1, groups + 1)]
        count = max(4, min(40, plan.full_population // 4 // 75))
        seen: set[str] = set()
        hamlets: list[str] = []
        heads, tails = names.HAMLET_HEADS, names.HAMLET_TAILS
        while len(hamlets) < count:
            hamlet = f"{heads[int(r() * len(heads))]} {tails[int(r() * len(tails))]}"
            if hamlet in seen:
                continue
            seen.add(hamlet)
            kind = "Bản" if r() < 0.15 else "Xóm"
            hamlets.append(f"{kind} {hamlet}{suffix}")
        return hamlets

    def address(self, localities: list[str], urban: bool) -> str:
        r = self.random
        place = localities[int(r() * len(localities))]
        if urban and r() < 0.5:
            return f"Số {1 + int(r() * 120)}, {place}"
        return place

    def commune(self, index: int, plan: CommunePlan) -> None:
        r = self.random
        localities = self.localities(plan)
        urban = plan.commune.is_ward
        table = plan.ethnic_table
        self.commune_localities[index] = localities
        sequence = 0
        builders = {
            "nuclear": self.nuclear,
            "extended": self.extended,
            "stem": self.stem,
            "skipped": self.skipped,
            "elderly": self.elderly,
            "young": self.young,
            "single_parent": self.single_parent,
        }
        living = 0
        while living < plan.population:
            sequence += 1
            code = f"{plan.commune.code}-{sequence:06d}"
            eth = table[int(r() * len(table))]
            big = eth in profiles.LARGE_FAMILY_GROUPS
            religions = RELIGIONS.get(eth, DEFAULT_RELIGIONS)
            religion = religions[int(r() * len(religions))]
            home = _Home(code, plan.commune.code, index, self.address(localities, urban), religion)
            people_before, deceased_before = len(self.citizens), self.deceased_count
            kinds = HOUSEHOLD_KINDS[big]
            head = builders[kinds[int(r() * len(kinds))]](home, eth, big)
            self.households.append([code, plan.commune.code, home.address, head[PID]])
            new_deceased = self.deceased_count - deceased_before
            living += len(self.citizens) - people_before - new_deceased

    # --- temporary residents ----------------------------------------------------------------

    def temporary_residents(
        self,
        count: int,
        plans: list[CommunePlan],
        sources: dict[str, tuple[str, list[CommuneInfo]]],
    ) -> None:
        """People from other provinces staying here: alone, some as a couple."""
        r = self.random
        if not sources or count <= 0:
            return
        source_table = weighted(
            [
                (code, weight)
                for code, weight in profiles.SOURCE_PROVINCES.items()
                if code in sources
            ]
        )
        weights = [3 if p.commune.is_ward else 1 for p in plans]
        host_table = weighted(list(enumerate(weights)))
        mix = weighted([(c, round(share * 10)) for c, share in profiles.TEMPORARY_MIX.items()])
        made = 0
        while made < count:
            host = host_table[int(r() * len(host_table))]
            plan = plans[host]
            stay = self.address(self.commune_localities[host], plan.commune.is_ward)
            source = source_table[int(r() * len(source_table))]
            province_name, communes = sources[source]
            origin = communes[int(r() * len(communes))]
            group = "Tổ dân phố" if origin.is_ward else "Thôn"
            permanent = f"{group} {1 + int(r() * 15)}, {origin.name}, {province_name}"
            eth = mix[int(r() * len(mix))]
            first = self.visitor(source, origin, permanent, plan.commune.code, stay, eth)
            made += 1
            if made < count and r() < 0.25:
                first_age = self.reference_year - int(first[BIRTH_YEAR])
                gap = int(r() * 6)
                age = max(20, first_age - gap if first[SEX] == "M" else first_age + gap)
                partner = self.visitor(
                    source,
                    origin,
                    permanent,
                    plan.commune.code,
                    stay,
                    eth,
                    age=age,
                    sex="F" if first[SEX] == "M" else "M",
                )
                self.marry(first, partner)
                made += 1

    def visitor(
        self,
        source: str,
        origin: CommuneInfo,
        permanent: str,
        host: str,
        stay: str,
        eth: str,
        *,
        age: int | None = None,
        sex: str | None = None,
    ) -> list[Any]:
        r = self.random
        home = _Home(None, origin.code, 0, permanent, DEFAULT_RELIGIONS[0])
        if age is None:
            age = 20 + int(r() * 36)
        if sex is None:
            sex = "M" if r() < 0.6 else "F"
        birth_code = source.zfill(3)
        row = self.person(home, sex, age, eth, self.family_name(eth), None)
        year = row[BIRTH_YEAR]
        row[PID] = self.new_personal_id(birth_code, sex, year)
        if row[OLD_ID] is not None:
            row[OLD_ID] = self.new_old_id(profiles.OLD_ID_PREFIX.get(source, "1" + source[-1]))
        row[BIRTH_COMMUNE] = origin.code
        row[HOMETOWN] = f"{origin.name}, {self.source_names[source]}"
        row[TEMPORARY_COMMUNE] = host
        row[TEMPORARY_ADDRESS] = stay
        row[CURRENT_COMMUNE] = host
        row[CURRENT_ADDRESS] = stay
        return row

    # --- faults -----------------------------------------------------------------------------

    def faults(self) -> dict[str, list[str]]:
        """A handful of deliberate data-quality faults, recorded for the tests and reports."""
        r = self.rng
        found: dict[str, list[str]] = {kind: [] for kind in FAULT_KINDS}
        limit = max(1, len(self.households) // 50)
        by_pid = {row[PID]: row for row in self.citizens}
        candidates = [h for h in self.households if h[HH_HEAD] is not None]
        chosen = r.sample(candidates, min(len(candidates), 2 * limit))
        for household in chosen[: min(limit, FAULT_COUNTS["deceased_head"])]:
            head = by_pid[household[HH_HEAD]]
            head[STATUS] = "deceased"
            head[DATE_OF_DEATH] = dt.date.fromordinal(self.reference - r.randrange(30, 900))
            found["deceased_head"].append(household[HH_CODE])
        for household in chosen[limit : limit + min(limit, FAULT_COUNTS["household_without_head"])]:
            household[HH_HEAD] = None
            found["household_without_head"].append(household[HH_CODE])
        adults = [
            row
            for row in self.citizens
            # a full birth date: the duplicate check compares complete dates only
            if row[STATUS] == "living"
            and row[HOUSEHOLD] is not None
            and row[BIRTH_YEAR] < 1990
            and row[BIRTH_DAY] is not None
        ]
        communes = self.province.communes
        for original in r.sample(
            adults, min(len(adults), FAULT_COUNTS["probable_duplicate"], limit)
        ):
            copy = list(original)
            copy[PID] = self.new_personal_id(original[PID][:3], original[SEX], original[BIRTH_YEAR])
            other = communes[r.randrange(len(communes))]
            address = f"{other.name}, {self.province.name}"
            copy[OLD_ID] = None
            copy[PERMANENT_COMMUNE] = copy[CURRENT_COMMUNE] = other.code
            copy[PERMANENT_ADDRESS] = copy[CURRENT_ADDRESS] = address
            copy[HOUSEHOLD] = copy[RELATIONSHIP] = None
            copy[FATHER] = copy[MOTHER] = copy[SPOUSE] = None
            self.citizens.append(copy)
            found["probable_duplicate"].append(copy[PID])
        return found


def generate(
    province: ProvinceInfo,
    *,
    scale: float = 1.0,
    seed: int = DEFAULT_SEED,
    sources: dict[str, tuple[str, list[CommuneInfo]]] | None = None,
    on_progress: ProgressCallback | None = None,
) -> Population:
    """Generate the population of ``province`` at ``scale`` (1.0 = the real size).

    ``sources`` maps the province codes of ``profiles.SOURCE_PROVINCES`` to (name, communes)
    for temporary residents; without it there are none.
    """
    if scale <= 0:
        raise ValueError("scale must be positive")
    source_names = {code: name for code, (name, _) in (sources or {}).items()}
    generator = _Generator(province, scale, seed, source_names)
    plans = profiles.plan_communes(province, scale, generator.rng)
    local_total = sum(p.population for p in plans)
    temporary = round(
        local_total * profiles.TEMPORARY_RESIDENT_SHARE / (1 - profiles.TEMPORARY_RESIDENT_SHARE)
    )
    planned = local_total + temporary
    for index, plan in enumerate(plans):
        generator.commune(index, plan)
        if on_progress is not None:
            on_progress(len(generator.citizens), planned)
    generator.temporary_residents(temporary, plans, sources or {})
    faults = generator.faults()
    if on_progress is not None:
        on_progress(planned, planned)
    return Population(
        province_code=province.code,
        seed=seed,
        scale=scale,
        households=[tuple(h) for h in generator.households],
        citizens=[tuple(c) for c in generator.citizens],
        faults=faults,
    )
