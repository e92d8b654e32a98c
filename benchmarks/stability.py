"""Stability of the claims' answers on real data: one sweep file on K draws of its images.

    python -m benchmarks stability                                  # sweeps/shoes_pooling.py, 5 draws
    python -m benchmarks stability --sweep-file sweeps/eyes_claims.py --data ../shared/datasets/eyes --draws 3

Each draw k runs the sweep with its data source's `seed` set to base + k
(which images a subset keeps, or how a folder splits), into its own run
folder under --runs (resumed if it is there). Then, for every requested
claim, it counts how often two draws give the same decided answer.

Two rules are read on the very same runs:

- *two answers* (today's `claims.verdicts`): direction and size, rounds
  stopping only once both are settled (issue 44);
- *single answer* (the rule before issue 44, emulated on the same runs and
  looks): "no meaningful difference" whenever the interval lies within the
  margin, else the direction; a sweep stops at the first look where no
  claim is inconclusive.

A claim "agrees" on a pair of draws when both are decided and say the same
words; the table gives the share of decided pairs that agree, and every
draw's answer. Under the two answers it also reads each answer on its own,
as the issue's target puts it ("a decided answer agrees with an independent
replication"): the *direction* over the pairs of draws where it is supported
or contradicted in both, the *size* over those where it is at least or
smaller than the margin in both. "supported, but smaller than the margin"
and "no meaningful difference" (the direction not settled by `max` seeds)
differ as headlines but agree on the size and never contradict on the
direction. Not a timing: a measure of whether a verdict depends on which
images (or which seeds) a sweep happened to get.
"""

from __future__ import annotations

import itertools
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

from benchmarks.common import Measurement, Skip, text_table

ROOT = Path(__file__).resolve().parent.parent
SWEEP_FILE = ROOT / "sweeps" / "shoes_pooling.py"
AGREE_TARGET = 0.9
TWO, SINGLE = "two answers", "single answer (before issue 44)"
DIRECTION, SIZE = "two answers: the direction alone", "two answers: the size alone"


def draw_runs(sweep_file: Path, data: Path | None, resamples: int, base_seed: int, runs: Path) -> list[Path]:
    """Train (or resume) the sweep on each draw of its data; the run folders."""
    from search.api import run_sweep
    from search.sweep.spec import load_sweep_file

    sweep = load_sweep_file(sweep_file)
    if not hasattr(sweep.data, "seed"):
        raise Skip(f"{sweep_file}: its data source has no seed to draw with")
    source = sweep.data.with_path(data) if data is not None else sweep.data
    folders = []
    for k in range(resamples):
        out = runs / f"{sweep.name}_draw{k}"
        print(f"stability: draw {k} (data seed {base_seed + k}) -> {out}", file=sys.stderr, flush=True)
        run_sweep(replace(sweep, data=replace(source, seed=base_seed + k)), out=out, quiet=True, report=False,
                  checkpoint_every=None)
        folders.append(out)
    return folders


def answers(folder: Path) -> dict[str, dict[str, str]]:
    """{rule: {claim: answer in words}} of one finished draw, both rules on its runs."""
    from claims.stats import INCONCLUSIVE, NO_DIFFERENCE, WITHIN
    from claims.verdicts import evaluate
    from rundir.manifest import read_manifest
    from rundir.records import RunDirectory

    meta, records = read_manifest(folder), RunDirectory(folder).read_runs()
    wanted = list(meta.claims or [])
    rows = [r for r in evaluate(records, meta) if r.claim in wanted]
    today = {r.claim: r.headline for r in rows}
    directions, sizes = {r.claim: r.direction for r in rows}, {r.claim: r.size for r in rows}
    looks = list(meta.looks) or [max(r.seed for r in records) + 1]
    single: dict[str, str] = {}
    for n in looks:
        rows = [r for r in evaluate([r for r in records if r.seed < n], meta) if r.claim in wanted]
        # The old single answer from the same tests: within the margin won over the direction.
        single = {r.claim: NO_DIFFERENCE if r.size == WITHIN else r.final for r in rows}
        if INCONCLUSIVE not in single.values():
            break
    return {TWO: today, SINGLE: single, DIRECTION: directions, SIZE: sizes}


def agreement(per_draw: list[dict[str, str]], claim: str) -> tuple[int, int]:
    """(agreeing pairs, decided pairs) of one claim over every pair of draws: a headline, a direction or a
    size counts when it is definitive ("undecided", "size not yet resolved" and "inconclusive" do not)."""
    from claims.stats import BEYOND, DEFINITIVE, WITHIN

    decided = [d[claim] for d in per_draw if d.get(claim, "").startswith((*DEFINITIVE, BEYOND, WITHIN))]
    pairs = list(itertools.combinations(decided, 2))
    return sum(a == b for a, b in pairs), len(pairs)


def run(args) -> list[Measurement]:
    sweep_file = Path(args.sweep_file or SWEEP_FILE)
    if not sweep_file.exists():
        raise Skip(f"no sweep file {sweep_file}")
    runs = Path(args.runs or ROOT / "runs" / "stability")
    try:
        folders = draw_runs(sweep_file, args.data if args.data_given else None, args.draws,
                            args.stability_seed, runs)
    except Exception as exc:  # a missing data set: say so, as every benchmark does
        from rundir.errors import SweepError

        if isinstance(exc, SweepError):
            raise Skip(str(exc)) from None
        raise
    drawn = [answers(f) for f in folders]
    out = []
    claims = sorted({c for d in drawn for c in d[TWO]})
    for rule in (TWO, DIRECTION, SIZE, SINGLE):
        per_draw = [d[rule] for d in drawn]
        for claim in claims:
            agree, pairs = agreement(per_draw, claim)
            share = agree / pairs if pairs else None
            words = Counter(d.get(claim, "") for d in per_draw)
            out.append(Measurement(
                name="stability",
                data=f"{sweep_file.name} on {len(folders)} draws of its images (data seeds "
                     f"{args.stability_seed}..{args.stability_seed + len(folders) - 1})",
                metric=f"{claim}: share of decided pairs of draws that give the same answer ({rule})",
                unit="", baseline_is="none", ours_is=f"claims.verdicts, {rule}",
                baseline=None, ours=share, ratio=None, ratio_means="", target=">= 0.9",
                passed=None if share is None else share >= AGREE_TARGET,
                details={"claim": claim, "rule": rule, "agreeing_pairs": agree, "decided_pairs": pairs,
                         "answers": [d.get(claim, "") for d in per_draw], "counts": dict(words),
                         "folders": [str(f) for f in folders]},
            ))
    return out


def table(lines: list[str]) -> str:
    """The stability lines as one plain table: claim, rule, agreement, every draw's answer."""
    import json

    rows = [("claim", "rule", "agreeing / decided pairs", "answers per draw")]
    for line in lines:
        m = json.loads(line)
        d = m.get("details") or {}
        if m.get("name") != "stability" or "rule" not in d:
            continue
        rows.append((d["claim"], d["rule"], f"{d['agreeing_pairs']} / {d['decided_pairs']}",
                     "; ".join(d["answers"])))
    return text_table(rows) if len(rows) > 1 else ""
