"""Which look at the claims a page may show: the last one the design plans that the sweep has finished.

A sequential design keeps its error rates only if verdicts are read at its
planned looks: the end of a round of seeds under `seeds="auto"`, the end of
the sweep for a fixed seed count. A sweep that is still running (or was
stopped) has records of a round half done, and judging those would be a
look the design never planned. So every place that shows a verdict (the
report, claims.csv, `load_claims`, the scorecard) asks here which runs it
may judge: while a sweep runs, those of the last finished round; once it
has finished, every run. Watching a sweep this way never changes what it
does: the engine decides its rounds from the same `runs_of_look`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from claims.verdicts import ClaimRow, evaluate
from rundir.manifest import Manifest, Round, seed_span
from rundir.records import RunRecord

UNFINISHED = ("running", "interrupted")  # sweep.json statuses whose records may hold a round half done


@dataclass(frozen=True)
class Look:
    """A planned look: the end of round `round`, judging the runs of seeds 0..`seeds`-1."""

    round: int
    seeds: int | None  # None: every run on disk (the sweep finished)

    @property
    def final(self) -> bool:
        return self.seeds is None

    def label(self) -> str:
        """'after round 2 of the plan (seeds 0-4)'; '' for the finished sweep's own look."""
        if self.final:
            return ""
        return f"after round {self.round} of the plan ({seed_span(0, self.seeds)})"


def shown_look(manifest: Manifest) -> Look | None:
    """The look a page may show for this sweep.json; None while no planned look has come."""
    rounds = manifest.planned_rounds()
    if manifest.status not in UNFINISHED:
        return Look(len(rounds), None)
    if not manifest.rounds_finished:
        return None
    return Look(manifest.rounds_finished, manifest.seeds_reached)


def next_round(manifest: Manifest) -> Round | None:
    """The round whose end is the next look (the one running), or None when the sweep has finished."""
    if manifest.status not in UNFINISHED:
        return None
    rounds = manifest.planned_rounds()
    return rounds[manifest.rounds_finished] if manifest.rounds_finished < len(rounds) else None


def runs_of_look(records: Iterable[RunRecord], seeds: int | None) -> list[RunRecord]:
    """The runs a look at `seeds` seeds may use: seeds 0..seeds-1 only (None: every run)."""
    return [r for r in records if seeds is None or r.seed < seeds]


def shown_runs(records: Iterable[RunRecord], manifest: Manifest) -> tuple[Look | None, list[RunRecord]]:
    """The look a page may show and the runs it judges: none before the first planned look."""
    look = shown_look(manifest)
    return look, ([] if look is None else runs_of_look(records, look.seeds))


def shown_verdicts(records: Iterable[RunRecord], manifest: Manifest) -> tuple[Look | None, list[ClaimRow] | None]:
    """The look a page may show and the claims' rows judged at it; (None, None) before the first planned look."""
    look, runs = shown_runs(records, manifest)
    return look, (None if look is None else evaluate(runs, manifest))
