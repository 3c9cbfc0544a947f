"""Demo eID accounts at realistic rates: a pure, seeded generator.

To load them, call ``oncegov.identity.accounts.demo_loader.load_demo_accounts``: it numbers the
accounts after those already stored, gives them their passcode hashes and bulk-inserts them.

``generate(citizens, rng, today, cards=…, named=…, first_id=…)`` yields ``(row, application_id)``
per account: ``row`` a tuple in ``ACCOUNT_COLUMNS`` order, ``application_id`` the finished chip
ID-card application at whose intake a level-2 account was registered (None otherwise). Input
rows are ``(personal_id, birth_year, birth_month, birth_day, status, commune_code, phone,
date_of_death)``; ``cards`` maps a personal ID to its finished applications as
``(application_id, received_at, handed_over_at, station_commune_code, received_by)``.

Rates (Cao Bằng, eID from mid-2022, when level-2 registration opened at police desks and with
chip-card intake, and the VNeID app took self-registrations):

* About 60% of living citizens aged 14 or more have an active account: seven in ten adults
  under 40, fewer with age (a fifth of those in their seventies), under half of the
  14–17-year-olds.
* About 78% of the active accounts are level 2 (only citizens with a chip card can have one).
  A level-2 account was registered at the intake of a chip-card application received after
  eID opened when there is one (the application is returned with it: it gets
  ``eid_level2_requested``); otherwise at the commune police desk during the 2022–2023
  campaigns, or later, always after the card was handed over. Level 1 is self-registered in
  the app (most) or on the web. Accounts are opened on or after the citizen's 14th birthday.
* About 4% of the eligible registered but never activated (``pending``, no passcode), most
  of them in the last few months; 1% of the accounts are locked, mostly by their owner, some
  by police (with a reason).
* Citizens who died since eID opened had an account about as often as their age group did;
  it is revoked a few days after the death (reason ``deceased``). Missing citizens and those
  who died earlier have none.
* The phone is the one in the registry when there is one (nine in ten), else a realistic
  Vietnamese mobile number; no two accounts share a number. Numbers starting with
  ``RESERVED_PREFIX`` are never generated: they belong to the ``named`` demo citizens.
* ``named`` (personal ID → (level, phone)) forces an active account at that level with that
  phone: the citizens a person trying the demo signs in as.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

ACCOUNT_COLUMNS: tuple[str, ...] = (
    "id",
    "personal_id",
    "level",
    "pending_level",
    "status",
    "phone",
    "failed_logins",
    "locked_by",
    "lock_reason",
    "registered_channel",
    "registered_commune_code",
    "created_at",
    "activated_at",
    "level2_verified_at",
    "level2_verified_by",
    "locked_at",
    "revoked_at",
    "revoke_reason",
    "passcode_changed_at",
)
# (application_id, received_at, handed_over_at, station_commune_code, received_by)
FinishedApplication = tuple[int, dt.datetime, dt.datetime, str | None, str]

MIN_AGE = 14
EID_START = dt.date(2022, 7, 1)
DAY = 86_400.0
LOCAL_OFFSET = 7 * 3600.0  # Asia/Ho_Chi_Minh, no daylight saving
PROVINCIAL_OFFICER = "pc06.cccd"
# Mobile prefixes of Viettel, VinaPhone, MobiFone and Vietnamobile. 087 (iTel) is reserved
# for the named demo citizens; 099 (Gmobile) holds the local SMS gateway's undeliverable range.
PHONE_PREFIXES: tuple[str, ...] = (
    *("086", "096", "097", "098", "032", "033", "034", "035", "036", "037", "038", "039"),
    *("088", "091", "094", "081", "082", "083", "084", "085"),
    *("070", "076", "077", "078", "079", "089", "090", "093"),
    *("052", "056", "058", "092"),
)
RESERVED_PREFIX = "087"
# Share of living citizens aged 14+ with an active account, by age (upper bound, share).
ACTIVE_BY_AGE: tuple[tuple[int, float], ...] = (
    (17, 0.46),
    (24, 0.73),
    (39, 0.71),
    (59, 0.61),
    (69, 0.40),
    (79, 0.20),
    (200, 0.07),
)
LEVEL2_SHARE = 0.80  # of active accounts whose owner has a chip card
TIED_SHARE = 0.9  # level 2 registered at the intake of an application after EID_START
PENDING_SHARE = 0.04
LOCKED_SHARE = 0.01
LOCKED_BY_POLICE = 0.3
POLICE_LOCK_REASONS = (
    "The citizen reported the phone stolen",
    "Suspected use by another person; the citizen is asked to come to the desk",
    "Court order",
)
# (first day, last day, weight) of level-2 desk registrations and level-1 self-registrations.
DESK_PERIODS: tuple[tuple[dt.date, dt.date, float], ...] = (
    (dt.date(2022, 7, 1), dt.date(2022, 12, 31), 0.40),
    (dt.date(2023, 1, 1), dt.date(2023, 12, 31), 0.32),
    (dt.date(2024, 1, 1), dt.date(2024, 12, 31), 0.14),
    (dt.date(2025, 1, 1), dt.date(2099, 12, 31), 0.14),
)
SELF_PERIODS: tuple[tuple[dt.date, dt.date, float], ...] = (
    (dt.date(2022, 7, 1), dt.date(2023, 6, 30), 0.35),
    (dt.date(2023, 7, 1), dt.date(2024, 6, 30), 0.30),
    (dt.date(2024, 7, 1), dt.date(2025, 6, 30), 0.20),
    (dt.date(2025, 7, 1), dt.date(2099, 12, 31), 0.15),
)


def _midnight_utc(day: dt.date) -> float:
    return (day.toordinal() - 719_163) * DAY - LOCAL_OFFSET  # 719_163 = 1970-01-01


def _moment(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


def _day_between(first: dt.date, last: dt.date, rng: random.Random) -> dt.date:
    span = (last - first).days
    return first + dt.timedelta(days=int(rng.random() * (span + 1))) if span > 0 else first


def _period_day(
    periods: Sequence[tuple[dt.date, dt.date, float]],
    earliest: dt.date,
    today: dt.date,
    rng: random.Random,
) -> dt.date:
    """A day drawn from the weighted periods, moved into [earliest, today]."""
    pick = rng.random()
    chosen = periods[-1]
    for period in periods:
        if pick < period[2]:
            chosen = period
            break
        pick -= period[2]
    first, last = max(chosen[0], earliest), min(chosen[1], today)
    if first > last:  # the period is over before the citizen could: any day since
        first, last = earliest, today
    return _day_between(first, last, rng)


def _birthday(year: int, month: int | None, day: int | None, age: int) -> dt.date:
    """The latest possible day the citizen reaches ``age`` (partial dates: the youngest
    possible person, as the account service's age rule assumes)."""
    if month is None:
        month, day = 12, 31
    elif day is None:
        day = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    if month == 2 and day == 29:
        day = 28
    return dt.date(year + age, month, day)


def _age_on(year: int, month: int | None, day: int | None, today: dt.date) -> int:
    birthday = _birthday(year, month, day, 0)
    return today.year - birthday.year - ((today.month, today.day) < (birthday.month, birthday.day))


def _active_share(age: int) -> float:
    for upper, share in ACTIVE_BY_AGE:
        if age <= upper:
            return share
    return ACTIVE_BY_AGE[-1][1]


class _Builder:
    def __init__(self, rng: random.Random, today: dt.date, first_id: int) -> None:
        self.rng = rng
        self.today = today
        # A minute before local midnight at the start of ``today``, as for the card
        # applications: whenever on that day the demo is loaded, nothing in it is in the future.
        self.now = _midnight_utc(today) - 60
        self.next_id = first_id
        self.phones: set[str] = set()

    def phone(self, registered: str | None) -> str:
        rng = self.rng
        if (
            registered
            and registered not in self.phones
            and not registered.startswith(RESERVED_PREFIX)
            and rng.random() < 0.9
        ):
            self.phones.add(registered)
            return registered
        while True:
            number = f"{PHONE_PREFIXES[int(rng.random() * len(PHONE_PREFIXES))]}"
            number += f"{int(rng.random() * 10_000_000):07d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def office_hours(self, day: dt.date) -> float:
        moment = _midnight_utc(day) + 27_000 + self.rng.random() * 34_200  # 07:30–17:00
        return min(moment, self.now - 3600)

    def waking_hours(self, day: dt.date) -> float:
        moment = _midnight_utc(day) + 6 * 3600 + self.rng.random() * 17 * 3600  # 06:00–23:00
        return min(moment, self.now - 3600)

    def later(self, start: float, mean_days: float) -> float:
        """A moment after ``start`` (about ``mean_days`` later), never after now."""
        return min(start + 600 + self.rng.expovariate(1 / (mean_days * DAY)), self.now)

    def row(
        self,
        pid: str,
        *,
        level: int,
        status: str,
        phone: str,
        channel: str,
        commune: str | None,
        created: float,
        activated: float | None,
        verified_by: str | None = None,
        pending_level: int | None = None,
    ) -> list[Any]:
        account_id = self.next_id
        self.next_id += 1
        activated_at = _moment(activated) if activated is not None else None
        verified = level == 2 or pending_level == 2
        return [
            account_id,
            pid,
            level,
            pending_level,
            status,
            phone,
            0,
            None,
            None,
            channel,
            commune,
            _moment(created),
            activated_at,
            _moment(created + 300) if verified else None,
            verified_by if verified else None,
            None,
            None,
            None,
            activated_at,
        ]


_COLUMN = {name: index for index, name in enumerate(ACCOUNT_COLUMNS)}
_STATUS, _LOCKED_BY, _LOCK_REASON = _COLUMN["status"], _COLUMN["locked_by"], _COLUMN["lock_reason"]
_LOCKED_AT, _REVOKED_AT, _REVOKE_REASON = (
    _COLUMN["locked_at"],
    _COLUMN["revoked_at"],
    _COLUMN["revoke_reason"],
)


def generate(
    citizens: Iterable[Sequence[Any]],
    rng: random.Random,
    today: dt.date,
    *,
    cards: Mapping[str, Sequence[FinishedApplication]] | None = None,
    named: Mapping[str, tuple[int, str]] | None = None,
    first_id: int = 1,
) -> Iterator[tuple[tuple[Any, ...], int | None]]:
    """Account rows for ``citizens`` (at most one each), deterministic for a seeded ``rng``."""
    builder = _Builder(rng, today, first_id)
    cards = cards or {}
    named = named or {}
    for citizen in citizens:
        made = _account_of(citizen, builder, cards.get(citizen[0], ()), named.get(citizen[0]))
        if made is not None:
            yield tuple(made[0]), made[1]


def _account_of(
    citizen: Sequence[Any],
    builder: _Builder,
    applications: Sequence[FinishedApplication],
    named: tuple[int, str] | None,
) -> tuple[list[Any], int | None] | None:
    pid, year, month, day, status, commune, registered_phone = citizen[:7]
    rng, today = builder.rng, builder.today
    if status == "missing" or not commune:
        return None
    eligible = max(_birthday(int(year), month, day, MIN_AGE), EID_START)
    if status == "deceased":
        return _revoked(citizen, builder, applications, eligible)
    if status != "living" or eligible >= today:
        return None  # nothing in the demo happens on ``today`` itself (see _Builder.now)
    age = _age_on(int(year), month, day, today)
    roll = rng.random()
    active_share = _active_share(age)
    if named is not None:
        level, phone = named
        return _active(pid, commune, phone, level, builder, applications, eligible)
    if roll < active_share:
        wants_level2 = bool(applications) and rng.random() < LEVEL2_SHARE
        phone = builder.phone(registered_phone)
        made = _active(
            pid, commune, phone, 2 if wants_level2 else 1, builder, applications, eligible
        )
        if rng.random() < LOCKED_SHARE:
            _lock(made[0], builder)
        return made
    if roll < active_share + PENDING_SHARE:
        return _pending(
            pid, commune, builder.phone(registered_phone), builder, applications, eligible
        )
    return None


def _first_handover(applications: Sequence[FinishedApplication]) -> dt.date | None:
    """The day after the citizen first held a chip card (level 2 needs one)."""
    if not applications:
        return None
    return min(a[2] for a in applications).date() + dt.timedelta(days=1)


def _active(
    pid: str,
    commune: str,
    phone: str,
    level: int,
    builder: _Builder,
    applications: Sequence[FinishedApplication],
    eligible: dt.date,
) -> tuple[list[Any], int | None]:
    rng, today = builder.rng, builder.today
    if level == 2:
        intakes = [a for a in applications if a[1].date() >= eligible]
        if intakes and rng.random() < TIED_SHARE:
            application = min(intakes, key=lambda a: a[1])
            created = application[1].timestamp()
            station = application[3]
            row = builder.row(
                pid,
                level=2,
                status="active",
                phone=phone,
                channel="station",
                commune=station or commune,
                created=created,
                activated=builder.later(created, 1.0),
                verified_by=application[4],
            )
            return row, application[0]
        handed = _first_handover(applications)
        earliest = max(eligible, handed) if handed else eligible
        if earliest <= today:
            desk = _period_day(DESK_PERIODS, earliest, today, rng)
            created = builder.office_hours(desk)
            row = builder.row(
                pid,
                level=2,
                status="active",
                phone=phone,
                channel="station",
                commune=commune,
                created=created,
                activated=builder.later(created, 2.0),
                verified_by=f"cccd.{commune}",
            )
            return row, None
    registered = _period_day(SELF_PERIODS, eligible, today, rng)
    created = builder.waking_hours(registered)
    row = builder.row(
        pid,
        level=1,
        status="active",
        phone=phone,
        channel="api" if rng.random() < 0.75 else "web",
        commune=commune,
        created=created,
        activated=builder.later(created, 0.05),
    )
    return row, None


def _pending(
    pid: str,
    commune: str,
    phone: str,
    builder: _Builder,
    applications: Sequence[FinishedApplication],
    eligible: dt.date,
) -> tuple[list[Any], int | None]:
    """Registered, never activated: most of them lately (still may), the rest gave up."""
    rng, today = builder.rng, builder.today
    recent = today - dt.timedelta(days=120)
    day = _day_between(max(recent, eligible), today, rng) if rng.random() < 0.6 else None
    day = day or _day_between(eligible, today, rng)
    handed = _first_handover(applications)
    if handed is not None and handed <= day and rng.random() < 0.2:
        created = builder.office_hours(day)
        row = builder.row(
            pid,
            level=2,
            status="pending",
            phone=phone,
            channel="station",
            commune=commune,
            created=created,
            activated=None,
            verified_by=f"cccd.{commune}",
        )
        return row, None
    created = builder.waking_hours(day)
    row = builder.row(
        pid,
        level=1,
        status="pending",
        phone=phone,
        channel="api" if rng.random() < 0.75 else "web",
        commune=commune,
        created=min(created, builder.now - 3600),
        activated=None,
    )
    return row, None


def _lock(row: list[Any], builder: _Builder) -> None:
    rng = builder.rng
    activated = row[_COLUMN["activated_at"]].timestamp()
    row[_STATUS] = "locked"
    row[_LOCKED_AT] = _moment(activated + rng.random() * max(builder.now - activated, 0.0))
    if rng.random() < LOCKED_BY_POLICE:
        row[_LOCKED_BY] = "police"
        row[_LOCK_REASON] = POLICE_LOCK_REASONS[int(rng.random() * len(POLICE_LOCK_REASONS))]
    else:
        row[_LOCKED_BY] = "citizen"


def _revoked(
    citizen: Sequence[Any],
    builder: _Builder,
    applications: Sequence[FinishedApplication],
    eligible: dt.date,
) -> tuple[list[Any], int | None] | None:
    """An account opened before the death and revoked a few days after it, if any."""
    pid, year, month, day, _, commune, registered_phone, death = citizen[:8]
    rng = builder.rng
    if not isinstance(death, dt.date) or death <= eligible + dt.timedelta(days=30):
        return None
    age = _age_on(int(year), month, day, death)
    if rng.random() >= _active_share(age):
        return None
    before = [a for a in applications if a[2].date() < death - dt.timedelta(days=2)]
    level = 2 if before and rng.random() < LEVEL2_SHARE else 1
    handed = _first_handover(before) if level == 2 else None
    opened = _day_between(max(eligible, handed or eligible), death - dt.timedelta(days=1), rng)
    made = _active(pid, commune, builder.phone(registered_phone), level, builder, before, eligible)
    row = made[0]
    created_at, activated_at = _COLUMN["created_at"], _COLUMN["activated_at"]
    if row[created_at].date() >= death:  # drawn after the death: it was opened earlier
        created = builder.office_hours(opened)
        row[created_at] = _moment(created)
        if row[_COLUMN["level2_verified_at"]] is not None:
            row[_COLUMN["level2_verified_at"]] = _moment(created + 300)
        made = (row, None)
    if row[activated_at] >= _moment(_midnight_utc(death)):
        row[activated_at] = _moment(row[created_at].timestamp() + 3600)
    row[_COLUMN["passcode_changed_at"]] = row[activated_at]
    revoked = _midnight_utc(death) + (1 + rng.random() * 20) * DAY
    row[_STATUS] = "revoked"
    row[_REVOKED_AT] = _moment(min(revoked, builder.now))
    row[_REVOKE_REASON] = "deceased"
    return made
