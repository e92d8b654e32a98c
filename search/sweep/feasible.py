"""Configurations the image size cannot hold, found before training and left out of the grid.

A claim's schedule can add a configuration the sweep's image size cannot
build: `Cifar10CNN` at 28 px with depth-overfit and more-pooling-hurts gets
a fourth conv block after a pooled third one, whose feature map would be
smaller than a pixel. Trained, every seed of it failed with the same
message (issue 39: 4 of 22 runs). Each such configuration is found here
from the model's own size arithmetic (`ArticleCNN.feature_size`), named in
one `warning:` line with the image size that would hold it, and left out:
its trials train nothing and have no run records, the header and
sweep.json (`left_out`) say so, and a claim pairs only what was trained.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from search.sweep.spec import Range, Sweep


@dataclass(frozen=True)
class LeftOut:
    values: dict[str, Any]  # the grid knobs that make the configuration
    smallest: int  # the image side that would hold it

    def words(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self.values.items())

    def matches(self, values: dict[str, Any]) -> bool:
        return all(values.get(k) == v for k, v in self.values.items())


def left_out(sweep: Sweep, hypermodel: Any, values: dict[str, Any]) -> list[LeftOut]:
    """The grid's configurations an article CNN cannot build at the sweep's image size (`values`: the
    first trial's, for the knobs the grid does not vary). Only for grids of article CNNs."""
    if sweep.tuner != "grid" or not hasattr(hypermodel, "feature_size"):
        return []
    grid = {k: list(v) for k, v in sweep.space.items() if isinstance(v, (list, tuple)) and len(v) > 1}
    if any(isinstance(v, Range) for v in sweep.space.values()):
        return []
    out = []
    for combo in itertools.product(*grid.values()):
        config = dict(zip(grid, combo))
        knobs = {**values, **config}
        if knobs.get("model", "article") == "article" and hypermodel.feature_size(knobs) < 1:
            out.append(LeftOut(config, hypermodel.smallest_image(knobs)))
    return out


def warning_line(item: LeftOut, image_size: int, model: str) -> str:
    return (f"left out of the grid: {item.words()}: image size {image_size} is too small for {model} with these "
            f"blocks and pooling (--image-size {item.smallest} would hold it); its runs are not trained")
