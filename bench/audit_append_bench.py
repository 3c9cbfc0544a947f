"""Audit appends, keyed chain vs the old unkeyed path: N single appends (``audit.record``, one
transaction each, as a request makes them) and N entries in batches (``audit.record_many``, as
the group-committed check-in makes them). Prints entries per second and the keyed/old ratio.

The "old" path is the previous implementation: the same head claim and insert, a plain SHA-256
link, no key id, no checkpoint. The keyed path signs a checkpoint every
``ONCEGOV_AUDIT_CHECKPOINT_EVERY_ENTRIES`` entries (1,000).

    uv run python bench/audit_append_bench.py [--pg] [--entries 5000] [--batch 64]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchlib import DEFAULT_PG_SERVER

SCRATCH = tempfile.mkdtemp(prefix="oncegov-audit-bench-")
PG_DATABASE = "oncegov_bench_audit"


def _url(pg: bool) -> str:
    if pg:
        server = os.environ.get("ONCEGOV_BENCH_PG_SERVER", DEFAULT_PG_SERVER)
        return f"{server}/{PG_DATABASE}"
    return f"sqlite:///{Path(SCRATCH) / 'audit.db'}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg", action="store_true")
    parser.add_argument("--entries", type=int, default=2000, help="single appends per path")
    parser.add_argument("--batched", type=int, default=40000, help="batched entries per path")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    url = _url(args.pg)
    os.environ["ONCEGOV_DATABASE_URL"] = url
    os.environ.setdefault("ONCEGOV_SECRET_KEY", "bench-secret-key-0123456789abcdef")
    from oncegov.db import get_sessionmaker
    from oncegov.migrate import upgrade

    if args.pg:
        _pg_database(url, "CREATE")
    try:
        upgrade(url)
        _run(get_sessionmaker(), args.entries, args.batched, args.batch, args.rounds)
    finally:
        if args.pg:
            from oncegov.db import get_engine

            get_engine().dispose()
            _pg_database(url, "DROP")


def _pg_database(url: str, verb: str) -> None:
    from sqlalchemy import create_engine, text

    server = url.rsplit("/", 1)[0]
    engine = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {PG_DATABASE}"))
        if verb == "CREATE":
            conn.execute(text(f"CREATE DATABASE {PG_DATABASE}"))
    engine.dispose()


def _old_record_many(session: object, pending: list[object]) -> None:
    """The batch append before the chain was keyed: one claim, one insert, SHA-256 links."""
    from oncegov.audit import service as audit
    from oncegov.audit.repository import AuditRepository
    from oncegov.kit import clock
    from oncegov.kit.chain import legacy_link

    repo = AuditRepository(session)  # type: ignore[arg-type]
    claimed = repo.claim_seqs(len(pending))
    prev, moment, rows = claimed.prev_hash, clock.now(), []
    for offset, item in enumerate(pending):
        row = {
            "seq": claimed.first_seq + offset,
            "at": moment,
            "actor_kind": item.actor.kind,  # type: ignore[attr-defined]
            "actor_id": item.actor.id,  # type: ignore[attr-defined]
            "actor_name": item.actor.name,  # type: ignore[attr-defined]
            "actor_agency": None,
            "action": item.action,  # type: ignore[attr-defined]
            "subject_personal_id": None,
            "purpose": item.purpose,  # type: ignore[attr-defined]
            "channel": "web",
            "detail": "",
            "prev_hash": prev,
        }
        row["hash"] = prev = legacy_link(prev, audit._canonical(row))
        rows.append(row)
    repo.append_rows(rows)


def _old_record(session: object, actor: object, action: str, *, purpose: str) -> None:
    """The append before the chain was keyed: SHA-256 link, no key id, no checkpoint."""
    from oncegov.audit import service as audit
    from oncegov.audit.models import AuditEntry
    from oncegov.audit.repository import AuditRepository
    from oncegov.kit import clock

    repo = AuditRepository(session)  # type: ignore[arg-type]
    claimed = repo.claim_seqs(1)
    entry = AuditEntry(
        seq=claimed.first_seq,
        at=clock.now(),
        actor_kind=actor.kind,  # type: ignore[attr-defined]
        actor_id=actor.id,  # type: ignore[attr-defined]
        actor_name=actor.name,  # type: ignore[attr-defined]
        actor_agency=None,
        action=action,
        subject_personal_id="004085000001",
        purpose=purpose,
        channel="web",
        detail="",
        prev_hash=claimed.prev_hash,
        key_id=None,
    )
    entry.hash = audit.legacy_entry_hash(claimed.prev_hash, entry)
    repo.append(entry)


def _run(
    sessions: Callable[[], object], entries: int, batched: int, batch: int, rounds: int
) -> None:
    from oncegov.audit import service as audit
    from oncegov.kit.actor import Actor

    actor = Actor("officer", "xa.bench", "Bench officer", channel="web")
    pending = [audit.PendingEntry(actor, "health.checkin", "medical examination")] * batch
    per_round = entries // rounds

    def singles(record: Callable[..., object]) -> None:
        for i in range(per_round):
            with sessions() as session:  # type: ignore[attr-defined]
                record(session, actor, "registry.read", purpose=f"bench {i}")
                session.commit()

    def batches(record_many: Callable[..., object]) -> None:
        for _ in range(batched // rounds // batch):
            with sessions() as session:  # type: ignore[attr-defined]
                record_many(session, list(pending))
                session.commit()

    paths: dict[str, Callable[[], None]] = {
        "old: record (one per transaction)": lambda: singles(_old_record),
        "keyed: record (one per transaction)": lambda: singles(audit.record),
        "old: record_many": lambda: batches(_old_record_many),
        "keyed: record_many": lambda: batches(audit.record_many),
    }
    seconds = dict.fromkeys(paths, 0.0)
    singles(audit.record)  # warm up: imports, the first checkpoint, statement caches
    # Rounds alternate the paths, so a busy moment of the machine hits both alike. (The chain
    # then mixes unkeyed entries after keyed ones: it is not meant to verify.)
    for _ in range(rounds):
        for label, run in paths.items():
            started = time.perf_counter()
            run()
            seconds[label] += time.perf_counter() - started
    print(f"audit appends, each path in {rounds} rounds")
    for label, spent in seconds.items():
        done = per_round if "record (" in label else batched // rounds // batch * batch
        done *= rounds
        print(f"  {label:<36} {done:>7,} entries {spent:7.2f} s {done / spent:>9,.0f}/s")
    single = (
        seconds["keyed: record (one per transaction)"]
        / seconds["old: record (one per transaction)"]
    )
    many = seconds["keyed: record_many"] / seconds["old: record_many"]
    print(f"ratio keyed/old (time), single appends: {single:.2f}")
    print(f"ratio keyed/old (time), batch appends of {batch}: {many:.2f}")


if __name__ == "__main__":
    main()
