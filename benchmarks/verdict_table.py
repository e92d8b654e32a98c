"""Run every reproduction study, keep their verdicts in `benchmarks/scorecard.csv`, and draw the results page's table from it.

    python -m benchmarks.verdict_table                       # every study: train what is missing, then the table
    python -m benchmarks.verdict_table --only fashion,eyes-structure
    python -m benchmarks.verdict_table --table-only          # no training: judge the run folders there are

Each study is one sweep file of `sweeps/` run by `python -m search.run`,
on a shared data set or on Fashion-MNIST from its Debian package, into its
own run folder under --runs. A sweep resumes where it stopped, so a long
study can be run in pieces, across sessions; rerunning a finished one
trains nothing and only judges it again with the current claim statistics.

`benchmarks/scorecard.csv` is the project's published result: one row per
claim and study, with the study's command, data, size, seeds, folds, cost
(the runs' summed wall time, on the machine named: `study_cost_s`) and date. A study whose
run folder is here gets its rows judged again from disk; the rows of one
that is not (measured in an earlier session, on another machine) are kept
as they are. The verdict table of the docs' results page (docs/results.md) is generated from that file
(`--page` rewrites it in place; `tests/test_scorecard.py` checks that the
two agree).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.common import cpu_name
from claims.catalogue import CLAIMS
from claims.stats import NOT_REQUESTED
from reports.runs import load_runs
from reports.scorecard import scorecard_info
from rundir.files import atomic_write_text, to_csv

ROOT = Path(__file__).resolve().parent.parent
DATASETS = ROOT.parent / "shared" / "datasets"
SCORECARD = ROOT / "benchmarks" / "scorecard.csv"
RESULTS = ROOT / "docs" / "results.md"
BEGIN, END = "<!-- verdict-table: begin (python -m benchmarks.verdict_table --page) -->", "<!-- verdict-table: end -->"


@dataclass(frozen=True)
class Study:
    name: str
    label: str  # the data column of the table
    sweep_file: str
    dataset: str | None  # folder under --datasets; None: the sweep file's own source (Fashion-MNIST's package)
    args: tuple[str, ...] = ()  # extra search.run flags

    def command(self) -> str:
        """The command that reproduces it, as a user types it from the project root."""
        data = ["--data", f"../shared/datasets/{self.dataset}"] if self.dataset else []
        return shlex.join(["python", "-m", "search.run", self.sweep_file, *data, *self.args])


STUDIES = (
    Study("eyes", "eyes, 24 px", "sweeps/eyes_claims.py", "eyes"),
    Study("eyes-cv5", "eyes, 24 px, 5 folds", "sweeps/eyes_claims.py", "eyes", ("--folds", "5")),
    Study("eyes-structure", "eyes, 24 px", "sweeps/eyes_structure.py", "eyes"),
    Study("eyes-epochs", "eyes, 24 px, article 002's set-up", "sweeps/eyes_epochs.py", "eyes"),
    Study("hollywood64", "Hollywood, 64 px, 15 epochs", "sweeps/hollywood_claims.py", "hollywood",
          ("--image-size", "64", "--epochs", "15")),
    Study("hollywood64-cv5", "Hollywood, 64 px, 15 epochs, 5 folds", "sweeps/hollywood_claims.py", "hollywood",
          ("--image-size", "64", "--epochs", "15", "--folds", "5")),
    Study("hollywood-baseline", "Hollywood, 224 px, the article's set-up", "sweeps/hollywood_baseline.py", "hollywood"),
    Study("vgg16-cost", "Hollywood, 224 px, 1 epoch per model", "sweeps/hollywood_vgg16_cost.py", "hollywood"),
    Study("fashion", "Fashion-MNIST, 28 px", "sweeps/fashion_claims.py", None),
    Study("fashion-shoes", "Fashion-MNIST shoes, 28 px", "sweeps/fashion_shoes.py", None),
    Study("fashion-structure", "Fashion-MNIST, 28 px", "sweeps/fashion_structure.py", None),
    Study("fashion-epochs", "Fashion-MNIST, 28 px, article 002's set-up", "sweeps/fashion_epochs.py", None),
)
BY_NAME = {s.name: s for s in STUDIES}
COLUMNS = ["study", "data", "claim", "verdict", "direction", "size", "headline", "unadjusted", "effect", "ci_low", "ci_high", "metric", "margin",
           "seeds", "runs", "folds", "seeds_needed", "decided_by", "tuned_verdict", "why_unmeasurable", "model",
           "image_size", "images", "command", "cost_s", "machine", "date", "status"]


def run_study(study: Study, datasets: Path, runs: Path, extra: list[str]) -> int:
    """Train what the study's run folder lacks and rebuild its report (and claims.csv)."""
    data = ["--data", str(datasets / study.dataset)] if study.dataset else []
    command = [sys.executable, "-m", "search.run", study.sweep_file, *data,
               "--out", str(runs / study.name), "--quiet", *study.args, *extra]
    print(f"{study.name}: {shlex.join(command)}", file=sys.stderr, flush=True)
    return subprocess.run(command, cwd=ROOT).returncode


def machine() -> str:
    """This machine in a few words: where a study's cost was measured."""
    return f"{os.cpu_count()} cores {cpu_name()}, CPU only"


def study_rows(study: Study, run_dir: Path) -> list[dict]:
    """The study's requested claims, judged again from its run folder, as scorecard.csv rows."""
    runs = load_runs(run_dir)
    info = scorecard_info([run_dir], [study.label], loaded=[runs])
    data = runs.manifest.data
    done = [r for r in runs.records if r.status in ("completed", "failed")]
    date = max((r.finished for r in done if r.finished), default="")[:10]
    common = {"study": study.name, "data": study.label, "model": info.studies[0].model,
              "image_size": info.studies[0].image_size, "folds": info.studies[0].folds,
              "images": f"{data.n_train or '?'} + {data.n_val or '?'}" if not runs.manifest.folds
              else f"{data.n_val or '?'} in folds",
              "command": study.command(), "cost_s": round(study_cost_s(runs.records)),
              "machine": machine(), "date": date, "status": runs.manifest.status}
    rows = []
    for claim in info.claims:
        cell = claim.cells[0]
        if cell.verdict == NOT_REQUESTED:
            continue
        rows.append({**common, "claim": claim.claim, "verdict": cell.verdict, "direction": cell.direction,
                     "size": cell.size, "headline": cell.headline, "unadjusted": cell.unadjusted,
                     "effect": _num(cell.effect), "ci_low": _num(cell.ci_low), "ci_high": _num(cell.ci_high),
                     "metric": cell.metric, "margin": cell.margin, "seeds": cell.seeds, "runs": cell.runs,
                     "seeds_needed": cell.seeds_needed, "decided_by": cell.decided_by, "tuned_verdict": cell.tuned,
                     "why_unmeasurable": cell.why})
    return rows


def study_cost_s(records) -> float:
    """The runs' summed wall time, with a run that took over 3 times its configuration's median counted at
    that median.

    A run's wall time also counts the time its process was held: a study paused with SIGSTOP while
    the machine ran something else (its CI, a benchmark) recorded runs of 1,000 s among runs of 30 s.
    Those minutes are the machine's, not the study's. A configuration's own spread (a slower model,
    more epochs) stays in: only a run far off its own configuration's runs is capped.
    """
    by_trial: dict[str, list[float]] = {}
    for r in records:
        by_trial.setdefault(r.trial_id, []).append(r.wall_time_s or 0.0)
    total = 0.0
    for times in by_trial.values():
        median = float(np.median(times))
        total += sum(t if t <= 3 * median else median for t in times)
    return total


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"


def read_scorecard(path: Path = SCORECARD) -> list[dict]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def update_scorecard(studies: list[Study], runs: Path, path: Path = SCORECARD) -> list[dict]:
    """Judge every study whose run folder is under `runs` again; keep the other studies' rows as they are."""
    present = [s for s in studies if (runs / s.name / "sweep.json").exists()]
    fresh = {s.name for s in present}
    rows = [r for r in read_scorecard(path) if r["study"] not in fresh]
    for study in present:
        rows += study_rows(study, runs / study.name)
    order = {s.name: i for i, s in enumerate(STUDIES)}
    claims = {c.id: i for i, c in enumerate(CLAIMS)}
    rows.sort(key=lambda r: (claims.get(r["claim"], len(claims)), order.get(r["study"], len(order))))
    atomic_write_text(path, to_csv(rows, COLUMNS))
    return read_scorecard(path)


def _signed(text: str) -> str:
    return f"{float(text):+.3f}" if text not in ("", None) else ""


def table_rows(rows: list[dict]) -> list[str]:
    """One Markdown row per claim and study, in catalogue order; a claim no study has judged yet says so."""
    out = []
    for claim in CLAIMS:
        mine = [r for r in rows if r["claim"] == claim.id]
        if not mine:
            out.append(f"| {claim.id} | (no study yet) | | | | | | | |")
        for r in mine:
            if r.get("why_unmeasurable"):
                numbers = f"{r['why_unmeasurable']} | "
            else:
                ci = f"[{_signed(r['ci_low'])}, {_signed(r['ci_high'])}]" if r["ci_low"] else ""
                numbers = f"{_signed(r['effect'])} | {ci}"
            shown = r.get("headline") or r["verdict"]
            if r["unadjusted"] != r["verdict"]:
                shown += f" (the 95% interval alone: {r['unadjusted']})"
            seeds = f"{r['seeds']} ({r['runs']} runs)" if r["seeds"] else ""
            cost = f"{float(r['cost_s']) / 60:.0f} min" if r.get("cost_s") and float(r["cost_s"]) else ""
            name = f"{claim.id} ({r['decided_by']})" if len(claim.parts) > 1 and r["decided_by"] else claim.id
            if r.get("status") and r["status"] != "finished":
                shown += f" (so far: the study is {r['status']}, to be resumed)"
            out.append(f"| {name} | {r['data']} | {shown} | {numbers} | {seeds}, {r['folds']} | "
                       f"{float(r['margin']):g} | {cost} | {r['date']} |")
    return out


HEADER = ("| claim | data | verdict | effect (treatment - baseline) | 95% CI | seeds (runs), folds | margin | cost | "
          "measured |\n|---|---|---|---|---|---|---|---|---|")


def markdown(rows: list[dict]) -> str:
    return "\n".join([HEADER, *table_rows(rows)])


def rewrite_page(table: str, readme: Path = RESULTS) -> None:
    """Put `table` between the results page's verdict-table markers."""
    text = readme.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    atomic_write_text(readme, f"{head}{BEGIN}\n{table}\n{END}{tail}")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks.verdict_table", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n\n", 1)[1])
    p.add_argument("--datasets", type=Path, default=DATASETS, help=f"folder of the shared data sets (default {DATASETS})")
    p.add_argument("--runs", type=Path, default=ROOT / "runs" / "verdicts", help="parent of the studies' run folders")
    p.add_argument("--only", default="", help=f"comma-separated studies: {', '.join(BY_NAME)}")
    p.add_argument("--table-only", action="store_true", help="train nothing: judge the run folders there are")
    p.add_argument("--run-args", default="", help="extra search.run flags for every study run, e.g. '--image-size 64'")
    p.add_argument("--scorecard", type=Path, default=SCORECARD, help=f"the scorecard file (default {SCORECARD})")
    p.add_argument("--page", "--readme", dest="page", action="store_true",
                   help="also rewrite the verdict table of docs/results.md from the scorecard (--readme: the old name)")
    return p


def main(argv: list[str] | None = None) -> int:
    p = build_parser()
    args = p.parse_args(argv)
    names = [n for n in args.only.split(",") if n] or list(BY_NAME)
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        p.error(f"unknown study {unknown[0]!r}; known: {', '.join(BY_NAME)}")
    studies = [BY_NAME[n] for n in names]
    if not args.table_only:
        for study in studies:
            if study.dataset and not (args.datasets / study.dataset).is_dir():
                print(f"{study.name}: skipped: no data folder {args.datasets / study.dataset}", file=sys.stderr)
                continue
            code = run_study(study, args.datasets, args.runs, shlex.split(args.run_args))
            if code not in (0,):
                print(f"{study.name}: search.run exited with {code}", file=sys.stderr)
    rows = update_scorecard(studies, args.runs, args.scorecard)
    table = markdown(rows)
    if args.page:
        rewrite_page(table)
    print(table)
    print(f"{args.scorecard} ({len(rows)} rows, {dt.date.today()})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
