"""Health check-in benchmark: check-in by personal ID under load, against a bare JSON endpoint
served by the same server in the same run.

The portal runs as deployed (``oncegov serve``: uvicorn, one worker) on loopback against a
registry of at least 1,000,000 citizens (the demo province at ``--scale 2``, built once into
``var/bench/`` or a PostgreSQL database and reused; ``--rebuild`` builds it again). The load
generator is wrk (Debian package ``wrk``) in a separate process: ``--connections`` (64) for
``--seconds`` (30) each, first ``GET /healthz`` (the baseline), then
``POST /api/v1/health/checkins`` with a facility system's bearer token and a personal ID drawn
at random per request: 95% citizens of the registry, 5% well-formed numbers nobody holds.

Prints throughput, p50/p99 latency and the ratio check-in / baseline throughput.
Targets on SQLite: ratio >= 0.4 with p99 < 50 ms; the same figures are printed for PostgreSQL.

    uv run python bench/checkin_bench.py                 # SQLite
    uv run python bench/checkin_bench.py --pg            # PostgreSQL
    uv run python bench/checkin_bench.py --seconds 10 --scale 0.2   # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
from pathlib import Path

from benchlib import (
    ROOT,
    bench_env,
    build_demo,
    citizen_count,
    database_url,
    free_port,
    served,
    wrk,
    wrk_script,
)

PG_DATABASE = "oncegov_bench_checkin"
TARGET_RATIO = 0.4
TARGET_P99_MS = 50.0
MIN_CITIZENS = 1_000_000
FACILITIES_IN_LOAD = 1  # the load comes from this many facilities' systems at once

WRK_SCRIPT = """
local ids = {}
local tokens = {}
for line in io.lines("%(ids)s") do ids[#ids + 1] = line end
for line in io.lines("%(tokens)s") do tokens[#tokens + 1] = line end
math.randomseed(%(seed)d)

function request()
  local id = ids[math.random(#ids)]
  local token = tokens[math.random(#tokens)]
  return wrk.format("POST", "/api/v1/health/checkins", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
  }, '{"method":"personal_id","value":"' .. id .. '"}')
end
"""


def _database_url(pg: bool, scale: float) -> str:
    return database_url(pg, pg_database=PG_DATABASE, sqlite_name=f"checkin-{scale:g}.db")


def _env(url: str) -> dict[str, str]:
    # The per-facility limit protects a real province; here 20 systems send thousands a second.
    return bench_env(url, {"ONCEGOV_HEALTH_CHECKIN_LIMIT_PER_MINUTE": "100000000"})


def build(url: str, scale: float, rebuild: bool, pg: bool) -> None:
    if not rebuild and citizen_count(url) >= MIN_CITIZENS * min(1.0, scale / 2):
        print(f"registry: reusing {url}")
        return
    build_demo(url, _env(url), scale=scale, pg=pg)


def prepare(url: str, workdir: Path, seed: int) -> tuple[int, Path, Path]:
    """Facility tokens and the personal IDs to send (95% in the registry, 5% unknown)."""
    os.environ.update(_env(url))
    from sqlalchemy import create_engine, delete, select
    from sqlalchemy.orm import Session

    from oncegov.auth import service as auth
    from oncegov.auth.models import ServiceToken
    from oncegov.auth.roles import HEALTH_CHECKIN
    from oncegov.health.models import CheckIn, MedicalFacility
    from oncegov.kit import personal_id as pid
    from oncegov.registry.models import Citizen

    engine = create_engine(url)
    rng = random.Random(seed)
    with Session(engine) as session:
        known = list(session.scalars(select(Citizen.personal_id)))
        facilities = list(session.scalars(select(MedicalFacility.code).limit(FACILITIES_IN_LOAD)))
        if not facilities:
            raise SystemExit("the bench database has no medical facilities: run with --rebuild")
        session.execute(delete(CheckIn))  # every run starts with no visit today
        session.execute(delete(ServiceToken).where(ServiceToken.name.like("bench-%")))
        tokens = [
            auth.create_service_token(
                session,
                name=f"bench-{code}",
                permissions=[HEALTH_CHECKIN],
                scope_kind="agency",
                scope_code=code,
            )
            for code in facilities
        ]
        session.commit()
    engine.dispose()
    taken = set(known)
    sample = rng.sample(known, 95_000)
    unknown: list[str] = []
    while len(unknown) < 5_000:
        number = f"004{rng.choice('0123')}{rng.randint(0, 99):02d}{rng.randint(0, 999_999):06d}"
        if number not in taken and pid.is_valid(number):
            unknown.append(number)
    ids = sample + unknown
    rng.shuffle(ids)
    ids_file = workdir / "ids.txt"
    ids_file.write_text("\n".join(ids) + "\n")
    tokens_file = workdir / "tokens.txt"
    tokens_file.write_text("\n".join(tokens) + "\n")
    return len(known), ids_file, tokens_file


def warm(base: str, tokens_file: Path, ids_file: Path) -> None:
    """A few requests so both endpoints are past first-use costs (imports, caches, keys)."""
    import httpx

    token = tokens_file.read_text().split()[0]
    number = ids_file.read_text().split()[0]
    with httpx.Client(base_url=base, timeout=30) as client:
        for _ in range(20):
            client.get("/healthz")
            client.post(
                "/api/v1/health/checkins",
                json={"method": "personal_id", "value": number},
                headers={"Authorization": f"Bearer {token}"},
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--scale", type=float, default=2.0, help="demo scale (2 ≈ 1.08M)")
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--rebuild", action="store_true", help="build the registry again")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (Debian package)")
    sys.path.insert(0, str(ROOT / "src"))
    url = _database_url(args.pg, args.scale)
    build(url, args.scale, args.rebuild, args.pg)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        citizens, ids_file, tokens_file = prepare(url, workdir, args.seed)
        script = workdir / "checkin.lua"
        script.write_text(
            wrk_script(WRK_SCRIPT % {"ids": ids_file, "tokens": tokens_file, "seed": args.seed})
        )
        baseline_script = workdir / "baseline.lua"
        baseline_script.write_text(wrk_script(""))
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        database = "PostgreSQL" if args.pg else "SQLite"
        print(
            f"{database}: {citizens:,} citizens; wrk -t1 -c{args.connections} "
            f"-d{args.seconds}s per endpoint; 95% known / 5% unknown personal IDs; "
            f"{args.workers} server worker(s)"
        )
        with served(_env(url), port, args.workers, log_name="checkin_bench_server.log"):
            warm(base, tokens_file, ids_file)
            baseline = wrk(f"{base}/healthz", baseline_script, args.connections, args.seconds)
            checkin = wrk(base, script, args.connections, args.seconds)
    ratio = checkin["rps"] / baseline["rps"]
    print()
    print(f"{'endpoint':<28}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    print(
        f"{'GET /healthz (baseline)':<28}{baseline['rps']:>10.0f}"
        f"{baseline['P50US']:>10.1f}{baseline['P99US']:>10.1f}"
    )
    print(
        f"{'POST check-in by ID':<28}{checkin['rps']:>10.0f}"
        f"{checkin['P50US']:>10.1f}{checkin['P99US']:>10.1f}"
    )
    statuses = {k[7:]: int(v) for k, v in checkin.items() if k.startswith("status_")}
    print(f"check-in answers by status: {json.dumps(statuses)}")
    verdict_ratio = "meets" if ratio >= TARGET_RATIO else "misses"
    verdict_p99 = "meets" if checkin["P99US"] < TARGET_P99_MS else "misses"
    print(
        f"ratio check-in / baseline: {ratio:.2f}x ({verdict_ratio} the {TARGET_RATIO}x target); "
        f"p99 {checkin['P99US']:.1f} ms ({verdict_p99} the {TARGET_P99_MS:.0f} ms target)"
    )


if __name__ == "__main__":
    main()
