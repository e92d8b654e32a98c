"""Which runs form the two sides of a claim, and which runs pair up.

A contrast sorts a run into "treatment", "baseline" or neither from its
hyperparameters, and names the knobs it varies. Two runs pair when they
share the seed and every knob the contrast does not vary, so a difference
can be blamed on the contrast alone.

Records hold every knob of the model family, with None for a knob this
run's model does not have (`search.sweep.knobs`): `pooling_4` of a 3-block model,
`conv_blocks` of a VGG16 run, `weights` of an article-CNN run. Comparing
two depths therefore also varies the pooling knobs of the blocks only the
deeper side has, and comparing two models varies the knobs only one of
them has. `pairing` finds those from the runs themselves: a knob that is
None on every run of one side and set on every run of the other is part of
what the contrast varies. A missing key reads as None, so older records
pair the same way.

Some contrasts depend on what the whole sweep ran (the largest batch size,
the pooling layer it switched on and off): `context(present)` derives that
once from every run's hyperparameters.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

POOLING = re.compile(r"^pooling_\d+$")
TREATMENT, BASELINE = "treatment", "baseline"


def pooling_knobs(hps: dict[str, Any]) -> list[str]:
    return sorted((k for k in hps if POOLING.match(k)), key=lambda k: int(k.split("_")[1]))


def other_settings(hps: dict[str, Any], varied: frozenset[str] | set[str]) -> tuple:
    """Every knob but the varied ones (and Keras Tuner's bookkeeping), None included: the pairing key."""
    return tuple(sorted((k, repr(v)) for k, v in hps.items()
                        if k not in varied and not k.startswith("tuner/") and v is not None))


@dataclass(frozen=True)
class PoolingType:
    """All max (or average-then-max, article 004's mix) vs all average, at the same pooling positions."""

    treatment: str  # "max" or "mixed"
    baseline: str = "avg"

    def context(self, present: list[dict[str, Any]]) -> None:
        return None

    def names(self) -> tuple[str, str]:
        """The two sides in words: (treatment, baseline)."""
        return ("average-then-max" if self.treatment == "mixed" else f"all-{self.treatment}",
                "all-average" if self.baseline == "avg" else f"all-{self.baseline}")

    def side(self, hps: dict[str, Any], context: None) -> str | None:
        used = [hps[k] for k in pooling_knobs(hps) if hps[k] not in ("none", None)]
        if not used:
            return None
        if set(used) == {self.baseline}:
            return BASELINE
        if self.treatment == "mixed":
            # Article 004: an average pooling layer, then max pooling after it.
            return TREATMENT if len(used) >= 2 and used[0] == "avg" and set(used[1:]) == {"max"} else None
        return TREATMENT if set(used) == {self.treatment} else None

    def varies(self, hps: dict[str, Any], context: None) -> frozenset[str]:
        return frozenset(pooling_knobs(hps))

    def extra_key(self, hps: dict[str, Any], context: None) -> tuple:
        """Where the pooling layers are (which blocks pool at all) must match."""
        return tuple(hps[k] in ("none", None) for k in pooling_knobs(hps))


@dataclass(frozen=True)
class Extremes:
    """The largest value of a numeric knob in the sweep vs the smallest."""

    knob: str

    def context(self, present: list[dict[str, Any]]) -> tuple[Any, Any] | None:
        """(smallest, largest) value the sweep ran, or None if it ran fewer than two."""
        values = sorted({p[self.knob] for p in present if p.get(self.knob) is not None})
        return (values[0], values[-1]) if len(values) >= 2 else None

    def names(self) -> tuple[str, str]:
        return f"the largest {self.knob}", f"the smallest {self.knob}"

    def side(self, hps: dict[str, Any], context: tuple[Any, Any] | None) -> str | None:
        value = hps.get(self.knob)
        if context is None or value is None:
            return None
        if value == context[1]:
            return TREATMENT
        if value == context[0]:
            return BASELINE
        return None

    def varies(self, hps: dict[str, Any], context: Any) -> frozenset[str]:
        return frozenset({self.knob})

    def extra_key(self, hps: dict[str, Any], context: Any) -> tuple:
        return ()


@dataclass(frozen=True)
class ExtraPooling:
    """One more pooling layer (the last pooling knob the sweep switches on and off) vs none."""

    def context(self, present: list[dict[str, Any]]) -> str | None:
        """The last pooling knob that is "none" in some runs and a pooling type in others (None: no such block)."""
        knobs = sorted({k for p in present for k in pooling_knobs(p)}, key=lambda k: int(k.split("_")[1]))
        switched = [k for k in knobs if {p.get(k) == "none" for p in present if p.get(k) is not None} == {True, False}]
        return switched[-1] if switched else None

    def names(self) -> tuple[str, str]:
        return "with the extra pooling layer", "without it"

    def side(self, hps: dict[str, Any], knob: str | None) -> str | None:
        if knob is None or hps.get(knob) is None:
            return None
        return BASELINE if hps[knob] == "none" else TREATMENT

    def varies(self, hps: dict[str, Any], knob: str | None) -> frozenset[str]:
        return frozenset({knob}) if knob else frozenset()

    def extra_key(self, hps: dict[str, Any], context: Any) -> tuple:
        return ()


@dataclass(frozen=True)
class ModelChoice:
    """VGG16 vs the article CNN (the `model` knob); the knobs only one model has vary with it."""

    def context(self, present: list[dict[str, Any]]) -> None:
        return None

    def names(self) -> tuple[str, str]:
        return "VGG16", "the article CNN"

    def side(self, hps: dict[str, Any], context: None) -> str | None:
        return {"vgg16": TREATMENT, "article": BASELINE}.get(hps.get("model"))

    def varies(self, hps: dict[str, Any], context: None) -> frozenset[str]:
        return frozenset({"model"})

    def extra_key(self, hps: dict[str, Any], context: None) -> tuple:
        return ()


def same_value(a: Any, b: Any) -> bool:
    """Whether a run's knob value is a stated one: numbers by value (0.5 == 0.5 however JSON wrote
    it, 1e-3 within float rounding), words and booleans exactly."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-9)
    return a == b


@dataclass(frozen=True)
class Values:
    """One knob at two stated values (a user's claim, `claims.stated`): `treatment` vs `baseline`."""

    knob: str
    treatment: Any
    baseline: Any

    def context(self, present: list[dict[str, Any]]) -> None:
        return None

    def names(self) -> tuple[str, str]:
        return f"{self.knob}={self.treatment!r}", f"{self.knob}={self.baseline!r}"

    def side(self, hps: dict[str, Any], context: None) -> str | None:
        value = hps.get(self.knob)
        if value is None:
            return None
        if same_value(value, self.treatment):
            return TREATMENT
        return BASELINE if same_value(value, self.baseline) else None

    def varies(self, hps: dict[str, Any], context: None) -> frozenset[str]:
        return frozenset({self.knob})

    def extra_key(self, hps: dict[str, Any], context: None) -> tuple:
        return ()


Contrast = PoolingType | Extremes | ExtraPooling | ModelChoice | Values


@dataclass(frozen=True)
class Pairing:
    """How one sweep's runs pair for one contrast: its context and every knob it varies."""

    contrast: Contrast
    context: Any
    one_sided: frozenset[str]  # knobs set on every run of one side and None on every run of the other

    def side(self, hps: dict[str, Any]) -> str | None:
        return self.contrast.side(hps, self.context)

    def varied(self, hps: dict[str, Any]) -> frozenset[str]:
        return self.contrast.varies(hps, self.context) | self.one_sided

    def key(self, hps: dict[str, Any], seed: int) -> tuple:
        return (seed, self.contrast.extra_key(hps, self.context), other_settings(hps, self.varied(hps)))


def pairing(contrast: Contrast, present: list[dict[str, Any]]) -> Pairing:
    """The contrast's pairing on a sweep whose runs have these hyperparameters."""
    context = contrast.context(present)
    sides: dict[str, list[dict[str, Any]]] = {TREATMENT: [], BASELINE: []}
    for hps in present:
        side = contrast.side(hps, context)
        if side is not None:
            sides[side].append(hps)
    one_sided: set[str] = set()
    if sides[TREATMENT] and sides[BASELINE]:
        knobs = {k for hps in present for k in hps}

        def has(group: list[dict[str, Any]], knob: str) -> set[bool]:
            return {hps.get(knob) is not None for hps in group}

        one_sided = {k for k in knobs if {frozenset(has(sides[TREATMENT], k)), frozenset(has(sides[BASELINE], k))}
                     == {frozenset({True}), frozenset({False})}}
    return Pairing(contrast, context, frozenset(one_sided))
