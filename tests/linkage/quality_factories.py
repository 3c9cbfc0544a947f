"""Labelled pairs for the held-out measure's tests."""

from __future__ import annotations

from oncegov.linkage.quality import LabelledPair


def labelled(*groups: tuple[float, int, int]) -> list[LabelledPair]:
    """(probability, accepted, rejected) → that many quality-sample pairs at that probability."""
    pairs = []
    for probability, accepted, rejected in groups:
        pairs += [LabelledPair(probability, True, sampled=True)] * accepted
        pairs += [LabelledPair(probability, False, sampled=True)] * rejected
    return pairs
