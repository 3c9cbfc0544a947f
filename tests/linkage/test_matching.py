"""Bands and the one-to-one rule: decisions first, then rules, then the model."""

from __future__ import annotations

from dataclasses import dataclass, field

from oncegov.linkage.extract import SectorRecord
from oncegov.linkage.matching import Bands, resolve
from oncegov.linkage.models import AUTO_LINK, CLERICAL, DETERMINISTIC, MODEL, NO_MATCH, REVIEW
from oncegov.linkage.rules import OLD_ID, PERSONAL_ID, RuleOutcome
from tests.linkage.records import sector_record

BANDS = Bands(auto_link=0.99, review=0.5)
KNOWN = dict.fromkeys(("004085000001", "004085000002", "004085000003"))
A, B, C = KNOWN


@dataclass(frozen=True)
class Part:
    field: str
    level: str
    match_weight: float


@dataclass(frozen=True)
class Pair:
    personal_id: str
    probability: float
    match_weight: float = 10.0
    contributions: tuple[Part, ...] = field(default=(Part("name", "Exact", 8.0),))


@dataclass
class Guard:
    """A stand-in for ``safety.Checker``: holds the pairs it is told to hold."""

    holds: dict[tuple[str, str], str] = field(default_factory=dict)
    namesake_groups: list[set[str]] = field(default_factory=list)
    typos: set[tuple[str, str]] = field(default_factory=set)

    def hold(self, record: SectorRecord, personal_id: str) -> str | None:
        return self.holds.get((record.record_key, personal_id))

    def namesakes(self, record: SectorRecord, personal_ids: list[str]) -> bool:
        return any(len(group & set(personal_ids)) > 1 for group in self.namesake_groups)

    def mistyped_name(self, record: SectorRecord, personal_id: str) -> bool:
        return (record.record_key, personal_id) in self.typos


SAFE = Guard()


def record(key: str, **changes: object) -> SectorRecord:
    return sector_record(record_key=key, **changes)


def test_model_bands_follow_the_thresholds() -> None:
    records = [record(k) for k in ("r1", "r2", "r3", "r4", "r5")]
    scores = {
        "r1": [Pair(A, 0.999)],
        "r2": [Pair(B, 0.9)],
        "r3": [Pair(C, 0.2)],
        "r5": [Pair(A, 0.999), Pair(B, 0.7)],  # a close second: never auto-linked
    }
    r1, r2, r3, r4, r5 = resolve(records, {}, scores, {}, {}, KNOWN, BANDS, guard=SAFE)
    assert (r1.band, r1.method, r1.personal_id) == (AUTO_LINK, MODEL, A)
    assert (r2.band, r2.reason, r2.personal_id) == (REVIEW, "uncertain", None)
    assert [c.personal_id for c in r2.candidates] == [B]
    assert r2.candidates[0].contributions == (
        {"field": "name", "level": "Exact", "match_weight": 8.0},
    )
    assert (r3.band, r3.reason) == (NO_MATCH, "low_probability")
    assert (r4.band, r4.reason) == (NO_MATCH, "no_candidate")
    assert (r5.band, r5.reason) == (REVIEW, "ambiguous")
    assert [c.personal_id for c in r5.candidates] == [A, B]


def test_one_personal_id_is_never_attached_to_two_records() -> None:
    records = [record("r1"), record("r2"), record("r3")]
    scores = {"r1": [Pair(A, 0.999)], "r2": [Pair(A, 0.998)], "r3": [Pair(B, 0.999)]}
    r1, r2, r3 = resolve(records, {}, scores, {}, {}, KNOWN, BANDS, guard=SAFE)
    assert (r1.band, r1.reason, r1.personal_id) == (REVIEW, "conflict", None)
    assert (r2.band, r2.reason, r2.personal_id) == (REVIEW, "conflict", None)
    assert r3.personal_id == B
    linked = [o.personal_id for o in (r1, r2, r3) if o.personal_id]
    assert len(linked) == len(set(linked))


def test_a_rule_link_and_a_model_link_on_one_person_both_go_to_review() -> None:
    records = [record("r1", personal_id=A), record("r2")]
    rules = {"r1": RuleOutcome(PERSONAL_ID, A, holders=(A,))}
    r1, r2 = resolve(records, rules, {"r2": [Pair(A, 0.999)]}, {}, {}, KNOWN, BANDS, guard=SAFE)
    assert r1.reason == r2.reason == "conflict"
    assert A in [c.personal_id for c in r1.candidates]


def test_a_person_linked_to_a_record_outside_the_extract_is_a_conflict() -> None:
    records = [record("r1"), record("r2", personal_id=B)]
    rules = {"r2": RuleOutcome(PERSONAL_ID, B, holders=(B,))}
    scores = {"r1": [Pair(A, 0.999)]}
    r1, r2 = resolve(records, rules, scores, {}, {A: "old-record"}, KNOWN, BANDS, guard=SAFE)
    assert (r1.band, r1.reason) == (REVIEW, "conflict")
    assert (r2.band, r2.method, r2.rule, r2.personal_id) == (
        AUTO_LINK,
        DETERMINISTIC,
        "personal_id",
        B,
    )


def test_decisions_win_and_are_never_asked_again() -> None:
    records = [record("r1"), record("r2"), record("r3", old_id_number="080123456")]
    scores = {
        "r1": [Pair(A, 0.8), Pair(B, 0.6)],
        "r2": [Pair(B, 0.999), Pair(C, 0.7)],
        "r3": [Pair(C, 0.999)],
    }
    decisions = {
        "r1": {A: "accept", B: "reject"},
        "r2": {C: "reject"},  # the close second was rejected: the best now stands alone
        "r3": {C: "reject"},
    }
    rules = {"r3": RuleOutcome(OLD_ID, C, holders=(C,))}
    r1, r2, r3 = resolve(records, rules, scores, decisions, {}, KNOWN, BANDS, guard=SAFE)
    assert (r1.method, r1.personal_id) == (CLERICAL, A)
    assert (r2.band, r2.method, r2.personal_id) == (AUTO_LINK, MODEL, B)
    # The officer rejected the pair the old-ID rule and the model both propose.
    assert (r3.band, r3.personal_id, r3.reason) == (NO_MATCH, None, "rejected_in_review")


def test_an_accepted_pair_whose_citizen_is_gone_no_longer_links() -> None:
    decisions = {"r1": {"004085999999": "accept"}}
    (r1,) = resolve([record("r1")], {}, {}, decisions, {}, KNOWN, BANDS, guard=SAFE)
    assert r1.personal_id is None


def test_a_rule_review_links_only_when_the_model_finds_the_same_holder() -> None:
    records = [record("r1", personal_id=A), record("r2", personal_id=B)]
    rules = {
        "r1": RuleOutcome(PERSONAL_ID, None, review="name_differs", holders=(A,)),
        "r2": RuleOutcome(PERSONAL_ID, None, review="name_differs", holders=(B,)),
    }
    scores = {"r1": [Pair(A, 0.999)], "r2": [Pair(C, 0.999)]}
    r1, r2 = resolve(records, rules, scores, {}, {}, KNOWN, BANDS, guard=SAFE)
    assert (r1.band, r1.method, r1.personal_id) == (AUTO_LINK, MODEL, A)
    assert (r2.band, r2.reason) == (REVIEW, "name_differs")
    assert {c.personal_id for c in r2.candidates} == {B, C}


def test_a_record_without_name_or_birth_year_is_incomplete() -> None:
    (r1, r2) = resolve(
        [record("r1", full_name=""), record("r2", birth_year=None)],
        {},
        {},
        {},
        {},
        KNOWN,
        BANDS,
        guard=SAFE,
    )
    assert r1.reason == r2.reason == "incomplete_record"


def test_a_held_auto_link_goes_to_review_with_the_reason() -> None:
    records = [record("r1"), record("r2")]
    scores = {"r1": [Pair(A, 0.9999)], "r2": [Pair(B, 0.9999)]}
    guard = Guard(holds={("r1", A): "twin"})
    r1, r2 = resolve(records, {}, scores, {}, {}, KNOWN, BANDS, guard=guard)
    assert (r1.band, r1.reason, r1.personal_id) == (REVIEW, "twin", None)
    assert [c.personal_id for c in r1.candidates] == [A]
    assert (r2.band, r2.personal_id) == (AUTO_LINK, B)


def test_two_registry_namesakes_are_named_as_such_in_review() -> None:
    records = [record("r1"), record("r2")]
    scores = {
        "r1": [Pair(A, 0.999), Pair(B, 0.98)],
        "r2": [Pair(A, 0.999), Pair(C, 0.98)],
    }
    guard = Guard(namesake_groups=[{A, B}])
    r1, r2 = resolve(records, {}, scores, {}, {}, KNOWN, BANDS, guard=guard)
    assert (r1.band, r1.reason) == (REVIEW, "namesake")
    assert (r2.band, r2.reason) == (REVIEW, "ambiguous")


def test_an_id_whose_holders_name_is_mistyped_links_by_rule() -> None:
    records = [record("r1"), record("r2")]
    rules = {
        "r1": RuleOutcome(PERSONAL_ID, None, review="name_differs", holders=(A,)),
        "r2": RuleOutcome(PERSONAL_ID, None, review="name_differs", holders=(B,)),
    }
    guard = Guard(typos={("r1", A)})
    r1, r2 = resolve(records, rules, {}, {}, {}, KNOWN, BANDS, guard=guard)
    assert (r1.band, r1.method, r1.rule, r1.personal_id) == (
        AUTO_LINK,
        DETERMINISTIC,
        "personal_id",
        A,
    )
    assert (r2.band, r2.reason) == (REVIEW, "name_differs")
