"""Which runs form the two sides of a claim, and which runs pair up.

A contrast sorts a run into "treatment", "baseline" or neither from its
hyperparameters, and gives the pairing key: the seed plus every setting the
contrast does not vary. Two runs pair only if their keys are equal, so a
difference can be blamed on the contrast alone.
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
    label: str = ""

    def side(self, hps: dict[str, Any], present: list[dict[str, Any]]) -> str | None:
        used = [hps[k] for k in _pooling_knobs(hps) if hps[k] != "none"]
        if len(used) < 1:
            return None
        kinds = set(used)
        if kinds == {self.baseline}:
            return BASELINE
        if self.treatment == "mixed":
            return TREATMENT if kinds == {"avg", "max"} else None
        return TREATMENT if kinds == {self.treatment} else None

    def key(self, hps: dict[str, Any], seed: int, present: list[dict[str, Any]]) -> tuple:
        knobs = _pooling_knobs(hps)
        where = tuple(hps[k] == "none" for k in knobs)
        return (seed, where, _other_settings(hps, set(knobs)))


@dataclass(frozen=True)
class Extremes:
    """The largest value of a numeric knob in the sweep vs the smallest."""

    knob: str
    label: str = ""

    def side(self, hps: dict[str, Any], present: list[dict[str, Any]]) -> str | None:
        values = sorted({p[self.knob] for p in present if self.knob in p})
        if len(values) < 2 or self.knob not in hps:
            return None
        if hps[self.knob] == values[-1]:
            return TREATMENT
        if hps[self.knob] == values[0]:
            return BASELINE
        return None

    def key(self, hps: dict[str, Any], seed: int, present: list[dict[str, Any]]) -> tuple:
        return (seed, _other_settings(hps, {self.knob}))


@dataclass(frozen=True)
class ExtraPooling:
    """One more pooling layer (the last pooling knob the sweep switches on and off) vs none."""

    label: str = ""

    def knob(self, present: list[dict[str, Any]]) -> str | None:
        switched = [k for k in _pooling_knobs(present[0]) if {p.get(k) == "none" for p in present} == {True, False}] \
            if present else []
        return switched[-1] if switched else None

    def side(self, hps: dict[str, Any], present: list[dict[str, Any]]) -> str | None:
        knob = self.knob(present)
        if knob is None or knob not in hps:
            return None
        return BASELINE if hps[knob] == "none" else TREATMENT

    def key(self, hps: dict[str, Any], seed: int, present: list[dict[str, Any]]) -> tuple:
        knob = self.knob(present)
        return (seed, _other_settings(hps, {knob}))


@dataclass(frozen=True)
class ModelChoice:
    """VGG16 vs the article CNN (the `model` knob)."""

    label: str = ""

    def side(self, hps: dict[str, Any], present: list[dict[str, Any]]) -> str | None:
        return {"vgg16": TREATMENT, "article": BASELINE}.get(hps.get("model"))

    def key(self, hps: dict[str, Any], seed: int, present: list[dict[str, Any]]) -> tuple:
        return (seed, _other_settings(hps, {"model"}))


Contrast = PoolingType | Extremes | ExtraPooling | ModelChoice
