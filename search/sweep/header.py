"""The console's sweep header: what is about to run, in a dozen lines (also `--describe`)."""

from __future__ import annotations

from search.data.images import format_bytes
from search.models.articles import ArticleHyperModel
from search.models.own import is_own
from search.sweep.decidable import resolution_line
from search.sweep.prepare import Prepared
from search.sweep.rounds import describe_plan, first_round
from search.sweep.space import describe_space
from search.training import device
from search.training.fusion import sweep_choice


def describe(prepared: Prepared) -> str:
    s, d = prepared.sweep, prepared.data
    planned = prepared.planned_trials
    lines = [
        f"sweep      {s.name}" + (f": {s.description}" if s.description else ""),
        (f"data       {d.source}: {d.num_classes} classes, {len(d.y_train)} training / {len(d.y_val)} validation "
         f"images at {d.input_shape[0]}x{d.input_shape[1]}x{d.input_shape[2]}, "
         f"{format_bytes(d.x_train.nbytes + d.x_val.nbytes)} in memory (held once for every run)"
         if prepared.data_here else
         f"data       {d.source}: not on this machine; described from the sweep file, the model built for "
         f"2 classes at {d.input_shape[0]}x{d.input_shape[1]}x{d.input_shape[2]}"),
        *([f"left out   {len(prepared.left_out)} of the grid's {s.planned_trials()} configurations, which image size "
           f"{s.image_size} cannot hold (each named in a warning above); the claims pair only what is trained"]
          if prepared.left_out else []),
        *([f"folds      {prepared.folds.describe()}: {prepared.folds.k}x the runs and epochs of the fixed split "
           f"({planned * prepared.folds.k if planned else '?'} runs per seed instead of {planned or '?'})"]
          if prepared.folds is not None else []),
        f"model      {model_label(prepared.hypermodel)}, "
        f"{prepared.params:,} parameters with default hyperparameters",
        f"tuner      {s.tuner}, objective {s.objective}, "
        f"{planned if planned is not None else 'hyperband-scheduled'} trials x {describe_plan(s.seeds, s.claims)}"
        + (f" x {prepared.folds.k} folds" if prepared.folds is not None else "") + ", "
        f"up to {prepared.epochs} epoch{'' if prepared.epochs == 1 else 's'}"
        + (f", early stopping on {s.early_stopping.monitor} (min_delta {s.early_stopping.min_delta}, patience "
           f"{s.early_stopping.patience}; early_stopping=None turns it off)" if s.early_stopping and is_own(prepared.hypermodel)
           else f", early stopping on {s.early_stopping.monitor} (patience {s.early_stopping.patience})"
           if s.early_stopping else ", no early stopping")
        + (f", median stopping from epoch {s.median_stopping.after_epochs}" if s.median_stopping else ""),
        *_claims_lines(prepared),
        f"backend    {device.backend()} on {device.describe_device()}",
        *([f"seeds      {sweep_choice(s, prepared.hypermodel).line()}"] if first_round(s.seeds).seeds > 1 else []),
        *(prepared.cost.lines() if prepared.cost is not None else []),
        *_resolution_lines(prepared),
        "hyperparameters:" + (" (searched: your model's own ranges, as Keras Tuner searches them; space narrows or "
                              "fixes them)" if prepared.searched else ""),
        *describe_space(s, prepared.values, prepared.searched),
    ]
    return "\n".join(lines)


def _claims_lines(prepared: Prepared) -> list[str]:
    """The claims the sweep judges (yours marked), and the values they added to its space."""
    s = prepared.sweep
    if not s.claims:
        return []
    stated = {c.id for c in s.stated_claims}
    named = ", ".join(f"{c} (yours)" if c in stated else c for c in s.claim_ids)
    added = "; ".join(f"{k} {', '.join(repr(v) for v in vs)}" for k, vs in prepared.claim_values.items())
    return [f"judging    {named}: " + (f"added to the space for them: {added}" if added else
                                       "the space already has every value they compare")]


def _resolution_lines(prepared: Prepared) -> list[str]:
    """The header's word on claims the split cannot measure (`search.sweep.decidable`), with the data here."""
    if not prepared.data_here:
        return []
    d, folds = prepared.data, prepared.folds
    n_all = len(d.y_train) + len(d.y_val)
    line = resolution_line(prepared.sweep.claim_list(), folds.n if folds else len(d.y_val), n_all,
                           folds.k if folds else None, prepared.planned_trials)
    return [line] if line else []


def model_label(hypermodel: ArticleHyperModel) -> str:
    """'DigitsCNN (article demo)' or 'build_model (your own)'."""
    if is_own(hypermodel):
        return f"{hypermodel.model_name} (your own)"
    return f"{type(hypermodel).__name__} (article {hypermodel.article})"
