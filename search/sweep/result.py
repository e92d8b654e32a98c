"""What a finished sweep gives back, read the way a Keras Tuner user reads a tuner.

`results_summary(n)`, `get_best_hyperparameters(n)` and `get_best_models(n)`
answer as `keras_tuner.Tuner`'s methods do, with one difference that is the
point of this project: a configuration is trained with several seeds, so it is
ranked by its mean over them (`rundir.ranking`), and the summary shows the
spread. The best model is the best configuration's best run.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import keras_tuner

from rundir.errors import SweepError
from rundir.ranking import TrialRank, best_run, rank_trials
from rundir.records import RunRecord
from rundir.manifest import objective_mode
from search.training.callbacks import EpochLog
from search.sweep.best_model import BEST_MODEL, BEST_MODEL_INFO
from search.training import one_run


@dataclass(repr=False)
class SweepResult:
    """What a finished sweep left: its run directory, every run record, the report.

    In a notebook a result shows itself (`_repr_html_`) as the claims' verdicts
    and the best configuration, as pandas and Keras Tuner objects do; `repr` is
    one line."""

    run_dir: Path
    records: list[RunRecord]
    report: Path | None = None  # None with --no-report
    objective: str = "val_accuracy"
    prepared: Any = None  # the engine's Prepared: lets get_best_models train a run again
    _claims: Any = field(default=None, init=False)  # the verdicts' frame, judged once (the records are final)

    def claims(self):
        """The verdicts on the sweep's claims, article and yours alike, as a pandas DataFrame
        (`search.load_claims`): one row per requested claim, with the averaged and tuned answers."""
        if self._claims is None:  # judged from the records already in memory, not read from disk again
            from claims.frame import claims_frame
            from claims.looks import shown_verdicts
            from rundir.manifest import read_manifest

            _, rows = shown_verdicts(self.records, read_manifest(self.run_dir))  # at the look a report shows
            self._claims = claims_frame(rows or [])
        return self._claims.copy()

    def __repr__(self) -> str:
        done = sum(r.status == "completed" for r in self.records)
        failed = sum(r.status == "failed" for r in self.records)
        best = self.ranking()[:1]
        text = f"SweepResult({str(self.run_dir)!r}: {len(self.records)} runs ({done} completed, {failed} failed)"
        if best:
            text += f"; best trial {best[0].trial_id}, {self.objective} {best[0].mean:.4f} over its seeds"
        frame = self.claims()
        if len(frame):
            counts = frame["verdict"].value_counts()
            text += "; claims: " + ", ".join(f"{n} {verdict}" for verdict, n in counts.items())
        return text + ")"

    def _repr_html_(self) -> str:
        """The claims table and the best configuration, for a notebook cell."""
        from html import escape

        frame = self.claims()
        parts = [f"<p><b>Sweep</b> <code>{escape(str(self.run_dir))}</code>: {len(self.records)} runs"
                 + (f"; report <code>{escape(str(self.report))}</code>" if self.report else "") + "</p>"]
        if len(frame):
            shown = frame[["claim", "yours", "headline", "effect", "ci_low", "ci_high", "metric", "margin", "seeds",
                           "tuned_verdict"]].fillna({"tuned_verdict": "–"})
            signed = lambda x: "–" if x is None or x != x else f"{x:+.4g}"  # noqa: E731  (NaN: not measured)
            parts.append("<p><b>Claims</b> (the adjusted verdict: act on this)</p>"
                         + shown.to_html(index=False, na_rep="–", formatters={
                             "effect": signed, "ci_low": signed, "ci_high": signed,
                             "margin": lambda x: "–" if x != x else f"{x:g}"}))
        ranks = self.ranking()
        if ranks:
            best = ranks[0]
            rows = "".join(f"<tr><td>{escape(k)}</td><td>{escape(repr(v))}</td></tr>"
                           for k, v in best.hyperparameters.items())
            parts.append(f"<p><b>Best configuration</b>: trial {escape(best.trial_id)}, {escape(self.objective)} "
                         f"{best.mean:.4f} (mean over {best.runs} runs)</p><table>{rows}</table>")
        return "\n".join(parts)

    @property
    def all_failed(self) -> bool:
        return bool(self.records) and all(r.status == "failed" for r in self.records)

    def ranking(self) -> list[TrialRank]:
        return rank_trials(self.records, self.objective)

    @property
    def best_trial_id(self) -> str | None:
        """The configuration with the best mean score over its completed seeds
        (what Keras Tuner scores a trial by here), first in trial order on a tie."""
        ranks = self.ranking()
        return ranks[0].trial_id if ranks else None

    @property
    def best_hyperparameters(self) -> dict:
        """The best configuration's hyperparameters, as its model used them
        (knobs the model does not have and Keras Tuner's `tuner/` bookkeeping left out)."""
        ranks = self.ranking()
        return dict(ranks[0].hyperparameters) if ranks else {}

    @property
    def best_run(self) -> RunRecord | None:
        """The best configuration's best run: the one best_model.keras holds."""
        best = self.best_trial_id
        return best_run(self.records, best, self.objective) if best is not None else None

    @property
    def best_model_path(self) -> Path | None:
        """RUN_DIR/best_model.keras: the best configuration's best run at its best epoch, when
        save_best_model was on (None if the file is of another run: see `saved_run_is_best`)."""
        path = self.run_dir / BEST_MODEL
        return path if path.exists() and self.saved_run_is_best() else None

    def saved_run_is_best(self) -> bool:
        """Whether best_model.keras is the best configuration's best run (it can be an older best's
        when that run was trained in an earlier session or round than the configuration's others)."""
        info = self.run_dir / BEST_MODEL_INFO
        run = self.best_run
        if run is None or not info.exists():
            return False
        saved = json.loads(info.read_text())
        return (str(saved.get("trial_id")), saved.get("seed"), saved.get("fold")) == (str(run.trial_id), run.seed,
                                                                                      run.fold)

    def results(self):
        """Every run as a pandas DataFrame (the columns of trials.csv)."""
        from rundir.records import load_results

        return load_results(self.run_dir)

    def get_best_hyperparameters(self, num_trials: int = 1) -> list[keras_tuner.HyperParameters]:
        """The `num_trials` best configurations, best first, as Keras Tuner HyperParameters
        (`.values`, `.get(name)`, and `build_model(hp)` builds the model)."""
        out = []
        for rank in self.ranking()[:num_trials]:
            hp = keras_tuner.HyperParameters()
            for name, value in rank.hyperparameters.items():
                hp.Fixed(name, value)
            out.append(hp)
        return out

    def get_best_models(self, num_models: int = 1) -> list[keras.Model]:
        """The best run of each of the `num_models` best configurations, at its best epoch.

        The first is loaded from best_model.keras when the sweep saved it; the
        others are trained again from their seed (same seed, data order and
        epochs as the record, so about a run's time each), which needs the
        result `run_sweep` returned in this session."""
        models = []
        for rank in self.ranking()[:num_models]:
            run = best_run(self.records, rank.trial_id, self.objective)
            if not models and self.best_model_path is not None:
                models.append(keras.models.load_model(self.best_model_path))
                continue
            if self.prepared is None:
                raise SweepError("get_best_models trains the runs it has no saved model of again, which needs the "
                                 "sweep: use the result run_sweep returned (or run with save_best_model=True)")
            models.append(train_again(self.prepared, run))
        return models

    def results_summary(self, num_trials: int = 10, file=None) -> str:
        """The best configurations, best first, with the mean and spread of the objective over
        their seeds (as Keras Tuner's results_summary, which shows one score per trial)."""
        ranks = self.ranking()
        lines = [f"Results summary: {self.run_dir}",
                 f"Showing {min(num_trials, len(ranks))} best of {len(ranks)} configurations, "
                 f"objective {self.objective} ({objective_mode(self.objective)}), mean over seeds"]
        for place, rank in enumerate(ranks[:num_trials], 1):
            spread = f" (sd {rank.sd:.4f}" if not math.isnan(rank.sd) else " (one run"
            failed = f", {rank.failed} failed" if rank.failed else ""
            lines.append("")
            lines.append(f"#{place} trial {rank.trial_id}: {self.objective} {rank.mean:.4f}{spread}, "
                         f"{rank.runs} run{'s' if rank.runs != 1 else ''}{failed})")
            for name, value in rank.hyperparameters.items():
                lines.append(f"  {name}: {value!r}")
        text = "\n".join(lines)
        print(text, file=file)
        return text


def train_again(prepared: Any, run: RunRecord) -> keras.Model:
    """Train one recorded run again, as the sweep trained it: its configuration, seed (initial
    weights, dropout, data order), fold, epochs and early stopping; the best epoch's weights."""
    hp = keras_tuner.HyperParameters()
    for name, value in run.hyperparameters.items():
        if value is not None:
            hp.Fixed(name, value)
    sweep, hypermodel = prepared.sweep, prepared.hypermodel
    data = prepared.data if run.fold is None else prepared.folds.fold(run.seed, run.fold)
    model = one_run.build(hypermodel, hp, run.seed, sweep.precision)
    calls = one_run.RunCallbacks(EpochLog(sweep.objective), one_run.early_stopping(sweep.early_stopping))
    one_run.fit(hypermodel, hp, model, one_run.training_arrays(data, hypermodel.label_mode), run.seed, calls,
                safe_stop=False)
    return one_run.best_epoch_weights(model, calls.log)
