"""Demographic parameters of the demo province: population, units, ethnic mix, age structure.

The figures follow Cao Bằng (province code 04): about 550,000 people in 56 communes after the
2025 reform, three urban wards forming the provincial city, a Tày-Nùng majority in the valleys
and Mông and Dao communities in the high districts (Bảo Lâm, Bảo Lạc, Nguyên Bình, the north of
Hà Quảng). Another configured province gets the same mix and about 9,800 people per commune.

Shares are per person; the generator draws ethnicity per household, so ``household_table``
divides each share by the group's mean household size before building the draw table.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

# The population is generated as it stands on this date: same seed, same data, any day it runs.
REFERENCE_DATE = dt.date(2026, 10, 1)
# Deaths recorded in the registry: the national population database went live in mid-2021.
DEATHS_RECORDED_SINCE = dt.date(2021, 7, 1)

FULL_POPULATION: dict[str, int] = {"04": 550_000}
PEOPLE_PER_COMMUNE = 9_800  # for a configured province without its own figure
TEMPORARY_RESIDENT_SHARE = 0.025  # people from other provinces registered for temporary stay

# Ethnic codes (registry.reference.ETHNIC_GROUPS).
KINH, TAY, HOA, THAI, MUONG, NUNG, MONG, DAO = "01", "02", "04", "03", "06", "07", "08", "09"
NGAI, SAN_CHAY, SAN_DIU, GIAY, LO_LO = "11", "15", "18", "25", "43"
LARGE_FAMILY_GROUPS = frozenset({MONG, DAO, LO_LO})

# Province-wide shares of the living population, in percent (Cao Bằng, 2019 census rounded).
PROVINCE_MIX: dict[str, float] = {
    TAY: 41.0,
    NUNG: 31.0,
    MONG: 10.0,
    DAO: 10.0,
    KINH: 5.0,
    SAN_CHAY: 1.5,
    LO_LO: 0.5,
    HOA: 0.4,
    THAI: 0.15,
    MUONG: 0.15,
    NGAI: 0.1,
    SAN_DIU: 0.1,
    GIAY: 0.1,
}
# Mixes of the three kinds of commune that differ from the valleys; the valley (lowland) mix
# is whatever makes the province total come out at PROVINCE_MIX.
URBAN_MIX: dict[str, float] = {
    TAY: 44.0,
    NUNG: 26.0,
    KINH: 24.0,
    HOA: 1.6,
    DAO: 1.0,
    MONG: 0.7,
    SAN_CHAY: 0.8,
    THAI: 0.6,
    MUONG: 0.6,
    SAN_DIU: 0.4,
    NGAI: 0.3,
}
MONG_HIGHLAND_MIX: dict[str, float] = {
    MONG: 42.0,
    DAO: 18.0,
    NUNG: 17.0,
    TAY: 16.0,
    LO_LO: 1.8,
    KINH: 1.5,
    SAN_CHAY: 1.0,
    GIAY: 0.6,
    NGAI: 0.1,
}
DAO_HIGHLAND_MIX: dict[str, float] = {
    DAO: 46.0,
    TAY: 25.0,
    NUNG: 12.0,
    MONG: 10.0,
    SAN_CHAY: 4.0,
    KINH: 2.5,
    LO_LO: 0.5,
}
# People from other provinces: mostly Kinh (officials, teachers, soldiers, traders).
TEMPORARY_MIX: dict[str, float] = {
    KINH: 70.0,
    TAY: 14.0,
    NUNG: 10.0,
    MUONG: 2.0,
    THAI: 2.0,
    HOA: 1.0,
    SAN_DIU: 1.0,
}
# Mean household size by group, as the generator's household model produces it (measured).
MEAN_HOUSEHOLD_SIZE: dict[str, float] = {MONG: 5.25, DAO: 4.8, LO_LO: 5.0, KINH: 3.9}
DEFAULT_HOUSEHOLD_SIZE = 3.6

# Cao Bằng communes by kind (codes after the 2025 reform).
MONG_HIGHLANDS = frozenset(
    {
        # Bảo Lâm
        "01290",
        "01294",
        "01297",
        "01304",
        "01318",
        # Bảo Lạc
        "01321",
        "01324",
        "01327",
        "01336",
        "01339",
        "01351",
        "01354",
        "01360",
        # the north of Hà Quảng
        "01393",
        "01414",
    }
)
DAO_HIGHLANDS = frozenset({"01726", "01729", "01738", "01747", "01768", "01774", "01777"})
# Former district towns: market centres, larger than the average commune.
DISTRICT_CENTRES = frozenset(
    {"01321", "01290", "01726", "01477", "01576", "01654", "01786", "01363", "01447", "01438"}
)
WARD_WEIGHT = 2.6
CENTRE_WEIGHT = 1.35

# Where temporary residents come from: province code → weight (neighbours first).
SOURCE_PROVINCES: dict[str, int] = {
    "20": 20,  # Lạng Sơn
    "19": 18,  # Thái Nguyên
    "01": 15,  # Hà Nội
    "08": 10,  # Tuyên Quang
    "25": 8,  # Phú Thọ
    "24": 6,  # Bắc Ninh
    "38": 5,  # Thanh Hóa
    "40": 5,  # Nghệ An
    "31": 4,  # Hải Phòng
    "15": 4,  # Lào Cai
    "33": 3,  # Hưng Yên
    "37": 2,  # Ninh Bình
}
# First two digits of the old 9-digit ID (CMND) numbers issued in each province.
OLD_ID_PREFIX: dict[str, str] = {
    "04": "08",
    "20": "08",
    "19": "09",
    "01": "01",
    "08": "07",
    "25": "13",
    "24": "12",
    "38": "17",
    "40": "18",
    "31": "03",
    "15": "06",
    "33": "14",
    "37": "16",
}


# --- households: draw tables (flat tuples: ``table[int(random() * len(table))]``) ---------

T = TypeVar("T")


def weighted(spec: Sequence[tuple[T, int]]) -> tuple[T, ...]:
    """Flat draw table: each value repeated by its integer weight."""
    return tuple(value for value, weight in spec for _ in range(weight))


def ages_table(spec: Sequence[tuple[int, int, int]]) -> tuple[int, ...]:
    """Flat draw table of ages from (first, last, weight per year of age)."""
    return tuple(
        age for first, last, weight in spec for age in range(first, last + 1) for _ in range(weight)
    )


# Ages of heads by household kind; "big" = Mông, Dao, Lô Lô (marry younger).
HEAD_AGES = {
    ("nuclear", False): ages_table(
        [
            (20, 24, 4),
            (25, 29, 9),
            (30, 34, 10),
            (35, 39, 9),
            (40, 44, 8),
            (45, 49, 6),
            (50, 54, 4),
            (55, 59, 3),
            (60, 64, 2),
            (65, 69, 1),
        ]
    ),
    ("nuclear", True): ages_table(
        [
            (18, 24, 5),
            (25, 29, 9),
            (30, 34, 9),
            (35, 39, 8),
            (40, 44, 6),
            (45, 49, 4),
            (50, 54, 3),
            (55, 59, 2),
            (60, 64, 1),
        ]
    ),
    "extended": ages_table([(25, 34, 3), (35, 44, 3), (45, 52, 2)]),
    "stem": ages_table([(48, 54, 2), (55, 64, 4), (65, 74, 3), (75, 84, 1)]),
    "skipped": ages_table([(50, 59, 2), (60, 69, 3), (70, 79, 2)]),
    "elderly": ages_table([(60, 64, 12), (65, 69, 10), (70, 79, 9), (80, 89, 5), (90, 99, 1)]),
    "young": ages_table([(19, 35, 1)]),
    "single_parent": ages_table([(25, 39, 3), (40, 55, 2), (56, 65, 1)]),
}
HOUSEHOLD_KINDS = {
    False: weighted(
        [
            ("nuclear", 58),
            ("extended", 10),
            ("stem", 13),
            ("skipped", 4),
            ("elderly", 7),
            ("young", 3),
            ("single_parent", 5),
        ]
    ),
    True: weighted(
        [
            ("nuclear", 50),
            ("extended", 14),
            ("stem", 22),
            ("skipped", 2),
            ("elderly", 4),
            ("young", 1),
            ("single_parent", 7),
        ]
    ),
}
CHILD_COUNTS = {
    False: weighted([(0, 4), (1, 18), (2, 46), (3, 24), (4, 7), (5, 1)]),
    True: weighted([(0, 3), (1, 8), (2, 17), (3, 24), (4, 22), (5, 14), (6, 8), (7, 4)]),
}
# Age of a mother at her first birth and the gap between births: (smallest, range of extra years).
FIRST_BIRTH = {False: (18, 8), True: (17, 6)}
SPACING = {False: (2, 3), True: (1, 3)}

# Religion of a household by ethnicity (per 1000); most people in the province follow none.
_NONE = "none"
RELIGIONS = {
    MONG: weighted([(_NONE, 860), ("protestantism", 125), ("catholicism", 15)]),
    DAO: weighted([(_NONE, 960), ("protestantism", 20), ("buddhism", 20)]),
    KINH: weighted([(_NONE, 880), ("buddhism", 90), ("catholicism", 30)]),
    HOA: weighted([(_NONE, 700), ("buddhism", 300)]),
}
DEFAULT_RELIGIONS = weighted([(_NONE, 982), ("buddhism", 15), ("catholicism", 3)])
# Ethnicity of a spouse from another group (intermarriage among the valley peoples).
INTERMARRIAGE = weighted([(TAY, 5), (NUNG, 4), (KINH, 2)])


@dataclass(frozen=True, slots=True)
class CommuneInfo:
    code: str
    name: str
    division_type: str
    codename: str

    @property
    def is_ward(self) -> bool:
        return self.division_type == "phường"


@dataclass(frozen=True, slots=True)
class ProvinceInfo:
    code: str
    name: str
    communes: tuple[CommuneInfo, ...]  # sorted by code


@dataclass(frozen=True, slots=True)
class CommunePlan:
    commune: CommuneInfo
    population: int  # living permanent residents to generate
    full_population: int  # at scale 1.0 (sets the number of hamlets / urban groups)
    ethnic_table: tuple[str, ...]  # flat draw table for the ethnicity of a household


def full_population(province_code: str, commune_count: int) -> int:
    return FULL_POPULATION.get(province_code, PEOPLE_PER_COMMUNE * commune_count)


def commune_kind(commune: CommuneInfo) -> str:
    if commune.is_ward:
        return "urban"
    if commune.code in MONG_HIGHLANDS:
        return "mong"
    if commune.code in DAO_HIGHLANDS:
        return "dao"
    return "lowland"


def _normalise(mix: dict[str, float]) -> dict[str, float]:
    total = sum(mix.values())
    return {code: share / total for code, share in mix.items()}


def lowland_mix(shares_by_kind: dict[str, float]) -> dict[str, float]:
    """The valley mix that makes the province total equal PROVINCE_MIX, given the population
    share of each kind of commune; local residents exclude the temporary ones (mostly Kinh)."""
    target = _normalise(PROVINCE_MIX)
    temporary = _normalise(TEMPORARY_MIX)
    t = TEMPORARY_RESIDENT_SHARE
    local = {c: max(0.0, (target[c] - t * temporary.get(c, 0.0)) / (1 - t)) for c in target}
    kinds = {"urban": URBAN_MIX, "mong": MONG_HIGHLAND_MIX, "dao": DAO_HIGHLAND_MIX}
    lowland_share = shares_by_kind.get("lowland", 0.0)
    if lowland_share <= 0:
        return _normalise(local)
    residual = dict(local)
    for kind, mix in kinds.items():
        share = shares_by_kind.get(kind, 0.0)
        for code, value in _normalise(mix).items():
            residual[code] = residual.get(code, 0.0) - share * value
    return _normalise({c: max(0.0, v / lowland_share) for c, v in residual.items()})


def household_table(mix: dict[str, float], size: int = 10_000) -> tuple[str, ...]:
    """A flat draw table of household ethnicity: person shares divided by household size."""
    weights = {
        code: share / MEAN_HOUSEHOLD_SIZE.get(code, DEFAULT_HOUSEHOLD_SIZE)
        for code, share in mix.items()
        if share > 0
    }
    total = sum(weights.values())
    table: list[str] = []
    for code in sorted(weights):
        table.extend([code] * max(1, round(size * weights[code] / total)))
    return tuple(table)


def plan_communes(province: ProvinceInfo, scale: float, rng: random.Random) -> list[CommunePlan]:
    """Population and ethnic draw table of each commune; wards and district centres larger,
    the rest varying around the mean (log-normal, σ≈0.3)."""
    total = full_population(province.code, len(province.communes))
    local_total = total * (1 - TEMPORARY_RESIDENT_SHARE)
    weights: list[float] = []
    for commune in province.communes:
        weight = rng.lognormvariate(0.0, 0.3)
        if commune.is_ward:
            weight = WARD_WEIGHT * rng.uniform(0.85, 1.15)
        elif commune.code in DISTRICT_CENTRES:
            weight *= CENTRE_WEIGHT
        weights.append(weight)
    weight_sum = sum(weights)
    fulls = [round(local_total * w / weight_sum) for w in weights]
    kinds = [commune_kind(c) for c in province.communes]
    shares: dict[str, float] = {}
    for kind, people in zip(kinds, fulls, strict=True):
        shares[kind] = shares.get(kind, 0.0) + people / local_total
    tables = {
        "urban": household_table(_normalise(URBAN_MIX)),
        "mong": household_table(_normalise(MONG_HIGHLAND_MIX)),
        "dao": household_table(_normalise(DAO_HIGHLAND_MIX)),
        "lowland": household_table(lowland_mix(shares)),
    }
    return [
        CommunePlan(
            commune=commune,
            population=max(1, round(full * scale)),
            full_population=full,
            ethnic_table=tables[kind],
        )
        for commune, full, kind in zip(province.communes, fulls, kinds, strict=True)
    ]
