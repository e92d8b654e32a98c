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
from typing import Any, Iterable, Sequence

from rundir.records import RunRecord
from search.sweep.seeds import Seeds, seed_looks


@dataclass(frozen=True)
class Round:
    """One round: seeds `first_seed`..`seeds`-1 of every configuration."""

    number: int  # 1-based
    first_seed: int
    seeds: int  # the seed count every configuration has once this round is done
    because: tuple[str, ...] = ()  # the claims undecided after the previous round (none for round 1)
    trials: tuple[str, ...] | None = None  # the configurations this round trains; None: every one

    def label(self) -> str:
        """'round 2: seeds 3-4, because batch-size, pooling-texture are undecided'."""
        last = self.seeds - 1
        span = f"seed {last}" if last == self.first_seed else f"seeds {self.first_seed}-{last}"
        text = f"round {self.number}: {span}"
        if self.because:
            verb = "is" if len(self.because) == 1 else "are"
            text += f", because {', '.join(self.because)} {verb} undecided"
        if self.trials is not None:
            text += f"; only the {len(self.trials)} configuration(s) their open parts read"
        return text

    def trains(self, trial_id: str) -> bool:
        return self.trials is None or trial_id in self.trials

    def to_json(self, status: str) -> dict[str, Any]:
        data = {"round": self.number, "first_seed": self.first_seed, "seeds": self.seeds,
                "because": list(self.because), "status": status}
        if self.trials is not None:
            data["trials"] = list(self.trials)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Round:
        trials = data.get("trials")
        return cls(int(data["round"]), int(data["first_seed"]), int(data["seeds"]), tuple(data.get("because") or ()),
                   tuple(str(t) for t in trials) if trials is not None else None)


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


def runs_of_look(records: Iterable[RunRecord], seeds: int) -> list[RunRecord]:
    """The runs a look at `seeds` seeds may use: seeds 0..seeds-1 only."""
    return [r for r in records if r.seed < seeds]


def requested_undecided(rows: list, claims: Sequence[str]) -> list[str]:
    """The requested claims that more seeds could still change, in the order the sweep lists them."""
    from claims.verdicts import undecided

    open_ = set(undecided(rows))
    return [c for c in claims if c in open_]


def undecided_after(done: Round, records: Iterable[RunRecord], meta: dict[str, Any]) -> list[str]:
    """Judge the requested claims on the runs of seeds 0..done.seeds-1; those still undecided."""
    return open_after(done, records, meta)[0]


def open_after(done: Round, records: Iterable[RunRecord],
               meta: dict[str, Any]) -> tuple[list[str], tuple[str, ...] | None]:
    """The requested claims still undecided after `done`, and the configurations the next round trains:
    those their open parts read, or None when that is every configuration of the sweep."""
    from claims.verdicts import trials_feeding_undecided

    claims = list(meta.get("claims") or [])
    if not claims:
        return [], None
    runs = runs_of_look(records, done.seeds)
    open_claims, trials = trials_feeding_undecided(runs, meta)
    every = {r.trial_id for r in runs}
    return [c for c in claims if c in open_claims], None if trials >= every else tuple(sorted(trials))


def plan_json(plan: int | Seeds) -> int | dict[str, int]:
    """The plan as sweep.json keeps it: an int, or {"min", "max"}."""
    return {"min": plan.min, "max": plan.max} if isinstance(plan, Seeds) else int(plan)


def describe_plan(plan: int | Seeds, claims: Sequence[str]) -> str:
    """The seed plan in words, for the sweep's header."""
    if not isinstance(plan, Seeds):
        return f"{plan} seed(s)"
    if not claims:
        return f"{plan.min} seeds (Seeds(min={plan.min}, max={plan.max}) adds rounds only for undecided claims; " \
               "this sweep has none)"
    looks = ", ".join(str(n) for n in plan.looks())
    return f"{plan.min} to {plan.max} seeds in rounds (seed counts {looks}) while a requested claim is undecided"


def current_round(meta: dict[str, Any], plan: int | Seeds) -> Round:
    """The round a chief's sweep.json says is running (its last), for its workers."""
    rounds = meta.get("rounds") or []
    return Round.from_json(rounds[-1]) if rounds else first_round(plan)


@dataclass
class RoundLog:
    """The rounds run so far, as written into sweep.json."""

    rounds: list[Round]
    finished: int = 0  # rounds whose every run is on disk
    stop: str = ""  # why no further round is added ("" while one may be)

    @property
    def seeds_reached(self) -> int:
        return self.rounds[self.finished - 1].seeds if self.finished else 0

    def to_meta(self) -> dict[str, Any]:
        return {
            "rounds": [r.to_json("finished" if i < self.finished else "running") for i, r in enumerate(self.rounds)],
            "seeds_reached": self.seeds_reached,
            "seed_stop": self.stop,
        }
