"""Renderers: info records in, PNG data URIs out.

Each function draws one info record (computed elsewhere, and tested there)
with matplotlib's Agg backend into a small PNG embedded as a data URI, so
the report is one offline file. Figures are built with `Figure` directly,
not pyplot, so nothing global accumulates across reports, and are kept small
(dpi 80-90, few points per line) so a 1,000-trial report renders in seconds.
"""

from __future__ import annotations

import base64
import io
import math

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from reports.claims import ClaimsInfo  # noqa: E402
from reports.curves import CurvesInfo  # noqa: E402
from reports.effects import HyperparameterEffectInfo  # noqa: E402
from reports.pooling import PoolingComparisonInfo  # noqa: E402
from reports.tuning import TuningInfo  # noqa: E402

DPI = 85
COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
OPTION_COLORS = {"max": "#1f77b4", "avg": "#ff7f0e", "none": "#7f7f7f", "all max": "#1f77b4",
                 "all avg": "#ff7f0e", "mixed": "#2ca02c", "no pooling": "#7f7f7f"}


def to_data_uri(fig: Figure) -> str:
    """Encode a figure as a PNG data URI (no file on disk, no network at view time)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _style(ax) -> None:
    ax.grid(True, alpha=0.3, linewidth=0.6)
    ax.spines["top"].set_visible(False)
    ax.spines["right"].set_visible(False)
    ax.tick_params(labelsize=8)


def curves_png(info: CurvesInfo) -> str | None:
    """Accuracy, loss and learning rate per epoch; solid = validation, dashed = training."""
    if not info.series:
        return None
    panels = 3 if info.has_learning_rate else 2
    fig = Figure(figsize=(4.0 * panels, 3.3), layout="constrained")
    axes = fig.subplots(1, panels)
    for i, series in enumerate(info.series):
        color = COLORS[i % len(COLORS)]
        axes[0].plot(series.epochs, series.val_accuracy, color=color, linewidth=1.6, label=series.label)
        axes[0].plot(series.epochs, series.accuracy, color=color, linewidth=1.0, linestyle="--")
        axes[1].plot(series.epochs, series.val_loss, color=color, linewidth=1.6)
        axes[1].plot(series.epochs, series.loss, color=color, linewidth=1.0, linestyle="--")
        if panels == 3:
            axes[2].plot(series.epochs, series.learning_rate, color=color, linewidth=1.4)
    axes[0].set_title("accuracy (solid: validation, dashed: training)", fontsize=9)
    axes[1].set_title("loss (solid: validation, dashed: training)", fontsize=9)
    if panels == 3:
        axes[2].set_title("learning rate", fontsize=9)
        lrs = [v for s in info.series for v in s.learning_rate if v > 0 and math.isfinite(v)]
        if lrs and max(lrs) / min(lrs) > 20:
            axes[2].set_yscale("log")
        elif lrs and max(lrs) == min(lrs):  # constant: show it against 0, not as a noisy offset axis
            axes[2].set_ylim(0, max(lrs) * 1.5)
        if lrs and axes[2].get_yscale() == "linear":
            axes[2].ticklabel_format(axis="y", style="sci", scilimits=(-2, 3), useOffset=False)
    for ax in axes:
        ax.set_xlabel("epoch", fontsize=8)
        ax.xaxis.get_major_locator().set_params(integer=True)
        _style(ax)
    axes[0].legend(fontsize=7, loc="lower right", frameon=False)
    return to_data_uri(fig)


def effect_png(info: HyperparameterEffectInfo) -> str | None:
    """Score of every completed run against the value of one hyperparameter."""
    if not info.scores:
        return None
    fig = Figure(figsize=(4.0, 2.7), layout="constrained")
    ax = fig.subplots()
    scores = np.asarray(info.scores, dtype=float)
    size = 14 if len(scores) < 200 else 6
    if info.numeric:
        xs = np.asarray(info.xs, dtype=float)
        ax.scatter(xs, scores, s=size, alpha=0.55, color=COLORS[0], linewidths=0)
        if info.log_scale:
            ax.set_xscale("log")
        if not info.binned:
            levels = np.unique(xs)
            means = [scores[xs == v].mean() for v in levels]
            ax.plot(levels, means, color="black", linewidth=1.2, marker="o", markersize=3, label="mean")
            ax.legend(fontsize=7, frameon=False)
    else:
        positions = {c: i for i, c in enumerate(info.categories)}
        xs = np.array([positions[v] for v in info.xs], dtype=float)
        jitter = np.random.default_rng(0).uniform(-0.12, 0.12, len(xs))
        ax.scatter(xs + jitter, scores, s=size, alpha=0.55, color=COLORS[0], linewidths=0)
        by_value = {s.value: s for s in info.stats}
        for c, i in positions.items():
            stat = by_value.get(c)
            if stat is not None:
                ax.errorbar([i + 0.28], [stat.mean], yerr=[stat.std or 0.0], fmt="o", color="black",
                            markersize=4, capsize=3, linewidth=1)
        ax.set_xticks(range(len(info.categories)), [_short(c) for c in info.categories])
        ax.set_xlim(-0.5, len(info.categories) - 0.5)
    ax.set_xlabel(info.name, fontsize=8)
    ax.set_ylabel(info.objective, fontsize=8)
    _style(ax)
    return to_data_uri(fig)


def pooling_png(info: PoolingComparisonInfo) -> str | None:
    """Left: mean score per option with 95% CI. Right: paired differences with 95% CI."""
    if not info.varied or not (info.knobs or info.patterns):
        return None
    groups = [(k.name, k.options) for k in info.knobs] + [("pattern", info.patterns)]
    diffs = [(f"{k.name}: max − avg", k.paired) for k in info.knobs]  # estimates: the verdicts are the claims' plot
    fig = Figure(figsize=(10.5, 0.45 * max(len(diffs), sum(len(o) for _, o in groups)) + 1.4), layout="constrained")
    left, right = fig.subplots(1, 2)

    labels, y = [], 0
    for name, options in groups:
        for option in options:
            if option.mean is not None:
                err = _err(option.mean, option.ci_low, option.ci_high)
                left.errorbar([option.mean], [y], xerr=err, fmt="o", capsize=3, markersize=5,
                              color=OPTION_COLORS.get(option.label, "black"))
            labels.append(f"{name}: {option.label} (n={option.n})" if name != "pattern" else
                          f"{option.label} (n={option.n})")
            y += 1
    left.set_yticks(range(len(labels)), labels)
    left.invert_yaxis()
    left.set_xlabel(f"mean {info.objective}, 95% CI", fontsize=8)
    left.set_title("mean score per choice (unpaired)", fontsize=9)

    for y, (label, diff) in enumerate(diffs):
        if diff.mean_diff is not None:
            color = "#7f7f7f" if diff.too_few else "#1f77b4"
            right.errorbar([diff.mean_diff], [y], xerr=_err(diff.mean_diff, diff.ci_low, diff.ci_high), fmt="s",
                           capsize=3, markersize=5, color=color)
    right.axvline(0.0, color="black", linewidth=0.8)
    right.set_yticks(range(len(diffs)), [f"{label} ({d.n_seeds} seeds)" for label, d in diffs])
    right.set_ylim(len(diffs) - 0.5, -0.5)
    right.set_xlabel(f"difference in {info.objective}, 95% CI", fontsize=8)
    right.set_title("paired difference (same other settings and seed)", fontsize=9)
    for ax in (left, right):
        _style(ax)
    return to_data_uri(fig)


VERDICT_COLORS = {"supported": "#2ca02c", "contradicted": "#d62728", "inconclusive": "#7f7f7f",
                  "no meaningful difference": "#1f77b4"}


LABEL_PT = 10  # at DPI 85 a 10 pt label is 11.8 px: readable beside the page's text


def _margin_band(ax, margin: float | None) -> None:
    """The +/- margin around no difference: effects inside it are too small to matter (the claims' rule)."""
    if margin:
        ax.axvspan(-margin, margin, color="#1f77b4", alpha=0.12, linewidth=0)
    ax.axvline(0.0, color="black", linewidth=0.6, linestyle=":")


def claims_png(info: ClaimsInfo | None) -> str | None:
    """One row per tested claim: each paired difference as a dot, the mean and its 95% CI,
    and the claim's margin as a shaded band around no difference.

    Claims are on different scales (accuracy, epochs, log seconds), so each
    row gets its own small axis.
    """
    if info is None:
        return None
    rows = [c for c in info.rows if c.differences]
    if not rows:
        return None
    fig = Figure(figsize=(7.5, 0.75 * len(rows) + 0.6), layout="constrained")
    axes = fig.subplots(len(rows), 1, squeeze=False)[:, 0]
    for ax, claim in zip(axes, rows):
        color = VERDICT_COLORS.get(claim.final, "black")
        _margin_band(ax, claim.margin)
        ax.scatter(claim.differences, [0] * len(claim.differences), s=14, color=color, alpha=0.6)
        if claim.effect is not None:
            ax.errorbar([claim.effect], [0], xerr=_err(claim.effect, claim.ci_low, claim.ci_high), fmt="|",
                        markersize=14, capsize=4, color="black")
        ax.set_yticks([0], [f"{_short(claim.claim, 22)} ({claim.metric})"], fontsize=LABEL_PT)
        ax.tick_params(axis="x", labelsize=LABEL_PT)
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
    return to_data_uri(fig)


def forest_png(claim, studies) -> str | None:
    """A scorecard claim (`reports.scorecard.ClaimScore`) as a forest plot: one line per study that
    measured it, its effect and 95% interval on one shared axis, the margin band around no difference."""
    label = {s.name: s.label for s in studies}
    cells = [c for c in claim.cells if c.effect is not None and not c.why]
    if not cells:
        return None
    fig = Figure(figsize=(7.5, 0.45 * len(cells) + 0.9), layout="constrained")
    ax = fig.subplots()
    margins = [c.margin for c in cells if c.margin]
    _margin_band(ax, max(margins) if margins else None)
    for y, cell in enumerate(reversed(cells)):
        ax.errorbar([cell.effect], [y], xerr=_err(cell.effect, cell.ci_low, cell.ci_high), fmt="o", markersize=6,
                    capsize=4, color=VERDICT_COLORS.get(cell.verdict, "black"))
    ax.set_yticks(range(len(cells)), [_short(label[c.study], 40) for c in reversed(cells)], fontsize=LABEL_PT)
    ax.tick_params(axis="x", labelsize=LABEL_PT)
    ax.set_xlabel(f"{cells[0].metric} (treatment - baseline); band: +/- margin", fontsize=LABEL_PT)
    ax.set_ylim(-0.6, len(cells) - 0.4)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return to_data_uri(fig)


def tuning_png(info: TuningInfo) -> str | None:
    """Each tuning curve as a line over n configurations with its confidence band shaded."""
    if not info.curves:
        return None
    fig = Figure(figsize=(7.5, 3.6), layout="constrained")
    ax = fig.subplots()
    for i, curve in enumerate(info.curves):
        color = COLORS[i % len(COLORS)]
        low = [v if math.isfinite(v) else np.nan for v in curve.low]
        high = [v if math.isfinite(v) else np.nan for v in curve.high]
        ax.fill_between(curve.ns, low, high, color=color, alpha=0.12, step="post", linewidth=0)
        ax.step(curve.ns, curve.point, where="post", color=color, linewidth=1.6,
                label=f"{curve.label} ({curve.configs} configurations)")
    _style(ax)
    # Around the curves: with few configurations a band reaches the score's floor or ceiling, and
    # an axis drawn to fit it would flatten the curves; the table gives the band's edges.
    points = [v for c in info.curves for v in c.point if math.isfinite(v)]
    span = max(points) - min(points)
    pad = max(0.05, span)
    ax.set_ylim(min(points) - pad, max(points) + pad)
    ax.tick_params(labelsize=LABEL_PT)
    ax.set_xlabel("configurations tried (n)", fontsize=LABEL_PT)
    ax.set_ylabel(f"median best {info.objective}", fontsize=LABEL_PT)
    ax.legend(fontsize=LABEL_PT - 1, loc="lower right" if not info.minimize else "upper right")
    return to_data_uri(fig)


def _err(mean: float, low: float | None, high: float | None):
    if low is None or high is None:
        return None
    return [[max(mean - low, 0.0)], [max(high - mean, 0.0)]]


def _short(text: str, limit: int = 14) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
