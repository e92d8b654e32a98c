"""The verdicts as a pandas DataFrame, for a notebook: `search.load_claims(run_dir)` and `SweepResult.claims()`.

Judged again from the records on disk, as the report judges them
(`claims.verdicts.evaluate`) at the look a report may show
(`claims.looks`), so it needs no TensorFlow and never peeks at a round
half done. One row per requested claim, article and
stated alike (`yours` tells them apart), with the answer to act on (the
adjusted verdict, its direction and size), the averaged effect and its
interval, and the tuned answer where the sweep varies other knobs.
"""

from __future__ import annotations

from pathlib import Path

from claims.stats import NOT_REQUESTED
from claims.stated import STATED_SOURCE
from claims.looks import shown_verdicts
from claims.verdicts import ClaimRow
from rundir.errors import SweepError
from rundir.manifest import has_manifest, read_manifest
from rundir.records import RunDirectory

COLUMNS = ["claim", "yours", "verdict", "headline", "direction", "size", "effect", "ci_low", "ci_high", "metric",
           "margin", "seeds", "runs", "decided_by", "unadjusted", "tuned_verdict", "tuned_effect", "tuned_ci_low",
           "tuned_ci_high", "tuned_choice", "why_unmeasurable", "sentence", "note"]


def claims_frame(rows: list[ClaimRow]):
    """The requested claims' rows as a DataFrame (`COLUMNS`), in the sweep's order of the catalogue and yours."""
    import pandas as pd

    table = [{"claim": r.claim, "yours": r.source == STATED_SOURCE, "verdict": r.final, "headline": r.headline,
              "direction": r.direction, "size": r.size, "effect": r.effect, "ci_low": r.ci_low, "ci_high": r.ci_high,
              "metric": r.metric, "margin": r.margin, "seeds": r.seeds, "runs": r.runs, "decided_by": r.decided_by,
              "unadjusted": r.verdict, "tuned_verdict": r.tuned_verdict or None, "tuned_effect": r.tuned_effect,
              "tuned_ci_low": r.tuned_ci_low, "tuned_ci_high": r.tuned_ci_high, "tuned_choice": r.tuned_choice or None,
              "why_unmeasurable": r.why_unmeasurable or None, "sentence": r.sentence, "note": r.note}
             for r in rows if r.final != NOT_REQUESTED]
    return pd.DataFrame(table, columns=COLUMNS)


def load_claims(run_dir: str | Path):
    """The verdicts of a run directory's claims as a DataFrame, judged from its records (`claims_frame`).
    A sweep still running is judged at its last planned look (`claims.looks`); before its first, the frame is
    empty."""
    root = Path(run_dir)
    if not has_manifest(root):
        raise SweepError(f"{root} is not a sweep's run directory (it has no sweep.json)")
    _, rows = shown_verdicts(RunDirectory(root).read_runs(), read_manifest(root))
    return claims_frame(rows or [])
