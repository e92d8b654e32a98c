"""Seed rounds: which seeds each round of a sweep trains, and whether another round is needed.

A sweep with `seeds=Seeds(min, max)` runs its grid in rounds. Round 1
trains seeds 0..min-1 of every configuration; after each round the claims
are judged on the records on disk, and the next round (the next planned
look of `Seeds.looks()`) adds seeds only while some requested claim is
still undecided, and only to the configurations that an undecided part
reads (a targeted round: its `trials`). A part decided, or a claim decided
by one of its parts, costs no further runs. A fixed `seeds=N` is one round.

Everything here is a pure function of the plan and the records, so a
resumed sweep re-derives the same rounds from disk: the decision after
round r reads only the runs with seed < looks[r], whatever later seeds a
killed round r+1 already left behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from claims.looks import runs_of_look
from rundir.manifest import Manifest, Round, SeedPlan
from rundir.records import RunRecord
from search.sweep.seeds import Seeds, seed_looks

__all__ = ["Round", "RoundLog", "first_round", "next_round", "open_after", "runs_of_look", "seed_plan"]


def first_round(plan: int | Seeds) -> Round:
    return Round(1, 0, seed_looks(plan)[0])


def next_round(plan: int | Seeds, done: Round, undecided: Sequence[str],
               trials: Sequence[str] | None = None) -> Round | None:
    """The round after `done`, or None when no claim is undecided or the plan's last look is reached.
    `trials`: the configurations it trains (None: every one)."""
    looks = seed_looks(plan)
    if not undecided or done.number >= len(looks):
        return None
    return Round(done.number + 1, done.seeds, looks[done.number], tuple(undecided),
                 tuple(sorted(trials)) if trials is not None else None)


def stop_reason(plan: int | Seeds, done: Round, undecided: Sequence[str], claims: Sequence[str]) -> str:
    """Why no round follows `done`, in words (for sweep.json and the last progress line)."""
    if not isinstance(plan, Seeds):
        return f"a fixed count of {done.seeds} seeds"
    if not claims:
        return f"no claims requested, so Seeds runs its minimum of {done.seeds} seeds"
    if undecided:
        return f"reached the maximum of {done.seeds} seeds with {', '.join(undecided)} still undecided"
    return (f"after {done.seeds} seeds no requested claim is left that more seeds could decide "
            "(each is decided, not measurable on this data, or not tested)")


def requested_undecided(rows: list, claims: Sequence[str]) -> list[str]:
    """The requested claims that more seeds could still change, in the order the sweep lists them."""
    from claims.verdicts import undecided

    open_ = set(undecided(rows))
    return [c for c in claims if c in open_]


def undecided_after(done: Round, records: Iterable[RunRecord], manifest: Manifest) -> list[str]:
    """Judge the requested claims on the runs of seeds 0..done.seeds-1; those still undecided."""
    return open_after(done, records, manifest)[0]


def open_after(done: Round, records: Iterable[RunRecord],
               manifest: Manifest) -> tuple[list[str], tuple[str, ...] | None]:
    """The requested claims still undecided after `done`, and the configurations the next round trains:
    those their open parts read, or None when that is every configuration of the sweep."""
    from claims.verdicts import trials_feeding_undecided

    claims = list(manifest.claims or [])
    if not claims:
        return [], None
    runs = runs_of_look(records, done.seeds)
    open_claims, trials = trials_feeding_undecided(runs, manifest)
    every = {r.trial_id for r in runs}
    return [c for c in claims if c in open_claims], None if trials >= every else tuple(sorted(trials))


def seed_plan(plan: int | Seeds) -> SeedPlan:
    """The plan as the manifest keeps it, with its looks."""
    if isinstance(plan, Seeds):
        return SeedPlan(plan.min, plan.max, plan.looks(), in_rounds=True)
    return SeedPlan.fixed(int(plan))


def describe_plan(plan: int | Seeds, claims: Sequence[str]) -> str:
    """The seed plan in words, for the sweep's header."""
    if not isinstance(plan, Seeds):
        return f"{plan} seed(s)"
    if not claims:
        return f"{plan.min} seeds (Seeds(min={plan.min}, max={plan.max}) adds rounds only for undecided claims; " \
               "this sweep has none)"
    looks = ", ".join(str(n) for n in plan.looks())
    return f"{plan.min} to {plan.max} seeds in rounds (seed counts {looks}) while a requested claim is undecided"


def current_round(manifest: Manifest, plan: int | Seeds) -> Round:
    """The round a chief's sweep.json says is running (its last), for its workers."""
    return manifest.rounds[-1] if manifest.rounds else first_round(plan)


@dataclass
class RoundLog:
    """The rounds run so far, as written into sweep.json."""

    rounds: list[Round]
    finished: int = 0  # rounds whose every run is on disk
    stop: str = ""  # why no further round is added ("" while one may be)

    def into(self, manifest: Manifest) -> Manifest:
        """`manifest` with these rounds: which are finished, and why none follows."""
        return manifest.with_changes(rounds=tuple(self.rounds), rounds_finished=self.finished, seed_stop=self.stop)
