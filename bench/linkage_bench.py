"""Record-linkage benchmark: a 200,000-record social-insurance extract against a registry of
1,000,000 citizens, the whole ``oncegov link run`` against a deterministic baseline measured
on the same data in the same run.

The registry is the demo province at ``--scale 1.8`` (1,010,670 citizens), built once into
``var/bench/linkage-1.8.db`` (or a PostgreSQL database with ``--pg``) and reused. Extracts are
drawn from it by ``oncegov link sample-extract`` with each generator of ``--generators``
(labelled: a truth file says whom each record really belongs to, or nobody, and which
corruptions it carries) and also reused: ``own`` is the generator the model's settings were
tuned on, ``independent`` (``linkage.synthetic_independent``) was written apart from the model
from a list of real-world patterns and is never tuned on. Each run starts from no links and no
decisions, so it is the first synchronisation of the province.

The linkage run is ``oncegov link run`` in its own process (wall time and peak RSS of that
process, as an operator would see them). The baseline links a record when its exact
normalised name (accent-folded) and full birth date are held by exactly one registry citizen.

Prints, per generator and for both: auto-link precision and recall, recall of auto-link +
review (a review record counts when the true person is among its candidates), the review
band's share, pairs compared per second, wall time and peak memory; then the wrong links and
the misses by corruption, and the first wrong links. Targets on each generator's extract:
precision >= 0.999, auto-link + review recall >= 0.99, review <= 5% of records, under 5
minutes and 8 GB.

    uv run python bench/linkage_bench.py                          # SQLite, 200,000 records
    uv run python bench/linkage_bench.py --records 30000 --scale 0.5   # a quicker look
    uv run python bench/linkage_bench.py --generators independent --pg
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import resource
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from benchlib import BENCH_DIR, ROOT, bench_env, build_demo, citizen_count, database_url, oncegov

PG_DATABASE = "oncegov_bench_linkage"
MIN_CITIZENS = 1_000_000
SCALE = 1.8
LINKAGE_TABLES = (
    "linkage_candidates",
    "linkage_results",
    "linkage_decisions",
    "sector_links",
    "linkage_runs",
)
TARGETS = {"precision": 0.999, "recall_with_review": 0.99, "review_share": 0.05}
TARGET_SECONDS = 300
TARGET_GB = 8.0


def _engine(url: str):  # type: ignore[no-untyped-def]
    from sqlalchemy import create_engine

    return create_engine(url)


def _database_url(pg: bool, scale: float) -> str:
    suffix = "" if scale == SCALE else f"_{scale:g}".replace(".", "_")
    return database_url(pg, pg_database=PG_DATABASE + suffix, sqlite_name=f"linkage-{scale:g}.db")


def _env(url: str) -> dict[str, str]:
    return bench_env(url)


def _oncegov(url: str, *args: str) -> None:
    oncegov(_env(url), *args)


def build(url: str, pg: bool, rebuild: bool, scale: float) -> None:
    if not rebuild and citizen_count(url) >= MIN_CITIZENS * scale / SCALE:
        print(f"registry: reusing {url}")
        _oncegov(url, "migrate")
        return
    build_demo(url, _env(url), scale=scale, pg=pg)


def _clear_linkage(url: str) -> None:
    from sqlalchemy import text

    engine = _engine(url)
    with engine.begin() as conn:
        for table in LINKAGE_TABLES:
            conn.execute(text(f"DELETE FROM {table}"))
    engine.dispose()


GENERATOR_SOURCES = {
    "own": ROOT / "src/oncegov/linkage/synthetic.py",
    "independent": ROOT / "src/oncegov/linkage/synthetic_independent.py",
}


def _generator_version(generator: str) -> str:
    """A short digest of the generator's source: a changed generator draws a new extract
    instead of reusing one it would no longer make."""
    return hashlib.sha256(GENERATOR_SOURCES[generator].read_bytes()).hexdigest()[:8]


def _extract(url: str, records: int, pg: bool, generator: str, scale: float) -> Path:
    database = "pg" if pg else "sqlite"
    version = _generator_version(generator)
    name = f"linkage-extract-{generator}-{version}-{database}-{scale:g}-{records}.csv"
    out = BENCH_DIR / name
    if not out.exists():
        print(f"extract: drawing {records:,} labelled records from the registry ({generator}) …")
        _oncegov(
            url,
            *("link", "sample-extract", "--out", str(out), "--size", str(records)),
            *("--generator", generator),
        )
    return out


# --- scoring ------------------------------------------------------------------------------------


@dataclass
class Scores:
    name: str
    records: int
    auto_links: int
    auto_correct: int
    review: int
    review_with_truth: int
    in_registry: int
    pairs: int
    seconds: float
    peak_gb: float

    @property
    def precision(self) -> float:
        return self.auto_correct / self.auto_links if self.auto_links else 1.0

    @property
    def recall(self) -> float:
        return self.auto_correct / self.in_registry if self.in_registry else 0.0

    @property
    def recall_with_review(self) -> float:
        found = self.auto_correct + self.review_with_truth
        return found / self.in_registry if self.in_registry else 0.0

    @property
    def review_share(self) -> float:
        return self.review / self.records if self.records else 0.0


def _truth(extract: Path) -> dict[str, str]:
    with extract.with_suffix(".truth.csv").open(encoding="utf-8") as handle:
        return {row["record_key"]: row["personal_id"] for row in csv.DictReader(handle)}


def _corruptions(extract: Path) -> dict[str, str]:
    """record key → the corruptions its generator applied (space-separated; "" for none)."""
    with extract.with_suffix(".truth.csv").open(encoding="utf-8") as handle:
        return {row["record_key"]: row["corruptions"] for row in csv.DictReader(handle)}


def _review_candidates(url: str) -> dict[str, set[str]]:
    from sqlalchemy import text

    engine = _engine(url)
    found: dict[str, set[str]] = defaultdict(set)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT r.record_key, c.personal_id FROM linkage_candidates c "
                "JOIN linkage_results r ON r.id = c.result_id"
            )
        )
        for key, pid in rows:
            found[key].add(pid)
    engine.dispose()
    return found


def _run_counts(url: str) -> dict[str, object]:
    import json

    from sqlalchemy import text

    engine = _engine(url)
    with engine.connect() as conn:
        counts = conn.execute(text("SELECT counts FROM linkage_runs ORDER BY id DESC")).scalar()
    engine.dispose()
    return json.loads(counts) if isinstance(counts, str) else dict(counts or {})


@dataclass
class Errors:
    """What a run got wrong, and under which corruptions of the generator."""

    misses: Counter[str]  # by outcome (wrong link, review without the person, no match)
    wrong_by_corruption: Counter[str]  # wrong links, by each corruption of the record
    missed_by_corruption: Counter[str]  # true person neither linked nor among review candidates
    wrong_links: list[tuple[str, str, str, str, str]]  # key, truth, linked, method, corruptions


def linkage(url: str, extract: Path) -> tuple[Scores, dict[str, object], Errors]:
    """``oncegov link run`` in a child process, scored against the truth file."""
    out = extract.with_suffix(".linked.csv")
    mapping = extract.with_suffix(".mapping.yaml")
    log = extract.with_suffix(".run.log")
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as handle:
        child = subprocess.Popen(
            [
                *(sys.executable, "-m", "oncegov.cli.main", "link", "run"),
                *("--source", "social-insurance", "--extract", str(extract)),
                *("--mapping", str(mapping), "--out", str(out)),
            ],
            env=_env(url),
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
        # wait4, not wait: the child's own peak RSS, not that of earlier children.
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    output = log.read_text(encoding="utf-8")
    if child.returncode:
        print(output)
        raise SystemExit(f"oncegov link run failed ({child.returncode})")
    print("\n".join(line for line in output.splitlines() if "│" in line or "wrote" in line))
    peak_kb = usage.ru_maxrss
    truth = _truth(extract)
    corruptions = _corruptions(extract)
    candidates = _review_candidates(url)
    counts = _run_counts(url)
    misses: Counter[str] = Counter()
    errors = Errors(misses, Counter(), Counter(), [])

    def kinds(key: str) -> list[str]:
        return corruptions.get(key, "").split() or ["none"]

    auto = correct = review = review_truth = 0
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        key, true_pid = row["record_key"], truth[row["record_key"]]
        if row["band"] == "auto_link" and row["personal_id"]:
            auto += 1
            correct += row["personal_id"] == true_pid
            if row["personal_id"] != true_pid:
                misses[f"wrong link ({row['method']})"] += 1
                errors.wrong_by_corruption.update(kinds(key))
                errors.wrong_links.append(
                    (
                        key,
                        true_pid or "(not in registry)",
                        row["personal_id"],
                        row["method"],
                        corruptions.get(key, ""),
                    )
                )
                if true_pid:
                    errors.missed_by_corruption.update(kinds(key))
        elif row["band"] == "review":
            review += 1
            if true_pid and true_pid in candidates.get(key, ()):
                review_truth += 1
            elif true_pid:
                misses[f"review without the true person ({row['reason']})"] += 1
                errors.missed_by_corruption.update(kinds(key))
        elif true_pid:
            misses[f"no match ({row['reason']})"] += 1
            errors.missed_by_corruption.update(kinds(key))
    scores = Scores(
        name="linkage (rules + Splink model)",
        records=len(rows),
        auto_links=auto,
        auto_correct=correct,
        review=review,
        review_with_truth=review_truth,
        in_registry=sum(1 for pid in truth.values() if pid),
        pairs=int(counts.get("pairs_compared", 0) or 0),  # type: ignore[call-overload]
        seconds=seconds,
        peak_gb=peak_kb / 1024 / 1024,
    )
    return scores, counts, errors


def baseline(url: str, extract: Path) -> Scores:
    """Exact normalised name + full birth date, linked when exactly one citizen holds it."""
    from sqlalchemy import text

    sys.path.insert(0, str(ROOT / "src"))
    from oncegov.kit.text import fold
    from oncegov.linkage.extract import load_mapping, read_extract

    before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    engine = _engine(url)
    holders: dict[tuple[str, int | None, int | None, int | None], list[str]] = defaultdict(list)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT personal_id, full_name, birth_year, birth_month, birth_day FROM citizens")
        )
        for pid, name, year, month, day in rows:
            holders[(fold(name), year, month, day)].append(pid)
    engine.dispose()
    read = read_extract(extract, load_mapping(extract.with_suffix(".mapping.yaml")))
    truth = _truth(extract)
    auto = correct = pairs = 0
    for record in read.records:
        found = holders.get(
            (fold(record.full_name), record.birth_year, record.birth_month, record.birth_day), []
        )
        pairs += len(found)
        if len(found) == 1:
            auto += 1
            correct += found[0] == truth[record.record_key]
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return Scores(
        name="baseline (exact name + birth date)",
        records=len(read.records),
        auto_links=auto,
        auto_correct=correct,
        review=0,
        review_with_truth=0,
        in_registry=sum(1 for pid in truth.values() if pid),
        pairs=pairs,
        seconds=seconds,
        peak_gb=max(peak_kb - before_kb, 0) / 1024 / 1024,
    )


def _print(scores: list[Scores]) -> None:
    header = (
        f"{'':38} {'precision':>10} {'recall':>8} {'+review':>8} {'review':>8} "
        f"{'pairs/s':>10} {'wall s':>8} {'peak GB':>8}"
    )
    print(header)
    for s in scores:
        rate = s.pairs / s.seconds if s.seconds else 0.0
        print(
            f"{s.name:38} {s.precision:>10.5f} {s.recall:>8.4f} {s.recall_with_review:>8.4f} "
            f"{s.review_share:>8.2%} {rate:>10,.0f} {s.seconds:>8.1f} {s.peak_gb:>8.2f}"
        )


def _report(
    generator: str, linked: Scores, base: Scores, counts: dict[str, object], errors: Errors
) -> bool:
    print(f"\n== extract made by the {generator} generator")
    _print([linked, base])
    stage_seconds: dict[str, float] = dict(counts.get("stage_seconds", {}))  # type: ignore[call-overload]
    model_seconds = sum(stage_seconds.get(k, 0.0) for k in ("model_train", "model_predict"))
    print(
        f"pairs compared by the model: {linked.pairs:,} "
        f"({linked.pairs / model_seconds:,.0f}/s over train + predict, {model_seconds:.1f} s)"
        if model_seconds
        else f"pairs compared by the model: {linked.pairs:,}"
    )
    print(f"stage seconds: {counts.get('stage_seconds')}")
    print(
        f"records the model scored: {counts.get('model_records')}; placeholder days found: "
        f"{counts.get('placeholder_days')} ({counts.get('placeholder_dates')} records)"
    )
    print(f"what the run missed or got wrong: {dict(errors.misses.most_common())}")
    print(f"wrong links by corruption: {dict(errors.wrong_by_corruption.most_common())}")
    print(f"misses by corruption: {dict(errors.missed_by_corruption.most_common())}")
    for key, truth, linked_to, method, kinds in errors.wrong_links[:20]:
        print(f"  wrong link {key}: true {truth}, linked {linked_to} ({method}) [{kinds}]")
    if len(errors.wrong_links) > 20:
        print(f"  … and {len(errors.wrong_links) - 20} more wrong links")
    checks = {
        "auto-link precision >= 0.999": linked.precision >= TARGETS["precision"],
        "auto-link + review recall >= 0.99": linked.recall_with_review
        >= TARGETS["recall_with_review"],
        "review <= 5% of records": linked.review_share <= TARGETS["review_share"],
        "whole run < 5 min": linked.seconds < TARGET_SECONDS,
        "peak memory < 8 GB": linked.peak_gb < TARGET_GB,
    }
    for label, ok in checks.items():
        print(f"  {'met ' if ok else 'MISSED'}  {label}")
    ratio = linked.recall_with_review / base.recall if base.recall else float("inf")
    print(f"recall with review vs baseline recall: {ratio:.2f}×")
    return all(checks.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--rebuild", action="store_true", help="build the registry again")
    parser.add_argument(
        "--scale", type=float, default=SCALE, help=f"demo scale ({SCALE:g} ≈ 1,010,670 citizens)"
    )
    parser.add_argument(
        "--generators",
        default="own,independent",
        help="whose extracts to score: own (the model was tuned on it), independent (never)",
    )
    args = parser.parse_args()
    url = _database_url(args.pg, args.scale)
    build(url, args.pg, args.rebuild, args.scale)
    verdicts = {}
    for generator in args.generators.split(","):
        extract = _extract(url, args.records, args.pg, generator, args.scale)
        _clear_linkage(url)
        print(
            f"linkage ({generator}): {args.records:,} records × {citizen_count(url):,} citizens …"
        )
        linked, counts, errors = linkage(url, extract)
        base = baseline(url, extract)
        verdicts[generator] = _report(generator, linked, base, counts, errors)
    print(
        "\n"
        + ", ".join(
            f"{g}: {'all targets met' if ok else 'targets missed'}" for g, ok in verdicts.items()
        )
    )


if __name__ == "__main__":
    main()
