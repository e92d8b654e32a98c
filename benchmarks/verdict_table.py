"""Regenerate the README's table of claim verdicts on the shared data sets.

    python -m benchmarks.verdict_table                       # every study: train what is missing, then the table
    python -m benchmarks.verdict_table --only eyes,hollywood64
    python -m benchmarks.verdict_table --table-only          # no training: the table from the run folders as they are

Each study is one sweep file of `sweeps/` run by `python -m search.run` on a
shared data set into its own run folder under --runs. A sweep resumes where
it stopped, so a long study (the article's 224 px Hollywood set-up takes
hours on a CPU) can be run in pieces; rerunning a finished one trains
nothing and only rebuilds its report and claims.csv with the current claim
statistics. The table is printed as Markdown, one row per requested claim,
from the scorecard record that `python -m reports compare` draws.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from claims.stats import NOT_REQUESTED
from reports.scorecard import ScoreCell, scorecard_info

ROOT = Path(__file__).resolve().parent.parent
DATASETS = ROOT.parent / "shared" / "datasets"


@dataclass(frozen=True)
class Study:
    name: str
    label: str  # the data column of the table
    sweep_file: str
    dataset: str  # folder under --datasets
    args: tuple[str, ...] = ()  # extra search.run flags


STUDIES = (
    Study("eyes", "eyes, 24 px", "sweeps/eyes_claims.py", "eyes"),
    Study("eyes-cv5", "eyes, 24 px, 5 folds", "sweeps/eyes_claims.py", "eyes", ("--folds", "5")),
    Study("hollywood64", "Hollywood, 64 px, 15 epochs", "sweeps/hollywood_claims.py", "hollywood",
          ("--image-size", "64", "--epochs", "15")),
    Study("hollywood64-cv5", "Hollywood, 64 px, 15 epochs, 5 folds", "sweeps/hollywood_claims.py", "hollywood",
          ("--image-size", "64", "--epochs", "15", "--folds", "5")),
    Study("hollywood-baseline", "Hollywood, 224 px, the article's set-up", "sweeps/hollywood_baseline.py", "hollywood"),
    Study("vgg16-cost", "Hollywood, 224 px, 1 epoch per model", "sweeps/hollywood_vgg16_cost.py", "hollywood"),
)
BY_NAME = {s.name: s for s in STUDIES}


def run_study(study: Study, datasets: Path, runs: Path, extra: list[str]) -> int:
    """Train what the study's run folder lacks and rebuild its report (and claims.csv)."""
    command = [sys.executable, "-m", "search.run", study.sweep_file, "--data", str(datasets / study.dataset),
               "--out", str(runs / study.name), "--quiet", *study.args, *extra]
    print(f"{study.name}: {shlex.join(command)}", file=sys.stderr, flush=True)
    return subprocess.run(command, cwd=ROOT).returncode


def _signed(value: float | None, digits: int = 3) -> str:
    return "" if value is None else f"{value:+.{digits}f}"


def table_rows(studies: list[Study], runs: Path) -> list[str]:
    """The studies' requested claims as Markdown rows, study by study, from the scorecard record
    (`reports.scorecard`: the same verdicts `python -m reports compare` shows); a note row for a
    study that has not run yet."""
    present = [s for s in studies if (runs / s.name / "sweep.json").exists()]
    info = scorecard_info([runs / s.name for s in present], [s.label for s in present])
    out = []
    for study in studies:
        if study not in present:
            out.append(f"| {study.label} | (not run yet: `python -m benchmarks.verdict_table --only {study.name}`) "
                       "| | | | | | |")
            continue
        for claim in info.claims:
            cell = next(c for c in claim.cells if info.labels[c.study] == study.label)
            if cell.verdict == NOT_REQUESTED:
                continue
            out.append(_row(study.label, claim.claim, cell))
    return out


def _row(label: str, claim: str, cell: ScoreCell) -> str:
    ci = f"[{_signed(cell.ci_low)}, {_signed(cell.ci_high)}]" if cell.ci_low is not None else ""
    seeds = f"{cell.seeds} ({cell.runs if cell.runs is not None else ''} runs)" if cell.seeds is not None else ""
    shown = cell.unadjusted if cell.verdict == cell.unadjusted else f"{cell.unadjusted}; Holm: {cell.verdict}"
    margin = f"{cell.margin:g}" if cell.margin is not None else ""
    needed = cell.seeds_needed if cell.seeds_needed is not None else ""
    return f"| {label} | {claim} | {shown} | {_signed(cell.effect)} | {ci} | {seeds} | {margin} | {needed} |"


HEADER = ("| data | claim | verdict | effect (treatment - baseline) | 95% CI | seeds (runs) | margin | seeds needed |\n"
          "|---|---|---|---|---|---|---|---|")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.verdict_table", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n\n", 1)[1])
    p.add_argument("--datasets", type=Path, default=DATASETS, help=f"folder of the shared data sets (default {DATASETS})")
    p.add_argument("--runs", type=Path, default=ROOT / "runs" / "verdicts", help="parent of the studies' run folders")
    p.add_argument("--only", default="", help=f"comma-separated studies: {', '.join(BY_NAME)}")
    p.add_argument("--table-only", action="store_true", help="print the table from the run folders, train nothing")
    p.add_argument("--run-args", default="", help="extra search.run flags for every study run, e.g. '--image-size 64'")
    args = p.parse_args(argv)
    names = [n for n in args.only.split(",") if n] or list(BY_NAME)
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        p.error(f"unknown study {unknown[0]!r}; known: {', '.join(BY_NAME)}")
    studies = [BY_NAME[n] for n in names]
    if not args.table_only:
        for study in studies:
            if not (args.datasets / study.dataset).is_dir():
                print(f"{study.name}: skipped: no data folder {args.datasets / study.dataset}", file=sys.stderr)
                continue
            code = run_study(study, args.datasets, args.runs, shlex.split(args.run_args))
            if code not in (0,):
                print(f"{study.name}: search.run exited with {code}", file=sys.stderr)
    print(HEADER)
    for row in table_rows(studies, args.runs):
        print(row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
