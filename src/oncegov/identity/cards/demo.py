"""Demo chip ID-card applications at realistic rates: a pure, seeded generator.

To load them, call ``oncegov.identity.cards.service.load_demo_applications(session, citizens,
rng, today)``: it numbers the applications after those already stored, bulk-inserts them and
derives their step rows in SQL (one per timestamp column: the same rows the pipeline writes).

``generate(citizens, rng, today, first_id=…)`` yields one application row per application, a
tuple in ``APPLICATION_COLUMNS`` order; ``steps_of(row)`` gives its step rows (tuples in
``STEP_COLUMNS`` order) for callers that want them in Python. Input rows are
``(personal_id, birth_year, birth_month, birth_day, status, permanent_commune_code, sex)``,
optionally followed by ``full_name``, ``permanent_address`` (without them the card name is
empty and no card goes by post) and ``date_of_death`` (nobody applies after their death).

Rates (Cao Bằng, 2021–2026):

* Nearly every citizen aged 14 or more (97%) has had a first issue. Adults mostly applied in
  the 2021 chip-card campaign (the bulk in the first half), then 2022–2023, then a wave after
  the Law on Identification took effect on 1 July 2024; those who turned 14 later applied
  within months of their birthday. Most cards were collected at the station, a quarter came
  by post to the permanent residence.
* About 0.5% of first issues were first rejected (unreadable fingerprints, papers missing)
  and received again a few weeks later.
* Renewals at 25, 40 and 60 for the citizens whose renewal window opened after their first
  card (85% of them, inside the window).
* Re-issue after loss (1.5%), damage (0.7%) and change of information (1%, mostly after the
  July 2025 merger of communes).
* About 1.5% of the eligible have an application in progress, received in the last 4 weeks,
  at the step its age implies. Deceased and missing citizens have only finished ones.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from oncegov.identity.cards.rules import (
    CARD_PIPELINE,
    FIRST_ISSUE_MIN_AGE,
    RENEWAL_AGES,
    RENEWAL_EARLY_YEARS,
    BirthDate,
    fee_for,
    renewal_window,
)

APPLICATION_COLUMNS: tuple[str, ...] = (
    "id",
    "personal_id",
    "kind",
    "status",
    "fee_vnd",
    "full_name",
    "date_of_birth",
    "sex",
    "commune_code",
    "station_kind",
    "station_commune_code",
    "portrait_captured",
    "fingerprints_captured",
    "delivery",
    "delivery_address_source",
    "delivery_commune_code",
    "delivery_address",
    "eid_level2_requested",
    "received_by",
    "received_at",
    "checked_at",
    "sent_for_production_at",
    "produced_at",
    "returned_at",
    "delivered_at",
    "rejected_at",
    "rejected_from",
    "rejection_reason",
)
STEP_COLUMNS: tuple[str, ...] = (
    "application_id",
    "from_status",
    "to_status",
    "at",
    "actor",
    "note",
)
PIPELINE = CARD_PIPELINE.open_names  # received, checked, sent_for_production, produced
DAY = 86_400.0
LOCAL_OFFSET = 7 * 3600.0  # Asia/Ho_Chi_Minh, no daylight saving
PROVINCIAL_OFFICER = "pc06.cccd"
REJECTION_REASONS = (
    "Fingerprints unreadable; the citizen is asked to come back",
    "Birth certificate needed to confirm the date of birth",
    "Portrait does not meet the standard",
)
# (first day, last day, weight) of first-issue intake for citizens already 14 in 2021.
CAMPAIGN_PERIODS: tuple[tuple[dt.date, dt.date, float], ...] = (
    (dt.date(2021, 1, 4), dt.date(2021, 6, 30), 0.50),
    (dt.date(2021, 7, 1), dt.date(2021, 12, 31), 0.16),
    (dt.date(2022, 1, 1), dt.date(2022, 12, 31), 0.11),
    (dt.date(2023, 1, 1), dt.date(2024, 6, 30), 0.08),
    (dt.date(2024, 7, 1), dt.date(2025, 6, 30), 0.11),  # Law on Identification wave
    (dt.date(2025, 7, 1), dt.date(2026, 12, 31), 0.04),
)
CAMPAIGN_START = CAMPAIGN_PERIODS[0][0]


def _timestamp(day: dt.date, rng: random.Random) -> float:
    """POSIX seconds of a moment in office hours (07:30–17:00 local) on ``day``."""
    midnight_utc = (day.toordinal() - 719_163) * DAY  # 719_163 = date(1970, 1, 1).toordinal()
    return midnight_utc - LOCAL_OFFSET + 27_000 + rng.random() * 34_200


def _moment(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


def _day_between(first: dt.date, last: dt.date, rng: random.Random) -> dt.date:
    span = (last - first).days
    return first + dt.timedelta(days=int(rng.random() * (span + 1))) if span > 0 else first


def _first_issue_day(eligible: dt.date, today: dt.date, rng: random.Random) -> dt.date | None:
    if eligible <= CAMPAIGN_START:
        pick = rng.random()
        for first, last, weight in CAMPAIGN_PERIODS:
            if pick < weight:
                return _day_between(first, min(last, today), rng) if first <= today else None
            pick -= weight
        return None
    # Turned 14 later: applied within about half a year.
    day = eligible + dt.timedelta(days=int(rng.expovariate(1 / 60)))
    return day if day <= today else None


class _Citizen:
    __slots__ = (
        "address",
        "birth",
        "commune",
        "died",
        "iso_birth",
        "name",
        "pid",
        "sex",
        "status",
    )

    def __init__(self, row: Sequence[Any]) -> None:
        self.pid: str = row[0]
        self.birth = BirthDate(int(row[1]), row[2], row[3])
        self.iso_birth = self.birth.iso()
        self.status: str = row[4]
        self.commune: str | None = row[5]
        self.sex: str = row[6]
        self.name: str = row[7] if len(row) > 7 and row[7] else ""
        self.address: str | None = row[8] if len(row) > 8 else None
        self.died: dt.date | None = row[9] if len(row) > 9 else None

    def horizon(self, today: dt.date) -> dt.date:
        """The last day this citizen could have applied: yesterday, or before their death."""
        last = today - dt.timedelta(days=1)
        if self.died is not None and self.died <= last:
            return self.died - dt.timedelta(days=1)
        return last


class _Builder:
    """Turns (citizen, kind, day, outcome) into application rows numbered from first_id."""

    def __init__(self, rng: random.Random, today: dt.date, first_id: int) -> None:
        self.rng = rng
        self.next_id = first_id
        # A minute before local midnight at the start of ``today``: whenever on that day the
        # demo is loaded, none of its moments lies in the future (applications end yesterday).
        self.now = (today.toordinal() - 719_163) * DAY - LOCAL_OFFSET - 60
        self.fees: dict[tuple[str, dt.date], int] = {}

    def fee(self, kind: str, day: dt.date) -> int:
        key = (kind, day)
        if key not in self.fees:
            self.fees[key] = fee_for(kind, day).amount_vnd
        return self.fees[key]

    def build(
        self, citizen: _Citizen, kind: str, day: dt.date, *, outcome: str = "finished"
    ) -> tuple[Any, ...]:
        """``outcome``: finished (returned or delivered), rejected, or in_progress (the step
        follows from how long ago it was received)."""
        rng = self.rng
        app_id = self.next_id
        self.next_id += 1
        station = citizen.commune if rng.random() < 0.8 else None
        by_post = citizen.address is not None and rng.random() < 0.25
        # Moments of: received, checked, sent for production, produced, handed over.
        received = _timestamp(day, rng)
        checked = received + (1 + rng.random() * 2) * DAY
        sent = checked + (0.5 + rng.random() * 2) * DAY
        produced = sent + (5 + rng.random() * 7) * DAY
        handed = produced + (2 + rng.random() * 8) * DAY
        times = [received, checked, sent, produced, handed]
        if handed > self.now:
            outcome = "in_progress"  # received lately: not through the pipeline yet
        reached = 5
        if outcome == "in_progress":
            reached = max(1, sum(1 for t in times if t <= self.now))
        elif outcome == "rejected":
            reached = 1 + int(rng.random() * 2)
        stamps: list[dt.datetime | None] = [
            _moment(t) if i < reached else None for i, t in enumerate(times)
        ]
        statuses = (*PIPELINE, "delivered" if by_post else "returned")
        status = statuses[reached - 1]
        rejected_at = rejected_from = reason = None
        if outcome == "rejected":
            rejected_at = _moment(times[reached - 1] + 0.2 * DAY)
            rejected_from, status = status, "rejected"
            reason = REJECTION_REASONS[int(rng.random() * len(REJECTION_REASONS))]
        return (
            app_id,
            citizen.pid,
            kind,
            status,
            self.fee(kind, day),
            citizen.name,
            citizen.iso_birth,
            citizen.sex,
            citizen.commune,
            "commune" if station else "province",
            station,
            True,
            True,
            "post" if by_post else "station",
            "permanent" if by_post else None,
            citizen.commune if by_post else None,
            citizen.address if by_post else None,
            False,
            f"cccd.{station}" if station else PROVINCIAL_OFFICER,
            stamps[0],
            stamps[1],
            stamps[2],
            stamps[3],
            None if by_post else stamps[4],
            stamps[4] if by_post else None,
            rejected_at,
            rejected_from,
            reason,
        )


# Positions in an application row, for steps_of.
_COLUMN = {name: index for index, name in enumerate(APPLICATION_COLUMNS)}
_STEP_ORDER = ("received", "checked", "sent_for_production", "produced", "returned", "delivered")


def steps_of(row: Sequence[Any]) -> list[tuple[Any, ...]]:
    """The step rows of an application row: one per timestamp set, then the rejection."""
    app_id, actor = row[_COLUMN["id"]], f"officer:{row[_COLUMN['received_by']]}"
    steps: list[tuple[Any, ...]] = []
    previous: str | None = None
    for status in _STEP_ORDER:
        moment = row[_COLUMN[f"{status}_at"]]
        if moment is not None:
            steps.append((app_id, previous, status, moment, actor, None))
            previous = status
    if row[_COLUMN["rejected_at"]] is not None:
        reason = row[_COLUMN["rejection_reason"]]
        steps.append((app_id, previous, "rejected", row[_COLUMN["rejected_at"]], actor, reason))
    return steps


def _later_day(after: dt.date, today: dt.date, rng: random.Random) -> dt.date | None:
    start = after + dt.timedelta(days=60)
    return _day_between(start, today, rng) if start <= today else None


def generate(
    citizens: Iterable[Sequence[Any]],
    rng: random.Random,
    today: dt.date,
    *,
    first_id: int = 1,
) -> Iterator[tuple[Any, ...]]:
    """Application rows for ``citizens``, deterministic for a seeded ``rng``.
    A citizen's applications come oldest first and stop at one still in progress, so no
    citizen ever has two in progress (the table's unique index would refuse them)."""
    builder = _Builder(rng, today, first_id)
    for row in citizens:
        citizen = _Citizen(row)
        for application in _applications_of(citizen, builder, rng, citizen.horizon(today)):
            yield application
            if application[3] in PIPELINE:
                break


def _applications_of(
    citizen: _Citizen, builder: _Builder, rng: random.Random, today: dt.date
) -> Iterator[tuple[Any, ...]]:
    if not citizen.commune or citizen.birth.age_on(today) < FIRST_ISSUE_MIN_AGE:
        return
    if rng.random() >= 0.97:
        return
    eligible = citizen.birth.birthday(FIRST_ISSUE_MIN_AGE)
    first_day = _first_issue_day(eligible, today, rng)
    if first_day is None:
        return
    recent_from = today - dt.timedelta(days=27)
    in_progress = citizen.status == "living" and rng.random() < 0.015
    if in_progress and first_day >= recent_from:
        yield builder.build(citizen, "first_issue", first_day, outcome="in_progress")
        return
    if rng.random() < 0.005:
        rejected_day = max(eligible, first_day - dt.timedelta(days=14 + int(rng.random() * 30)))
        yield builder.build(citizen, "first_issue", rejected_day, outcome="rejected")
    yield builder.build(citizen, "first_issue", first_day)
    last_day = first_day
    for kind, age in RENEWAL_AGES.items():
        opens_year = citizen.birth.year + age - RENEWAL_EARLY_YEARS
        if opens_year > today.year:
            break  # this window (and the later ones) has not opened yet
        if opens_year < first_day.year:
            continue  # opened before the first card: that card already covers this age
        window = renewal_window(kind, citizen.birth)
        if window.opens <= first_day or window.opens > today or rng.random() >= 0.85:
            continue
        end = min(window.closes or today, today, window.opens + dt.timedelta(days=900))
        last_day = _day_between(window.opens, end, rng)
        yield builder.build(citizen, kind, last_day)
    extra = rng.random()
    extra_kind = (
        "reissue_loss"
        if extra < 0.015
        else "reissue_damage"
        if extra < 0.022
        else "change_of_information"
        if extra < 0.032
        else None
    )
    if extra_kind and (day := _later_day(last_day, recent_from, rng)) is not None:
        yield builder.build(citizen, extra_kind, day)
        last_day = day
    if in_progress and last_day < recent_from:
        recent_kind = "reissue_loss" if rng.random() < 0.5 else "reissue_damage"
        day = _day_between(recent_from, today, rng)
        yield builder.build(citizen, recent_kind, day, outcome="in_progress")
