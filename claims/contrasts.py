"""Which runs form the two sides of a claim, and which runs pair up.

A contrast sorts a run into "treatment", "baseline" or neither from its
hyperparameters, and gives the pairing key: the seed plus every setting the
contrast does not vary. Two runs pair only if their keys are equal, so a
difference can be blamed on the contrast alone.

Some contrasts depend on what the whole sweep ran (the largest batch size,
the pooling layer it switched on and off): `context(present)` derives that
once from every run's hyperparameters, and `side`/`key` receive it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

POOLING = re.compile(r"^pooling_\d+$")
TREATMENT, BASELINE = "treatment", "baseline"


def _pooling_knobs(hps: dict[str, Any]) -> list[str]:
    return sorted((k for k in hps if POOLING.match(k)), key=lambda k: int(k.split("_")[1]))


def _other_settings(hps: dict[str, Any], varied: set[str]) -> tuple:
    return tuple(sorted((k, repr(v)) for k, v in hps.items() if k not in varied and not k.startswith("tuner/")))


@dataclass(frozen=True)
class PoolingType:
    """All max (or one of each) vs all average, at the same pooling positions."""

    treatment: str  # "max" or "mixed"
    baseline: str = "avg"

    def context(self, present: list[dict[str, Any]]) -> None:
        return None

    def side(self, hps: dict[str, Any], context: None) -> str | None:
        used = [hps[k] for k in _pooling_knobs(hps) if hps[k] != "none"]
        if len(used) < 1:
            return None
        kinds = set(used)
        if kinds == {self.baseline}:
            return BASELINE
        if self.treatment == "mixed":
            return TREATMENT if kinds == {"avg", "max"} else None
        return TREATMENT if kinds == {self.treatment} else None

    def key(self, hps: dict[str, Any], seed: int, context: None) -> tuple:
        knobs = _pooling_knobs(hps)
        where = tuple(hps[k] == "none" for k in knobs)
        return (seed, where, _other_settings(hps, set(knobs)))


@dataclass(frozen=True)
class Extremes:
    """The largest value of a numeric knob in the sweep vs the smallest."""

    knob: str

    def context(self, present: list[dict[str, Any]]) -> tuple[Any, Any] | None:
        """(smallest, largest) value the sweep ran, or None if it ran fewer than two."""
        values = sorted({p[self.knob] for p in present if self.knob in p})
        return (values[0], values[-1]) if len(values) >= 2 else None

    def side(self, hps: dict[str, Any], context: tuple[Any, Any] | None) -> str | None:
        if context is None or self.knob not in hps:
            return None
        if hps[self.knob] == context[1]:
            return TREATMENT
        if hps[self.knob] == context[0]:
            return BASELINE
        return None

    def key(self, hps: dict[str, Any], seed: int, context: tuple[Any, Any] | None) -> tuple:
        return (seed, _other_settings(hps, {self.knob}))


@dataclass(frozen=True)
class ExtraPooling:
    """One more pooling layer (the last pooling knob the sweep switches on and off) vs none."""

    def context(self, present: list[dict[str, Any]]) -> str | None:
        """The last pooling knob that is "none" in some runs and not in others."""
        switched = [k for k in _pooling_knobs(present[0]) if {p.get(k) == "none" for p in present} == {True, False}] \
            if present else []
        return switched[-1] if switched else None

    def side(self, hps: dict[str, Any], knob: str | None) -> str | None:
        if knob is None or knob not in hps:
            return None
        return BASELINE if hps[knob] == "none" else TREATMENT

    def key(self, hps: dict[str, Any], seed: int, knob: str | None) -> tuple:
        return (seed, _other_settings(hps, {knob}))


@dataclass(frozen=True)
class ModelChoice:
    """VGG16 vs the article CNN (the `model` knob)."""

    def context(self, present: list[dict[str, Any]]) -> None:
        return None

    def side(self, hps: dict[str, Any], context: None) -> str | None:
        return {"vgg16": TREATMENT, "article": BASELINE}.get(hps.get("model"))

    def key(self, hps: dict[str, Any], seed: int, context: None) -> tuple:
        return (seed, _other_settings(hps, {"model"}))


Contrast = PoolingType | Extremes | ExtraPooling | ModelChoice
