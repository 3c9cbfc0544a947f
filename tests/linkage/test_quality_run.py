"""End to end with the integration: the quality sample goes to review with its candidates, an
officer's decisions label pairs above the threshold, and the next run refuses an unsafe one."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from oncegov.kit.actor import Actor
from oncegov.linkage import model, service
from oncegov.linkage.models import LinkageCandidate, LinkageResult, LinkageRun
from oncegov.linkage.quality import QUALITY_SAMPLE, QualityEstimate
from oncegov.linkage.review import service as review
from tests.linkage.test_run import _address, _files, _line, _people, _run

CLERK = Actor(kind="officer", id="doisoat.test", name="Triệu Thị Bình")


def test_sample_labels_and_refusal(
    db: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = model.load_settings("social-insurance")
    tuned = dataclasses.replace(
        real, quality=dataclasses.replace(real.quality, sample_rate=0.2, min_precision=0.999)
    )
    monkeypatch.setattr(service.model, "load_settings", lambda source: tuned)
    people = _people(db, 40)
    extract, mapping = _files(
        tmp_path, [_line(f"K{i}", p, place=_address(db, p)) for i, p in enumerate(people)]
    )
    first = _run(db, extract, mapping)
    sampled = db.scalars(
        select(LinkageResult).where(
            LinkageResult.run_id == first.run_id, LinkageResult.reason == QUALITY_SAMPLE
        )
    ).all()
    assert len(sampled) >= 2
    assert all(r.band == "review" and r.personal_id is None for r in sampled)
    stored = QualityEstimate.from_json(first.counts["quality"])
    assert stored.labelled == 0 and stored.effective_auto_link == real.thresholds.auto_link
    for n, result in enumerate(sampled):
        cands = db.scalars(
            select(LinkageCandidate).where(LinkageCandidate.result_id == result.id)
        ).all()
        assert cands and cands[0].probability >= real.thresholds.auto_link
        review.decide(db, CLERK, result.id, accept=None if n == 0 else cands[0].personal_id)
    second = _run(db, extract, mapping)
    measure = QualityEstimate.from_json(second.counts["quality"])
    assert measure.precision.n >= len(sampled)
    assert measure.refused
    run = db.get(LinkageRun, second.run_id)
    assert run is not None
