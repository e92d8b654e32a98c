"""A reproduction scorecard: the article claims across several studies, side by side.

One study is one run directory (a sweep on one data set). Each claim the
studies requested becomes a row; each study a column with its data set,
model, image size, seeds and folds. A cell is that study's adjusted verdict
(the one to act on, see `claims.verdicts`) with its effect and interval.
The claims are judged again from the records on disk (`claims.verdicts.evaluate`),
as a report does, so every study is read with today's statistics whatever
version trained it; a study still running is read at its last planned look
(`claims.looks`), and one that has reached none yet says so.

`scorecard_info` is the typed record the tests assert on; `reports.plots.forest_png`
draws a claim's forest plot from it, and `write_scorecard` renders the page
and writes `scorecard.csv` beside it. `benchmarks/verdict_table.py` builds
the README's table from the same record.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path

from claims.catalogue import Claim
from claims.stats import CONTRADICTED, NOT_MEASURABLE, NOT_REQUESTED, NOT_TESTED, SUPPORTED
from claims.looks import shown_verdicts
from claims.verdicts import ClaimRow, claims_of, requested
from reports.header import header_info
from reports.runs import SweepRuns, load_runs
from rundir.files import atomic_write_text, to_csv

PAGE_NAME = "scorecard.html"
CSV_NAME = "scorecard.csv"
NO_LOOK_YET = "no verdict yet"  # a study still running, before its first planned look
UNTESTED = (NOT_TESTED, NOT_MEASURABLE, NOT_REQUESTED, NO_LOOK_YET)


@dataclass(frozen=True)
class StudyInfo:
    """One column: what a study ran, as its run directory says."""

    name: str  # the study's key on the page: the sweep's name, made unique
    run_dir: str
    data: str  # the data source
    model: str
    image_size: str
    seeds: int | None  # seeds reached
    folds: str  # "5 folds" or "fixed split"
    label: str = ""  # the column's heading: `name` unless the caller gives one (made unique too)


@dataclass(frozen=True)
class ScoreCell:
    """One study's answer to one claim."""

    study: str
    verdict: str  # adjusted: the one to act on
    unadjusted: str
    effect: float | None
    ci_low: float | None
    ci_high: float | None
    metric: str
    margin: float | None
    seeds: int | None
    runs: int | None
    seeds_needed: int | None
    decided_by: str
    note: str
    tuned: str = ""  # each side at its own best settings (`claims.tuned`), where the study varied nuisance knobs
    tuned_effect: float | None = None
    tuned_ci_low: float | None = None
    tuned_ci_high: float | None = None
    why: str = ""  # "not measurable": why, in a few words, shown instead of the numbers
    direction: str = ""  # the adjusted answers (claims.stats.Answer): supported / contradicted / undecided
    size: str = ""  # ... and against the margin
    headline: str = ""  # the two in words: "supported, but smaller than the margin"

    @property
    def tested(self) -> bool:
        return self.verdict not in UNTESTED and self.verdict != ""


@dataclass
class ClaimScore:
    """One row: an article claim and every study's cell."""

    claim: str
    sentence: str  # the article's own words, with its number where it gives one
    source: str  # which article(s)
    reference: float | None  # the article's number, for claims about a value (hollywood-baseline)
    cells: list[ScoreCell]
    holds: int = 0  # studies whose adjusted verdict is "supported"
    fails: int = 0  # ... "contradicted"
    tested: int = 0  # studies that could test it at all

    @property
    def summary(self) -> str:
        """"holds on k of n studies", in words, with what the others said."""
        if not self.tested:
            return f"not tested by any of the {len(self.cells)} studies"
        rest = []
        if self.fails:
            rest.append(f"contradicted on {self.fails}")
        undecided = self.tested - self.holds - self.fails
        if undecided:
            rest.append(f"undecided on {undecided}")
        untested = len(self.cells) - self.tested
        if untested:
            rest.append(f"not tested on {untested}")
        tail = f" ({', '.join(rest)})" if rest else ""
        return f"holds on {self.holds} of {self.tested} studies that tested it{tail}"


@dataclass
class ScorecardInfo:
    studies: list[StudyInfo]
    claims: list[ClaimScore] = field(default_factory=list)
    generated: str = ""

    @property
    def labels(self) -> dict[str, str]:
        return {s.name: s.label for s in self.studies}


def study_info(run_dir: Path, runs, label: str = "") -> StudyInfo:
    header = header_info(runs)
    manifest = runs.manifest
    fixed = manifest.seeds.min if manifest.seeds and not manifest.seeds.in_rounds else None
    name = manifest.name or run_dir.name
    return StudyInfo(
        name=name, run_dir=str(run_dir), data=header.data_source, model=header.model_name,
        image_size=header.image_size, seeds=manifest.seeds_reached or fixed,
        folds=f"{manifest.folds.k} folds" if manifest.folds else "fixed split", label=label or name)


def _unique(studies: list[StudyInfo]) -> list[StudyInfo]:
    """Studies whose names or labels repeat, renamed "name (folder)", then "name (2)": every column told apart."""
    out = list(studies)
    for key in ("name", "label"):
        values = [getattr(s, key) for s in out]
        for i, s in enumerate(out):
            if values.count(values[i]) > 1:
                out[i] = replace(s, **{key: f"{values[i]} ({Path(s.run_dir).name})"})
        seen: dict[str, int] = {}
        for i, s in enumerate(out):
            value = getattr(s, key)
            seen[value] = seen.get(value, 0) + 1
            if seen[value] > 1:
                out[i] = replace(s, **{key: f"{value} ({seen[value]})"})
    return out


def _cell(study: str, row: ClaimRow) -> ScoreCell:
    return ScoreCell(study=study, verdict=row.final, unadjusted=row.verdict, effect=row.effect, ci_low=row.ci_low,
                     ci_high=row.ci_high, metric=row.metric, margin=row.margin, seeds=row.seeds, runs=row.runs,
                     seeds_needed=row.seeds_needed, decided_by=row.decided_by, note=row.note,
                     tuned=row.tuned_verdict, tuned_effect=row.tuned_effect, tuned_ci_low=row.tuned_ci_low,
                     tuned_ci_high=row.tuned_ci_high, why=row.why_unmeasurable, direction=row.direction,
                     size=row.size, headline=row.headline)


def scorecard_info(run_dirs: list[Path], labels: list[str] | None = None,
                   loaded: list[SweepRuns] | None = None) -> ScorecardInfo:
    """Judge every study's claims from its records and line them up by claim.

    A claim becomes a row if at least one study requested it; a study that
    did not request it shows "not requested" there. Raises SweepError when
    a path is not a run directory. A study is named by its sweep's `name`;
    two studies of one name (the same sweep file on two data sets, say) are
    told apart by their folders, and failing that by a number. `loaded`: the run directories already
    read (`reports.runs.load_runs`), in the same order, so a caller that read them does not read them again."""
    labels = labels or [""] * len(run_dirs)
    studies, verdicts, asked_by = [], [], []  # per study: its rows by claim, and the claims it asked for
    known: dict[str, Claim] = {}  # the article claims, then each study's own (one row per id across studies)
    for i, (path, label) in enumerate(zip(run_dirs, labels)):
        runs = loaded[i] if loaded is not None else load_runs(path)
        studies.append(study_info(Path(path), runs, label))
        _, rows = shown_verdicts(runs.records, runs.manifest)  # None: no planned look yet
        verdicts.append({row.claim: row for row in rows or []})
        asked_by.append(requested(runs.manifest) if rows is None else
                        {row.claim for row in rows if row.verdict != NOT_REQUESTED})
        for claim in claims_of(runs.manifest):
            known.setdefault(claim.id, claim)
    studies = _unique(studies)
    claims = []
    for claim_id in [c for c in known if any(c in asked for asked in asked_by)]:
        claim = known[claim_id]
        cells = []
        for study, rows, asked in zip(studies, verdicts, asked_by):
            row = rows.get(claim_id)
            waiting = NO_LOOK_YET if claim_id in asked else NOT_REQUESTED
            cells.append(_cell(study.name, row) if row is not None else
                         ScoreCell(study.name, waiting, waiting, None, None, None, "", None, None, None, None, "", ""))
        score = ClaimScore(claim_id, claim.sentence, claim.source, claim.reference, cells)
        score.holds = sum(c.verdict == SUPPORTED for c in cells)
        score.fails = sum(c.verdict == CONTRADICTED for c in cells)
        score.tested = sum(c.tested for c in cells)
        claims.append(score)
    return ScorecardInfo(studies, claims, dt.datetime.now().astimezone().isoformat(timespec="seconds"))


CSV_COLUMNS = ["claim", "study", "data", "model", "image_size", "folds", "verdict", "direction", "size", "headline",
               "unadjusted", "effect", "ci_low",
               "ci_high", "metric", "margin", "seeds", "runs", "seeds_needed", "decided_by", "tuned_verdict", "tuned_effect",
               "tuned_ci_low", "tuned_ci_high", "summary"]


def scorecard_rows(info: ScorecardInfo) -> list[dict]:
    """scorecard.csv: one row per claim and study."""
    by_name = {s.name: s for s in info.studies}
    out = []
    for claim in info.claims:
        for cell in claim.cells:
            study = by_name[cell.study]
            out.append({"claim": claim.claim, "study": study.label, "data": study.data, "model": study.model,
                        "image_size": study.image_size, "folds": study.folds, "verdict": cell.verdict,
                        "direction": cell.direction, "size": cell.size, "headline": cell.headline or cell.verdict,
                        "unadjusted": cell.unadjusted, "effect": cell.effect, "ci_low": cell.ci_low,
                        "ci_high": cell.ci_high, "metric": cell.metric, "margin": cell.margin, "seeds": cell.seeds,
                        "runs": cell.runs, "seeds_needed": cell.seeds_needed, "decided_by": cell.decided_by,
                        "tuned_verdict": cell.tuned, "tuned_effect": cell.tuned_effect,
                        "tuned_ci_low": cell.tuned_ci_low, "tuned_ci_high": cell.tuned_ci_high,
                        "summary": claim.summary})
    return out


def write_scorecard(run_dirs: list[Path], out: Path, labels: list[str] | None = None) -> Path:
    """Write the scorecard page to `out` (and scorecard.csv beside it); return the page's path."""
    from reports.html import environment
    from reports.plots import forest_png

    info = scorecard_info(run_dirs, labels)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out.parent / CSV_NAME, to_csv(scorecard_rows(info), CSV_COLUMNS))
    images = {c.claim: forest_png(c, info.studies) for c in info.claims}
    html = environment().get_template("scorecard.html.j2").render(s=info, images=images)
    atomic_write_text(out, html)
    return out
