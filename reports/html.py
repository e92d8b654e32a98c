"""Render a run directory into one self-contained `report.html`.

`write_report` is what a study calls at the end of every sweep (search.study), and what
`python -m reports RUN_DIR` calls to rebuild a report from disk alone. It
computes every info record (see the section modules), draws the figures
(`reports.plots`), and fills the Jinja2 template with autoescaping on: class
names, file paths and error texts come from users and must show as text,
never run as HTML or script.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from reports.claims import ClaimsInfo, claims_info
from reports.confusion import ConfusionInfo, confusion_info
from reports.curves import CurvesInfo, curves_info
from reports.datacheck import DataCheckInfo, datacheck_info
from reports.effects import HyperparameterEffectInfo, effects_info
from reports.header import HeaderInfo, header_info
from reports.live import LiveInfo, live_info
from reports.plots import claims_png, curves_png, effect_png, pooling_png, tuning_png
from reports.pooling import PoolingComparisonInfo, pooling_info
from reports.runs import SweepRuns, best_run, load_runs
from reports.samples import SampleGridInfo, sample_grid_info
from reports.table import TrialsTableInfo, trials_table_info
from reports.tuning import TuningInfo, tuning_info
from claims.looks import Look, shown_look, shown_verdicts
from claims.verdicts import ClaimRow, claims_of, requested, write_claims_csv
from rundir.durations import duration
from rundir.files import atomic_write_text
from rundir.progress import read_progress

REPORT_NAME = "report.html"
TEMPLATE = "report.html.j2"


@dataclass
class EffectSection:
    info: HyperparameterEffectInfo
    image: str | None


@dataclass
class ReportContext:
    """Everything the template shows; each part is an info record plus its picture."""

    header: HeaderInfo
    table: TrialsTableInfo
    curves: CurvesInfo
    curves_image: str | None
    effects: list[EffectSection]
    pooling: PoolingComparisonInfo
    pooling_image: str | None
    confusion: ConfusionInfo | None
    samples: SampleGridInfo | None
    claims: ClaimsInfo | None
    claims_image: str | None
    best: tuple[str, int] | None
    generated: str
    datacheck: DataCheckInfo | None = None  # None: the sweep saved no data_check.json (older run directories)
    tuning: TuningInfo | None = None
    tuning_image: str | None = None
    live: LiveInfo | None = None  # the progress banner while the sweep runs (or was stopped); None once finished


def build_context(runs: SweepRuns, verdicts: list[ClaimRow] | None = None) -> ReportContext:
    """Compute every section's info record and render its figure.

    `verdicts` are the claims' rows, judged once (`write_report` passes the
    rows it writes to claims.csv); every section that speaks of a claim
    reads these, so no two sections can decide the same contrast apart.
    None judges them here, at the look the page may show (`claims.looks`):
    while a sweep runs, the last planned look it finished, or none yet.
    """
    if verdicts is None:
        look, verdicts = shown_verdicts(runs.records, runs.manifest)
    else:
        look = shown_look(runs.manifest)
    best = best_run(runs)
    curves = curves_info(runs)
    pooling = pooling_info(runs, verdicts or [])
    claims = claims_info(verdicts, claims_of(runs.manifest)) if verdicts is not None else None
    live = live_info(runs, look, read_progress(runs.run_dir))
    claims = _at_look(claims, runs, look, live.next_look if live else "")
    tuning = tuning_info(runs, verdicts)
    return ReportContext(
        header=header_info(runs),
        table=trials_table_info(runs, best),
        curves=curves,
        curves_image=curves_png(curves),
        effects=[EffectSection(info, effect_png(info)) for info in effects_info(runs)],
        pooling=pooling,
        pooling_image=pooling_png(pooling),
        confusion=confusion_info(runs, best),
        samples=sample_grid_info(runs, best),
        claims=claims,
        claims_image=claims_png(claims),
        best=best,
        generated=dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        datacheck=datacheck_info(runs.run_dir),
        tuning=tuning,
        tuning_image=tuning_png(tuning),
        live=live,
    )


def _at_look(claims: ClaimsInfo | None, runs: SweepRuns, look: Look | None, following: str) -> ClaimsInfo | None:
    """The claims section says which planned look it shows and when the next comes; before the first
    look it says only that (a sweep that requested claims has the section from its first page). `following`:
    when the next look comes, in words ("" once the sweep finished)."""
    if claims is None:
        if look is not None or not requested(runs.manifest):
            return None
        claims = ClaimsInfo(note="No verdict yet: the claims are judged only at the looks the sweep's design plans, "
                                 "so that watching this page cannot change their error rates.")
    if look is not None:
        claims.look = look.label()
    claims.next_look = following
    return claims


def environment() -> jinja2.Environment:
    """Jinja2 with autoescaping always on, whatever the template's file name."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("reports", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = format_number
    env.filters["signed"] = lambda v, digits=4: format_number(v, digits, sign=True)
    env.filters["count"] = lambda v: "–" if v is None else f"{int(v):,}"
    env.filters["seconds"] = duration
    env.filters["sortkey"] = sort_key
    env.filters["value"] = format_value
    return env


def render(context: ReportContext) -> str:
    return environment().get_template(TEMPLATE).render(r=context)


def write_report(run_dir: str | Path) -> Path:
    """Build `report.html` in the run directory from what is on disk; return its path.

    Raises SweepError when `run_dir` is not a run directory. The file is
    written atomically, so a browser refreshing during a sweep never sees
    half a page. A running sweep calls this as it goes (`search.sweep.live`).
    """
    runs = load_runs(run_dir)
    # once: claims.csv and every section read these rows, judged at the last planned look
    _, verdicts = shown_verdicts(runs.records, runs.manifest)
    if verdicts is not None:
        write_claims_csv(runs.run_dir, verdicts)
    else:  # before the first look there is no verdict, and an earlier session's would not be this one's
        (runs.run_dir / "claims.csv").unlink(missing_ok=True)
    html = render(build_context(runs, verdicts))
    path = runs.run_dir / REPORT_NAME
    atomic_write_text(path, html)
    return path


def format_number(value: Any, digits: int = 4, sign: bool = False) -> str:
    if value is None or isinstance(value, str):
        return "–" if value in (None, "") else value
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(number):
        return "–"
    return f"{number:+.{digits}f}" if sign else f"{number:.{digits}f}"


def format_value(value: Any) -> str:
    """A hyperparameter value as shown: floats to 4 significant digits, None as a dash."""
    if value is None:
        return "–"
    if isinstance(value, float) and not isinstance(value, bool):
        return f"{value:.4g}" if math.isfinite(value) else "–"
    return str(value)


def sort_key(value: Any) -> str:
    """The `data-v` attribute the table's sort script reads: a plain number or ''."""
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, (int, float)):
        return repr(float(value)) if math.isfinite(float(value)) else ""
    return str(value)
