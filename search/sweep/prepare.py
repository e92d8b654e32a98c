"""Everything that can fail on bad input, before any training: `prepare` turns a Sweep into a Prepared one.

Data folder, unknown hyperparameters, an image size too small for the
model, an objective the model does not log: each surfaces in seconds as a
one-line error, not an hour in. It also builds the first configuration's
model once (its parameter count, the values every knob takes) and times a
few batches for the cost estimate.
"""

from __future__ import annotations

import difflib
import warnings
from dataclasses import dataclass, field, replace

import keras
import numpy as np

from rundir.errors import SweepError
from search.data.folds import FoldPlan, plan_folds
from search.data.sources import DataNotFound, ImageData
from search.models.articles import ArticleHyperModel
from search.models.own import OwnHyperModel, check_fits_data, is_article_model, is_own, model_name
from search.sweep.cost import Cost, estimate_wanted, sweep_counts
from search.sweep.feasible import LeftOut, left_out, warning_line
from search.sweep.schedule import schedule_claims
from search.sweep.probe import Probe, logged_metrics, probe_model
from search.sweep.space import build_ranges, default_model, search_space
from search.sweep.stated import check_stated_claims
from search.sweep.spec import Sweep
from search.training.one_run import training_arrays
from search.training.step_time import StepTime, dry_run


@dataclass
class Prepared:
    sweep: Sweep
    data: ImageData
    hypermodel: ArticleHyperModel
    values: dict  # every hyperparameter's value in the sweep's first trial
    article_defaults: dict  # the article model's own values
    params: int
    epochs: int
    folds: FoldPlan | None = None  # Sweep(folds=K): every image pooled, a partition per seed
    searched: dict[str, str] = field(default_factory=dict)  # your own model: knobs searched at the build's range
    data_here: bool = True  # False: --describe without the data (stand-in images)
    cost: Cost | None = None
    left_out: list[LeftOut] = field(default_factory=list)  # grid configurations the image size cannot hold
    claim_values: dict[str, list] = field(default_factory=dict)  # values the claims added to the space, by knob

    @property
    def planned_trials(self) -> int | None:
        """The configurations the sweep trains: the grid's, less those left out."""
        planned = self.sweep.planned_trials()
        return None if planned is None else planned - len(self.left_out)

    @property
    def runs_per_seed(self) -> int:
        """Runs of one configuration and seed: one, or one per fold."""
        return self.folds.k if self.folds is not None else 1


def prepare(sweep: Sweep, without_data: bool = False, estimate: bool | None = None) -> Prepared:
    """Everything that can fail on bad input, before any training. `without_data` (--describe):
    a data folder that is not here is described from the sweep file, on stand-in images.
    `estimate`: time a few batches for the cost estimate (None: unless SEARCH_NO_ESTIMATE=1, as in
    the test suite); a worker, whose chief printed it, passes False."""
    try:
        data, data_here = sweep.data.load(sweep.image_size, sweep.resize), True
    except DataNotFound:
        if not without_data:
            raise
        data, data_here = stand_in_data(sweep), False
    except MemoryError:  # the machine's, before any run: one line, and nothing was recorded
        raise SweepError(f"out of memory while loading the images of {sweep.data.describe()} at {sweep.image_size} "
                         "px: lower image_size, use fewer images, or free memory") from None
    given = sweep
    if is_article_model(sweep.hypermodel):
        hypermodel = sweep.hypermodel(data.input_shape, data.num_classes, label_mode=sweep.data.label_mode,
                                      **sweep.hypermodel_args)
        check_stated_claims(sweep, hypermodel, probe_model(hypermodel, sweep.precision) if sweep.stated_claims
                            else None)
        sweep = schedule_claims(sweep)
    else:
        hypermodel = OwnHyperModel(sweep.hypermodel, data.input_shape, data.num_classes, sweep.data.label_mode,
                                   sweep.hypermodel_args)
        probe = probe_model(hypermodel, sweep.precision) if sweep.claims else None
        check_stated_claims(sweep, hypermodel, probe)
        sweep = schedule_own_claims(sweep, probe)
    model, values, article_defaults = default_model(hypermodel, sweep)
    impossible = left_out(sweep, hypermodel, values)
    for item in impossible:
        warnings.warn(warning_line(item, sweep.image_size, model_name(hypermodel)), UserWarning, stacklevel=2)
    if is_own(hypermodel):
        check_fits_data(model, hypermodel.model_name, data.input_shape, data.num_classes)
    check_objective(sweep, model)
    params = int(model.count_params())
    searched = {name: words for name, words in build_ranges(search_space(sweep, hypermodel)).items()
                if name not in sweep.space} if is_own(hypermodel) else {}
    timing = estimate_wanted() if estimate is None else estimate
    steps = first_batches(model, hypermodel, data, batch_sizes(sweep, values), sweep.data.label_mode, timing)
    del model
    keras.backend.clear_session()
    folds = plan_folds(data, sweep.folds) if sweep.folds is not None and data_here else None
    prepared = Prepared(sweep, data, hypermodel, values, article_defaults, params, int(values["epochs"]), folds,
                        searched=searched, data_here=data_here, left_out=impossible,
                        claim_values=added_values(given.space, sweep.space))
    runs, epochs = sweep_counts(sweep, prepared.epochs, sweep.folds or 1, prepared.planned_trials)
    n_train, n_val = ((folds.n - folds.n // folds.k, folds.n // folds.k) if folds is not None
                      else (len(data.y_train), len(data.y_val)))
    prepared.cost = Cost(runs, epochs, steps, n_train if data_here else None, n_val if data_here else None)
    return prepared


def added_values(given: dict, scheduled: dict) -> dict[str, list]:
    """The values the claims' schedules added to each knob of the sweep's own space (the header says them)."""
    def listed(value) -> list:
        return list(value) if isinstance(value, (list, tuple)) else [] if value is None else [value]

    added = {k: [v for v in listed(scheduled[k]) if v not in listed(given.get(k))] for k in scheduled}
    return {k: v for k, v in added.items() if v}


def stand_in_data(sweep: Sweep) -> ImageData:
    """Blank images in the sweep's shape, two classes: enough to build the model and time a batch."""
    channels = 1 if getattr(sweep.data, "color_mode", "rgb") == "grayscale" else 3
    x = np.zeros((4, sweep.image_size, sweep.image_size, channels), dtype=np.uint8)
    y = np.array([0, 1, 0, 1], dtype=np.int32)
    return ImageData(x, y, x[:2], y[:2], ["class 0", "class 1"], f"{sweep.data.describe()}")


def batch_sizes(sweep: Sweep, values: dict) -> list[int]:
    """The batch sizes to time: each the sweep lists (the cost of an epoch depends on it most), or the first trial's."""
    listed = sweep.space.get("batch_size")
    if isinstance(listed, (list, tuple)) and all(isinstance(b, int) for b in listed):
        return sorted(set(listed))[:4]
    return [int(values.get("batch_size") or 32)]


def first_batches(model: keras.Model, hypermodel: ArticleHyperModel, data: ImageData, sizes: list[int],
                  label_mode: str, timing: bool) -> tuple[StepTime, ...]:
    """One batch of fit and evaluate on the first configuration (search.training.step_time):
    always for your own model, whose loss may not fit the labels; for an article model (whose
    loss follows label_mode) only to time the machine for the estimate (`timing`), at each batch size."""
    if not timing and not is_own(hypermodel):
        return ()
    arrays = training_arrays(data, label_mode)
    name = getattr(hypermodel, "model_name", type(hypermodel).__name__)
    steps = []
    for size in sizes if timing else sizes[:1]:
        try:
            steps.append(dry_run(model, arrays.x, arrays.y, size, steps=3 if timing else 0, name=name))
        except SweepError:
            raise
        except Exception as exc:  # not a mismatch we can explain: the runs will say it, one by one
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            warnings.warn(f"one batch of {name}'s first configuration at batch size {size} failed before the "
                          f"sweep ({type(exc).__name__}: {first[:200]}); the sweep goes on and records such runs "
                          "as failed")
            return ()
    return tuple(steps) if timing else ()


def schedule_own_claims(sweep: Sweep, probe: Probe | None) -> Sweep:
    """The claims' contrasts, for your own model: only on knobs it declares.

    A claim about the article's knobs (pooling, depth, learning rate) cannot
    be tested on a model that has none of them; it is left out of the space
    and its verdict reads "not tested: needs ...". batch-size can be tested,
    since the engine's fit declares `batch_size` for every model.
    """
    if probe is None:
        return sweep
    declared = probe.knobs
    stand_in = replace(sweep, hypermodel=OwnHyperModel)
    scheduled = schedule_claims(stand_in).space
    space = dict(sweep.space)
    space.update({k: v for k, v in scheduled.items() if k in declared})
    return replace(sweep, space=space)


def check_objective(sweep: Sweep, model: keras.Model) -> None:
    """The objective must be something each epoch logs, known before any training.

    A misspelt objective ("val_acc") would otherwise train the whole sweep
    and then find no value to score any run by.
    """
    logged = logged_metrics(model)
    for label, name in (("objective", sweep.objective),
                        ("early_stopping monitor", sweep.early_stopping.monitor if sweep.early_stopping else None)):
        if name is None or name in logged:
            continue
        close = difflib.get_close_matches(name, logged, n=1)
        raise SweepError(f"unknown {label} {name!r}; " + (f"did you mean {close[0]!r}? " if close else "")
                         + f"each epoch logs {', '.join(logged)}")
