"""Effect of each tuned hyperparameter on the objective.

For every hyperparameter the sweep varied: all (value, score) points of the
completed runs for a scatter plot, and a small table of mean, standard
deviation and count per value. Continuous ranges with many distinct values
are binned into quantiles so the table stays small; the spread tells the
reader whether a difference between values is larger than seed noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from reports.runs import SweepRuns

MAX_LEVELS = 12  # more distinct numeric values than this are binned
FEW_LEVELS = 4  # a numeric choice with this few values reads best as categories (e.g. batch size 32/128)
BINS = 6


@dataclass
class ValueStats:
    value: str  # the value (or bin, e.g. "0.001 – 0.01") as shown
    mean: float
    std: float | None  # None with a single run
    n: int
    best: bool = False  # the value with the best mean


@dataclass
class HyperparameterEffectInfo:
    name: str
    numeric: bool
    log_scale: bool
    objective: str
    mode: str
    xs: list[Any]  # hyperparameter value per completed run
    scores: list[float]
    categories: list[str] = field(default_factory=list)  # x order for categorical values
    stats: list[ValueStats] = field(default_factory=list)
    binned: bool = False


def effects_info(runs: SweepRuns) -> list[HyperparameterEffectInfo]:
    return [effect_info(runs, name) for name in runs.tuned if runs.hp_column(name) in runs.frame]


def effect_info(runs: SweepRuns, name: str) -> HyperparameterEffectInfo:
    """Score against one hyperparameter's values, over completed runs only."""
    column = runs.hp_column(name)
    done = runs.completed
    done = done[done[column].notna()]
    values = done[column]
    scores = done["score"].astype(float)
    numeric = _is_numeric(values)
    if numeric and values.nunique() <= FEW_LEVELS:
        order = [_fmt(v) for v in sorted(values.astype(float).unique())]
        labels = values.astype(float).map(_fmt)
        stats = _stats(scores, labels, runs.mode, order=order)
        return HyperparameterEffectInfo(name, False, False, runs.objective, runs.mode, labels.tolist(),
                                        scores.tolist(), order, stats, False)
    if numeric:
        xs = values.astype(float)
        levels = xs.nunique()
        log_scale = _log_scale(xs)
        if levels > MAX_LEVELS:
            codes = pd.qcut(xs, q=BINS, duplicates="drop", labels=False)
            edges = xs.groupby(codes).agg(["min", "max"])  # label bins by the values in them, not qcut's padded edges
            names = {code: f"{_fmt(row['min'])} – {_fmt(row['max'])}" for code, row in edges.iterrows()}
            labels = codes.map(names)
            stats = _stats(scores, labels, runs.mode, order=[names[c] for c in sorted(names)])
            binned = True
        else:
            order = sorted(xs.unique())
            stats = _stats(scores, xs.map(_fmt), runs.mode, order=[_fmt(v) for v in order])
            binned = False
        return HyperparameterEffectInfo(name, True, log_scale, runs.objective, runs.mode, xs.tolist(),
                                        scores.tolist(), [], stats, binned)
    labels = values.map(_label)
    order = _category_order(runs, name, labels)
    stats = _stats(scores, labels, runs.mode, order=order)
    return HyperparameterEffectInfo(name, False, False, runs.objective, runs.mode, labels.tolist(),
                                    scores.tolist(), order, stats, False)


def _log_scale(xs: pd.Series) -> bool:
    """Log axis for values sampled log-uniformly (learning rates), not for a wide linear range (dropout).

    Over about a decade and a half and most values below the linear midpoint: a linear
    axis would squash them into its left edge.
    """
    if xs.nunique() < 3 or (xs <= 0).any() or xs.max() / xs.min() < 20:
        return False
    return bool((xs < (xs.min() + xs.max()) / 2).mean() > 0.75)


def _is_numeric(values: pd.Series) -> bool:
    if values.empty:
        return False
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def _label(value: Any) -> str:
    return "none (null)" if value is None else str(value)


def _category_order(runs: SweepRuns, name: str, labels: pd.Series) -> list[str]:
    """Keep the order the values first appear in across all runs (the space's order)."""
    seen = dict.fromkeys(runs.frame[runs.hp_column(name)].map(_label))
    present = set(labels)
    return [v for v in seen if v in present]


def _stats(scores: pd.Series, groups: pd.Series, mode: str, order: list[str]) -> list[ValueStats]:
    if scores.empty:
        return []
    grouped = scores.groupby(groups.values, observed=True)
    table = pd.DataFrame({"mean": grouped.mean(), "std": grouped.std(ddof=1), "n": grouped.size()})
    rows = []
    for value in order:
        if value not in table.index:
            continue
        row = table.loc[value]
        std = float(row["std"])
        rows.append(ValueStats(str(value), float(row["mean"]), std if math.isfinite(std) else None, int(row["n"])))
    if len(rows) > 1:  # "best" of one value says nothing
        best = (max if mode == "max" else min)(rows, key=lambda r: r.mean)
        best.best = True
    return rows


def _fmt(value: float) -> str:
    value = float(value)
    if value == int(value) and abs(value) < 1e6:
        return str(int(value))
    return f"{value:.4g}"
