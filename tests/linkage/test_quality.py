"""The held-out measure: Wilson intervals, precision and recalls of labelled pairs, the
effective auto-link threshold and the quality sample."""

from __future__ import annotations

import copy
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oncegov.errors import ValidationFailed
from oncegov.linkage.model import load_settings, parse_settings
from oncegov.linkage.quality import (
    Interval,
    LabelledPair,
    QualityEstimate,
    QualitySettings,
    effective_threshold,
    estimate,
    quality_sample,
    sample_size,
    wilson,
)
from tests.linkage.quality_factories import labelled

AUTO, REVIEW, TARGET = 0.99, 0.5, 0.999


# --- the Wilson interval ------------------------------------------------------------------------

# R. G. Newcombe, "Two-sided confidence intervals for the single proportion: comparison of seven
# methods", Statistics in Medicine 17 (1998) 857-872, Table I, method 3 (Wilson score interval
# without continuity correction), 95 %, to four decimals.
NEWCOMBE_TABLE_I = [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
]


@pytest.mark.parametrize(("successes", "n", "low", "high"), NEWCOMBE_TABLE_I)
def test_wilson_matches_newcombes_published_values(
    successes: int, n: int, low: float, high: float
) -> None:
    interval = wilson(successes, n)
    assert (round(interval.low, 4), round(interval.high, 4)) == (low, high)
    assert interval.estimate == pytest.approx(successes / n)
    assert (interval.successes, interval.n) == (successes, n)


def _score_test_bound(successes: int, n: int, z: float, upper: bool) -> float:
    """An independent implementation: the Wilson interval is the set of p the score test does
    not reject, |p̂ - p| <= z·sqrt(p(1-p)/n); find its edge by bisection."""
    observed = successes / n

    def inside(p: float) -> bool:
        return abs(observed - p) <= z * math.sqrt(p * (1 - p) / n)

    lo, hi = (observed, 1.0) if upper else (0.0, observed)
    if upper and inside(1.0):
        return 1.0
    if not upper and inside(0.0):
        return 0.0
    for _ in range(200):
        middle = (lo + hi) / 2
        if inside(middle) == upper:
            lo = middle
        else:
            hi = middle
    return (lo + hi) / 2


@given(st.integers(min_value=1, max_value=5000), st.data())
def test_wilson_is_the_inverted_score_test(n: int, data: st.DataObject) -> None:
    successes = data.draw(st.integers(min_value=0, max_value=n))
    interval = wilson(successes, n)
    assert interval.low == pytest.approx(_score_test_bound(successes, n, 1.96, False), abs=1e-9)
    assert interval.high == pytest.approx(_score_test_bound(successes, n, 1.96, True), abs=1e-9)
    assert 0.0 <= interval.low <= successes / n <= interval.high <= 1.0


def test_wilson_edges() -> None:
    assert wilson(0, 0) == Interval(None, 0.0, 1.0, 0, 0)
    everything = wilson(50, 50)
    assert everything.high == 1.0 and everything.low == pytest.approx(50 / (50 + 1.96**2))
    nothing = wilson(0, 1)
    assert nothing.low == 0.0 and nothing.high == pytest.approx(1.96**2 / (1 + 1.96**2))
    # A wider z gives a wider interval.
    assert wilson(9, 10, z=2.576).low < wilson(9, 10).low
    for bad in ((3, 2), (-1, 2), (0, -1)):
        with pytest.raises(ValueError):
            wilson(*bad)


# --- the estimate -------------------------------------------------------------------------------


def test_precision_and_recalls_of_a_constructed_sample() -> None:
    pairs = labelled(
        (0.999, 40, 0),  # quality sample: all confirmed
        (0.995, 9, 1),
        (0.9, 30, 10),  # review band
        (0.6, 5, 25),
        (0.2, 4, 0),  # a rule review whose candidate scored low
    )
    found = estimate(pairs, auto_link=AUTO, review=REVIEW, min_precision=0.9, min_labels=30)
    assert (found.labelled, found.accepted) == (124, 88)
    assert (found.precision.successes, found.precision.n) == (49, 50)
    assert found.precision.estimate == pytest.approx(0.98)
    assert found.precision == wilson(49, 50)
    assert (found.recall_auto_link.successes, found.recall_auto_link.n) == (49, 88)
    assert (found.recall_review.successes, found.recall_review.n) == (84, 88)
    assert found.recall_review == wilson(84, 88)
    # At a 0.9 target, 49 of 50 does not say the threshold is unsafe.
    assert found.effective_auto_link == AUTO and not found.refused
    assert found.enough_labels


def test_an_unsafe_threshold_is_raised_past_the_errors() -> None:
    # Three wrong pairs among 20 at 0.992 make 0.99 unsafe at the 0.999 target (317 of 320:
    # even the upper bound is 0.9968); above them 300 confirmed pairs and no error.
    pairs = labelled((0.992, 17, 3), (0.9995, 300, 0), (0.7, 10, 10))
    assert wilson(317, 320).high < TARGET
    found = estimate(pairs, auto_link=AUTO, review=REVIEW, min_precision=TARGET)
    assert found.effective_auto_link == 0.9995
    assert found.refused
    assert found.precision == wilson(317, 320)
    # One error in 320 is not enough to say precision is below 0.999.
    one = labelled((0.992, 19, 1), (0.9995, 300, 0))
    assert wilson(319, 320).high > TARGET
    assert effective_threshold(one, AUTO, TARGET) == AUTO


def test_the_lowest_safe_threshold_is_chosen() -> None:
    # Errors at 0.991 and 0.993; 0.995 and above are clean. The effective threshold is the
    # lowest labelled probability past the last error, not the highest.
    pairs = labelled((0.991, 5, 2), (0.993, 5, 2), (0.995, 100, 0), (0.998, 100, 0))
    assert effective_threshold(pairs, AUTO, TARGET) == 0.995
    # With a lax target, the configured threshold stands.
    assert effective_threshold(pairs, AUTO, 0.9) == AUTO


def test_no_safe_threshold_when_the_top_pair_is_wrong() -> None:
    pairs = labelled((0.995, 50, 0), (0.99999, 0, 1))
    found = estimate(pairs, auto_link=AUTO, review=REVIEW, min_precision=TARGET)
    assert found.effective_auto_link is None
    assert found.refused


def test_no_labels_above_the_threshold_change_nothing() -> None:
    pairs = labelled((0.9, 30, 10), (0.6, 2, 20))
    found = estimate(pairs, auto_link=AUTO, review=REVIEW, min_precision=TARGET, min_labels=30)
    assert found.precision == Interval(None, 0.0, 1.0, 0, 0)
    assert found.effective_auto_link == AUTO and not found.refused
    assert not found.enough_labels
    assert found.recall_auto_link == wilson(0, 32)
    empty = estimate([], auto_link=AUTO, review=REVIEW, min_precision=TARGET)
    assert (empty.labelled, empty.accepted, empty.effective_auto_link) == (0, 0, AUTO)
    assert empty.recall_review.estimate is None


def test_few_labels_still_refuse_a_threshold_they_show_unsafe() -> None:
    # min_labels is about vouching for a threshold, not about refusing one (quality.py).
    pairs = labelled((0.995, 3, 2))
    found = estimate(pairs, auto_link=AUTO, review=REVIEW, min_precision=TARGET, min_labels=30)
    assert not found.enough_labels
    assert found.effective_auto_link is None


def test_pairs_exactly_at_a_threshold_count_above_it() -> None:
    pairs = labelled((AUTO, 1, 0), (REVIEW, 1, 0), (0.4999, 1, 0))
    found = estimate(pairs, auto_link=AUTO, review=REVIEW, min_precision=TARGET)
    assert found.precision.n == 1
    assert (found.recall_auto_link.successes, found.recall_review.successes) == (1, 2)


@given(
    st.lists(
        st.tuples(st.floats(min_value=0.9, max_value=1.0), st.booleans()),
        max_size=60,
    ),
    st.sampled_from([0.9, 0.99, 0.999]),
)
def test_effective_threshold_agrees_with_the_rule_read_plainly(
    raw: list[tuple[float, bool]], target: float
) -> None:
    pairs = [LabelledPair(p, a, sampled=True) for p, a in raw]
    candidates = [AUTO, *sorted({p.probability for p in pairs if p.probability > AUTO})]

    def safe(t: float) -> bool:
        above = [p for p in pairs if p.probability >= t]
        return not wilson(sum(p.accepted for p in above), len(above)).high < target

    expected = next((t for t in candidates if safe(t)), None)
    assert effective_threshold(pairs, AUTO, target) == expected


def test_the_estimate_survives_json() -> None:
    pairs = labelled((0.992, 19, 1), (0.9995, 30, 0), (0.7, 10, 10))
    found = estimate(pairs, auto_link=AUTO, review=REVIEW, min_precision=TARGET, min_labels=30)
    stored = copy.deepcopy(found.to_json())
    assert QualityEstimate.from_json(stored) == found
    none = estimate(labelled((0.9999, 0, 1)), auto_link=AUTO, review=REVIEW, min_precision=TARGET)
    assert none.to_json()["effective_auto_link"] is None
    assert QualityEstimate.from_json(none.to_json()) == none


# --- the quality sample -------------------------------------------------------------------------


def test_the_sample_is_reproducible_and_order_free() -> None:
    keys = [f"SI{n:08d}" for n in range(10_000)]
    seed = "ab" * 32
    first = quality_sample(keys, rate=0.005, maximum=200, seed=seed)
    assert len(first) == 50 and first <= set(keys)
    assert quality_sample(reversed(keys), rate=0.005, maximum=200, seed=seed) == first
    other = quality_sample(keys, rate=0.005, maximum=200, seed="cd" * 32)
    assert len(other) == 50 and other != first
    # A larger rate keeps the records a smaller one drew (same random order).
    assert first <= quality_sample(keys, rate=0.01, maximum=200, seed=seed)


def test_the_sample_is_capped_and_rounded() -> None:
    keys = [f"K{n}" for n in range(100_000)]
    assert len(quality_sample(keys, rate=0.005, maximum=200, seed="s")) == 200
    assert quality_sample(keys, rate=0.0, maximum=200, seed="s") == set()
    assert quality_sample(keys, rate=0.5, maximum=0, seed="s") == set()
    assert quality_sample([], rate=0.5, maximum=10, seed="s") == set()
    assert (sample_size(99, 0.005, 200), sample_size(100, 0.005, 200)) == (0, 1)
    assert sample_size(1_000, 1.0, 200) == 200
    # Duplicate keys count once.
    assert quality_sample(["A", "A", "B", "B"], rate=0.5, maximum=10, seed="s") <= {"A", "B"}
    assert len(quality_sample(["A", "A", "B", "B"], rate=0.5, maximum=10, seed="s")) == 1


def test_the_sample_is_spread_evenly() -> None:
    # Each record is drawn with the same chance: over many seeds the first and the last
    # thousand keys are drawn about as often (a sort by key would draw only the first).
    keys = [f"SI{n:05d}" for n in range(2_000)]
    first = last = 0
    for seed in range(200):
        drawn = quality_sample(keys, rate=0.01, maximum=200, seed=str(seed))
        first += sum(k < "SI01000" for k in drawn)
        last += sum(k >= "SI01000" for k in drawn)
    assert first + last == 200 * 20
    assert abs(first - last) < 400  # 4,000 draws: a fair split is within ±~130 (2 sd)


# --- settings -----------------------------------------------------------------------------------


def test_the_settings_carry_the_quality_block() -> None:
    settings = load_settings("social-insurance")
    assert settings.quality == QualitySettings(0.005, 200, 0.999, 30)
    spec = copy.deepcopy(settings.spec)
    del spec["quality"]
    assert parse_settings(spec, "social-insurance").quality == QualitySettings()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"sample_rate": 1.5}, "quality.sample_rate"),
        ({"sample_rate": "0.01"}, "quality.sample_rate"),
        ({"sample_max": -1}, "quality.sample_max"),
        ({"sample_max": 2.5}, "quality.sample_max"),
        ({"min_precision": True}, "quality.min_precision"),
        ({"min_labels": None}, "quality.min_labels"),
        ({"sample_rat": 0.01}, "quality.sample_rat"),
    ],
)
def test_malformed_quality_settings_name_the_key(change: dict[str, object], field: str) -> None:
    spec = copy.deepcopy(load_settings("social-insurance").spec)
    spec["quality"].update(change)
    with pytest.raises(ValidationFailed) as caught:
        parse_settings(spec, "social-insurance")
    assert caught.value.field == field


def test_a_quality_block_that_is_not_an_object_is_refused() -> None:
    spec = copy.deepcopy(load_settings("social-insurance").spec)
    spec["quality"] = [0.005]
    with pytest.raises(ValidationFailed) as caught:
        parse_settings(spec, "social-insurance")
    assert caught.value.field == "quality"
