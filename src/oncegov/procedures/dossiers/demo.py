"""A year of demo dossiers for the demo province, loaded in bulk.

Volumes and behaviour are planning assumptions for a synthetic province, not published
figures; each is named here so that nobody mistakes it for one:

- ``YEARLY_PER_1000``: dossiers a year per 1,000 residents, per procedure (assumption).
- ``ONLINE_SHARE`` 0.6: the national portal reported 57–60% of dossiers submitted online in
  July 2025 (issue 13); the rest come to the counter.
- ``REFUSED_TO_ACCEPT`` 3%, ``ADDITIONS`` 8% (a second request for 1 in 10 of those),
  ``REFUSED`` 4%, ``LATE`` 6% of dossiers: assumptions.

Every dossier follows its procedure's own workflow (``service.step_of``/``role_of``) and its
due date comes from the legal clock (``service.due_of``), pauses included. Dossiers received
recently are still open, at the step their elapsed time reaches, some waiting for additions.
The rows are synthetic, so no registry read is made (one audit entry records the load).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy.orm import Session

from oncegov.kit import calendar as legal
from oncegov.kit import clock
from oncegov.procedures.calendar.service import working_calendar
from oncegov.procedures.catalogue import service as catalogue
from oncegov.procedures.catalogue.schemas import Procedure
from oncegov.procedures.dossiers import service
from oncegov.procedures.dossiers.repository import DossierRepository

YEARLY_PER_1000: dict[str, float] = {  # assumption: planning volumes, not statistics
    "1.004194": 12.0,  # temporary residence
    "1.004222": 8.0,  # permanent residence
    "1.001193": 6.0,  # birth registration on its own
    "LT.KS-TT-BHYT": 8.0,  # birth + permanent residence + health insurance for under-6s
    "1.000656": 5.0,  # death registration
    "2.000488": 4.0,  # judicial record certificate
}
ONLINE_SHARE = 0.6
REFUSED_TO_ACCEPT = 0.03
ADDITIONS = 0.08
SECOND_ADDITIONS = 0.1
REFUSED = 0.04
LATE = 0.06
HAPPY_PATH = (
    "accepted",
    "assigned",
    "processing",
    "submitted_for_approval",
    "approved",
    "result_ready",
    "returned",
)


@dataclass
class DemoDossiers:
    dossiers: int = 0
    events: int = 0
    online: int = 0
    open: int = 0
    waiting: int = 0
    late: int = 0


@dataclass(frozen=True, slots=True)
class Resident:
    personal_id: str
    commune_code: str
    full_name: str


@dataclass(frozen=True, slots=True)
class Officers:
    """Demo officers' actor labels who move the dossiers, by workflow role."""

    receiver: str
    processor: str
    approver: str

    def of(self, role: str) -> str:
        return cast(str, getattr(self, role, self.processor))


def _office_moment(
    calendar: legal.WorkingCalendar, day: dt.date, rng: random.Random
) -> dt.datetime:
    minutes = rng.randrange(8 * 60, 17 * 60)
    local = dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), tzinfo=clock.zone())
    return local.astimezone(dt.UTC)


def _working_days_back(calendar: legal.WorkingCalendar, today: dt.date) -> list[dt.date]:
    days, day = [], today - dt.timedelta(days=365)
    while day <= today:
        if calendar.is_working_day(day):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


class _Builder:
    def __init__(
        self,
        session: Session,
        officers: Officers,
        rng: random.Random,
        now: dt.datetime,
    ) -> None:
        self.session = session
        self.calendar = working_calendar(session)
        self.officers = officers
        self.rng = rng
        self.now = now
        self.dossiers: list[tuple[Any, ...]] = []
        self.events: list[tuple[Any, ...]] = []
        self.sequences: Counter[tuple[str, dt.date]] = Counter()
        self.counts = DemoDossiers()
        self.next_id = 1

    def _after(self, moment: dt.datetime, working_hours: float) -> dt.datetime:
        """``moment`` moved on by roughly that many working hours (office days only)."""
        day = clock.local_day(moment)
        hours = working_hours
        while hours > 8:
            day = self.calendar.next_working_day(day)
            hours -= 8
        local = clock.local(moment)
        start = (
            local
            if day == local.date()
            else dt.datetime.combine(day, dt.time(8, 0), tzinfo=clock.zone())
        )
        return (start + dt.timedelta(hours=hours)).astimezone(dt.UTC)

    def add(self, procedure: Procedure, version: int, resident: Resident, day: dt.date) -> None:
        rng = self.rng
        received = _office_moment(self.calendar, day, rng)
        if received > self.now:
            return
        online = rng.random() < ONLINE_SHARE and "online" in procedure.channels
        channel = "online" if online else "counter"
        agency = service.agency_code(resident.commune_code)
        local_day = clock.local_day(received)
        self.sequences[(agency, local_day)] += 1
        code = f"{agency}-{local_day:%y%m%d}-{self.sequences[(agency, local_day)]:04d}"
        due = service.due_on(self.calendar, procedure, received, [])
        dossier_id = self.next_id
        self.next_id += 1
        budget = (due.at - received).total_seconds() / 3600 / 3  # wall hours ≈ working hours
        late = rng.random() < LATE
        # The moves with their moments, on the happy path or one of its side roads.
        moves: list[tuple[str, dt.datetime, str | None, str | None]] = []
        moment = received
        additions = 0
        if rng.random() < REFUSED_TO_ACCEPT:
            moves.append(
                (
                    "refused_to_accept",
                    self._after(moment, 0.5),
                    "Hồ sơ không thuộc thẩm quyền giải quyết",
                    "03",
                )
            )
        else:
            path = list(HAPPY_PATH)
            if rng.random() < REFUSED:
                path[path.index("approved")] = "refused"
            step_hours = max(budget, 1.0) * (1.6 if late else 0.7) / len(path)
            for state in path:
                moment = self._after(moment, step_hours * rng.uniform(0.5, 1.5))
                if state == "submitted_for_approval" and rng.random() < ADDITIONS:
                    for _ in range(2 if rng.random() < SECOND_ADDITIONS else 1):
                        moves.append(
                            (
                                "additions_requested",
                                moment,
                                "Đề nghị bổ sung bản sao giấy tờ chứng minh",
                                "02",
                            )
                        )
                        additions += 1
                        back = self._after(moment, 8 * rng.randint(1, 5))
                        moves.append(("processing", back, "Đã bổ sung", None))
                        moment = self._after(back, 1)
                reason = "Không đủ điều kiện theo quy định" if state == "refused" else None
                moves.append((state, moment, reason, None))
        self._write(
            procedure, version, resident, dossier_id, code, channel, received, moves, additions
        )

    def _write(
        self,
        procedure: Procedure,
        version: int,
        resident: Resident,
        dossier_id: int,
        code: str,
        channel: str,
        received: dt.datetime,
        moves: Sequence[tuple[str, dt.datetime, str | None, str | None]],
        additions: int,
    ) -> None:
        state = procedure.workflow.initial
        by_officer = self.officers.receiver
        submitted_by = f"citizen:{resident.personal_id}" if channel == "online" else by_officer
        events: list[tuple[Any, ...]] = [
            (
                dossier_id,
                1,
                received,
                submitted_by,
                submitted_by.split(":")[0],
                None,
                state,
                None,
                None,
            )
        ]
        pauses: list[list[str]] = []
        paused_since: dt.datetime | None = None
        due = service.due_on(self.calendar, procedure, received, [])
        outcome: str | None = None
        ended: dt.datetime | None = None
        last_step = procedure.workflow.steps[-1]
        for to_state, moment, reason, form in moves:
            if moment > self.now:
                break
            actor = (
                f"citizen:{resident.personal_id}"
                if state == "additions_requested"
                else self.officers.of(service.role_of(procedure, state))
            )
            if to_state == "additions_requested":
                paused_since = moment
            elif paused_since is not None:
                pauses.append([paused_since.isoformat(), moment.isoformat()])
                paused_since = None
                due = service.due_on(
                    self.calendar,
                    procedure,
                    received,
                    [
                        (dt.datetime.fromisoformat(a), dt.datetime.fromisoformat(b))
                        for a, b in pauses
                    ],
                )
            if outcome is None and to_state in last_step.states and to_state != "refused_to_accept":
                outcome = service.outcome_of(moment, due.at)
            if to_state in ("returned", "refused_to_accept"):
                ended = moment
            events.append(
                (
                    dossier_id,
                    len(events) + 1,
                    moment,
                    actor,
                    actor.split(":")[0],
                    state,
                    to_state,
                    reason,
                    form,
                )
            )
            state = to_state
        step = service.step_of(procedure, state)
        self.dossiers.append(
            (
                dossier_id,
                code,
                procedure.code,
                version,
                resident.personal_id,
                None,
                channel,
                resident.commune_code,
                state,
                step.key,
                service.role_of(procedure, state) if ended is None else "none",
                step.level,
                None,
                {
                    "full_name": {"value": resident.full_name, "source": "registry:full_name"},
                    "personal_id": {
                        "value": resident.personal_id,
                        "source": "registry:personal_id",
                    },
                },
                submitted_by,
                f"demo-{dossier_id}",
                received,
                due.at,
                due.day,
                paused_since,
                pauses,
                additions,
                None,
                ended,
                outcome,
                len(events),
            )
        )
        for event in events:
            self.events.append((*event, due.at))
        counts = self.counts
        counts.dossiers += 1
        counts.events += len(events)
        counts.online += channel == "online"
        counts.open += ended is None
        counts.waiting += paused_since is not None
        counts.late += outcome == "late"


DOSSIER_COLUMNS = (
    "id",
    "code",
    "procedure_code",
    "procedure_version",
    "applicant_personal_id",
    "subject_personal_id",
    "channel",
    "commune_code",
    "state",
    "step",
    "role",
    "level",
    "assigned_to",
    "form",
    "submitted_by",
    "idempotency_key",
    "received_at",
    "due_at",
    "due_day",
    "paused_since",
    "pauses",
    "additions_requests",
    "warned_at",
    "ended_at",
    "outcome",
    "events",
)
EVENT_COLUMNS = (
    "dossier_id",
    "seq",
    "at",
    "actor",
    "actor_kind",
    "from_state",
    "to_state",
    "reason",
    "form",
    "due_at",
)


def load_demo_dossiers(
    session: Session,
    residents: Iterable[Resident],
    officers: Officers,
    *,
    seed: int,
    today: dt.date,
) -> DemoDossiers:
    """A year of dossiers up to ``today`` for the residents (their communes' centres)."""
    rng = random.Random(f"oncegov-demo:dossiers:{seed}")
    now = min(clock.now(), dt.datetime.combine(today, dt.time(17), tzinfo=clock.zone()))
    builder = _Builder(session, officers, rng, now)
    days = _working_days_back(builder.calendar, today)
    procedures = [
        (catalogue.procedure(session, code, today), rate / 1000)
        for code, rate in YEARLY_PER_1000.items()
    ]
    planned: list[tuple[dt.date, int, Resident]] = []
    for resident in residents:
        for index, (_, rate) in enumerate(procedures):
            if rng.random() < rate:
                planned.append((rng.choice(days), index, resident))
    planned.sort(key=lambda item: item[0])  # daily sequences in order of receipt
    for day, index, resident in planned:
        stored = procedures[index][0]
        builder.add(stored.definition, stored.version, resident, day)
    DossierRepository(session).bulk_load(
        DOSSIER_COLUMNS,
        builder.dossiers,
        EVENT_COLUMNS,
        builder.events,
        [(agency, day, last) for (agency, day), last in builder.sequences.items()],
    )
    return builder.counts


def delete_all(session: Session) -> int:
    """Remove every dossier, draft, document record and sequence (the demo's ``--replace``:
    they refer to the citizens it deletes)."""
    return DossierRepository(session).delete_all()
