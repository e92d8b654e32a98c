"""The rounds of seeds of one sweep run: a Keras Tuner project per round, its progress line, and whether another follows.

The decisions are pure functions in `search.sweep.rounds`; this is their
place in a running sweep, shared by the loop of one process
(`search.sweep.engine`) and the chief that serves workers
(`search.sweep.service`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from rundir.manifest import read_manifest
from rundir.records import RunDirectory
from search.models.own import is_own
from search.sweep.live import LivePage
from search.sweep.oracles import make_oracle
from search.sweep.prepare import Prepared
from search.sweep.progress import Progress
from search.sweep.rounds import Round, RoundLog, next_round, open_after, stop_reason
from search.sweep.seeds import Seeds
from search.sweep.space import search_space
from search.sweep.tuner import RunOptions, SweepTuner
from search.training import stop


def sweep_tuner(prepared: Prepared, records: RunDirectory, progress: Progress, project: str,
                options: RunOptions | None = None, worker: str = "main") -> SweepTuner:
    """A tuner over a fresh (or, on resume, reloaded) oracle of the sweep in Keras Tuner project `project`.

    A fresh copy of what is searched: for an article model only the sweep's
    own choices (the names its default build declared stay at their
    defaults); for the user's own model every knob its build declares.
    """
    sweep = prepared.sweep
    oracle = make_oracle(sweep, search_space(sweep, prepared.hypermodel), prepared.epochs,
                         tune_new_entries=is_own(prepared.hypermodel))
    return SweepTuner(oracle, prepared.hypermodel, sweep, prepared.data, records, progress, worker=worker,
                      project_name=project, options=options or RunOptions(), folds=prepared.folds,
                      left_out=prepared.left_out)


@dataclass
class SeedRounds:
    """The rounds of seeds of one sweep run (one round for a fixed seed count).

    Each round is a fresh grid walk in its own Keras Tuner project (`tuner/`
    for round 1, `tuner/round_<n>/` after it): the walk hands out the same
    configurations under the same trial ids, so a trial of round n finds its
    earlier seeds on disk and trains only the round's new ones, and each
    round's oracle keeps its own state for a resume. Whether a round follows
    is decided from the records on disk alone (`search.sweep.rounds`), so a rerun
    re-derives the same rounds.
    """

    prepared: Prepared
    records: RunDirectory
    progress: Progress
    log: RoundLog
    save_manifest: Callable[[str], None]
    options: RunOptions = RunOptions()
    page: LivePage | None = None  # the report kept current while the sweep runs, redrawn at each planned look

    @property
    def current(self) -> Round:
        return self.log.rounds[-1]

    def tuner(self) -> SweepTuner:
        """A tuner with a fresh (or, on resume, reloaded) grid oracle for the current round."""
        rnd = self.current
        project = "tuner" if rnd.number == 1 else f"tuner/round_{rnd.number}"
        tuner = sweep_tuner(self.prepared, self.records, self.progress, project, self.options)
        tuner.current_round = lambda: rnd
        again = tuner.requeue_incomplete()
        if again:
            self.progress.say(f"trial{'s' if len(again) > 1 else ''} {', '.join(again)}: runs missing on disk, "
                              f"trained again")
        return tuner

    def announce(self, done_runs: int = 0) -> None:
        """Progress counts restart with each round; a sweep with Seeds names it."""
        sweep, rnd = self.prepared.sweep, self.current
        planned = self.prepared.planned_trials
        rounds = isinstance(sweep.seeds, Seeds)
        expected = rnd.runs(planned, self.prepared.runs_per_seed) if planned or rnd.trials else None
        self.progress.start_round(f"round {rnd.number}" if rounds else "", expected or None, done_runs, rnd.number)
        if rounds:
            self.progress.say(rnd.label())

    def runs_on_disk(self) -> int:
        """Finished runs of the current round already on disk (a resume)."""
        rnd = self.current
        return sum(1 for r in self.records.read_runs()
                   if r.status in ("completed", "failed") and rnd.first_seed <= r.seed < rnd.seeds
                   and rnd.trains(r.trial_id))

    def advance(self) -> bool:
        """The current round is on disk: add the next one if a requested claim is still undecided."""
        stop.check()  # a safe point: a stop asked during the round's last run ends the sweep here
        sweep, done = self.prepared.sweep, self.current
        self.log.finished = len(self.log.rounds)
        undecided: list[str] = []
        trials: tuple[str, ...] | None = None
        if isinstance(sweep.seeds, Seeds) and sweep.claims:
            undecided, trials = open_after(done, self.records.read_runs(), read_manifest(self.records.root))
        following = next_round(sweep.seeds, done, undecided, trials)
        if following is None:
            self.log.stop = stop_reason(sweep.seeds, done, undecided, sweep.claim_ids)
            self.save_manifest("running")
            if isinstance(sweep.seeds, Seeds):
                self.progress.say(f"seeds: {self.log.stop}")
            return False
        self.log.rounds.append(following)
        self.save_manifest("running")
        if self.page is not None:
            self.page.round_ended()
        return True
