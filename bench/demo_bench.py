"""Benchmark: generate the whole demo province and load it into a fresh database.

    uv run python bench/demo_bench.py [--scale 1.0] [--seed N]

Runs on a temporary SQLite file migrated with ``oncegov.migrate.upgrade``; also on PostgreSQL
when ``ONCEGOV_BENCH_PG_URL`` names a server (a database is created and dropped, as the tests
do). Prints generation time, load time (including the commit), total and rows per second, and
the ratio of the total to the target (Cao Bằng at scale 1.0 in under two minutes on SQLite).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from oncegov.config import settings
from oncegov.db import make_engine
from oncegov.demo import service
from oncegov.demo.generator import DEFAULT_SEED
from oncegov.demo.loader import load
from oncegov.migrate import upgrade

TARGET_SECONDS = 120.0


def run(url: str, label: str, scale: float, seed: int) -> None:
    started = time.perf_counter()
    upgrade(url)
    migrated = time.perf_counter() - started
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            province = service.province_info(session, settings.province_code)
            started = time.perf_counter()
            population = service.generate_population(
                session, scale=scale, seed=seed, province=province
            )
            generated = time.perf_counter() - started
            started = time.perf_counter()
            counts = load(session, population, actor="system:bench")
            session.commit()
            loaded = time.perf_counter() - started
    finally:
        engine.dispose()
    total = generated + loaded
    print(f"\n{label}: {province.name}, scale {scale}, seed {seed} (migration {migrated:.1f} s)")
    print(
        f"  rows        {counts.rows:>10,}  ({counts.citizens:,} citizens, "
        f"{counts.households:,} households, {counts.changes:,} change rows)"
    )
    people_rate = len(population.citizens) / generated
    print(f"  generation  {generated:>9.1f} s  {people_rate:>10,.0f} people/s")
    print(f"  load        {loaded:>9.1f} s  {counts.rows / loaded:>10,.0f} rows/s")
    print(f"  total       {total:>9.1f} s  {counts.rows / total:>10,.0f} rows/s")
    print(f"  vs target   {total / TARGET_SECONDS:>9.2f} × {TARGET_SECONDS:.0f} s")


def bench_sqlite(scale: float, seed: int) -> None:
    directory = Path(tempfile.mkdtemp(prefix="oncegov-demo-bench-"))
    try:
        run(f"sqlite:///{directory / 'bench.db'}", "SQLite", scale, seed)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def bench_postgres(server_url: str, scale: float, seed: int) -> None:
    name = f"oncegov_bench_demo_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
        run(url, "PostgreSQL", scale, seed)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args()
    bench_sqlite(args.scale, args.seed)
    server_url = os.environ.get("ONCEGOV_BENCH_PG_URL")
    if server_url:
        bench_postgres(server_url, args.scale, args.seed)


if __name__ == "__main__":
    main()
