"""From rule outcomes, model scores and officers' decisions to one outcome per sector record.

Order of authority, highest first:

1. An officer's decision on a pair. An accepted pair links (method ``clerical``); a rejected
   pair is never proposed again, by the rules or by the model.
2. The deterministic rules (a found personal ID or old ID whose name and birth date agree).
3. The model: the best candidate auto-links when its probability reaches the auto-link
   threshold, no second candidate reaches the review threshold *and* the safety checks
   (``linkage.safety``: personal ID, twins and fuzzy given names, namesakes) find nothing to
   hold it for; a best candidate between the two thresholds, a close second (``namesake`` when
   two registry people share the name and birth date) or a held link goes to clerical review;
   anything lower is no match.

Then the one-to-one rule: a personal ID is attached to at most one record of a source. Two
records claiming one person, or a record claiming a person already linked to a record that
is not in this extract, all go to review as ``conflict``: which of them is that person is for
an officer to say, never for the order of the file.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from oncegov.linkage.extract import SectorRecord
from oncegov.linkage.models import AUTO_LINK, CLERICAL, DETERMINISTIC, MODEL, NO_MATCH, REVIEW
from oncegov.linkage.rules import RuleOutcome

RULE_NAMES = {"deterministic_personal_id": "personal_id", "deterministic_old_id": "old_id"}
MAX_REVIEW_CANDIDATES = 5


class Guard(Protocol):
    """The safety checks of a run (``linkage.safety.Checker``)."""

    def hold(self, record: SectorRecord, personal_id: str) -> str | None: ...
    def namesakes(self, record: SectorRecord, personal_ids: Sequence[str]) -> bool: ...
    def mistyped_name(self, record: SectorRecord, personal_id: str) -> bool: ...


class ScoredPair(Protocol):
    """A model candidate (``linkage.model.Candidate``)."""

    @property
    def personal_id(self) -> str: ...
    @property
    def probability(self) -> float: ...
    @property
    def match_weight(self) -> float: ...
    @property
    def contributions(self) -> Sequence[Any]: ...


@dataclass(frozen=True, slots=True)
class Bands:
    auto_link: float
    review: float


@dataclass(frozen=True, slots=True)
class ReviewCandidate:
    personal_id: str
    probability: float | None  # None: found by a rule or a conflict, not scored
    match_weight: float | None
    contributions: tuple[dict[str, Any], ...] = ()


@dataclass(slots=True)
class Outcome:
    """What a run decides for one record (one ``linkage_results`` row)."""

    record_key: str
    band: str
    method: str | None = None
    rule: str | None = None
    personal_id: str | None = None
    probability: float | None = None
    reason: str | None = None
    candidates: list[ReviewCandidate] = field(default_factory=list)

    @property
    def linked(self) -> bool:
        return self.personal_id is not None


def _contributions(pair: ScoredPair) -> tuple[dict[str, Any], ...]:
    return tuple(
        {"field": c.field, "level": c.level, "match_weight": round(c.match_weight, 3)}
        for c in pair.contributions
    )


def _scored(pair: ScoredPair) -> ReviewCandidate:
    return ReviewCandidate(
        pair.personal_id, pair.probability, pair.match_weight, _contributions(pair)
    )


def _review(
    key: str,
    reason: str,
    scored: Sequence[ScoredPair],
    extra: Sequence[str] = (),
) -> Outcome:
    """A review outcome listing the scored candidates, then any unscored ones (rule holders,
    conflicting claims), without repeats."""
    candidates = [_scored(p) for p in scored[:MAX_REVIEW_CANDIDATES]]
    seen = {c.personal_id for c in candidates}
    for pid in extra:
        if pid not in seen:
            candidates.append(ReviewCandidate(pid, None, None))
            seen.add(pid)
    best = scored[0].probability if scored else None
    return Outcome(key, REVIEW, probability=best, reason=reason, candidates=candidates)


def _by_model(
    record: SectorRecord,
    scored: Sequence[ScoredPair],
    bands: Bands,
    guard: Guard,
    rejected: bool,
) -> Outcome:
    key = record.record_key
    if not scored:
        reason = "rejected_in_review" if rejected else "no_candidate"
        return Outcome(key, NO_MATCH, reason=reason)
    best = scored[0]
    second = scored[1].probability if len(scored) > 1 else 0.0
    if best.probability >= bands.auto_link and second < bands.review:
        held = guard.hold(record, best.personal_id)
        if held is not None:
            return _review(key, held, scored)
        return Outcome(
            key, AUTO_LINK, MODEL, personal_id=best.personal_id, probability=best.probability
        )
    if best.probability >= bands.review:
        likely = [p for p in scored if p.probability >= bands.review] or list(scored)
        if second < bands.review:
            reason = "uncertain"
        elif guard.namesakes(record, [p.personal_id for p in likely]):
            reason = "namesake"
        else:
            reason = "ambiguous"
        return _review(key, reason, likely)
    reason = "rejected_in_review" if rejected else "low_probability"
    return Outcome(key, NO_MATCH, probability=best.probability, reason=reason)


def _propose(
    record: SectorRecord,
    rule: RuleOutcome | None,
    scored: Sequence[ScoredPair],
    decided: Mapping[str, str],
    known: Mapping[str, object],
    bands: Bands,
    guard: Guard,
) -> Outcome:
    key = record.record_key
    accepted = [pid for pid, verdict in decided.items() if verdict == "accept" and pid in known]
    if accepted:
        pid = accepted[0]
        score = next((p.probability for p in scored if p.personal_id == pid), None)
        return Outcome(key, REVIEW, CLERICAL, personal_id=pid, probability=score)
    rejected = {pid for pid, verdict in decided.items() if verdict == "reject"}
    open_pairs = [p for p in scored if p.personal_id not in rejected]
    if rule is not None:
        holders = [pid for pid in rule.holders if pid not in rejected]
        if rule.personal_id is not None and rule.personal_id not in rejected:
            method_rule = RULE_NAMES.get(rule.method, rule.method)
            return Outcome(key, AUTO_LINK, DETERMINISTIC, method_rule, rule.personal_id)
        # The ID and the birth date agree and the name is the holder's with one keying error
        # that makes no other person's name: the rule links it.
        typo = rule.review == "name_differs" and len(holders) == 1
        if typo and guard.mistyped_name(record, holders[0]):
            method_rule = RULE_NAMES.get(rule.method, rule.method)
            return Outcome(key, AUTO_LINK, DETERMINISTIC, method_rule, holders[0])
        if rule.review is not None and holders:
            # The ID's holder disagrees on name or birth date as the rule reads them (a typo,
            # say), but the model, which knows nothing of the ID, independently finds that
            # same person beyond doubt: two kinds of evidence agree, so it links.
            by_model = _by_model(record, open_pairs, bands, guard, rejected=False)
            if by_model.band == AUTO_LINK and by_model.personal_id in holders:
                return by_model
            return _review(key, rule.review, open_pairs, holders)
    if not record.full_name.strip() or record.birth_year is None:
        return Outcome(key, NO_MATCH, reason="incomplete_record")
    was_rejected = bool(rejected & {p.personal_id for p in scored})
    return _by_model(record, open_pairs, bands, guard, was_rejected)


def _to_conflict(outcome: Outcome, scored: Sequence[ScoredPair]) -> Outcome:
    claimed = [outcome.personal_id] if outcome.personal_id else []
    review = _review(outcome.record_key, "conflict", scored, claimed)
    review.probability = (
        outcome.probability if outcome.probability is not None else review.probability
    )
    return review


def resolve(
    records: Sequence[SectorRecord],
    rules: Mapping[str, RuleOutcome],
    scores: Mapping[str, Sequence[ScoredPair]],
    decisions: Mapping[str, Mapping[str, str]],
    linked_elsewhere: Mapping[str, str],
    known: Mapping[str, object],
    bands: Bands,
    *,
    guard: Guard,
) -> list[Outcome]:
    """One outcome per record, in record order.

    ``rules``: the deterministic outcome of each record that had one; ``scores``: the model's
    candidates per record, best first; ``decisions``: record key → {personal ID: accept |
    reject}; ``linked_elsewhere``: personal ID → record key of this source's current links
    to records *not* in this extract; ``known``: the registry's personal IDs (an accepted pair
    whose citizen is gone no longer links); ``guard``: the safety checks a model auto-link
    must pass."""
    outcomes = [
        _propose(
            r,
            rules.get(r.record_key),
            scores.get(r.record_key, ()),
            decisions.get(r.record_key, {}),
            known,
            bands,
            guard,
        )
        for r in records
    ]
    claims: dict[str, list[int]] = defaultdict(list)
    for index, outcome in enumerate(outcomes):
        if outcome.personal_id is not None:
            claims[outcome.personal_id].append(index)
    for pid, indexes in claims.items():
        if len(indexes) == 1 and pid not in linked_elsewhere:
            continue
        # An officer's accepted pair stands against a rule or the model; two accepted pairs
        # on one person (an officer erred) go back to review like any other conflict.
        clerical = [i for i in indexes if outcomes[i].method == CLERICAL]
        keep = clerical[0] if len(clerical) == 1 and pid not in linked_elsewhere else None
        for i in indexes:
            if i != keep:
                key = outcomes[i].record_key
                outcomes[i] = _to_conflict(outcomes[i], scores.get(key, ()))
    return outcomes


def sample_to_review(outcome: Outcome, scored: Sequence[ScoredPair]) -> Outcome:
    """A record the model would auto-link, drawn by the quality sample: to review with its
    scored candidates (their probabilities are what the officer's decision labels)."""
    return _review(outcome.record_key, "quality_sample", scored)
