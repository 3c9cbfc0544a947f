"""Citizen import benchmark: the full ``import citizens`` path against a bare load.

Generates N valid citizens (households of 1-7 people with heads, spouses, children, old ID
numbers, partial birth dates, a few deceased) as a CSV file, then for each database:

- SQLite (a fresh migrated file): the full import service vs a bare ``executemany`` of the same
  rows into the same ``citizens`` table of another fresh database (CSV parsed, no validation,
  no versions, no households: the floor for getting the file into the table);
- PostgreSQL (when reachable at ONCEGOV_BENCH_PG_URL): the full import vs a bare ``COPY``.

Prints both times and the ratio (target: full import within 3x of the bare load).

    uv run python bench/import_bench.py            # 1,000,000 rows
    uv run python bench/import_bench.py --rows 50000
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from oncegov.db import make_engine
from oncegov.kit import clock
from oncegov.kit.actor import Actor
from oncegov.kit.personal_id import BIRTH_PROVINCE_CODES, prefix_for
from oncegov.migrate import upgrade
from oncegov.registry.bulk import service as bulk
from oncegov.registry.bulk.schemas import ImportStatus
from oncegov.registry.models import Citizen, Household, RegistryChange
from oncegov.registry.schemas import CITIZEN_COLUMNS
from oncegov.units.models import Commune

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TARGET_RATIO = 3.0
CAO_BANG = "04"

FAMILY = ["Nông", "Hoàng", "Lưu", "Bế", "Đàm", "Lương", "Triệu", "Lý", "Nguyễn", "Hà", "Vi"]
FAMILY += ["Mã", "Lục", "Sầm", "Đinh", "Chu", "Trần", "Lê", "Phạm", "Dương", "Ma"]
MIDDLE = {"M": ["Văn", "Đức", "Minh", "Quang", "Hữu", "Thế"], "F": ["Thị", "Thu", "Ngọc", "Minh"]}
GIVEN = {
    "M": ["Dũng", "Hùng", "Cường", "Thắng", "Tuấn", "Sơn", "Long", "Hải", "Bình", "Khánh"],
    "F": ["Lan", "Hoa", "Mai", "Hương", "Thảo", "Ánh", "Nhung", "Yến", "Linh", "Hạnh"],
}
ETHNICITIES = ["02"] * 40 + ["07"] * 30 + ["08"] * 10 + ["09"] * 10 + ["01"] * 7 + ["04"] * 3
RELIGIONS = ["none"] * 90 + ["buddhism"] * 6 + ["catholicism"] * 2 + ["protestantism"] * 2


# --- generator --------------------------------------------------------------------------------


class Generator:
    """Deterministic, fast, valid rows: every personal ID unique and consistent."""

    def __init__(self, communes: list[str], seed: int = 20261128) -> None:
        self.communes = communes
        self.random = random.Random(seed)
        self.count = 0
        self.households = 0
        self.provinces = sorted(BIRTH_PROVINCE_CODES)

    def _personal_id(self, sex: str, year: int) -> str:
        # Sequence = running count: unique per province code, a new code each million.
        province = self.provinces[self.count // 1_000_000]
        return f"{prefix_for(province, sex, year)}{self.count % 1_000_000:06d}"  # type: ignore[arg-type]

    def _birth(self, year: int) -> str:
        pick = self.random.random()
        month = self.random.randint(1, 12)
        if pick < 0.04:
            return f"{year:04d}"
        if pick < 0.08:
            return f"{year:04d}-{month:02d}"
        return f"{year:04d}-{month:02d}-{self.random.randint(1, 28):02d}"

    def _person(self, sex: str, year: int, family: str, home: dict[str, str]) -> dict[str, str]:
        rnd = self.random
        pid = self._personal_id(sex, year)
        self.count += 1
        row = dict.fromkeys(CITIZEN_COLUMNS, "")
        row.update(home)
        row["personal_id"] = pid
        if year < 2000 and rnd.random() < 0.7:
            row["old_id_number"] = f"{self.count:09d}"
        row["full_name"] = f"{family} {rnd.choice(MIDDLE[sex])} {rnd.choice(GIVEN[sex])}"
        row["date_of_birth"] = self._birth(year)
        row["sex"] = sex
        row["ethnicity_code"] = rnd.choice(ETHNICITIES)
        row["religion"] = rnd.choice(RELIGIONS)
        row["nationality"] = "VN"
        if rnd.random() < 0.6:
            row["phone"] = f"09{rnd.randint(0, 99_999_999):08d}"
        if rnd.random() < 0.1:
            row["email"] = f"u{self.count}@example.vn"
        row["status"] = "living"
        if year < 1960 and rnd.random() < 0.1:
            row["status"] = "deceased"
            row["date_of_death"] = (
                f"{rnd.randint(2015, 2025)}-0{rnd.randint(1, 9)}-1{rnd.randint(0, 9)}"
            )
        return row

    def households_rows(self) -> Iterator[dict[str, str]]:
        rnd = self.random
        while True:
            self.households += 1
            commune = rnd.choice(self.communes)
            address = f"Tổ {rnd.randint(1, 30)}, khu {rnd.randint(1, 12)}"
            home = {
                "hometown": "Cao Bằng",
                "permanent_commune_code": commune,
                "permanent_address": address,
                "current_commune_code": commune,
                "current_address": address,
                "household_code": f"HK{self.households:09d}",
            }
            family = rnd.choice(FAMILY)
            head_sex = "M" if rnd.random() < 0.8 else "F"
            head_year = rnd.randint(1935, 2000)
            head = self._person(head_sex, head_year, family, home)
            head["relationship_to_head"] = "head"
            members = [head]
            if rnd.random() < 0.8:
                spouse_sex = "F" if head_sex == "M" else "M"
                spouse = self._person(
                    spouse_sex, head_year + rnd.randint(-4, 4), rnd.choice(FAMILY), home
                )
                spouse["relationship_to_head"] = "spouse"
                spouse["spouse_personal_id"] = head["personal_id"]
                head["spouse_personal_id"] = spouse["personal_id"]
                members.append(spouse)
                for _ in range(rnd.choice((0, 1, 2, 2, 3, 3, 4, 5))):
                    year = min(head_year + rnd.randint(20, 40), 2025)
                    child = self._person(rnd.choice("MF"), year, family, home)
                    child["relationship_to_head"] = "child"
                    child["birth_registration_commune_code"] = commune
                    father, mother = (head, spouse) if head_sex == "M" else (spouse, head)
                    child["father_personal_id"] = father["personal_id"]
                    child["mother_personal_id"] = mother["personal_id"]
                    members.append(child)
            if rnd.random() < 0.05:
                other = rnd.choice(self.communes)
                for member in members:
                    member["temporary_commune_code"] = other
                    member["temporary_address"] = f"Số {rnd.randint(1, 200)} đường Hoàng Đình Giong"
            yield from members

    def write_csv(self, path: Path, rows: int) -> None:
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(CITIZEN_COLUMNS)
            for written, row in enumerate(self.households_rows()):
                if written >= rows:
                    break
                writer.writerow([row[c] for c in CITIZEN_COLUMNS])


# --- bare loads -------------------------------------------------------------------------------

_BARE_COLUMNS = (
    *[c for c in CITIZEN_COLUMNS if c != "date_of_birth"],
    "folded_name",
    "name_key",
    "birth_year",
    "birth_month",
    "birth_day",
    "version",
    "created_at",
    "updated_at",
)


def bare_rows(path: Path) -> Iterator[tuple[Any, ...]]:
    """The CSV's rows as ``citizens`` tuples: no validation, no normalisation, no derived keys
    (the name goes into the match-key columns as it is)."""
    now = clock.now().strftime("%Y-%m-%d %H:%M:%S.%f")
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        birth = header.index("date_of_birth")
        name = header.index("full_name")
        keep = [i for i, c in enumerate(header) if c != "date_of_birth"]
        for values in reader:
            date = values[birth]
            yield (
                *[values[i] or None for i in keep],
                values[name],
                values[name],
                int(date[:4]),
                int(date[5:7]) if len(date) > 4 else None,
                int(date[8:10]) if len(date) > 7 else None,
                1,
                now,
                now,
            )


def prepare_households(url: str, path: Path) -> None:
    """Untimed: the bare database gets the file's households first, so the bare load keeps the
    foreign-key checks a real load pays for."""
    households: dict[str, tuple[str, str]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            code = row["household_code"]
            if code and code not in households:
                households[code] = (row["permanent_commune_code"], row["permanent_address"])
    engine = make_engine(url)
    now = clock.now()
    with Session(engine) as session:
        session.execute(
            Household.__table__.insert(),
            [
                {
                    "code": c,
                    "commune_code": commune,
                    "address": address,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
                for c, (commune, address) in households.items()
            ],
        )
        session.commit()
    engine.dispose()


def bare_sqlite(url: str, path: Path) -> None:
    engine = make_engine(url)
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        placeholders = ", ".join("?" * len(_BARE_COLUMNS))
        cursor.execute("BEGIN")
        cursor.executemany(
            f"INSERT INTO citizens ({', '.join(_BARE_COLUMNS)}) VALUES ({placeholders})",
            bare_rows(path),
        )
        cursor.execute("COMMIT")
    finally:
        connection.close()
        engine.dispose()


def bare_copy(url: str, path: Path) -> None:
    engine = make_engine(url)
    connection = engine.raw_connection()
    try:
        with (
            connection.cursor() as cursor,  # type: ignore[attr-defined]
            cursor.copy(f"COPY citizens ({', '.join(_BARE_COLUMNS)}) FROM STDIN") as copy,
        ):
            for row in bare_rows(path):
                copy.write_row(row)
        connection.commit()
    finally:
        connection.close()
        engine.dispose()


# --- full import ------------------------------------------------------------------------------


def full_import(url: str, path: Path) -> dict[str, int]:
    engine = make_engine(url)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    actor = Actor.system("bench")
    try:
        with factory() as session:
            result = bulk.import_citizens(session, actor, path, reason="import benchmark")
            if result.status is not ImportStatus.LOADED:
                raise SystemExit(f"import not loaded: {result.status} {result.errors[:5]}")
            session.commit()
            return {
                **result.counts(),
                "citizens": session.scalar(select(func.count()).select_from(Citizen)) or 0,
                "versions": session.scalar(select(func.count()).select_from(RegistryChange)) or 0,
            }
    finally:
        engine.dispose()


def count_citizens(url: str) -> int:
    engine = make_engine(url)
    with Session(engine) as session:
        count = session.scalar(select(func.count()).select_from(Citizen)) or 0
    engine.dispose()
    return int(count)


def timed(label: str, work: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    outcome = work()
    elapsed = time.perf_counter() - started
    print(f"  {label:<28} {elapsed:8.2f} s")
    return elapsed, outcome


def report(database: str, rows: int, full: float, bare: float) -> None:
    ratio = full / bare
    verdict = "OK" if ratio <= TARGET_RATIO else "ABOVE TARGET"
    print(
        f"  {database}: full {full:.2f} s ({rows / full:,.0f} rows/s), bare {bare:.2f} s "
        f"({rows / bare:,.0f} rows/s), ratio {ratio:.2f}x (target <= {TARGET_RATIO:.0f}x) {verdict}"
    )


# --- databases --------------------------------------------------------------------------------


@contextmanager
def sqlite_database(directory: Path, label: str) -> Iterator[str]:
    url = f"sqlite:///{directory / f'{label}.db'}"
    upgrade(url)
    yield url


@contextmanager
def postgres_database(server: str, label: str) -> Iterator[str]:
    name = f"oncegov_bench_{label}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def postgres_reachable(server: str) -> bool:
    try:
        engine = create_engine(server, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
    except Exception as exc:
        print(f"PostgreSQL not reachable at {server}: {type(exc).__name__}; skipped")
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    rows: int = args.rows
    server = os.environ.get("ONCEGOV_BENCH_PG_URL", DEFAULT_PG)

    with tempfile.TemporaryDirectory(prefix="oncegov-bench-") as tmp:
        directory = Path(tmp)
        path = directory / "citizens.csv"
        with sqlite_database(directory, "reference") as reference:
            engine = make_engine(reference)
            with Session(engine) as session:
                communes = list(
                    session.scalars(select(Commune.code).where(Commune.province_code == CAO_BANG))
                )
            engine.dispose()
        print(f"generating {rows:,} citizens …")
        timed("generate + write CSV", lambda: Generator(communes).write_csv(path, rows))
        print(f"  file: {path.stat().st_size / 1e6:,.1f} MB")

        if not args.skip_sqlite:
            print("SQLite")
            with sqlite_database(directory, "full") as url:
                full, counts = timed("full import (service)", lambda: full_import(url, path))
                print(f"    {counts}")
            with sqlite_database(directory, "bare") as url:
                prepare_households(url, path)
                bare, _ = timed("bare executemany", lambda: bare_sqlite(url, path))
                assert count_citizens(url) == rows
            report("SQLite", rows, full, bare)

        if not args.skip_postgres and postgres_reachable(server):
            print("PostgreSQL")
            with postgres_database(server, "full") as url:
                full, counts = timed("full import (service)", lambda: full_import(url, path))
                print(f"    {counts}")
            with postgres_database(server, "bare") as url:
                prepare_households(url, path)
                bare, _ = timed("bare COPY", lambda: bare_copy(url, path))
                assert count_citizens(url) == rows
            report("PostgreSQL", rows, full, bare)


if __name__ == "__main__":
    main()
