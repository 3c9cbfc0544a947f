"""The linkage review queue's service: queue, item (audited reads), decisions, one-to-one."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from oncegov.audit.models import AuditEntry
from oncegov.errors import Conflict, NotFound, ValidationFailed
from oncegov.kit.actor import Actor
from oncegov.linkage.models import LinkageDecision, LinkageResult, SectorLink
from oncegov.linkage.review import service
from oncegov.linkage.service import LINK_ACTION, PURPOSE, REVIEW_READ_ACTION
from tests.fixtures import make_citizen
from tests.linkage.review_factories import SOURCE, make_review_item, make_run, two_namesakes

CLERK = Actor(kind="officer", id="doisoat.test", name="Triệu Thị Bình")


def _audit_since(db: Session, seq: int) -> list[AuditEntry]:
    return list(db.scalars(select(AuditEntry).where(AuditEntry.seq > seq).order_by(AuditEntry.seq)))


def _last_seq(db: Session) -> int:
    return db.scalar(select(func.max(AuditEntry.seq))) or 0


def _decisions(db: Session, record_key: str) -> dict[str, str]:
    rows = db.scalars(
        select(LinkageDecision).where(
            LinkageDecision.source == SOURCE, LinkageDecision.record_key == record_key
        )
    )
    return {d.personal_id: d.decision for d in rows}


def test_queue_lists_only_open_items_of_the_latest_run(db: Session) -> None:
    a, b = two_namesakes(db)
    old = make_run(db)
    make_review_item(db, old, "OLD-1", [(a.personal_id, 0.9)])
    run = make_run(db)
    low = make_review_item(db, run, "R-LOW", [(a.personal_id, 0.41), (b.personal_id, 0.3)])
    high = make_review_item(db, run, "R-HIGH", [(b.personal_id, 0.88)])
    same = make_review_item(db, run, "R-AAA", [(a.personal_id, 0.41)])
    decided = make_review_item(db, run, "R-DONE", [(a.personal_id, 0.7)])
    service.decide(db, CLERK, decided.id, accept=None)
    make_review_item(db, run, "R-AUTO", [(a.personal_id, 0.99)], band="auto_link")
    other = make_run(db, source="tax")
    taxed = make_review_item(db, other, "T-1", [(a.personal_id, 0.5)])

    everything = service.queue(db, None, page=1)
    assert [i.result_id for i in everything.items] == [high.id, taxed.id, same.id, low.id]
    assert everything.total == 4
    page = service.queue(db, SOURCE, page=1)
    assert [i.record_key for i in page.items] == ["R-HIGH", "R-AAA", "R-LOW"]
    assert page.total == 3
    first = page.items[2]
    assert first.candidates == 2 and first.best_probability == pytest.approx(0.41)
    assert first.full_name == "Nông Văn Dũng" and first.date_of_birth == "17/05/1985"
    assert first.reason == "ambiguous" and first.source == SOURCE

    second = service.queue(db, SOURCE, page=2, per_page=2)
    assert [i.record_key for i in second.items] == ["R-LOW"]
    assert second.total == 3 and second.pages == 2
    assert service.sources(db) == [SOURCE, "tax"]


def test_item_reads_each_candidate_through_the_registry_audited(db: Session) -> None:
    a, b = two_namesakes(db)
    run = make_run(db)
    result = make_review_item(db, run, "R-1", [(a.personal_id, 0.8), (b.personal_id, 0.6)])
    before = _last_seq(db)

    shown = service.item(db, CLERK, result.id)

    assert shown.open and not shown.superseded
    assert shown.sector_record["record_key"] == "R-1"
    assert [c.personal_id for c in shown.candidates] == [a.personal_id, b.personal_id]
    first = shown.candidates[0]
    assert first.in_registry and first.citizen is not None
    assert first.citizen.full_name == "Nông Văn Dũng"
    assert first.probability == pytest.approx(0.8)
    assert (first.contributions[0].field, first.contributions[0].level) == (
        "name",
        "Exact match",
    )
    assert first.contributions[-1].match_weight == pytest.approx(-1.3)
    entries = _audit_since(db, before)
    reads = [e for e in entries if e.action == "registry.read"]
    assert {e.subject_personal_id for e in reads} == {a.personal_id, b.personal_id}
    assert all(e.purpose == PURPOSE and e.actor_id == CLERK.id for e in reads)
    assert [e.action for e in entries].count(REVIEW_READ_ACTION) == 1


def test_item_shows_a_candidate_no_longer_in_the_registry(db: Session) -> None:
    a, _b = two_namesakes(db)
    run = make_run(db)
    gone_id = "004085999999"  # linked by the run, gone from the registry since
    result = make_review_item(db, run, "R-1", [(a.personal_id, 0.8), (gone_id, 0.6)])
    before = _last_seq(db)

    shown = service.item(db, CLERK, result.id)

    gone = shown.candidates[1]
    assert not gone.in_registry and gone.citizen is None
    reads = [e for e in _audit_since(db, before) if e.action == "registry.read"]
    assert [e.subject_personal_id for e in reads] == [a.personal_id]


def test_unknown_item_is_not_found(db: Session) -> None:
    with pytest.raises(NotFound):
        service.item(db, CLERK, 999_999)
    with pytest.raises(NotFound):
        service.decide(db, CLERK, 999_999, accept=None)


def test_accept_stores_decisions_link_result_and_audit(db: Session) -> None:
    a, b = two_namesakes(db)
    run = make_run(db)
    result = make_review_item(db, run, "R-1", [(a.personal_id, 0.8), (b.personal_id, 0.6)])
    waiting = make_review_item(db, run, "R-2", [(a.personal_id, 0.5)])
    before = _last_seq(db)

    done = service.decide(db, CLERK, result.id, accept=b.personal_id)

    assert done.decision == "accept" and done.personal_id == b.personal_id
    assert done.next_id == waiting.id
    assert _decisions(db, "R-1") == {a.personal_id: "reject", b.personal_id: "accept"}
    stored = db.scalar(select(LinkageDecision).where(LinkageDecision.personal_id == b.personal_id))
    assert stored is not None
    assert (stored.officer_id, stored.officer_name, stored.run_id) == (CLERK.id, CLERK.name, run.id)
    link = db.get(SectorLink, (SOURCE, "R-1"))
    assert link is not None
    assert (link.personal_id, link.method, link.run_id) == (b.personal_id, "clerical", run.id)
    assert link.probability == pytest.approx(0.6)
    db.refresh(result)
    assert result.method == "clerical" and result.personal_id == b.personal_id
    assert result.probability == pytest.approx(0.6)
    assert result.decided_at is not None and result.decided_by == CLERK.name
    links = [e for e in _audit_since(db, before) if e.action == LINK_ACTION]
    assert len(links) == 1
    assert links[0].subject_personal_id == b.personal_id and links[0].purpose == PURPOSE
    assert json.loads(links[0].detail) == {
        "source": SOURCE,
        "record_key": "R-1",
        "method": "clerical",
    }
    assert [i.result_id for i in service.queue(db, SOURCE, page=1).items] == [waiting.id]


def test_reject_all(db: Session) -> None:
    a, b = two_namesakes(db)
    run = make_run(db)
    result = make_review_item(db, run, "R-1", [(a.personal_id, 0.8), (b.personal_id, 0.6)])
    before = _last_seq(db)

    done = service.decide(db, CLERK, result.id, accept=None)

    assert done.decision == "reject" and done.personal_id is None and done.next_id is None
    assert _decisions(db, "R-1") == {a.personal_id: "reject", b.personal_id: "reject"}
    assert db.get(SectorLink, (SOURCE, "R-1")) is None
    db.refresh(result)
    assert (result.method, result.personal_id, result.reason) == (
        "clerical",
        None,
        "rejected_in_review",
    )
    assert result.decided_at is not None
    assert not [e for e in _audit_since(db, before) if e.action == LINK_ACTION]


def test_accepting_a_non_candidate_is_a_field_error(db: Session) -> None:
    a, _b = two_namesakes(db)
    stranger = make_citizen(db, full_name="Hoàng Văn Thụ")
    run = make_run(db)
    result = make_review_item(db, run, "R-1", [(a.personal_id, 0.8)])
    with pytest.raises(ValidationFailed) as caught:
        service.decide(db, CLERK, result.id, accept=stranger.personal_id)
    assert caught.value.field == "personal_id"
    assert _decisions(db, "R-1") == {}
    db.refresh(result)
    assert result.decided_at is None


def test_deciding_twice_or_an_old_run_is_refused(db: Session) -> None:
    a, b = two_namesakes(db)
    run = make_run(db)
    result = make_review_item(db, run, "R-1", [(a.personal_id, 0.8), (b.personal_id, 0.6)])
    service.decide(db, CLERK, result.id, accept=a.personal_id)
    with pytest.raises(Conflict) as caught:
        service.decide(db, CLERK, result.id, accept=b.personal_id)
    assert caught.value.code == "linkage_review_closed"
    assert _decisions(db, "R-1") == {a.personal_id: "accept", b.personal_id: "reject"}

    older = make_review_item(db, run, "R-2", [(b.personal_id, 0.6)])
    make_run(db)  # a newer run of the source supersedes it
    with pytest.raises(Conflict) as superseded:
        service.decide(db, CLERK, older.id, accept=None)
    assert superseded.value.code == "linkage_review_closed"
    assert service.item(db, CLERK, older.id).superseded


def test_one_to_one_refuses_a_person_linked_to_another_record(db: Session) -> None:
    a, b = two_namesakes(db)
    run = make_run(db)
    first = make_review_item(db, run, "R-1", [(a.personal_id, 0.8)])
    service.decide(db, CLERK, first.id, accept=a.personal_id)
    second = make_review_item(db, run, "R-2", [(a.personal_id, 0.7), (b.personal_id, 0.6)])
    before = _last_seq(db)

    with pytest.raises(Conflict) as caught:
        service.decide(db, CLERK, second.id, accept=a.personal_id)

    assert caught.value.field == "personal_id"
    assert caught.value.code == "linkage_person_already_linked"
    assert caught.value.params == {"record_key": "R-1"}
    # Nothing was written.
    assert _decisions(db, "R-2") == {}
    assert db.get(SectorLink, (SOURCE, "R-2")) is None
    assert db.get(SectorLink, (SOURCE, "R-1")).personal_id == a.personal_id  # type: ignore[union-attr]
    db.refresh(second)
    assert second.decided_at is None and second.method is None
    assert _audit_since(db, before) == []
    # The other candidate can still be accepted.
    service.decide(db, CLERK, second.id, accept=b.personal_id)
    assert db.get(SectorLink, (SOURCE, "R-2")).personal_id == b.personal_id  # type: ignore[union-attr]


def test_a_person_may_be_linked_once_per_source_each(db: Session) -> None:
    a, _b = two_namesakes(db)
    one = make_review_item(db, make_run(db), "R-1", [(a.personal_id, 0.8)])
    other = make_review_item(db, make_run(db, source="tax"), "R-1", [(a.personal_id, 0.8)])
    service.decide(db, CLERK, one.id, accept=a.personal_id)
    service.decide(db, CLERK, other.id, accept=a.personal_id)
    assert db.scalar(select(func.count()).select_from(SectorLink)) == 2


def test_the_database_refuses_two_records_of_one_source_for_one_person(db: Session) -> None:
    a, _b = two_namesakes(db)
    db.add(SectorLink(source=SOURCE, record_key="R-1", personal_id=a.personal_id, method="model"))
    db.flush()
    with pytest.raises(IntegrityError), db.begin_nested():
        db.add(
            SectorLink(source=SOURCE, record_key="R-2", personal_id=a.personal_id, method="model")
        )
        db.flush()
    assert db.scalar(select(func.count()).select_from(SectorLink)) == 1


def test_a_re_decision_replaces_the_earlier_decision(db: Session) -> None:
    a, b = two_namesakes(db)
    first = make_review_item(db, make_run(db), "R-1", [(a.personal_id, 0.8), (b.personal_id, 0.6)])
    service.decide(db, CLERK, first.id, accept=None)
    # The next run puts the same record back in review (the decision pair is reused).
    again = make_review_item(db, make_run(db), "R-1", [(a.personal_id, 0.8), (b.personal_id, 0.6)])
    assert {c.earlier_decision for c in service.item(db, CLERK, again.id).candidates} == {"reject"}
    service.decide(db, CLERK, again.id, accept=a.personal_id)
    assert _decisions(db, "R-1") == {a.personal_id: "accept", b.personal_id: "reject"}
    assert db.scalar(select(func.count()).select_from(LinkageDecision)) == 2
    assert db.get(LinkageResult, again.id).decided_by == CLERK.name  # type: ignore[union-attr]
