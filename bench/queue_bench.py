"""Officers' queue benchmark: the work-queue page (``GET /dossiers``) with 1,000,000 dossiers
in the database, under 16 concurrent officers (issue 13, "Speed and durability").

The database (built once into ``var/bench/queue.db`` or the PostgreSQL database
``oncegov_bench_queue``, reused unless ``--rebuild``) holds the demo province at scale 1 (its
registry, catalogue and communes) and, in place of the demo's own year of dossiers,
``--dossiers`` (1,000,000) dossiers received over the last 15 months at the province's
communes (each commune's share follows its population, each procedure's share the demo's
planning volumes), the way such a period would leave them:

- most ended: returned (with an outcome: early / on time / late) or refused at reception;
- the recent ones open, at the step their age reaches on their procedure's own workflow
  (received, accepted, assigned, processing, submitted for approval, approved / refused,
  result ready), about one in twelve waiting for the applicant's additions (clock paused);
- some overdue (open past their due date), a few long overdue;
- handler steps assigned, half of them to the bench's commune officer of that commune.

Due dates come from the legal clock (``service.due_on`` on the working calendar, read once per
procedure and hour of receipt). Each dossier has ONE event (its receipt): the bench is about
the queue, which never reads the events; the demo loader writes full histories. Rows go in
through ``db.bulk_insert`` (COPY on PostgreSQL, executemany on SQLite), one transaction per
batch.

Then 16 commune officers (a service-centre clerk who is also the dossiers' handler, in 16
different communes) and one provincial officer (clerk and handler for the whole province),
each with a signed-in web session made by the auth service (``create_officer``,
``start_session``: this is not a login test). The portal runs as deployed (``oncegov serve``,
``--workers``, 1 by default) on loopback; the load generator is wrk (Debian package ``wrk``)
in another process with ``--connections`` (16) for ``--seconds`` (30): each request an
officer's queue page with that officer's cookie, the views all / new / mine / due_soon /
overdue / waiting, a third of them filtered by a procedure, and page 2 of every page that has
one, through the page's own "Next" link (read from page 1 before the run).

Prints p50 / p95 / p99 and requests/s, the answers by status (every one must be 200, else the
bench fails) and the verdict against the target: p95 <= 200 ms.

    uv run python bench/queue_bench.py                  # SQLite
    uv run python bench/queue_bench.py --pg             # PostgreSQL
    uv run python bench/queue_bench.py --seconds 10     # a quick look
    uv run python bench/queue_bench.py --explain        # the queue's query plans, no load
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import os
import random
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchlib import (
    ROOT,
    bench_env,
    build_demo,
    citizen_count,
    database_url,
    free_port,
    oncegov,
    served,
    wrk,
    wrk_script,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy.orm import Session

PG_DATABASE = "oncegov_bench_queue"
SQLITE_NAME = "queue.db"
DEMO_SCALE = 1.0
MIN_CITIZENS = 400_000  # the demo province at scale 1 (≈ 540,000)
TARGET_P95_MS = 200.0
DOSSIERS = 1_000_000
BATCH = 50_000
MONTHS_BACK = 15
COMMUNE_OFFICERS = 16
PREFIX = "bench.queue."
PROVINCIAL = f"{PREFIX}province"
PASSWORD = "bench-queue-password-0123"  # a bench officer's, on a bench database
VIEWS = ("all", "new", "mine", "due_soon", "overdue", "waiting")

# Shares of the period's dossiers (assumptions of the bench, like the demo's).
REFUSED_TO_ACCEPT = 0.03
REFUSED = 0.04
LATE = 0.06
ADDITIONS = 0.08  # of the open dossiers at the handler's step: waiting for the applicant
OPEN_IN_TIME = 0.9  # still open while younger than the statutory time
OPEN_JUST_LATE = 0.08  # still open up to (statutory time + 5) working days: overdue
OPEN_LONG_LATE = 0.01  # still open up to 60 working days
ASSIGNED_TO_BENCH = 0.5  # of the handler steps: the bench officer of the commune

WRK_SCRIPT = """
local lines = {}
for line in io.lines("%(requests)s") do lines[#lines + 1] = line end
math.randomseed(%(seed)d)

function request()
  local line = lines[math.random(#lines)]
  local tab = string.find(line, "\\t", 1, true)
  return wrk.format("GET", string.sub(line, tab + 1), {
    ["Cookie"] = "%(cookie)s=" .. string.sub(line, 1, tab - 1),
  })
end
"""


def _env(url: str) -> dict[str, str]:
    return bench_env(url)


def dossier_count(url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM dossiers")).scalar() or 0)
    except Exception:
        return 0
    finally:
        engine.dispose()


# --- the dossiers ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Procedure:
    code: str
    version: int
    definition: Any  # catalogue.schemas.Procedure
    weight: float
    limit_days: int  # statutory working days (same-day procedures: 1)
    online: bool


def _office_moment(day: dt.date, rng: random.Random, zone: dt.tzinfo) -> dt.datetime:
    minutes = rng.randrange(8 * 60, 17 * 60)
    local = dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), tzinfo=zone)
    return local.astimezone(dt.UTC)


class _Generator:
    """The period's dossiers in order of receipt (ids follow receipt, as in production)."""

    def __init__(self, session: Session, seed: int, total: int) -> None:
        from oncegov.kit import clock
        from oncegov.procedures.calendar.service import working_calendar
        from oncegov.procedures.catalogue import service as catalogue
        from oncegov.procedures.dossiers import demo as dossier_demo
        from oncegov.procedures.dossiers import service

        self.clock, self.service = clock, service
        self.rng = random.Random(f"queue-bench:{seed}")
        self.now = clock.now()
        self.zone = clock.zone()
        self.calendar = working_calendar(session)
        today = clock.local_day(self.now)
        start = today - dt.timedelta(days=round(MONTHS_BACK * 30.4))
        self.days = [
            start + dt.timedelta(days=n)
            for n in range((today - start).days + 1)
            if self.calendar.is_working_day(start + dt.timedelta(days=n))
        ]
        self.day_index = {day: i for i, day in enumerate(self.days)}
        self.procedures: list[_Procedure] = []
        for stored in catalogue.catalogue(session):
            spec = stored.definition.statutory_time
            limit = spec.amount if spec.unit == "working_days" and spec.amount else 1
            self.procedures.append(
                _Procedure(
                    stored.code,
                    stored.version,
                    stored.definition,
                    dossier_demo.YEARLY_PER_1000.get(stored.code, 3.0),
                    limit,
                    "online" in stored.definition.channels,
                )
            )
        self.total = total
        self.due_cache: dict[tuple[str, dt.datetime], Any] = {}
        self.sequences: dict[tuple[str, dt.date], int] = {}
        self.counts: dict[str, int] = {}

    def due(self, procedure: _Procedure, received: dt.datetime) -> Any:
        hour = received.replace(minute=0, second=0, microsecond=0)
        key = (procedure.code, hour)
        if key not in self.due_cache:
            self.due_cache[key] = self.service.due_on(self.calendar, procedure.definition, hour, [])
        return self.due_cache[key]

    def rows(
        self,
        residents: dict[str, list[tuple[str, str]]],
        officers: dict[str, str],
        provincial: str,
    ) -> Iterator[tuple[tuple[Any, ...], tuple[Any, ...]]]:
        """(dossier row, event row) in ``demo.DOSSIER_COLUMNS`` / ``EVENT_COLUMNS`` order."""
        rng = self.rng
        communes = sorted(residents)
        commune_weights = [len(residents[c]) for c in communes]
        weights = [p.weight for p in self.procedures]
        per_day, extra = divmod(self.total, len(self.days))
        dossier_id = 0
        last = len(self.days) - 1
        for index, day in enumerate(self.days):
            count = per_day + (1 if index < extra else 0)
            moments = sorted(_office_moment(day, rng, self.zone) for _ in range(count))
            chosen_communes = rng.choices(communes, commune_weights, k=count)
            chosen_procedures = rng.choices(self.procedures, weights, k=count)
            for moment, commune, procedure in zip(
                moments, chosen_communes, chosen_procedures, strict=True
            ):
                # Today's later hours: received just now.
                received = min(moment, self.now - dt.timedelta(minutes=rng.randrange(1, 60)))
                dossier_id += 1
                yield self._one(
                    dossier_id,
                    procedure,
                    commune,
                    rng.choice(residents[commune]),
                    received,
                    last - index,
                    officers.get(commune),
                    provincial,
                )

    def _one(
        self,
        dossier_id: int,
        procedure: _Procedure,
        commune: str,
        resident: tuple[str, str],
        received: dt.datetime,
        age: int,
        bench_officer: str | None,
        provincial: str,
    ) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        rng, service, definition = self.rng, self.service, procedure.definition
        personal_id, full_name = resident
        online = procedure.online and rng.random() < 0.6
        channel = "online" if online else "counter"
        agency = service.agency_code(commune)
        local_day = self.clock.local_day(received)
        sequence = self.sequences.get((agency, local_day), 0) + 1
        self.sequences[(agency, local_day)] = sequence
        code = f"{agency}-{local_day:%y%m%d}-{sequence:04d}"
        due = self.due(procedure, received)
        limit = procedure.limit_days
        if age < limit:
            is_open = rng.random() < OPEN_IN_TIME
        elif age < limit + 5:
            is_open = rng.random() < OPEN_JUST_LATE
        elif age < 60:
            is_open = rng.random() < OPEN_LONG_LATE
        else:
            is_open = False
        paused_since = warned = ended = outcome = assigned = None
        additions = 0
        if is_open:
            # The step the dossier's age reaches on the happy path (overdue ones: anywhere).
            path = (
                "received",
                "accepted",
                "assigned",
                "processing",
                "submitted_for_approval",
                "approved",
                "result_ready",
            )
            progress = min(age / limit, 0.999) if age < limit else rng.random()
            state = path[int(progress * len(path))]
            if state == "approved" and rng.random() < REFUSED / 0.5:
                state = "refused"
            if state in ("processing", "submitted_for_approval") and rng.random() < ADDITIONS * 2:
                state = "additions_requested"
                paused_since = received + dt.timedelta(hours=rng.randint(2, 8 * max(age, 1)))
                paused_since = min(paused_since, self.now - dt.timedelta(minutes=5))
                additions = 1
            role = service.role_of(definition, state)
            if role == "processor":
                assigned = (
                    bench_officer
                    if bench_officer and rng.random() < ASSIGNED_TO_BENCH
                    else provincial
                    if rng.random() < 0.05
                    else f"officer:xuly.{commune}"
                )
            if paused_since is None and due.at - self.now < dt.timedelta(days=1):
                warned = self.now - dt.timedelta(hours=1)
        else:
            refused = rng.random() < REFUSED_TO_ACCEPT
            state = "refused_to_accept" if refused else "returned"
            role = "none"
            late = rng.random() < LATE
            budget = (due.at - received) * (1.4 if late else rng.uniform(0.3, 0.95))
            ended = received + (dt.timedelta(hours=1) if refused else budget)
            ended = min(ended, self.now - dt.timedelta(minutes=1))
            outcome = None if refused else ("late" if late else service.outcome_of(ended, due.at))
            additions = 1 if not refused and rng.random() < ADDITIONS else 0
            assigned = None if refused else f"officer:xuly.{commune}"
        step = service.step_of(definition, state)
        submitted_by = f"citizen:{personal_id}" if online else f"officer:motcua.{commune}"
        counts = self.counts
        counts[state] = counts.get(state, 0) + 1
        if is_open and paused_since is None and due.at < self.now:
            counts["open, overdue"] = counts.get("open, overdue", 0) + 1
        dossier = (
            dossier_id,
            code,
            procedure.code,
            procedure.version,
            personal_id,
            None,
            channel,
            commune,
            state,
            step.key,
            role,
            step.level,
            assigned,
            {
                "full_name": {"value": full_name, "source": "registry:full_name"},
                "personal_id": {"value": personal_id, "source": "registry:personal_id"},
            },
            submitted_by,
            f"bench-{dossier_id}",
            received,
            due.at,
            due.day,
            paused_since,
            [],
            additions,
            warned,
            ended,
            outcome,
            1,
        )
        event = (
            dossier_id,
            1,
            received,
            submitted_by,
            submitted_by.partition(":")[0],
            None,
            definition.workflow.initial,
            None,
            None,
            due.at,
        )
        return dossier, event


def _province_communes(session: Session) -> list[str]:
    """The communes of the province the demo generated (``settings.province_code``), by code:
    citizens registered elsewhere are not the province's dossiers' applicants."""
    from oncegov.config import settings
    from oncegov.units import service as units

    return sorted(units.commune_codes_of_province(session, settings.province_code))


def load_dossiers(url: str, total: int, seed: int) -> None:
    """Replace the demo's dossiers by ``total`` of the bench's, in batches."""
    os.environ.update(_env(url))
    from typing import cast

    from sqlalchemy import Table, create_engine, select
    from sqlalchemy.orm import Session

    from oncegov.db import bulk_insert
    from oncegov.procedures.dossiers import demo as dossier_demo
    from oncegov.procedures.dossiers.models import Dossier, DossierEvent, DossierSequence
    from oncegov.registry.models import Citizen

    started = time.perf_counter()
    engine = create_engine(url)
    with Session(engine) as session:
        deleted = dossier_demo.delete_all(session)
        session.commit()
        print(f"dossiers: removed the demo's {deleted:,}; generating {total:,} …")
        communes = _province_communes(session)
        residents: dict[str, list[tuple[str, str]]] = {}
        query = select(Citizen.personal_id, Citizen.full_name, Citizen.permanent_commune_code)
        for personal_id, full_name, commune in session.execute(
            query.where(Citizen.permanent_commune_code.in_(communes))
        ):
            residents.setdefault(commune, []).append((personal_id, full_name))
        officers = {c: f"officer:{PREFIX}{c}" for c in communes[:COMMUNE_OFFICERS]}
        generator = _Generator(session, seed, total)
        dossier_table = cast(Table, Dossier.__table__)
        event_table = cast(Table, DossierEvent.__table__)
        dossiers: list[tuple[Any, ...]] = []
        events: list[tuple[Any, ...]] = []
        done = 0

        def flush() -> None:
            nonlocal done
            bulk_insert(session, dossier_table, dossier_demo.DOSSIER_COLUMNS, dossiers)
            bulk_insert(session, event_table, dossier_demo.EVENT_COLUMNS, events)
            session.commit()
            done += len(dossiers)
            dossiers.clear()
            events.clear()
            rate = done / (time.perf_counter() - started)
            print(f"\r  {done:>9,} / {total:,} dossiers  ({rate:,.0f}/s)", end="", flush=True)

        for dossier, event in generator.rows(residents, officers, f"officer:{PROVINCIAL}"):
            dossiers.append(dossier)
            events.append(event)
            if len(dossiers) >= BATCH:
                flush()
        if dossiers:
            flush()
        print()
        bulk_insert(
            session,
            cast(Table, DossierSequence.__table__),
            ("agency_code", "day", "last"),
            [(agency, day, last) for (agency, day), last in generator.sequences.items()],
        )
        session.commit()
    if engine.dialect.name == "postgresql":
        # What autovacuum does after a load this size: statistics and the visibility map.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE dossiers")
    # SQLite: the statistics are what the worker's nightly job leaves (``main`` refreshes
    # them before serving, as db.refresh_planner_statistics does).
    engine.dispose()
    print(f"dossiers: loaded in {time.perf_counter() - started:.0f} s; by state:")
    for state, n in sorted(generator.counts.items(), key=lambda item: -item[1]):
        print(f"  {state:<24}{n:>10,}")


def build(url: str, rebuild: bool, pg: bool, total: int, seed: int) -> None:
    if rebuild or citizen_count(url) < MIN_CITIZENS:
        build_demo(url, _env(url), scale=DEMO_SCALE, pg=pg)
    else:
        print(f"registry: reusing {url}")
        oncegov(_env(url), "migrate")  # a database built before the latest migration
    if rebuild or dossier_count(url) != total:
        load_dossiers(url, total, seed)
    else:
        print(f"dossiers: reusing the {total:,}")


# --- the officers and their requests -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BenchOfficer:
    username: str
    token: str
    commune: str | None  # None: the provincial officer


def prepare(url: str) -> tuple[list[BenchOfficer], list[str]]:
    """The bench officers (made once) with a fresh signed-in session each, and the procedure
    codes of the catalogue."""
    os.environ.update(_env(url))
    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import Session

    from oncegov.auth import service as auth
    from oncegov.auth.models import Officer
    from oncegov.config import settings
    from oncegov.procedures.catalogue import service as catalogue

    engine = create_engine(url)
    with Session(engine) as session:
        communes = _province_communes(session)[:COMMUNE_OFFICERS]
        province = settings.province_code
        wanted: list[tuple[str, str | None, list[tuple[str, str, str]]]] = [
            (
                f"{PREFIX}{c}",
                c,
                [("service_centre_clerk", "commune", c), ("dossier_handler", "commune", c)],
            )
            for c in communes
        ]
        wanted.append(
            (
                PROVINCIAL,
                None,
                [
                    ("service_centre_clerk", "province", province),
                    ("dossier_handler", "province", province),
                ],
            )
        )
        officers: list[BenchOfficer] = []
        for username, commune, roles in wanted:
            officer = session.scalar(select(Officer).where(Officer.username == username))
            if officer is None:
                officer = auth.create_officer(
                    session, username=username, full_name=username, password=PASSWORD, roles=roles
                ).officer
            issued = auth.start_session(
                session,
                subject_kind="officer",
                subject_id=officer.id,
                ip="127.0.0.1",
                user_agent="queue-bench",
            )
            officers.append(BenchOfficer(username, issued.token, commune))
        procedures = [p.code for p in catalogue.catalogue(session)]
        session.commit()
    engine.dispose()
    return officers, procedures


NEXT_LINK = re.compile(r'<a href="(/dossiers\?[^"]*)">[^<]*</a>\s*</p>')


def request_lines(
    base: str, officers: list[BenchOfficer], procedures: list[str], seed: int
) -> tuple[list[str], int]:
    """Each officer's first pages (every view; a third filtered by one of the catalogue's
    procedures) and, for each that has one, page 2 through its own "Next" link. Reading them
    once also warms the server. Returns the lines and how many are page 2."""
    import httpx

    from oncegov.config import settings

    rng = random.Random(seed)
    lines: list[str] = []
    second_pages = 0
    with httpx.Client(base_url=base, timeout=60) as client:
        for officer in officers:
            cookies = {settings.session_cookie: officer.token}
            for view in VIEWS:
                for procedure in ("", "", rng.choice(procedures)):
                    path = (
                        "/dossiers?"
                        + f"view={view}"
                        + (f"&procedure={procedure}" if procedure else "")
                    )
                    page = client.get(path, cookies=cookies)
                    if page.status_code != 200:
                        raise SystemExit(f"{officer.username} {path}: HTTP {page.status_code}")
                    lines.append(f"{officer.token}\t{path}")
                    found = NEXT_LINK.search(page.text)
                    if found and "page=2" in found[1]:
                        lines.append(f"{officer.token}\t{html.unescape(found[1])}")
                        second_pages += 1
    return lines, second_pages


def refresh_statistics(url: str) -> None:
    """The planner's statistics as the worker's nightly job leaves them."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from oncegov import db

    engine = create_engine(url)
    with Session(engine) as session:
        db.refresh_planner_statistics(session)
        session.commit()
    engine.dispose()


def server_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of the server process and its worker processes so far (Linux
    ``/proc``): what a request costs, whatever else the machine is running."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat.parent.name) == pid or int(fields[1]) == pid:  # itself or its child
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


# --- the plans ---------------------------------------------------------------------------------


def explain(url: str, officers: list[BenchOfficer]) -> None:
    """The SQL of the queue page for a commune officer and the provincial officer, each view,
    with the database's plan."""
    os.environ.update(_env(url))
    from sqlalchemy import create_engine, event
    from sqlalchemy.orm import Session

    from oncegov.auth import service as auth
    from oncegov.kit.repository import Page
    from oncegov.procedures.dossiers import service
    from oncegov.procedures.dossiers.dependencies import _dossier_officer

    engine = create_engine(url)
    pg = engine.dialect.name == "postgresql"
    captured: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "FROM dossiers" in statement and "ORDER BY" in statement:
            captured.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    with Session(engine) as session:
        for officer in (officers[0], officers[-1]):
            principal = auth.officer_principal_from_session(session, officer.token)
            dossier_officer = _dossier_officer(principal)
            for view in VIEWS:
                for page_number in (1, 2):
                    captured.clear()
                    begun = time.perf_counter()
                    service.queue(
                        session,
                        dossier_officer.actor(),
                        dossier_officer.roles,
                        Page.numbered(page_number, 50),
                        view=view,
                    )
                    took = (time.perf_counter() - begun) * 1000
                    statement, parameters = captured[-1]
                    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if pg else "EXPLAIN QUERY PLAN "
                    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
                    cursor.execute(prefix + statement, parameters)
                    plan = [" ".join(str(c) for c in row) for row in cursor.fetchall()]
                    cursor.close()
                    who = officer.commune or "province"
                    print(f"--- {who} view={view} page={page_number}: {took:.1f} ms")
                    for line in plan:
                        print("   ", line)
        session.rollback()
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--dossiers", type=int, default=DOSSIERS)
    parser.add_argument("--rebuild", action="store_true", help="build the database again")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--explain", action="store_true", help="print the query plans only")
    parser.add_argument(
        "--no-analyze",
        action="store_true",
        help="keep the planner's statistics as they are (the nightly refresh not yet run)",
    )
    args = parser.parse_args()
    if args.workers > 1 and not args.pg:
        raise SystemExit("--workers above 1 needs --pg (SQLite is served by one process)")
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (Debian package)")
    sys.path.insert(0, str(ROOT / "src"))
    url = database_url(args.pg, pg_database=PG_DATABASE, sqlite_name=SQLITE_NAME)
    build(url, args.rebuild, args.pg, args.dossiers, args.seed)
    officers, procedures = prepare(url)
    if not args.no_analyze:
        refresh_statistics(url)
    if args.explain:
        explain(url, officers)
        return
    database = "PostgreSQL" if args.pg else "SQLite"
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with served(_env(url), port, args.workers, log_name="queue_bench_server.log") as server:
            from oncegov.config import settings

            lines, second = request_lines(base, officers, procedures, args.seed)
            requests_file = Path(tmp) / "requests.txt"
            requests_file.write_text("\n".join(lines) + "\n")
            script = Path(tmp) / "queue.lua"
            script.write_text(
                wrk_script(
                    WRK_SCRIPT
                    % {
                        "requests": requests_file,
                        "seed": args.seed,
                        "cookie": settings.session_cookie,
                    }
                )
            )
            print(
                f"{database}: {dossier_count(url):,} dossiers; {len(officers)} officers "
                f"({len(officers) - 1} communes + the province); {len(lines)} distinct queue "
                f"pages ({second} of them page 2); wrk -t1 -c{args.connections} "
                f"-d{args.seconds}s; {args.workers} server worker(s)"
            )
            cpu_before = server_cpu_seconds(server.pid)
            figures = wrk(base, script, args.connections, args.seconds)
            cpu = server_cpu_seconds(server.pid) - cpu_before
    statuses = {k[7:]: int(v) for k, v in figures.items() if k.startswith("status_")}
    print()
    print(f"{'endpoint':<28}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    print(
        f"{'GET /dossiers (queue)':<28}{figures['rps']:>8.1f}{figures['P50US']:>9.1f}"
        f"{figures['P95US']:>9.1f}{figures['P99US']:>9.1f}{figures['MAXUS']:>9.1f}"
    )
    print(f"answers by status: {json.dumps(statuses)}")
    answered = sum(statuses.values())
    if answered:
        print(
            f"server CPU: {cpu * 1000 / answered:.1f} ms per request "
            f"({cpu / args.seconds:.2f} cores busy on average; machine load average "
            f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
        )
    verdict = "meets" if figures["P95US"] <= TARGET_P95_MS else "misses"
    print(f"p95 {figures['P95US']:.1f} ms: {verdict} the {TARGET_P95_MS:.0f} ms target")
    if set(statuses) != {"200"} or "socket_errors" in figures:
        raise SystemExit(f"FAILED: not every answer was 200: {statuses}")


if __name__ == "__main__":
    main()
