"""What counts as a false answer of a claim, given the true effect: one rule for every calibration benchmark.

The catalogue's calibration (`benchmarks.calibration`), the tuned
comparison's (`benchmarks.tuned_calibration`) and the stated claims'
(`benchmarks.stated_calibration`) all count false definitive answers the
same way; the rule lives here so none of them imports another for it.
"""

from __future__ import annotations

EFFECTS = {"zero": 0.0, "half the margin": 0.5, "margin": 1.0, "twice the margin": 2.0}  # in margins


def direction_false(verdict: str, effect_in_margins: float) -> bool:
    """A definitive direction the true effect (of the claimed sign, or zero) does not have."""
    from claims.stats import CONTRADICTED, SUPPORTED

    if effect_in_margins == 0:
        return verdict in (SUPPORTED, CONTRADICTED)
    return verdict == CONTRADICTED


def size_false(size: str, effect_in_margins: float) -> bool:
    """A definitive size the true effect does not have: "at least the margin" below it, "smaller than the
    margin" above it, either exactly at it (both nulls hold there)."""
    from claims.stats import BEYOND, WITHIN

    if effect_in_margins < 1:
        return size == BEYOND
    if effect_in_margins == 1:
        return size in (BEYOND, WITHIN)
    return size == WITHIN


def is_false(verdict: str, effect_in_margins: float, size: str = "") -> bool:
    """Any false definitive answer of one part: its direction or its size. The one-word verdict alone
    (unadjusted readings, the old rule) is false as a direction, or as "no meaningful difference" at or
    above the margin."""
    from claims.stats import NO_DIFFERENCE

    if verdict == NO_DIFFERENCE and not size:
        return effect_in_margins >= 1
    return direction_false(verdict, effect_in_margins) or size_false(size, effect_in_margins)
