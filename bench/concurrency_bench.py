"""Concurrency benchmark: mixed authenticated reads and writes from many connections at once.

The portal runs as deployed (``oncegov serve``: uvicorn, one worker) on loopback against the
demo province (``--scale``, built once into ``var/bench/`` or a PostgreSQL database of its own
and reused; ``--rebuild`` builds it again). The load generator is this script, in a process of
its own: ``--connections`` (64) keep-alive connections for ``--seconds`` (60), each sending
one request after another, of these kinds (weights in ``KINDS``):

* ``registry_read``: a citizen's record by personal ID, half with a service client's bearer
  token, half with an officer's session (every read is audited and rate-counted: a write);
* ``checkin``: a health-insurance check-in by personal ID from a facility's system
  (group-committed);
* ``card_step``: the next step of a chip ID-card application (checked, sent for production,
  produced, returned), by an ID-card officer with the session's CSRF token;
* ``login``: a citizen's eID sign-in (form, then passcode: one Argon2id verification).

Every answer is checked (status, and the field that proves it is the right one: the personal ID
read, the checked-in patient, the application's new status, the session cookie); a wrong answer,
a 5xx or a socket error counts as an error. A rate spreads that many requests a second over
the connections (latency then counts from when each request was due, so a stalled server
cannot hide its stalls); 0 sends as fast as answers come back. ``--rates`` runs the load at
each rate in turn (default 25, 50 and 75 requests/s, then flat out: a capacity figure, whose
latencies are only the queue 64 waiting clients make). The baseline is the same mix from one
connection, measured first in the same run.

Prints throughput, p50/p95/p99 per kind and overall, the errors, the ratios against the
baseline, and for each rate whether it meets the targets (0 errors; p99 <= 100 ms on SQLite).

    uv run python bench/concurrency_bench.py                # SQLite, 64 connections, 60 s
    uv run python bench/concurrency_bench.py --pg           # PostgreSQL
    uv run python bench/concurrency_bench.py --seconds 10   # a quick look
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from benchlib import (
    ROOT,
    bench_env,
    build_demo,
    citizen_count,
    database_url,
    free_port,
    wait_until_listening,
)

PG_DATABASE = "oncegov_bench_concurrency"
TARGET_P99_MS = 100.0
MIN_CITIZENS = 5_000
KINDS = {"registry_read": 50, "checkin": 30, "card_step": 18, "login": 2}
CARD_STEPS = ("checked", "sent_for_production", "produced", "returned")
PASSCODE = "135790"
PROVINCE = "04"
PURPOSE = "concurrency benchmark"


# --- the world the load runs in ----------------------------------------------------------------


@dataclass
class World:
    reader_ids: list[str]  # citizens in the registry (reads)
    patient_ids: list[str]  # citizens with an insurance card (check-ins)
    login_ids: list[str]  # level-1 eID accounts whose passcode is PASSCODE
    applications: list[int]  # received chip ID-card applications, ready for their steps
    bearer: str  # registry.read over the province
    facility_token: str  # health.checkin at one facility
    officers: dict[str, tuple[str, str, str]]  # role -> (username, password, TOTP secret)


def _env(url: str) -> dict[str, str]:
    # The limits protect a real province; here one client and one IP send thousands a minute.
    return bench_env(
        url,
        {
            "ONCEGOV_HEALTH_CHECKIN_LIMIT_PER_MINUTE": "100000000",
            "ONCEGOV_LOOKUP_LIMIT_PER_MINUTE": "100000000",
            "ONCEGOV_IP_LOGIN_LIMIT_PER_MINUTE": "100000000",
        },
    )


def prepare(url: str, seed: int, applications: int) -> World:
    """Officers, tokens, eID accounts and received card applications for this run (committed
    before the server starts)."""
    os.environ.update(_env(url))
    from sqlalchemy import delete, select
    from sqlalchemy.orm import Session

    from oncegov.auth import service as auth
    from oncegov.auth.models import Officer, RoleAssignment, ServiceToken
    from oncegov.db import make_engine
    from oncegov.errors import OnceGovError
    from oncegov.health.models import CheckIn, InsuranceCard, MedicalFacility
    from oncegov.identity.accounts.models import EidAccount
    from oncegov.identity.cards import service as cards
    from oncegov.identity.cards.models import IdCardApplication
    from oncegov.identity.cards.schemas import Intake
    from oncegov.kit.actor import Actor
    from oncegov.kit.clock import now
    from oncegov.registry.models import Citizen
    from oncegov.units import service as units
    from oncegov.units.schemas import UnitScope

    rng = random.Random(seed)
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as db:
        living = list(
            db.execute(select(Citizen).where(Citizen.status == "living").limit(60_000)).scalars()
        )
        facility = db.scalar(select(MedicalFacility.code).order_by(MedicalFacility.code))
        if facility is None:
            raise SystemExit("the bench database has no medical facilities: run with --rebuild")
        patients = list(db.scalars(select(InsuranceCard.personal_id).limit(50_000)))
        db.execute(delete(CheckIn))  # every run starts with no visit today
        db.execute(delete(ServiceToken).where(ServiceToken.name.like("bench-conc-%")))
        bench_officers = select(Officer.id).where(Officer.username.like("bench.%"))
        db.execute(delete(RoleAssignment).where(RoleAssignment.officer_id.in_(bench_officers)))
        db.execute(delete(Officer).where(Officer.username.like("bench.%")))
        bearer = auth.create_service_token(
            db,
            name="bench-conc-registry",
            permissions=["registry.read"],
            scope_kind="province",
            scope_code=PROVINCE,
        )
        facility_token = auth.create_service_token(
            db,
            name="bench-conc-facility",
            permissions=["health.checkin"],
            scope_kind="agency",
            scope_code=facility,
        )
        officers: dict[str, tuple[str, str, str]] = {}
        for role in ("provincial_officer", "id_card_officer"):
            username = f"bench.{role.split('_')[0]}"
            created = auth.create_officer(
                db,
                username=username,
                full_name=f"Bench {role}",
                password="bench password " + role,
                roles=[(role, "province", PROVINCE)],
            )
            officers[role] = (username, "bench password " + role, created.totp_secret)
        db.flush()
        login_ids = _login_accounts(db, living, rng, EidAccount, auth.hash_password(PASSCODE))
        desk = Actor("officer", officers["id_card_officer"][0], "Bench", channel="api")
        scope = UnitScope(units.commune_codes_of_province(db, PROVINCE))
        applied = set(db.scalars(select(IdCardApplication.personal_id)))
        busy = set(
            db.scalars(
                select(IdCardApplication.personal_id).where(
                    IdCardApplication.status.not_in(("returned", "delivered", "rejected"))
                )
            )
        )
        received: list[int] = []
        refusals: dict[str, int] = defaultdict(int)
        # Every living adult without an application in progress is a candidate: a reused
        # database holds the earlier runs' applications, so the first few thousand may not do.
        for citizen in rng.sample(living, len(living)):
            if len(received) >= applications:
                break
            if citizen.personal_id in busy or citizen.birth_year > now().year - 15:
                continue
            intake = Intake(
                personal_id=citizen.personal_id,
                # A holder of a card applies again after losing it.
                kind="reissue_loss" if citizen.personal_id in applied else "first_issue",
                full_name=citizen.full_name,
                date_of_birth=_birth(citizen),
                sex=citizen.sex,
                portrait_captured=True,
                fingerprints_captured=True,
                delivery="station",
            )
            try:
                with db.begin_nested():
                    created = cards.submit_application(db, desk, intake, scope=scope).id
                    # Counted under the citizen's current commune: one living outside the
                    # province is the desk's to receive but not to follow up (404 later).
                    cards.get_application(db, desk, created, scope=scope)
                received.append(created)
            except OnceGovError as refused:
                refusals[refused.code] += 1
                continue
        db.commit()
    engine.dispose()
    if len(received) < applications:
        print(f"card applications: {len(received)} received; refused: {dict(refusals)}")
    readers = [c.personal_id for c in living]
    rng.shuffle(readers)
    rng.shuffle(patients)
    rng.shuffle(received)
    return World(
        reader_ids=readers[:20_000],
        patient_ids=patients[:20_000],
        login_ids=login_ids,
        applications=received,
        bearer=bearer,
        facility_token=facility_token,
        officers=officers,
    )


def _birth(citizen: Any) -> str:
    parts = [citizen.birth_day, citizen.birth_month, citizen.birth_year]
    return "/".join(str(p) for p in parts if p is not None)


def _login_accounts(
    db: Any, living: list[Any], rng: random.Random, model: Any, hashed: str
) -> list[str]:
    """Level-1 accounts with a known passcode: existing bench accounts, or new ones."""
    from sqlalchemy import select

    from oncegov.kit.clock import now

    have = set(db.scalars(select(model.personal_id)))
    chosen: list[str] = []
    for citizen in living:
        if len(chosen) >= 200:
            break
        if citizen.personal_id in have or citizen.birth_year > now().year - 15:
            continue
        db.add(
            model(
                personal_id=citizen.personal_id,
                level=1,
                status="active",
                phone="0912345678",
                passcode_hash=hashed,
                failed_logins=0,
                registered_channel="web",
                created_at=now(),
                activated_at=now(),
            )
        )
        chosen.append(citizen.personal_id)
    db.flush()
    rng.shuffle(chosen)
    return chosen


# --- a small HTTP/1.1 keep-alive client (cheap enough to leave the CPU to the server) ---------


@dataclass
class Answer:
    status: int
    headers: dict[str, list[str]]
    body: bytes

    def header(self, name: str) -> str:
        return (self.headers.get(name) or [""])[0]

    def json(self) -> Any:
        return json.loads(self.body)


class Connection:
    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes = b""
    ) -> Answer:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        assert self.reader is not None
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        answer_headers: dict[str, list[str]] = defaultdict(list)
        for line in header_lines:
            if line:
                name, _, value = line.partition(":")
                answer_headers[name.strip().lower()].append(value.strip())
        length = int((answer_headers.get("content-length") or ["0"])[0])
        content = await self.reader.readexactly(length) if length else b""
        if (answer_headers.get("connection") or [""])[0].lower() == "close":
            self.close()
        return Answer(int(status_line.split()[1]), answer_headers, content)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


# --- the load ----------------------------------------------------------------------------------


class WrongAnswer(Exception):
    pass


@dataclass
class Figures:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    samples: list[str] = field(default_factory=list)  # the first few errors, for the reader

    def error(self, kind: str, what: str) -> None:
        self.errors[kind] += 1
        if len(self.samples) < 10:
            self.samples.append(f"{kind}: {what}")


@dataclass
class Sessions:
    registry_cookie: str
    cards_cookie: str
    cards_csrf: str


class Load:
    """What each kind of request sends and how its answer is checked."""

    def __init__(self, world: World, sessions: Sessions, seed: int) -> None:
        self.world = world
        self.sessions = sessions
        self.rng = random.Random(seed)
        self.applications = list(world.applications)  # popped: each one's steps run in order
        self.open: list[tuple[int, int]] = []  # (application, steps done), one per connection

    def pick(self) -> str:
        return self.rng.choices(list(KINDS), weights=list(KINDS.values()))[0]

    async def run(self, kind: str, conn: Connection, slot: int) -> None:
        await getattr(self, kind)(conn, slot)

    async def registry_read(self, conn: Connection, _slot: int) -> None:
        personal_id = self.rng.choice(self.world.reader_ids)
        path = f"/api/v1/registry/citizens/{personal_id}?{urlencode({'purpose': PURPOSE})}"
        if self.rng.random() < 0.5:
            headers = {"Authorization": f"Bearer {self.world.bearer}"}
        else:
            headers = {"Cookie": self.sessions.registry_cookie}
        answer = await conn.request("GET", path, headers)
        _expect(answer, 200)
        if answer.json().get("personal_id") != personal_id:
            raise WrongAnswer("another citizen's record")

    async def checkin(self, conn: Connection, _slot: int) -> None:
        personal_id = self.rng.choice(self.world.patient_ids)
        body = json.dumps({"method": "personal_id", "value": personal_id}).encode()
        headers = {
            "Authorization": f"Bearer {self.world.facility_token}",
            "Content-Type": "application/json",
        }
        answer = await conn.request("POST", "/api/v1/health/checkins", headers, body)
        _expect(answer, 200)
        if answer.json()["patient"]["personal_id"] != personal_id:
            raise WrongAnswer("another patient checked in")

    async def card_step(self, conn: Connection, slot: int) -> None:
        application, done = self._application_of(slot)
        step = CARD_STEPS[done]
        headers = {
            "Cookie": self.sessions.cards_cookie,
            "X-CSRF-Token": self.sessions.cards_csrf,
            "Content-Type": "application/json",
        }
        path = f"/api/v1/identity/cards/applications/{application}/steps"
        answer = await conn.request("POST", path, headers, json.dumps({"to": step}).encode())
        _expect(answer, 200)
        if answer.json()["status"] != step:
            raise WrongAnswer(f"status {answer.json()['status']} after the step to {step}")
        self.open[slot] = (application, done + 1)

    def _application_of(self, slot: int) -> tuple[int, int]:
        while len(self.open) <= slot:
            self.open.append((0, len(CARD_STEPS)))
        application, done = self.open[slot]
        if done >= len(CARD_STEPS):
            if not self.applications:
                raise WrongAnswer("out of prepared card applications (raise --applications)")
            self.open[slot] = (application, done) = (self.applications.pop(), 0)
        return application, done

    async def login(self, conn: Connection, _slot: int) -> None:
        personal_id = self.rng.choice(self.world.login_ids)
        form = await conn.request("GET", "/eid/login", {})
        _expect(form, 200)
        token = re.search(rb'name="form_token" value="([^"]+)"', form.body)
        cookie = _cookie(form, "form")
        if token is None or cookie is None:
            raise WrongAnswer("the sign-in form has no form token")
        body = urlencode(
            {"personal_id": personal_id, "passcode": PASSCODE, "form_token": token[1].decode()}
        ).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
        answer = await conn.request("POST", "/eid/login", headers, body)
        _expect(answer, 303)
        if not any("session" in c for c in answer.headers.get("set-cookie", [])):
            raise WrongAnswer("signed in without a session cookie")


def _expect(answer: Answer, status: int) -> None:
    if answer.status != status:
        raise WrongAnswer(f"HTTP {answer.status} (expected {status}): {answer.body[:160]!r}")


def _cookie(answer: Answer, contains: str) -> str | None:
    for value in answer.headers.get("set-cookie", []):
        pair = value.split(";", 1)[0]
        if contains in pair.split("=", 1)[0]:
            return pair
    return None


async def drive(
    port: int, load: Load, connections: int, seconds: float, rate: float
) -> tuple[Figures, float]:
    figures = Figures()
    started = time.perf_counter()
    stop = started + seconds
    interval = connections / rate if rate > 0 else 0.0

    async def one(slot: int) -> None:
        conn = Connection(port)
        due = started + (interval * slot / connections if interval else 0.0)
        while True:
            if interval:
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            begun = due if interval else time.perf_counter()
            if begun >= stop or time.perf_counter() >= stop:
                break
            kind = load.pick()
            try:
                await load.run(kind, conn, slot)
                figures.latencies[kind].append(time.perf_counter() - begun)
            except (WrongAnswer, OSError, asyncio.IncompleteReadError, ValueError, KeyError) as exc:
                figures.error(kind, f"{type(exc).__name__}: {exc}")
                conn.close()
            due += interval
        conn.close()

    await asyncio.gather(*(one(slot) for slot in range(connections)))
    return figures, time.perf_counter() - started


# --- the server --------------------------------------------------------------------------------


@contextmanager
def served(url: str, port: int, workers: int = 1) -> Iterator[Path]:
    log_path = Path(tempfile.gettempdir()) / f"concurrency_bench_server_{port}.log"
    command = [sys.executable, "-m", "oncegov.cli.main", "serve", "--port", str(port)]
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [*command, "--workers", str(workers)],
            env=_env(url),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_listening(port, str(log_path))
            yield log_path
        finally:
            server.terminate()
            server.wait(timeout=30)


async def sign_in(port: int, world: World) -> Sessions:
    """The two officers' sessions, through the real login form (TOTP included)."""
    import pyotp

    cookies: dict[str, tuple[str, str]] = {}
    for role in ("provincial_officer", "id_card_officer"):
        username, password, secret = world.officers[role]
        conn = Connection(port)
        page = await conn.request("GET", "/login", {})
        login_csrf = re.search(rb'name="login_csrf" value="([^"]+)"', page.body)
        csrf_cookie = _cookie(page, "csrf")
        assert login_csrf and csrf_cookie, "the login form has no CSRF token"
        body = urlencode(
            {
                "username": username,
                "password": password,
                "otp": pyotp.TOTP(secret).now(),
                "login_csrf": login_csrf[1].decode(),
                "next": "/officer",
            }
        ).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": csrf_cookie}
        answer = await conn.request("POST", "/login", headers, body)
        session = _cookie(answer, "session")
        assert answer.status == 303 and session, f"officer login failed: {answer.status}"
        home = await conn.request("GET", "/officer", {"Cookie": session})  # "/" sends on here
        csrf = re.search(rb'name="csrf_token" value="([^"]+)"', home.body)
        assert csrf, "the signed-in page has no CSRF token"
        cookies[role] = (session, csrf[1].decode())
        conn.close()
    return Sessions(
        registry_cookie=cookies["provincial_officer"][0],
        cards_cookie=cookies["id_card_officer"][0],
        cards_csrf=cookies["id_card_officer"][1],
    )


# --- report ------------------------------------------------------------------------------------


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000 if ordered else 0.0


def report(title: str, figures: Figures, elapsed: float) -> dict[str, float]:
    everything = [v for values in figures.latencies.values() for v in values]
    errors = sum(figures.errors.values())
    print(f"\n{title}")
    print(
        f"  {'kind':<15}{'answers':>9}{'errors':>9}{'req/s':>9}"
        f"{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
    )
    for kind in [*KINDS, "all"]:
        values = everything if kind == "all" else figures.latencies.get(kind, [])
        wrong = errors if kind == "all" else figures.errors.get(kind, 0)
        print(
            f"  {kind:<15}{len(values):>9}{wrong:>9}{len(values) / elapsed:>9.1f}"
            f"{_percentile(values, 0.50):>9.1f}{_percentile(values, 0.95):>9.1f}"
            f"{_percentile(values, 0.99):>9.1f}"
        )
    for sample in figures.samples:
        print(f"  error: {sample}")
    return {
        "rps": len(everything) / elapsed,
        "p50": _percentile(everything, 0.50),
        "p99": _percentile(everything, 0.99),
        "errors": float(errors),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--scale", type=float, default=0.05, help="demo scale (0.05 ≈ 27,000)")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--baseline-seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument(
        "--rates",
        default="25,50,75,0",
        help="comma-separated requests/s over all connections, one run each (0: flat out)",
    )
    parser.add_argument("--applications", type=int, default=3000, help="card applications")
    parser.add_argument(
        "--workers", type=int, default=1, help="server processes (more than one: PostgreSQL)"
    )
    parser.add_argument("--rebuild", action="store_true", help="build the registry again")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    url = database_url(
        args.pg, pg_database=PG_DATABASE, sqlite_name=f"concurrency-{args.scale:g}.db"
    )
    if args.rebuild or citizen_count(url) < MIN_CITIZENS * min(1.0, args.scale / 0.05):
        build_demo(url, _env(url), scale=args.scale, pg=args.pg)
    else:
        print(f"registry: reusing {url}")
    world = prepare(url, args.seed, args.applications)
    database = "PostgreSQL" if args.pg else "SQLite"
    rates = [float(rate) for rate in args.rates.split(",")]
    paces = [f"{rate:g} requests/s" if rate > 0 else "flat out" for rate in rates]
    print(
        f"{database}: {len(world.reader_ids):,} citizens read, {len(world.patient_ids):,} "
        f"patients, {len(world.applications):,} card applications, {len(world.login_ids)} eID "
        f"accounts; mix {json.dumps(KINDS)}; {args.connections} connections for "
        f"{args.seconds:g} s at each of {', '.join(paces)}; {args.workers} server "
        f"process(es); baseline: 1 connection for {args.baseline_seconds:g} s"
    )
    port = free_port()
    if args.workers > 1 and not args.pg:
        raise SystemExit("--workers above 1 needs --pg (SQLite serves from one process)")
    with served(url, port, args.workers) as log_path:

        async def run() -> tuple[dict[str, float], list[dict[str, float]]]:
            sessions = await sign_in(port, world)
            load = Load(world, sessions, args.seed)
            await drive(port, load, 4, 3, 0)  # past first-use costs (imports, caches, keys)
            baseline, baseline_elapsed = await drive(port, load, 1, args.baseline_seconds, 0)
            base = report("baseline: 1 connection, flat out", baseline, baseline_elapsed)
            runs = []
            for rate, pace in zip(rates, paces, strict=True):
                loaded, elapsed = await drive(port, load, args.connections, args.seconds, rate)
                runs.append(report(f"{args.connections} connections, {pace}", loaded, elapsed))
            return base, runs

        base, runs = asyncio.run(run())
        server_log = log_path.read_text(errors="replace")
    locked = server_log.count("database is locked")
    tracebacks = server_log.count("Traceback")
    print(f"\nserver log: {tracebacks} tracebacks, {locked} 'database is locked'")
    print(
        f"baseline: {base['rps']:.1f} requests/s, "
        f"p50 {base['p50']:.1f} ms, p99 {base['p99']:.1f} ms"
    )
    for pace, loaded in zip(paces, runs, strict=True):
        errors = int(loaded["errors"])
        meets = errors == 0 and (args.pg or loaded["p99"] <= TARGET_P99_MS)
        print(
            f"{args.connections} connections, {pace:>17}: {loaded['rps']:6.1f} requests/s "
            f"({loaded['rps'] / base['rps']:.2f}x the baseline), p50 {loaded['p50']:.1f} ms "
            f"({loaded['p50'] / base['p50']:.2f}x), p99 {loaded['p99']:.1f} ms "
            f"({loaded['p99'] / base['p99']:.2f}x), {errors} errors: "
            + ("meets" if meets else "misses")
            + (
                " the 0-error target"
                if args.pg
                else f" the targets (0 errors, p99 <= {TARGET_P99_MS:.0f} ms)"
            )
        )


if __name__ == "__main__":
    main()
