"""Turn a sweep's `space` into Keras Tuner hyperparameters, and check names.

The sweep's choices are registered before the HyperModel's `build` runs, so
when `build` declares `hp.Choice("pooling_1", ...)` it gets the sweep's
restricted choice; every hyperparameter the sweep does not name is fixed at
its article default (`tune_new_entries=False` on the oracle).
"""

from __future__ import annotations

import difflib

import keras
import keras_tuner

from rundir.errors import SweepError
from search.models.articles import ArticleCNN, ArticleHyperModel
from search.sweep.spec import Range, Sweep


def declare_space(sweep: Sweep) -> keras_tuner.HyperParameters:
    hp = keras_tuner.HyperParameters()
    for name, value in sweep.space.items():
        if isinstance(value, Range):
            if value.is_int:
                hp.Int(name, value.low, value.high, step=value.step, sampling="log" if value.log else "linear")
            else:
                hp.Float(name, value.low, value.high, step=value.step, sampling="log" if value.log else "linear")
        elif isinstance(value, (list, tuple)):
            values = list(value)
            kinds = {type(v) for v in values}
            if len(kinds) > 1 and kinds != {int, float}:
                raise SweepError(f"search space for {name!r} mixes types {sorted(k.__name__ for k in kinds)}")
            if kinds == {int, float}:
                values = [float(v) for v in values]
            if len(values) == 1:
                hp.Fixed(name, values[0])
            else:
                hp.Choice(name, values)
        else:
            hp.Fixed(name, value)
    if sweep.epochs is not None and "epochs" not in sweep.space:
        hp.Fixed("epochs", sweep.epochs)
    return hp


def known_names(hypermodel: ArticleHyperModel, declared: keras_tuner.HyperParameters) -> set[str]:
    """Every hyperparameter name the model can declare, at any depth."""
    names = set(declared.values)
    if isinstance(hypermodel, ArticleCNN):
        names |= {f"pooling_{i}" for i in range(1, len(hypermodel.blocks) + hypermodel.extra_blocks + 1)}
    return names


def check_names(sweep: Sweep, hypermodel: ArticleHyperModel, declared: keras_tuner.HyperParameters) -> None:
    known = known_names(hypermodel, declared)
    for name in sweep.space:
        if name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(sorted(known))}"
            raise SweepError(f"unknown hyperparameter {name!r} for {type(hypermodel).__name__} ({hint})")


def default_model(hypermodel: ArticleHyperModel, sweep: Sweep) -> tuple[keras.Model, dict, dict]:
    """Build the article model (all defaults), check the sweep's names
    against what it declares, and return it with the values a first trial
    of the sweep would use.

    Runs before any training, so a typo or a too-small image size fails fast.
    """
    defaults = keras_tuner.HyperParameters()
    model = hypermodel.build(defaults)
    check_names(sweep, hypermodel, defaults)
    return model, {**defaults.values, **declare_space(sweep).values}, dict(defaults.values)


def describe_space(sweep: Sweep, values: dict) -> list[str]:
    """One line per hyperparameter: tuned values, or the fixed value used."""
    lines = []
    for name, value in values.items():
        if name in sweep.space and isinstance(sweep.space[name], (list, tuple)) and len(sweep.space[name]) > 1:
            lines.append(f"  {name:<16} tuned   {list(sweep.space[name])}")
        elif name in sweep.space and isinstance(sweep.space[name], Range):
            r = sweep.space[name]
            lines.append(f"  {name:<16} tuned   {r.low}..{r.high}" + (f" step {r.step}" if r.step else "")
                         + (" (log)" if r.log else ""))
        else:
            lines.append(f"  {name:<16} fixed   {value!r}")
    return lines
