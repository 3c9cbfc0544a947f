"""Factories for the linkage review queue: citizens, then a run, review results and their
candidates written directly with the ORM (as a linkage run stores them)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from oncegov.linkage.models import LinkageCandidate, LinkageResult, LinkageRun
from oncegov.registry.models import Citizen
from tests.fixtures import COMMUNE_A, make_citizen

SOURCE = "social-insurance"


def make_run(db: Session, source: str = SOURCE, **overrides: Any) -> LinkageRun:
    values: dict[str, Any] = {
        "source": source,
        "actor": "system:test",
        "extract_name": "bhxh.csv",
        "extract_sha256": "0" * 64,
        "settings_version": "test-1",
        "settings": {},
        "records": 0,
        "counts": {},
        "seconds": 0.1,
    }
    values.update(overrides)
    run = LinkageRun(**values)
    db.add(run)
    db.flush()
    return run


def sector_record(
    record_key: str, citizen: Citizen | None = None, **overrides: Any
) -> dict[str, Any]:
    """A normalised sector record, by default copied from ``citizen`` (without its IDs)."""
    record: dict[str, Any] = {
        "record_key": record_key,
        "full_name": citizen.full_name if citizen else "Nông Văn Dũng",
        "date_of_birth_text": (
            f"{citizen.birth_day or 1:02d}/{citizen.birth_month or 1:02d}/{citizen.birth_year}"
            if citizen
            else "17/05/1985"
        ),
        "birth_year": citizen.birth_year if citizen else 1985,
        "birth_month": citizen.birth_month if citizen else 5,
        "birth_day": citizen.birth_day if citizen else 17,
        "sex": citizen.sex if citizen else "M",
        "address": "Tổ 3, Phường Thục Phán",
        "old_id_number": None,
        "personal_id": None,
        "phone": None,
    }
    record.update(overrides)
    return record


def contributions(*, name: float = 7.1, birth: float = 4.2, sex: float = 0.4,
                  commune: float = -1.3) -> list[dict[str, Any]]:  # fmt: skip
    return [
        {"field": "name", "level": "Exact match", "match_weight": name},
        {"field": "birth_date", "level": "Year and month match", "match_weight": birth},
        {"field": "sex", "level": "Exact match", "match_weight": sex},
        {"field": "commune", "level": "Different commune", "match_weight": commune},
    ]


def make_review_item(
    db: Session,
    run: LinkageRun,
    record_key: str,
    candidates: Sequence[tuple[str, float | None]],
    *,
    record: dict[str, Any] | None = None,
    reason: str = "ambiguous",
    band: str = "review",
) -> LinkageResult:
    """A result in review with ``candidates`` = (personal ID, probability), ranked in order."""
    result = LinkageResult(
        run_id=run.id,
        record_key=record_key,
        band=band,
        method=None,
        personal_id=None,
        probability=max((p for _, p in candidates if p is not None), default=None),
        reason=reason,
        sampled=reason == "quality_sample",
        commune_code=COMMUNE_A,
        sector_record=record or sector_record(record_key),
    )
    db.add(result)
    db.flush()
    for rank, (pid, probability) in enumerate(candidates, start=1):
        db.add(
            LinkageCandidate(
                result_id=result.id,
                personal_id=pid,
                rank=rank,
                probability=probability,
                match_weight=None if probability is None else 10.4 - rank,
                contributions=contributions(commune=-1.3 if rank == 1 else 2.0),
            )
        )
    db.flush()
    return result


def two_namesakes(db: Session, **overrides: Any) -> tuple[Citizen, Citizen]:
    """Two registry citizens a sector record could be (same name, same birth year)."""
    first = make_citizen(db, full_name="Nông Văn Dũng", sex="M", birth_year=1985, **overrides)
    second = make_citizen(
        db, full_name="Nông Văn Dũng", sex="M", birth_year=1985, birth_month=6, **overrides
    )
    return first, second
