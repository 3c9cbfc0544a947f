"""Demo medical facilities and health-insurance cards: a pure, seeded generator.

To load them, call ``oncegov.health.service.load_demo_facilities`` and then
``load_demo_cards``: they insert the facilities that are missing, number the cards after those
already stored and bulk-insert them.

``generate_facilities(province_code, province_name, communes, rng)`` gives the province's
network of ``FACILITY_TOTAL`` (184) facilities, ``Facility`` records with codes
``<province><001..184>``, in this order:

* five provincial hospitals in the wards of the provincial city (the general hospital first:
  ``<province>001``), for Cao Bằng "Bệnh viện Đa khoa tỉnh Cao Bằng", "Bệnh viện Y dược cổ
  truyền tỉnh Cao Bằng", "Bệnh viện Phục hồi chức năng tỉnh Cao Bằng", …;
* ten regional health centres, one per former district (Cao Bằng before the 2025 reform:
  Thành phố Cao Bằng, Bảo Lâm, Bảo Lạc, Hà Quảng, Trùng Khánh, Hạ Lang, Quảng Hòa, Hòa An,
  Nguyên Bình, Thạch An), "Trung tâm Y tế khu vực Bảo Lạc", in the former district town;
* commune health stations, one per commune ("Trạm Y tế xã Lý Bôn") and the rest at the
  stations of the former communes merged into it ("Trạm Y tế xã Lý Bôn (điểm Mông Ân)"),
  drawn from the former communes of its district.

Another configured province gets the same shape: centres in ten stretches of its communes,
station points numbered.

``CardGenerator(network, rng, today, province_code).rows(citizens)`` yields one card row per
insured citizen, a tuple in ``CARD_COLUMNS`` order. Input rows are ``(personal_id,
birth_year, birth_month, birth_day, status, commune_code, ethnicity_code, household_code,
sex)``; ``commune_code`` is where the citizen lives in the province (the permanent residence,
else the current one), None for nobody here. Rates (Vietnamese health insurance, BHYT, in Cao
Bằng: ~95% covered, most of it paid by the state budget):

* Children under 6 (TE, 100%): nearly all, from birth to the day before their 6th birthday.
* The first group that applies, in the order of the law: employees (HC public servants and
  DN employees, 80%; many in the city, few in the countryside), pensioners (HT, 95%), people
  with merit to the revolution (CC, 100%), social pension at 75+ (BT, 100%), poor households
  (HN, 100%), ethnic minorities in the extremely difficult communes (DT, 100%), near-poor
  households (CN, 95%), pupils (HS, 80%), students (SV, 80%) and household members (GD, 80%,
  voluntary: this is where most of the uninsured are). Poverty is drawn per household.
* The initial-care facility is the commune's station (the household's one, where the commune
  has several) for most, the district's regional centre for about one in eight, a provincial
  hospital for a few (mostly employees and pensioners in the city).
* Cards run a year (rolling for the contribution-paying groups, the calendar year for the
  state-paid ones and pupils); about 2% were not renewed and expired in the last five months,
  0.3% are locked by the insurer with a reason. ``five_years_from`` (the day five continuous
  years were reached) is set for most people insured continuously since long.
* ``social_insurance_code``: the province code and 8 digits, unique (increasing in
  generation order, with random gaps).
* Deceased and missing citizens have no card (a card ends with its holder).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

FACILITY_TOTAL = 184
FACILITY_COLUMNS: tuple[str, ...] = ("code", "name", "level", "commune_code", "address")
CARD_COLUMNS: tuple[str, ...] = (
    "id",
    "personal_id",
    "social_insurance_code",
    "beneficiary_group",
    "benefit_level",
    "initial_care_facility_code",
    "valid_from",
    "valid_to",
    "five_years_from",
    "status",
    "locked_reason",
    "created_at",
    "updated_at",
)

HOSPITAL, CENTRE, STATION = (
    "provincial_hospital",
    "regional_health_centre",
    "commune_health_station",
)
# Provincial hospitals: the first two also take patients for initial care.
HOSPITALS: tuple[tuple[str, str], ...] = (
    ("Bệnh viện Đa khoa tỉnh {province}", "Đường Hoàng Đình Giong"),
    ("Bệnh viện Y dược cổ truyền tỉnh {province}", "Đường Pác Bó"),
    ("Bệnh viện Phục hồi chức năng tỉnh {province}", "Đường Võ Nguyên Giáp"),
    ("Bệnh viện Sản - Nhi tỉnh {province}", "Đường 3 tháng 10"),
    ("Bệnh viện Lao và Bệnh phổi tỉnh {province}", "Đường Kim Đồng"),
)
INITIAL_CARE_HOSPITALS = 2


@dataclass(frozen=True, slots=True)
class District:
    """A former district (huyện) of Cao Bằng: the new communes whose codes fall in
    ``first..last``, the commune of its regional centre and its former communes."""

    name: str
    first: str
    last: str
    centre: str
    former: tuple[str, ...]


CAO_BANG = "04"
# Commune codes are numbered district by district, so code ranges give the former district.
CAO_BANG_DISTRICTS: tuple[District, ...] = (
    District(
        "Thành phố Cao Bằng",
        "01269",
        "01288",
        "01273",
        (
            *("Sông Hiến", "Sông Bằng", "Hợp Giang", "Đề Thám", "Ngọc Xuân", "Hòa Chung"),
            *("Duyệt Trung", "Chu Trinh", "Vĩnh Quang"),
        ),
    ),
    District(
        "Bảo Lâm",
        "01289",
        "01320",
        "01290",
        (
            *("Pác Miầu", "Mông Ân", "Thái Học", "Thái Sơn", "Vĩnh Phong", "Thạch Lâm"),
            *("Đức Hạnh", "Nam Cao", "Tân Việt"),
        ),
    ),
    District(
        "Bảo Lạc",
        "01321",
        "01362",
        "01321",
        (
            *("Thượng Hà", "Bảo Toàn", "Hồng Trị", "Kim Cúc", "Hồng An", "Hưng Thịnh"),
            *("Đình Phùng", "Sơn Lập"),
        ),
    ),
    District(
        "Hà Quảng",
        "01363",
        "01440",
        "01438",
        (
            *("Xuân Hòa", "Kéo Yên", "Vân An", "Cải Viên", "Nội Thôn", "Sóc Hà"),
            *("Thượng Thôn", "Hồng Sĩ", "Quý Quân", "Mã Ba", "Ngọc Đào", "Cần Nông"),
            *("Lương Thông", "Đa Thông", "Yên Sơn", "Lương Can"),
        ),
    ),
    District(
        "Trùng Khánh",
        "01441",
        "01527",
        "01477",
        (
            *("Hùng Quốc", "Quang Vinh", "Xuân Nội", "Tri Phương", "Cao Chương"),
            *("Quốc Toản", "Lưu Ngọc", "Cô Mười", "Ngọc Côn", "Phong Nậm", "Ngọc Khê"),
            *("Đình Minh", "Cảnh Tiên", "Đức Hồng", "Lăng Hiếu", "Khâm Thành"),
            *("Chí Viễn", "Phong Châu", "Trung Phúc", "Cao Thăng", "Thông Hòe"),
        ),
    ),
    District(
        "Hạ Lang",
        "01528",
        "01573",
        "01561",
        (
            *("Thanh Nhật", "Minh Long", "Đồng Loan", "Đức Quang", "Kim Loan", "An Lạc"),
            *("Thị Hoa", "Thắng Lợi", "Cô Ngân", "Thái Đức", "Việt Chu"),
        ),
    ),
    District(
        "Quảng Hòa",
        "01574",
        "01650",
        "01576",
        (
            *("Tà Lùng", "Hòa Thuận", "Phúc Sen", "Chí Thảo", "Tự Do", "Hồng Quang"),
            *("Ngọc Động", "Cai Bộ", "Phi Hải", "Quốc Dân", "Quốc Phong", "Đoài Khôn"),
            *("Mỹ Hưng", "Đại Sơn", "Cách Linh", "Tiên Thành"),
        ),
    ),
    District(
        "Hòa An",
        "01651",
        "01725",
        "01654",
        (
            *("Nước Hai", "Dân Chủ", "Đại Tiến", "Ngũ Lão", "Trương Lương", "Hồng Việt"),
            *("Hoàng Tung", "Bình Dương", "Lê Chung", "Hồng Nam", "Bình Long"),
        ),
    ),
    District(
        "Nguyên Bình",
        "01726",
        "01785",
        "01726",
        (
            *("Yên Lạc", "Triệu Nguyên", "Vũ Nông", "Thể Dục", "Mai Long", "Quang Thành"),
            *("Hoa Thám", "Thịnh Vượng", "Bắc Hợp", "Lang Môn", "Minh Thanh"),
        ),
    ),
    District(
        "Thạch An",
        "01786",
        "01830",
        "01786",
        (
            *("Đức Thông", "Thái Cường", "Vân Trình", "Thụy Hùng", "Danh Sỹ", "Lê Lợi"),
            *("Đức Xuân", "Trọng Con", "Lê Lai", "Quang Trọng", "Thị Ngân"),
        ),
    ),
)
GENERIC_DISTRICTS = 10
# Communes of Cao Bằng in the extremely difficult areas (khu vực III): the minorities living
# there have their cards paid by the state (DT).
CAO_BANG_DIFFICULT = frozenset(
    {
        *("01290", "01294", "01297", "01304", "01318"),  # Bảo Lâm
        *("01324", "01327", "01336", "01339", "01351", "01354", "01360"),  # Bảo Lạc
        *("01366", "01387", "01392", "01393", "01414"),  # Hà Quảng
        *("01456", "01465", "01489", "01501", "01525"),  # Trùng Khánh
        *("01537", "01552", "01558"),  # Hạ Lang
        *("01594", "01618", "01636"),  # Quảng Hòa
        *("01660", "01708"),  # Hòa An
        *("01729", "01738", "01747", "01768", "01774", "01777"),  # Nguyên Bình
        *("01789", "01792", "01795", "01822"),  # Thạch An
    }
)
HAMLETS: tuple[str, ...] = (
    *("Nà Pò", "Nà Rị", "Khuổi Ky", "Pác Rằng", "Bản Giốc", "Nà Mạ", "Lũng Rỳ", "Cốc Phường"),
    *("Nà Lần", "Bó Môn", "Khau Dựa", "Pò Tấu", "Nà Vài", "Cốc Xả", "Lũng Pán", "Nà Sác"),
    *("Bản Chang", "Phia Đén", "Tổng Ngoảng", "Nà Bao"),
)


class Commune(NamedTuple):
    code: str
    name: str  # "Xã Lý Bôn", "Phường Thục Phán"
    division_type: str  # "xã", "phường", "đặc khu"


@dataclass(frozen=True, slots=True)
class Facility:
    code: str
    name: str
    level: str
    commune_code: str
    address: str

    def row(self) -> tuple[str, str, str, str, str]:
        return (self.code, self.name, self.level, self.commune_code, self.address)


def short_name(commune: Commune) -> str:
    """``Xã Lý Bôn`` → ``Lý Bôn``."""
    prefix = commune.division_type.lower()
    name = commune.name
    return name[len(prefix) + 1 :] if name.lower().startswith(prefix + " ") else name


@dataclass(frozen=True, slots=True)
class _Area:
    name: str
    centre: str
    communes: tuple[Commune, ...]
    former: tuple[str, ...]


def _areas(province_code: str, communes: Sequence[Commune]) -> list[_Area]:
    """The former districts with their communes (sorted by code), the regional centres'
    areas. Outside Cao Bằng: ten stretches of communes, each named after its first."""
    ordered = sorted(communes, key=lambda c: c.code)
    if province_code == CAO_BANG:
        areas = []
        for district in CAO_BANG_DISTRICTS:
            members = tuple(c for c in ordered if district.first <= c.code <= district.last)
            if members:
                known = any(c.code == district.centre for c in members)
                centre = district.centre if known else members[0].code
                areas.append(_Area(district.name, centre, members, district.former))
        if sum(len(a.communes) for a in areas) == len(ordered):
            return areas
    count = min(GENERIC_DISTRICTS, len(ordered))
    bounds = [round(i * len(ordered) / count) for i in range(count + 1)]
    stretches = [tuple(ordered[bounds[i] : bounds[i + 1]]) for i in range(count)]
    return [_Area(short_name(s[0]), s[0].code, s, ()) for s in stretches if s]


def _address(commune: Commune, rng: random.Random, street: str | None = None) -> str:
    if street:
        place = street
    elif commune.division_type == "phường":
        place = f"Tổ {1 + int(rng.random() * 30)}"
    else:
        place = f"Xóm {HAMLETS[int(rng.random() * len(HAMLETS))]}"
    return f"{place}, {commune.name}"


def generate_facilities(
    province_code: str, province_name: str, communes: Sequence[Commune], rng: random.Random
) -> list[Facility]:
    """The province's medical facilities, ``FACILITY_TOTAL`` of them (fewer only when the
    province has too few communes to spread them over), deterministic for a seeded ``rng``."""
    if not communes:
        return []
    areas = _areas(province_code, communes)
    by_code = {c.code: c for a in areas for c in a.communes}
    ordered = [c for a in areas for c in a.communes]
    wards = [c for c in ordered if c.division_type == "phường"] or ordered[:1]
    made: list[tuple[str, str, Commune, str]] = []  # (name, level, commune, address)
    for index, (name, street) in enumerate(HOSPITALS):
        ward = wards[index % len(wards)]
        made.append(
            (name.format(province=province_name), HOSPITAL, ward, _address(ward, rng, street))
        )
    for area in areas:
        commune = by_code[area.centre]
        made.append(
            (f"Trung tâm Y tế khu vực {area.name}", CENTRE, commune, _address(commune, rng))
        )
    room = FACILITY_TOTAL - len(made)
    stations = ordered[:room]
    points: dict[str, list[str]] = {c.code: [] for c in stations}
    extra = room - len(stations)
    if extra > 0:
        _spread_points(areas, points, extra, rng)
    for commune in stations:
        kind = commune.division_type
        main = f"Trạm Y tế {kind} {short_name(commune)}"
        made.append((main, STATION, commune, _address(commune, rng)))
        for point in points[commune.code]:
            made.append((f"{main} (điểm {point})", STATION, commune, _address(commune, rng)))
    return [
        Facility(f"{province_code}{number:03d}", name, level, commune.code, address)
        for number, (name, level, commune, address) in enumerate(made, start=1)
    ]


def _spread_points(
    areas: Sequence[_Area], points: dict[str, list[str]], extra: int, rng: random.Random
) -> None:
    """``extra`` station points named after former communes of each district (none named
    like a commune of today), each given to the district's commune with the fewest so far."""
    taken = {short_name(c) for a in areas for c in a.communes}
    candidates: list[tuple[_Area, str]] = []
    for area in areas:
        for name in area.former:
            if name not in taken:
                taken.add(name)
                candidates.append((area, name))
    rng.shuffle(candidates)
    for area, name in candidates[:extra]:
        members = [c.code for c in area.communes if c.code in points]
        if members:
            fewest = min(len(points[code]) for code in members)
            choices = [code for code in members if len(points[code]) == fewest]
            points[choices[int(rng.random() * len(choices))]].append(name)
    # Not enough former communes: numbered points, in the communes with the fewest.
    numbered = extra - sum(len(p) for p in points.values())
    codes = sorted(points)
    for _ in range(numbered):
        code = min(codes, key=lambda c: (len(points[c]), c))
        points[code].append(f"số {len(points[code]) + 2}")
    for names in points.values():
        names.sort()


# --- the network the cards refer to ---------------------------------------------------------


@dataclass
class Network:
    """Where citizens of each commune go for initial care, from the stored facilities
    (``(code, level, commune_code)`` rows) and the province's communes."""

    stations: dict[str, list[str]] = field(default_factory=dict)  # commune → station codes
    centre: dict[str, str] = field(default_factory=dict)  # commune → its regional centre
    hospitals: list[str] = field(default_factory=list)  # taking initial care
    wards: frozenset[str] = frozenset()
    fallback: str = ""

    @classmethod
    def of(
        cls,
        province_code: str,
        facilities: Iterable[tuple[str, str, str]],
        communes: Sequence[Commune],
    ) -> Network:
        rows = sorted(facilities)
        network = cls(wards=frozenset(c.code for c in communes if c.division_type == "phường"))
        centres: dict[str, str] = {}
        for code, level, place in rows:
            if level == STATION:
                network.stations.setdefault(place, []).append(code)
            elif level == CENTRE:
                centres.setdefault(place, code)
            elif level == HOSPITAL and len(network.hospitals) < INITIAL_CARE_HOSPITALS:
                network.hospitals.append(code)
        if not rows:
            return network
        network.fallback = (
            next(iter(centres.values()), None) or next(iter(network.hospitals), None) or rows[0][0]
        )
        for area in _areas(province_code, communes):
            centre = centres.get(area.centre) or next(
                (centres[c.code] for c in area.communes if c.code in centres), network.fallback
            )
            for commune in area.communes:
                network.centre[commune.code] = centre
        return network


# --- cards ------------------------------------------------------------------------------------

BENEFIT_OF_GROUP: dict[str, int] = {
    "TE": 100,  # children under 6
    "CC": 100,  # people with merit to the revolution
    "BT": 100,  # monthly social pension (75+ without a pension)
    "HN": 100,  # poor households
    "DT": 100,  # ethnic minorities in extremely difficult communes
    "HT": 95,  # retirees and pensioners
    "CN": 95,  # near-poor households
    "HC": 80,  # public servants
    "DN": 80,  # employees of enterprises
    "HS": 80,  # pupils
    "SV": 80,  # students
    "GD": 80,  # household members (voluntary)
}
CALENDAR_YEAR_GROUPS = frozenset({"CC", "BT", "HN", "DT", "HS"})  # one card per calendar year
KINH = "01"
TE_AGE = 6
RETIREMENT_AGE = {"M": 61, "F": 57}
SOCIAL_PENSION_AGE = 75
MERIT_AGE = 65
MERIT_SHARE = 0.04
TE_SHARE = 0.995
HS_SHARE = 0.985
STUDENT_SHARE = 0.22  # of 18–22-year-olds not covered otherwise
GD_SHARE = 0.71  # of everyone else: voluntary household cards
# Share employed in the formal sector (18 to retirement) and share of retirees on a pension,
# (city wards, elsewhere); public servants among the employed.
EMPLOYED_SHARE = (0.34, 0.07)
CIVIL_SERVANT_SHARE = 0.45
PENSION_SHARE = (0.45, 0.09)
# Households: (poor, near-poor) shares in wards, extremely difficult communes, elsewhere.
POVERTY = {"ward": (0.02, 0.04), "difficult": (0.30, 0.12), "other": (0.12, 0.10)}
EXPIRED_SHARE = 0.02
# Social-insurance numbers: after a random start below CODE_START, gaps of 1 to CODE_GAP
# (mean 20: ten million cards stay below 10^8).
CODE_START = 5_000_000
CODE_GAP = 39
LOCKED_SHARE = 0.003
LOCK_REASONS = (
    "A second card was issued for the same person; this one is withdrawn",
    "Used by another person at a medical facility; under verification",
    "Contributions not paid by the employer",
)
# Continuous coverage counted from the Law on Health Insurance (1 July 2009).
CONTINUOUS_SINCE = dt.date(2009, 7, 1)
FIVE_YEARS_SHARE = {"state": 0.8, "other": 0.5}
STATION_SHARE = (0.62, 0.86)  # initial care at a station: (wards, elsewhere)
HOSPITAL_SHARE = {"city_worker": 0.15, "other": 0.012}


def _birth_date(year: int, month: int | None, day: int | None) -> dt.date:
    """The birth date, or the middle of what is known of it."""
    if month is None:
        return dt.date(year, 7, 1)
    return dt.date(year, month, day or 15)


def anniversary(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def age_on(born: dt.date, today: dt.date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


@dataclass
class CardCounts:
    living: int = 0  # living citizens of the province seen
    cards: int = 0
    by_group: dict[str, int] = field(default_factory=dict)

    @property
    def insured_share(self) -> float:
        return self.cards / self.living if self.living else 0.0


class CardGenerator:
    """Card rows for a population, deterministic for a seeded ``rng`` (see the module)."""

    def __init__(
        self,
        network: Network,
        rng: random.Random,
        today: dt.date,
        province_code: str,
        *,
        first_id: int = 1,
        difficult: frozenset[str] | None = None,
    ) -> None:
        self.network = network
        self.rng = rng
        self.today = today
        self.province_code = province_code
        self.next_id = first_id
        self.difficult = CAO_BANG_DIFFICULT if difficult is None else difficult
        self.households: dict[str, tuple[str | None, float]] = {}
        self.code_number = int(rng.random() * CODE_START)
        self.counts = CardCounts()
        self.year_start = dt.date(today.year, 1, 1)
        self.year_end = dt.date(today.year, 12, 31)
        self._ordinal = today.toordinal()

    def rows(self, citizens: Iterable[Sequence[Any]]) -> Iterator[tuple[Any, ...]]:
        for citizen in citizens:
            row = self._card_of(citizen)
            if row is not None:
                yield row

    def _household(self, code: str | None, commune: str) -> tuple[str | None, float]:
        """(poverty status "HN" | "CN" | None, the roll that picks the household's station)."""
        found = self.households.get(code) if code else None
        if found is None:
            kind = (
                "ward"
                if commune in self.network.wards
                else "difficult"
                if commune in self.difficult
                else "other"
            )
            poor, near = POVERTY[kind]
            roll = self.rng.random()
            status = "HN" if roll < poor else "CN" if roll < poor + near else None
            found = (status, self.rng.random())
            if code:
                self.households[code] = found
        return found

    def _group(
        self, age: int, sex: str, commune: str, ethnicity: str | None, poverty: str | None
    ) -> str | None:
        rng = self.rng
        if age < TE_AGE:
            return "TE" if rng.random() < TE_SHARE else None
        ward = commune in self.network.wards
        retirement = RETIREMENT_AGE.get(sex, 60)
        if 18 <= age < retirement and rng.random() < EMPLOYED_SHARE[0 if ward else 1]:
            return "HC" if rng.random() < CIVIL_SERVANT_SHARE else "DN"
        pensioned = age >= retirement and rng.random() < PENSION_SHARE[0 if ward else 1]
        if pensioned:
            return "HT"
        if age >= MERIT_AGE and rng.random() < MERIT_SHARE:
            return "CC"
        if age >= SOCIAL_PENSION_AGE:
            return "BT"
        if poverty == "HN":
            return "HN"
        if ethnicity != KINH and commune in self.difficult:
            return "DT"
        if poverty == "CN":
            return "CN"
        if age <= 17:
            return "HS" if rng.random() < HS_SHARE else None
        if age <= 22 and rng.random() < STUDENT_SHARE:
            return "SV"
        return "GD" if rng.random() < GD_SHARE else None

    def _facility(self, group: str, commune: str, station_roll: float) -> str:
        network, rng = self.network, self.rng
        ward = commune in network.wards
        city_worker = ward and group in ("HC", "DN", "HT", "CC")
        if (
            network.hospitals
            and rng.random() < HOSPITAL_SHARE["city_worker" if city_worker else "other"]
        ):
            return network.hospitals[int(rng.random() * len(network.hospitals))]
        stations = network.stations.get(commune)
        if stations and rng.random() < STATION_SHARE[0 if ward else 1]:
            # The household's station; the commune's main station takes twice the others.
            slots = len(stations) + 1
            index = int(station_roll * slots)
            return stations[max(index - 1, 0)]
        return network.centre.get(commune) or network.fallback

    def _insurance_code(self) -> str:
        """Increasing with random gaps, as the insurer hands them out: unique without a
        lookup, and the unique index takes them in order."""
        self.code_number += 1 + int(self.rng.random() * CODE_GAP)
        return f"{self.province_code}{self.code_number % 100_000_000:08d}"

    def _card_of(self, citizen: Sequence[Any]) -> tuple[Any, ...] | None:
        pid, year, month, day, status, commune, ethnicity, household, sex = citizen[:9]
        if status != "living" or not commune:
            return None
        today = self.today
        born = _birth_date(int(year), month, day)
        if born >= today:
            return None
        self.counts.living += 1
        rng = self.rng
        age = age_on(born, today)
        poverty, station_roll = self._household(household, commune)
        group = self._group(age, sex, commune, ethnicity, poverty)
        if group is None:
            return None
        locked = rng.random() < LOCKED_SHARE
        five_years: dt.date | None = None
        if group == "TE":
            valid_from, valid_to = born, anniversary(born, TE_AGE) - dt.timedelta(days=1)
        else:
            if rng.random() < EXPIRED_SHARE:
                valid_to = today - dt.timedelta(days=1 + int(rng.random() * 150))
                valid_from = anniversary(valid_to, -1) + dt.timedelta(days=1)
            elif group in CALENDAR_YEAR_GROUPS:
                valid_from, valid_to = self.year_start, self.year_end
            else:
                valid_from = today - dt.timedelta(days=int(rng.random() * 365))
                valid_to = anniversary(valid_from, 1) - dt.timedelta(days=1)
            sixth = anniversary(born, TE_AGE)
            if valid_from < sixth <= valid_to:  # the TE card ran until the 6th birthday
                valid_from = sixth
            share = FIVE_YEARS_SHARE["state" if BENEFIT_OF_GROUP[group] >= 95 else "other"]
            since = max(born, CONTINUOUS_SINCE)
            latest = anniversary(min(valid_to, today), -5)
            if since <= latest and rng.random() < share:
                start = since + dt.timedelta(days=int(rng.random() * ((latest - since).days + 1)))
                five_years = anniversary(start, 5)
        facility = self._facility(group, commune, station_roll)
        card_id = self.next_id
        self.next_id += 1
        counts = self.counts
        counts.cards += 1
        counts.by_group[group] = counts.by_group.get(group, 0) + 1
        issued = dt.datetime(valid_from.year, valid_from.month, valid_from.day, 1, tzinfo=dt.UTC)
        return (
            card_id,
            pid,
            self._insurance_code(),
            group,
            BENEFIT_OF_GROUP[group],
            facility,
            valid_from,
            valid_to,
            five_years,
            "locked" if locked else "active",
            LOCK_REASONS[int(rng.random() * len(LOCK_REASONS))] if locked else None,
            issued,
            issued,
        )
