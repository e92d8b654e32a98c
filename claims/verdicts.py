"""Evaluate every claim on a run directory and write `claims.csv`.

Works on the records as read from disk, so verdicts can be recomputed (and
the report rebuilt) at any time, also while the sweep is still running.
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from claims.catalogue import CLAIMS, Claim, Part
from claims.contrasts import BASELINE, TREATMENT
from claims.measure import METRICS
from claims.stats import CONTRADICTED, DEFAULT_MIN_PAIRS, INCONCLUSIVE, SUPPORTED, PairedResult, combine, paired_verdict
from search.records import RunRecord, atomic_write_text, to_csv

NOT_TESTED = "not tested"
COLUMNS = ["claim", "verdict", "effect", "ci_low", "ci_high", "n_pairs", "metric", "note", "source", "sentence",
           "differences"]


@dataclass
class ClaimRow:
    claim: str
    verdict: str
    effect: float | None
    ci_low: float | None
    ci_high: float | None
    n_pairs: int | None  # None only when read from a claims.csv that lacks it
    metric: str
    note: str
    source: str
    sentence: str
    differences: list[float]  # the paired differences (or per-run values) of the first tested part


def paired_differences(part: Part, runs: list[RunRecord], meta: dict[str, Any]) -> list[float]:
    """Treatment minus baseline, one value per pairing key (seed + other settings)."""
    metric = METRICS[part.metric]
    context = part.contrast.context([r.hyperparameters for r in runs])
    sides: dict[tuple, dict[str, list[float]]] = defaultdict(lambda: {TREATMENT: [], BASELINE: []})
    for run in runs:
        side = part.contrast.side(run.hyperparameters, context)
        value = metric(run, meta)
        if side is None or value is None or not math.isfinite(value):
            continue
        sides[part.contrast.key(run.hyperparameters, run.seed, context)][side].append(value)
    return [float(np.mean(s[TREATMENT]) - np.mean(s[BASELINE])) for s in sides.values() if s[TREATMENT] and s[BASELINE]]


def within_run_values(part: Part, runs: list[RunRecord], meta: dict[str, Any]) -> list[float]:
    values = [METRICS[part.metric](r, meta) for r in runs]
    return [v for v in values if v is not None and math.isfinite(v)]


def equivalence_verdict(values: list[float], reference: float, tolerance: float, min_pairs: int) -> PairedResult:
    """Supported when the interval of the mean lies within reference +- tolerance."""
    base = paired_verdict([v - reference for v in values], +1, min_pairs)
    if base.n_pairs < min_pairs or base.n_pairs == 0:
        return base
    if -tolerance <= base.ci_low and base.ci_high <= tolerance:
        verdict, reason = SUPPORTED, f"the interval lies within {tolerance:g} of {reference:g}"
    elif base.ci_low > tolerance or base.ci_high < -tolerance:
        verdict, reason = CONTRADICTED, f"the interval lies more than {tolerance:g} from {reference:g}"
    else:
        verdict, reason = INCONCLUSIVE, f"the interval overlaps the band {reference:g} +- {tolerance:g} only partly"
    return PairedResult(base.n_pairs, base.effect, base.ci_low, base.ci_high, base.effect_size, verdict, reason)


def _runs_for(claim: Claim, runs: list[RunRecord], meta: dict[str, Any]) -> list[RunRecord]:
    """The runs a claim may use: its model's only, at the article's settings if it says so."""
    if claim.model is not None and meta.get("model", {}).get("name") != claim.model:
        return []
    if not claim.at_article_defaults:
        return runs
    if claim.image_size is not None and meta.get("data", {}).get("image_size") != claim.image_size:
        return []
    defaults = meta.get("article_defaults", {})
    keep = [k for k in defaults if k != "epochs"]
    least_epochs = defaults.get("epochs", 0)
    return [r for r in runs if all(r.hyperparameters.get(k) == defaults[k] for k in keep)
            and (r.hyperparameters.get("epochs") or 0) >= least_epochs]


def _effect_size(dz: float) -> str:
    """d_z in words; infinite when every pair differs by the same amount."""
    if math.isinf(dz):
        return "d_z undefined: every pair differs by the same amount"
    return f"d_z={dz:.2f}"


def evaluate_claim(claim: Claim, runs: list[RunRecord], meta: dict[str, Any], min_pairs: int) -> ClaimRow:
    runs = _runs_for(claim, runs, meta)
    results: list[tuple[Part, PairedResult, list[float]]] = []
    for part in claim.parts:
        if part.contrast is None:
            values = within_run_values(part, runs, meta)
        else:
            values = paired_differences(part, runs, meta)
        if part.sign == 0:  # an equivalence claim: "about the article's value", "resets to"
            result = equivalence_verdict(values, claim.reference or 0.0, claim.tolerance, min_pairs)
        else:
            result = paired_verdict(values, part.sign, min_pairs, margin=part.margin)
        results.append((part, result, values))
    tested = [(p, r, v) for p, r, v in results if r.n_pairs > 0]
    if not tested:
        return ClaimRow(claim.id, NOT_TESTED, None, None, None, 0, claim.parts[0].metric,
                        f"needs {claim.needs}", claim.source, claim.sentence, [])
    verdict = combine([r.verdict for _, r, _ in tested]) if len(tested) == len(results) else INCONCLUSIVE
    notes = [f"{p.label}: {r.verdict} ({r.reason}; mean {r.effect:+.4g}, 95% CI [{r.ci_low:+.4g}, {r.ci_high:+.4g}], "
             f"n={r.n_pairs}, {_effect_size(r.effect_size)})" for p, r, _ in tested]
    notes += [f"{p.label}: not tested (needs {claim.needs})" for p, r, _ in results if r.n_pairs == 0]
    if claim.notes:
        notes.append(claim.notes)
    part, first, values = tested[0]
    return ClaimRow(claim.id, verdict, first.effect, first.ci_low, first.ci_high, first.n_pairs, part.metric,
                    " | ".join(notes), claim.source, claim.sentence, values)


def evaluate(records: list[RunRecord], meta: dict[str, Any], min_pairs: int | None = None) -> list[ClaimRow]:
    """Every claim's verdict from a sweep's run records and its sweep.json."""
    if min_pairs is None:
        min_pairs = int(meta.get("claim_min_pairs") or DEFAULT_MIN_PAIRS)
    runs = [r for r in records if r.status == "completed"]
    return [evaluate_claim(c, runs, meta, min_pairs) for c in CLAIMS]


def undecided(rows: list[ClaimRow]) -> list[str]:
    """Ids of the claims whose verdict more seeds could still change (the sequential-seeds engine asks this)."""
    return [r.claim for r in rows if r.verdict == INCONCLUSIVE]


def write_claims_csv(run_dir: str | Path, rows: list[ClaimRow]) -> Path:
    path = Path(run_dir) / "claims.csv"
    table = [{**asdict(r), "differences": ";".join(f"{d:.6g}" for d in r.differences)} for r in rows]
    atomic_write_text(path, to_csv(table, COLUMNS))
    return path


def read_claims_csv(path: str | Path) -> list[ClaimRow]:
    """The rows `write_claims_csv` wrote; missing or unreadable numbers become None.

    Raises OSError, UnicodeDecodeError or csv.Error when the file cannot be read.
    """
    with Path(path).open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [
        ClaimRow(
            claim=row.get("claim") or "",
            verdict=row.get("verdict") or "",
            effect=_float(row.get("effect")),
            ci_low=_float(row.get("ci_low")),
            ci_high=_float(row.get("ci_high")),
            n_pairs=_int(row.get("n_pairs")),
            metric=row.get("metric") or "",
            note=row.get("note") or "",
            source=row.get("source") or "",
            sentence=row.get("sentence") or "",
            differences=[v for v in (_float(x) for x in (row.get("differences") or "").split(";")) if v is not None],
        )
        for row in rows
    ]


def _float(text: str | None) -> float | None:
    try:
        value = float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _int(text: str | None) -> int | None:
    value = _float(text)
    return None if value is None else int(value)
