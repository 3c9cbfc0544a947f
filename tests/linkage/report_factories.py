"""Factories for the sync report tests: linkage runs and results inserted with the ORM."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from oncegov.kit import clock
from oncegov.linkage.models import LinkageResult, LinkageRun
from tests.fixtures import COMMUNE_A, COMMUNE_B

SOURCE = "social-insurance"
_keys = itertools.count(1)
_ids = itertools.count(1)
START = dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC)


def make_run(
    db: Session, source: str = SOURCE, *, finished_at: dt.datetime = START, **overrides: Any
) -> LinkageRun:
    values: dict[str, Any] = {
        "source": source,
        "started_at": finished_at - dt.timedelta(minutes=3),
        "finished_at": finished_at,
        "actor": "officer:pc06.caobang",
        "extract_name": f"bhxh-{finished_at:%Y%m%d}.csv",
        "extract_sha256": "0" * 64,
        "settings_version": "si-2026.11",
        "settings": {},
        "records": 0,
        "counts": {},
        "seconds": 182.5,
    }
    values.update(overrides)
    run = LinkageRun(**values)
    db.add(run)
    db.flush()
    return run


def personal_id() -> str:
    return f"004085{next(_ids):06d}"


def make_result(
    db: Session,
    run: LinkageRun,
    band: str,
    *,
    method: str | None = None,
    linked: bool = False,
    reason: str | None = None,
    commune_code: str | None = COMMUNE_A,
    decided: bool = False,
) -> LinkageResult:
    result = LinkageResult(
        run_id=run.id,
        record_key=f"SI{next(_keys):08d}",
        band=band,
        method=method,
        personal_id=personal_id() if linked else None,
        probability=0.99 if linked else None,
        reason=reason,
        commune_code=commune_code,
        decided_at=run.finished_at + dt.timedelta(hours=2) if decided else None,
        decided_by="clerk" if decided else None,
    )
    db.add(result)
    return result


def decide(db: Session, result: LinkageResult, *, accept: bool) -> None:
    """What an officer's decision in the review queue does to a result: updated in place."""
    result.method = "clerical"
    result.personal_id = personal_id() if accept else None
    result.reason = result.reason if accept else "rejected_in_review"
    result.decided_at = clock.now()
    result.decided_by = "linkage.clerk"
    db.flush()


@dataclass(frozen=True)
class Fixture:
    older: LinkageRun
    latest: LinkageRun
    waiting: LinkageResult  # the latest run's one undecided review result (commune A)


def seed_two_runs(db: Session) -> Fixture:
    """An older run (10 records, 3 linked) and the latest run of ``SOURCE``:

    ===================  ==========================================================  =====
    commune A (6)        3 deterministic, 1 model, 1 review waiting (uncertain),      4/6
                         1 no_candidate
    commune B (4)        1 deterministic, 1 accepted in review (clerical), 1 rejected  2/4
                         in review, 1 incomplete_record
    no commune (2)       1 low_probability, 1 incomplete_record                       0/2
    ===================  ==========================================================  =====

    12 records, 6 linked (4 deterministic, 1 model, 1 clerical), 1 waiting, 5 unmatched.
    """
    older = make_run(
        db, finished_at=START, records=10, linked_deterministic=2, linked_model=1, unmatched=7
    )
    for n in range(10):
        make_result(
            db,
            older,
            "auto_link" if n < 3 else "no_match",
            method="deterministic" if n < 3 else None,
            linked=n < 3,
            reason=None if n < 3 else "no_candidate",
        )
    latest = make_run(
        db,
        finished_at=START + dt.timedelta(days=7),
        records=12,
        linked_deterministic=4,
        linked_model=1,
        review=3,
        unmatched=4,
        extract_name="bhxh-latest.csv",
    )
    a, b = COMMUNE_A, COMMUNE_B
    for _ in range(3):
        make_result(db, latest, "auto_link", method="deterministic", linked=True, commune_code=a)
    make_result(db, latest, "auto_link", method="model", linked=True, commune_code=a)
    waiting = make_result(db, latest, "review", reason="uncertain", commune_code=a)
    make_result(db, latest, "no_match", reason="no_candidate", commune_code=a)
    make_result(db, latest, "auto_link", method="deterministic", linked=True, commune_code=b)
    make_result(
        db,
        latest,
        "review",
        method="clerical",
        linked=True,
        reason="ambiguous",
        commune_code=b,
        decided=True,
    )
    make_result(
        db,
        latest,
        "review",
        method="clerical",
        reason="rejected_in_review",
        commune_code=b,
        decided=True,
    )
    make_result(db, latest, "no_match", reason="incomplete_record", commune_code=b)
    make_result(db, latest, "no_match", reason="low_probability", commune_code=None)
    make_result(db, latest, "no_match", reason="incomplete_record", commune_code=None)
    db.flush()
    return Fixture(older, latest, waiting)
