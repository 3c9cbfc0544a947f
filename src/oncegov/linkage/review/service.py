"""The clerical review queue: the sector records that linkage could not decide with confidence.

An officer opens one record in review, sees it next to its registry candidates (each read
through the registry service, so every candidate shown is an audited read) with the
contribution of each field to the score, and accepts one candidate or rejects them all.

A decision belongs to the (source, record key, personal ID) pair, not to the run: later runs
reuse it. Only an open item of the *latest* run of its source can be decided; an item of an
older run is superseded by the newer run's result. Accepting links the record
(``sector_links``, method ``clerical``) and tells the citizen (an audit entry with them as
subject, shown on their "who accessed my data" page). One personal ID is linked to at most
one record of a source: accepting a person already linked to another record is refused, and
the database's unique constraint refuses it too.

Services never commit; the writes of one decision run in a savepoint, so a refused decision
leaves nothing behind even when the caller goes on with its transaction.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from oncegov.audit import service as audit
from oncegov.errors import Conflict, NotFound, ValidationFailed
from oncegov.kit import clock
from oncegov.kit.actor import Actor
from oncegov.kit.repository import Page
from oncegov.kit.schema_types import Instant
from oncegov.linkage.models import ACCEPT, CLERICAL, REJECT, REVIEW, LinkageCandidate, LinkageResult
from oncegov.linkage.review.repository import OpenRow, ReviewRepository
from oncegov.linkage.service import LINK_ACTION, PURPOSE, REVIEW_READ_ACTION
from oncegov.registry import service as registry
from oncegov.registry.schemas import CitizenOut
from oncegov.translatable import N_

PER_PAGE = 25
REJECTED_REASON = "rejected_in_review"


# --- schemas (also the JSON API's) ------------------------------------------------------------


class QueueItem(BaseModel):
    result_id: int
    run_id: int
    source: str
    record_key: str
    reason: str | None
    best_probability: float | None
    candidates: int
    # Sector data (not the registry's): shown in the list without an audit entry.
    full_name: str | None
    date_of_birth: str | None


class ReviewPage(BaseModel):
    source: str | None
    page: int
    per_page: int
    total: int
    items: list[QueueItem]

    @property
    def pages(self) -> int:
        return max((self.total + self.per_page - 1) // self.per_page, 1)


class Contribution(BaseModel):
    field: str
    level: str
    match_weight: float


class CandidateView(BaseModel):
    personal_id: str
    rank: int
    probability: float | None
    match_weight: float | None
    contributions: list[Contribution]
    in_registry: bool
    citizen: CitizenOut | None = None  # None: no longer in the registry
    earlier_decision: str | None = None  # accept | reject, by an officer before


class ReviewItem(BaseModel):
    result_id: int
    run_id: int
    source: str
    record_key: str
    band: str
    reason: str | None
    commune_code: str | None
    sector_record: dict[str, Any]
    candidates: list[CandidateView]
    open: bool  # in review, undecided, of the latest run of its source
    superseded: bool  # a later run of the source exists
    method: str | None
    personal_id: str | None
    decided_at: Instant | None
    decided_by: str | None


class DecisionOut(BaseModel):
    personal_id: str
    decision: str


class Decided(BaseModel):
    result_id: int
    source: str
    record_key: str
    decision: str = Field(description="accept | reject")
    personal_id: str | None
    decisions: list[DecisionOut]
    next_id: int | None


# --- the queue --------------------------------------------------------------------------------


def _queue_item(row: OpenRow) -> QueueItem:
    record = row.sector_record or {}
    return QueueItem(
        result_id=row.result_id,
        run_id=row.run_id,
        source=row.source,
        record_key=row.record_key,
        reason=row.reason,
        best_probability=row.best_probability,
        candidates=row.candidates,
        full_name=record.get("full_name") or None,
        date_of_birth=record.get("date_of_birth_text") or None,
    )


def queue(
    session: Session, source: str | None, *, page: int, per_page: int = PER_PAGE
) -> ReviewPage:
    """Open review items of the latest run of each source (or of ``source``), best candidate's
    probability first."""
    page = max(page, 1)
    per_page = min(max(per_page, 1), 200)
    source = (source or "").strip() or None
    found = ReviewRepository(session).open_items(source, Page.numbered(page, per_page))
    return ReviewPage(
        source=source,
        page=page,
        per_page=per_page,
        total=found.total or 0,
        items=[_queue_item(r) for r in found.items],
    )


def sources(session: Session) -> list[str]:
    """The sources that have at least one linkage run (the queue's filter)."""
    return ReviewRepository(session).sources()


# --- one item ---------------------------------------------------------------------------------


def _found(repo: ReviewRepository, result_id: int) -> tuple[LinkageResult, str]:
    found = repo.result(result_id)
    if found is None:
        raise NotFound(N_("No linkage review item with this number"), field="result_id")
    return found


def _contributions(candidate: LinkageCandidate) -> list[Contribution]:
    out = []
    for c in candidate.contributions or []:
        try:
            out.append(
                Contribution(
                    field=str(c["field"]),
                    level=str(c.get("level", "")),
                    match_weight=float(c.get("match_weight") or 0.0),
                )
            )
        except (KeyError, TypeError, ValueError):
            continue  # a malformed entry is left out rather than breaking the page
    return out


def item(session: Session, actor: Actor, result_id: int) -> ReviewItem:
    """The sector record and its candidates, each read through the registry (audited)."""
    repo = ReviewRepository(session)
    result, source = _found(repo, result_id)
    latest = repo.latest_run_id(source)
    earlier = {d.personal_id: d.decision for d in repo.decisions(source, result.record_key)}
    candidates = repo.candidates(result.id)
    audit.record(
        session,
        actor,
        REVIEW_READ_ACTION,
        purpose=PURPOSE,
        detail={
            "source": source,
            "record_key": result.record_key,
            "result_id": result.id,
            "candidates": len(candidates),
        },
    )
    views = []
    for candidate in candidates:
        try:
            citizen: CitizenOut | None = registry.get_citizen(
                session, actor, candidate.personal_id, purpose=PURPOSE
            )
        except NotFound:
            citizen = None
        views.append(
            CandidateView(
                personal_id=candidate.personal_id,
                rank=candidate.rank,
                probability=candidate.probability,
                match_weight=candidate.match_weight,
                contributions=_contributions(candidate),
                in_registry=citizen is not None,
                citizen=citizen,
                earlier_decision=earlier.get(candidate.personal_id),
            )
        )
    superseded = latest is not None and latest != result.run_id
    return ReviewItem(
        result_id=result.id,
        run_id=result.run_id,
        source=source,
        record_key=result.record_key,
        band=result.band,
        reason=result.reason,
        commune_code=result.commune_code,
        sector_record=dict(result.sector_record or {}),
        candidates=views,
        open=result.band == REVIEW and result.decided_at is None and not superseded,
        superseded=superseded,
        method=result.method,
        personal_id=result.personal_id,
        decided_at=result.decided_at,
        decided_by=result.decided_by,
    )


# --- deciding ---------------------------------------------------------------------------------


def _closed(result: LinkageResult) -> Conflict:
    return Conflict(
        N_("This record was already decided or a newer linkage run replaced it"),
        code="linkage_review_closed",
        field="result_id",
        result_id=result.id,
    )


def decide(session: Session, officer: Actor, result_id: int, *, accept: str | None) -> Decided:
    """Accept one candidate (``accept`` = its personal ID) or reject them all (None)."""
    repo = ReviewRepository(session)
    result, source = _found(repo, result_id)
    if (
        result.band != REVIEW
        or result.decided_at is not None
        or repo.latest_run_id(source) != result.run_id
    ):
        raise _closed(result)
    candidates = {c.personal_id: c for c in repo.candidates(result.id)}
    chosen: LinkageCandidate | None = None
    if accept is not None:
        chosen = candidates.get(accept.strip())
        if chosen is None:
            raise ValidationFailed(
                N_("This person is not one of the record's candidates"),
                field="personal_id",
                code="linkage_not_a_candidate",
            )
        holder = repo.link_of_person(source, chosen.personal_id)
        if holder is not None and holder.record_key != result.record_key:
            raise Conflict(
                N_("This person is already linked to another record of this source"),
                field="personal_id",
                code="linkage_person_already_linked",
                record_key=holder.record_key,
            )
    now = clock.now()
    record_key = result.record_key
    try:
        with session.begin_nested():  # a refused decision leaves no trace of this attempt
            if not repo.close_result(
                result.id,
                personal_id=chosen.personal_id if chosen else None,
                probability=chosen.probability if chosen else None,
                reason=None if chosen else REJECTED_REASON,
                at=now,
                by=officer.name,
            ):
                raise _closed(result)
            decisions = []
            for pid in sorted(candidates):
                verdict = ACCEPT if chosen is not None and pid == chosen.personal_id else REJECT
                repo.upsert_decision(
                    source,
                    record_key,
                    pid,
                    verdict,
                    officer_id=officer.id,
                    officer_name=officer.name,
                    at=now,
                    run_id=result.run_id,
                )
                decisions.append(DecisionOut(personal_id=pid, decision=verdict))
            if chosen is not None:
                repo.set_link(
                    source,
                    record_key,
                    chosen.personal_id,
                    method=CLERICAL,
                    probability=chosen.probability,
                    run_id=result.run_id,
                    at=now,
                )
                audit.record(
                    session,
                    officer,
                    LINK_ACTION,
                    purpose=PURPOSE,
                    subject_personal_id=chosen.personal_id,
                    detail={"source": source, "record_key": record_key, "method": CLERICAL},
                )
            else:
                current = repo.link_of_record(source, record_key)
                if current is not None and current.personal_id in candidates:
                    repo.remove_link(source, record_key)  # it was one of the rejected people
            repo.flush()
    except IntegrityError as exc:
        # Another officer linked the same person to another record at the same moment.
        raise Conflict(
            N_("This person is already linked to another record of this source"),
            field="personal_id",
            code="linkage_person_already_linked",
        ) from exc
    session.refresh(result)
    next_id = repo.next_open_id(source, excluding=result.id) or repo.next_open_id(
        None, excluding=result.id
    )
    return Decided(
        result_id=result.id,
        source=source,
        record_key=record_key,
        decision=ACCEPT if chosen is not None else REJECT,
        personal_id=chosen.personal_id if chosen else None,
        decisions=decisions,
        next_id=next_id,
    )
