"""A held-out measure of the linker from officers' review decisions (pure: no SQL, no I/O).

Every decision an officer makes in the review queue labels one (sector record, registry
citizen) pair: *accept* says it is a true match, *reject* that it is not. Joined to the
probability the model gave that pair (``LinkageRepository.labelled_pairs``) the labels give
an estimate, with a 95 % confidence interval, of

- **precision of auto-link**: of the *quality sample's* labelled pairs (a random draw of the
  records the model would auto-link) scored at or above the auto-link threshold, the share
  officers accepted;
- **recall of auto-link**: of the pairs officers accepted (confirmed matches), the share the
  model scored at or above the auto-link threshold;
- **recall of auto-link + review**: … the share scored at or above the review threshold;

and the **effective auto-link threshold** of a run: the configured threshold, raised as far
as needed for the labelled sample not to say precision there is below the target — or None
when no threshold is safe, and then nothing is auto-linked by the model at all.

What these figures are *not* (read them with these biases in mind):

- **The labels are not a random sample of pairs.** Officers see the review band (best
  candidate between the review and auto-link thresholds, ambiguous and conflicting records,
  rule disagreements) and the *quality sample* (``quality_sample``): a small seeded random
  sample of the records the model would auto-link, sent to review so that pairs above the
  threshold get labels at all. Without the sample the precision of auto-link has no labels.
- **Precision comes from the quality sample only.** Pairs above the threshold that reached
  review for another reason (a safety hold such as a namesake or a twin, an ambiguous record,
  a conflict) are pairs the run did *not* auto-link: counting their rejections would blame the
  auto-links for errors the checks prevented, and raise the threshold for nothing. The sample
  is small (``sample_rate``), so the interval is wide until labels accumulate over runs.
- **Recall is among confirmed matches only**, not of all true matches: a true match the model
  never proposed (no candidate, below the keep threshold) is never labelled. And the mix of
  confirmed matches is set by how records reach officers (the whole review band, but only
  ``sample_rate`` of the auto-link band), so the recall of auto-link reads far below the share
  of true matches that auto-link: read it as "of the matches officers confirmed, how many the
  model had already scored above the threshold" — the rest are what a lower threshold could
  gain.
- **Labels outlive the model.** A decision keeps the probability of the run it was made on;
  later runs retrain the model and may change the settings. The estimate pools every run of
  the source.
- **Officers err too.** A wrong decision counts as a true label.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

QUALITY_SAMPLE = "quality_sample"  # linkage_results.reason of a record sent to review by it
Z_95 = 1.96  # two-sided 95 % normal quantile, as Newcombe (1998) and most tables round it


@dataclass(frozen=True, slots=True)
class LabelledPair:
    """One pair an officer decided, with the probability the model gave it."""

    probability: float
    accepted: bool
    # Drawn by the quality sample: a random draw of the auto-link band. Only these estimate
    # the precision of auto-links; a pair above the threshold that reached review for another
    # reason (a safety hold, a namesake, a conflict) is one the run did *not* auto-link.
    sampled: bool = False


@dataclass(frozen=True, slots=True)
class Interval:
    """A proportion ``successes / n`` with its confidence interval [low, high].

    ``estimate`` is None when ``n`` is 0 (nothing to estimate; the interval is then [0, 1])."""

    estimate: float | None
    low: float
    high: float
    successes: int
    n: int

    def to_json(self) -> dict[str, Any]:
        return {
            "estimate": self.estimate,
            "low": self.low,
            "high": self.high,
            "successes": self.successes,
            "n": self.n,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Interval:
        estimate = data.get("estimate")
        return cls(
            estimate=None if estimate is None else float(estimate),
            low=float(data["low"]),
            high=float(data["high"]),
            successes=int(data["successes"]),
            n=int(data["n"]),
        )


def wilson(successes: int, n: int, z: float = Z_95) -> Interval:
    """The Wilson score interval of ``successes / n``.

    E. B. Wilson, "Probable inference, the law of succession, and statistical inference",
    Journal of the American Statistical Association 22 (1927) 209–212; "method 3" (score,
    without continuity correction) of R. G. Newcombe, "Two-sided confidence intervals for the
    single proportion: comparison of seven methods", Statistics in Medicine 17 (1998)
    857–872, whose Table I the tests check against. Chosen over the normal (Wald) interval
    because it stays inside [0, 1] and keeps its coverage near 0 and 1 — where a precision
    target of 0.999 lives — and for small n."""
    if n < 0 or not 0 <= successes <= n:
        raise ValueError(f"successes must be within 0..n (got {successes} of {n})")
    if n == 0:
        return Interval(None, 0.0, 1.0, 0, 0)
    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    # At 0 or n successes the closed form gives the bound 0 or 1 up to rounding: say it exactly.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return Interval(p, low, high, successes, n)


@dataclass(frozen=True, slots=True)
class QualitySettings:
    """The ``quality`` block of a source's linkage settings.

    ``sample_rate`` / ``sample_max``: the share (and cap) of the records the model would
    auto-link that each run sends to review as ``quality_sample``. ``min_precision``: the
    precision auto-links must have (0.999 is the issue's target: an assumption of what a
    wrong link costs against an officer's review, not a legal figure). ``min_labels``: fewer
    labelled pairs at or above the configured threshold than this and the report says the
    sample is too small to vouch for the threshold. It does *not* stop the refusal rule: the
    Wilson bound is already wide for few labels, and refusing only sends records to review
    (officers' time), never makes a link, so acting on little evidence errs on the safe side."""

    sample_rate: float = 0.005
    sample_max: int = 200
    min_precision: float = 0.999
    min_labels: int = 30


@dataclass(frozen=True, slots=True)
class QualityEstimate:
    """The held-out measure at one run (stored in ``linkage_runs.counts["quality"]``)."""

    labelled: int  # labelled pairs with a probability
    accepted: int  # … of which officers accepted (confirmed matches)
    auto_link: float  # the configured thresholds
    review: float
    min_precision: float
    min_labels: int
    precision: Interval  # accepted / labelled among pairs with probability >= auto_link
    recall_auto_link: Interval  # accepted with probability >= auto_link / all accepted
    recall_review: Interval  # accepted with probability >= review / all accepted
    effective_auto_link: float | None  # None: no threshold is safe, no model auto-link

    @property
    def refused(self) -> bool:
        """The sample says the configured threshold is unsafe (the run used a higher one or
        none)."""
        return self.effective_auto_link != self.auto_link

    @property
    def enough_labels(self) -> bool:
        """Enough labelled pairs at or above the configured threshold to vouch for it."""
        return self.precision.n >= self.min_labels

    def to_json(self) -> dict[str, Any]:
        return {
            "labelled": self.labelled,
            "accepted": self.accepted,
            "auto_link": self.auto_link,
            "review": self.review,
            "min_precision": self.min_precision,
            "min_labels": self.min_labels,
            "precision": self.precision.to_json(),
            "recall_auto_link": self.recall_auto_link.to_json(),
            "recall_review": self.recall_review.to_json(),
            "effective_auto_link": self.effective_auto_link,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> QualityEstimate:
        effective = data.get("effective_auto_link")
        return cls(
            labelled=int(data["labelled"]),
            accepted=int(data["accepted"]),
            auto_link=float(data["auto_link"]),
            review=float(data["review"]),
            min_precision=float(data["min_precision"]),
            min_labels=int(data.get("min_labels", 0)),
            precision=Interval.from_json(data["precision"]),
            recall_auto_link=Interval.from_json(data["recall_auto_link"]),
            recall_review=Interval.from_json(data["recall_review"]),
            effective_auto_link=None if effective is None else float(effective),
        )


def _precision_at(pairs: Sequence[LabelledPair], threshold: float) -> Interval:
    above = [p for p in pairs if p.probability >= threshold]
    return wilson(sum(p.accepted for p in above), len(above))


def unsafe(interval: Interval, min_precision: float) -> bool:
    """The sample says precision is below the target: even the upper bound of its 95 %
    interval is (with no labels the upper bound is 1: nothing says it is unsafe)."""
    return interval.high < min_precision


def effective_threshold(
    pairs: Sequence[LabelledPair], auto_link: float, min_precision: float
) -> float | None:
    """The lowest threshold t >= ``auto_link`` at which the labelled pairs scored >= t do not
    say precision is below ``min_precision``; the candidates are ``auto_link`` itself and the
    labelled probabilities above it. None when every candidate is unsafe."""
    # Pairs at or above each candidate are a suffix of the pairs sorted by probability: count
    # them from the top down once instead of re-filtering per candidate (thousands of labels).
    above = sorted((p for p in pairs if p.probability >= auto_link), key=lambda p: p.probability)
    accepted_from = [0] * (len(above) + 1)  # accepted among above[i:]
    for i in range(len(above) - 1, -1, -1):
        accepted_from[i] = accepted_from[i + 1] + above[i].accepted
    start = 0
    candidates = [auto_link, *sorted({p.probability for p in above if p.probability > auto_link})]
    for threshold in candidates:
        while start < len(above) and above[start].probability < threshold:
            start += 1
        interval = wilson(accepted_from[start], len(above) - start)
        if not unsafe(interval, min_precision):
            return threshold
    return None


def estimate(
    pairs: Iterable[LabelledPair],
    *,
    auto_link: float,
    review: float,
    min_precision: float,
    min_labels: int = 0,
) -> QualityEstimate:
    """Precision and recalls of the labelled ``pairs`` at the configured thresholds, with
    their Wilson intervals, and the effective auto-link threshold (see the module's
    docstring for what these figures are not)."""
    labelled = list(pairs)
    confirmed = [p for p in labelled if p.accepted]
    drawn = [p for p in labelled if p.sampled]
    return QualityEstimate(
        labelled=len(labelled),
        accepted=len(confirmed),
        auto_link=auto_link,
        review=review,
        min_precision=min_precision,
        min_labels=min_labels,
        precision=_precision_at(drawn, auto_link),
        recall_auto_link=wilson(sum(p.probability >= auto_link for p in confirmed), len(confirmed)),
        recall_review=wilson(sum(p.probability >= review for p in confirmed), len(confirmed)),
        effective_auto_link=effective_threshold(drawn, auto_link, min_precision),
    )


def _draw(seed: str, record_key: str) -> int:
    """A record's place in the sample's random order: a keyed hash, so the same extract
    (seed) draws the same records whatever the order they are given in."""
    digest = hashlib.sha256(f"{seed}\x1f{record_key}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def sample_size(population: int, rate: float, maximum: int) -> int:
    """``rate`` of ``population`` rounded to the nearest whole record, at most ``maximum``.
    Rounded, not raised to one: an extract of a few dozen auto-links sends none (a small
    run's share of the labels would be out of all proportion to its records)."""
    return max(0, min(maximum, math.floor(rate * population + 0.5)))


def quality_sample(record_keys: Iterable[str], *, rate: float, maximum: int, seed: str) -> set[str]:
    """A reproducible simple random sample of ``record_keys`` (the records the model would
    auto-link): ``sample_size`` of them, those first in a random order keyed by ``seed``
    (the extract's sha256). The run sends them to review with reason ``quality_sample`` so
    officers label pairs above the auto-link threshold too."""
    keys = sorted(set(record_keys))
    size = sample_size(len(keys), rate, maximum)
    if size == 0:
        return set()
    return set(sorted(keys, key=lambda key: (_draw(seed, key), key))[:size])
