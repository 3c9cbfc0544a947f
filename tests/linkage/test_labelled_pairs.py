"""Officers' decisions read back as labelled pairs with the model's probability
(``LinkageRepository.labelled_pairs``), on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from oncegov.kit.actor import Actor
from oncegov.linkage.models import LinkageDecision
from oncegov.linkage.quality import LabelledPair, estimate
from oncegov.linkage.repository import LinkageRepository
from oncegov.linkage.review import service as review
from tests.linkage.review_factories import SOURCE, make_review_item, make_run, two_namesakes

CLERK = Actor(kind="officer", id="doisoat.test", name="Triệu Thị Bình")


def _decision(db: Session, record_key: str, pid: str, verdict: str, run_id: int | None) -> None:
    db.add(
        LinkageDecision(
            source=SOURCE,
            record_key=record_key,
            personal_id=pid,
            decision=verdict,
            officer_id=CLERK.id,
            officer_name=CLERK.name,
            run_id=run_id,
        )
    )
    db.flush()


def test_decisions_in_the_queue_become_labelled_pairs(db: Session) -> None:
    a, b = two_namesakes(db)
    run = make_run(db)
    chosen = make_review_item(db, run, "R-1", [(a.personal_id, 0.93), (b.personal_id, 0.62)])
    rejected = make_review_item(db, run, "R-2", [(b.personal_id, 0.71)])
    make_review_item(db, run, "R-OPEN", [(a.personal_id, 0.8)])  # not decided: no label
    review.decide(db, CLERK, chosen.id, accept=a.personal_id)
    review.decide(db, CLERK, rejected.id, accept=None)

    pairs = LinkageRepository(db).labelled_pairs(SOURCE)

    # The accepted person, the candidate the officer did not choose, and the rejected record;
    # lowest probability first.
    assert pairs == [
        LabelledPair(0.62, False),
        LabelledPair(0.71, False),
        LabelledPair(0.93, True),
    ]
    assert LinkageRepository(db).labelled_pairs("tax") == []


def test_each_decision_takes_the_probability_of_the_run_it_was_made_on(db: Session) -> None:
    a, b = two_namesakes(db)
    first = make_run(db)
    old = make_review_item(db, first, "R-1", [(a.personal_id, 0.55)])
    review.decide(db, CLERK, old.id, accept=a.personal_id)
    # A later run scores the same pair again (say 0.97) and scores another pair of the same
    # record: neither is the probability the officer decided on.
    later = make_run(db)
    make_review_item(db, later, "R-1", [(a.personal_id, 0.97), (b.personal_id, 0.3)])

    assert LinkageRepository(db).labelled_pairs(SOURCE) == [LabelledPair(0.55, True)]


def test_pairs_without_a_probability_or_a_run_are_left_out(db: Session) -> None:
    a, b = two_namesakes(db)
    run = make_run(db)
    # A rule review: the ID's holder (unscored) next to a scored namesake.
    item = make_review_item(
        db, run, "R-RULE", [(b.personal_id, 0.66), (a.personal_id, None)], reason="name_differs"
    )
    review.decide(db, CLERK, item.id, accept=a.personal_id)
    # A decision whose run was deleted (run_id SET NULL), and one on a person who was never a
    # candidate of that result (no candidate row to take a probability from).
    _decision(db, "R-GONE", a.personal_id, "accept", None)
    _decision(db, "R-RULE-2", b.personal_id, "reject", run.id)

    assert LinkageRepository(db).labelled_pairs(SOURCE) == [LabelledPair(0.66, False)]


def test_sources_are_kept_apart(db: Session) -> None:
    a, _ = two_namesakes(db)
    ours = make_run(db)
    theirs = make_run(db, source="tax")
    ours_item = make_review_item(db, ours, "SAME-KEY", [(a.personal_id, 0.9)])
    their_item = make_review_item(db, theirs, "SAME-KEY", [(a.personal_id, 0.4)])
    review.decide(db, CLERK, ours_item.id, accept=a.personal_id)
    review.decide(db, CLERK, their_item.id, accept=None)

    repo = LinkageRepository(db)
    assert repo.labelled_pairs(SOURCE) == [LabelledPair(0.9, True)]
    assert repo.labelled_pairs("tax") == [LabelledPair(0.4, False)]


def test_a_quality_sample_decision_is_marked_as_drawn(db: Session) -> None:
    a, _ = two_namesakes(db)
    run = make_run(db)
    drawn = make_review_item(db, run, "R-Q", [(a.personal_id, 0.998)], reason="quality_sample")
    review.decide(db, CLERK, drawn.id, accept=None)
    assert LinkageRepository(db).labelled_pairs(SOURCE) == [
        LabelledPair(0.998, False, sampled=True)
    ]


def test_the_pairs_feed_the_estimate(db: Session) -> None:
    a, b = two_namesakes(db)
    run = make_run(db)
    first = make_review_item(db, run, "R-0", [(b.personal_id, 0.995)], reason="quality_sample")
    second = make_review_item(db, run, "R-1", [(a.personal_id, 0.992)], reason="quality_sample")
    third = make_review_item(db, run, "R-2", [(a.personal_id, 0.7)])
    # Held by a safety check above the threshold, then rejected: the run did not auto-link
    # it, so it says nothing about the precision of auto-links.
    held = make_review_item(db, run, "R-3", [(b.personal_id, 0.999)], reason="namesake")
    review.decide(db, CLERK, first.id, accept=b.personal_id)
    review.decide(db, CLERK, second.id, accept=a.personal_id)
    review.decide(db, CLERK, third.id, accept=None)
    review.decide(db, CLERK, held.id, accept=None)
    found = estimate(
        LinkageRepository(db).labelled_pairs(SOURCE),
        auto_link=0.99,
        review=0.5,
        min_precision=0.999,
    )
    assert (found.labelled, found.accepted) == (4, 2)
    assert (found.precision.successes, found.precision.n) == (2, 2)
    assert found.effective_auto_link == 0.99
    assert found.recall_review.estimate == pytest.approx(1.0)
