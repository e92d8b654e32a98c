"""Add to a sweep's space the contrasts its claims need.

A sweep file that lists `claims=("pooling-texture", ...)` gets, on top of
its own space, both sides of each claim's contrast; Keras Tuner's grid then
runs them under the same seeds and split with every other setting equal,
which is what the paired statistics need. Values the sweep already lists
are reused, not run twice.
"""

from __future__ import annotations

from dataclasses import replace

from search.hypermodels import ArticleCNN, ArticleHyperModel
from search.sweep import Range, Sweep


def _pooling_types(model: type[ArticleHyperModel]) -> dict[str, list]:
    if not issubclass(model, ArticleCNN):
        return {}
    return {f"pooling_{i}": ["avg", "max"] for i, b in enumerate(model.blocks, start=1) if b.pooling != "none"}


def _depth(model: type[ArticleHyperModel]) -> dict[str, list]:
    if not issubclass(model, ArticleCNN):
        return {}
    return {"conv_blocks": [len(model.blocks), len(model.blocks) + 1]}


def _extra_pooling(model: type[ArticleHyperModel]) -> dict[str, list]:
    if not issubclass(model, ArticleCNN):
        return {}
    last = model.blocks[-1].pooling
    return {f"pooling_{len(model.blocks)}": [last, "none" if last != "none" else "max"]}


NEEDS = {
    "pooling-texture": _pooling_types,
    "mixed-pooling": _pooling_types,
    "depth-overfit": _depth,
    "more-pooling-hurts": _extra_pooling,
    "fit-rule": lambda m: {**_depth(m), **_extra_pooling(m)},
    "batch-size": lambda m: {"batch_size": [max(8, m.batch_size // 2), m.batch_size * 4]},
    "learning-rate": lambda m: {"learning_rate": [m.learning_rate / 10, m.learning_rate * 10]},
    "vgg16-cost": lambda m: {"model": ["article", "vgg16"]} if issubclass(m, ArticleCNN) else {},
}


def schedule_claims(sweep: Sweep) -> Sweep:
    """The sweep with every claim's contrast values merged into its space."""
    space = dict(sweep.space)
    for claim in sweep.claims:
        for knob, values in NEEDS.get(claim, lambda m: {})(sweep.hypermodel).items():
            current = space.get(knob)
            if isinstance(current, Range):
                continue  # a searched range already spans both sides
            merged = list(current) if isinstance(current, (list, tuple)) else ([] if current is None else [current])
            merged += [v for v in values if v not in merged]
            space[knob] = merged
    return replace(sweep, space=space)
