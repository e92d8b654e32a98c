"""Turn a sweep's `space` into Keras Tuner hyperparameters, and check names.

The sweep's choices are registered before the HyperModel's `build` runs, so
when `build` declares `hp.Choice("pooling_1", ...)` it gets the sweep's
restricted choice. What happens to the hyperparameters the sweep does not
name depends on whose model it is:

- an article model keeps its article default (`tune_new_entries=False` on
  the oracle): a sweep file lists only what it varies;
- your own model is searched over the ranges its build declares, as Keras
  Tuner would search it (`search_space`); `space` narrows or fixes them.
"""

from __future__ import annotations

import difflib
import math
import re
from typing import Any

import keras
import keras_tuner

from rundir.errors import SweepError
from search.models.articles import POOLING_CHOICES, ArticleCNN, ArticleHyperModel
from search.models.own import is_own
from search.sweep.spec import Range, Sweep

POSITIVE_INTEGERS = ("batch_size", "epochs", "decay_steps", "conv_blocks", "dense_units")


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
            elif kinds == {bool}:  # Keras Tuner's Choice would turn True/False into 1/0
                hp.Boolean(name, default=values[0])
            else:
                hp.Choice(name, values)
        else:
            hp.Fixed(name, value)
    if sweep.epochs is not None and "epochs" not in sweep.space:
        hp.Fixed("epochs", sweep.epochs)
    return hp


def search_space(sweep: Sweep, hypermodel: ArticleHyperModel) -> keras_tuner.HyperParameters:
    """What the oracle searches: the sweep's `space`, and for your own model every other
    hyperparameter its build declares, at the build's own range (`is_searched`)."""
    hp = declare_space(sweep)
    if is_own(hypermodel):
        hypermodel.build(hp)  # registers the build's declarations after the sweep's, which win
        keras.backend.clear_session()
        check_grid(sweep, hypermodel, hp)
    return hp


def is_searched(parameter: Any) -> bool:
    """A build's own declaration that the oracle varies (not a Fixed, not a one-value Choice)."""
    kind = type(parameter).__name__
    if kind == "Fixed":
        return False
    if kind == "Choice":
        return len(parameter.values) > 1
    return True


def check_grid(sweep: Sweep, hypermodel: ArticleHyperModel, hp: keras_tuner.HyperParameters) -> None:
    """A grid cannot list a build's continuous hp.Float: one line saying what to add, before any training."""
    if sweep.tuner != "grid":
        return
    for parameter in hp.space:
        if parameter.name in sweep.space or type(parameter).__name__ != "Float" or parameter.step is not None:
            continue
        raise SweepError(
            f"grid search cannot list the values of {hypermodel.model_name}'s "
            f"hp.Float({parameter.name!r}, {parameter.min_value}, {parameter.max_value}) (no step): give it "
            f"step=..., list its values in space={{{parameter.name!r}: [...]}}, or use tuner=\"random\"")


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


def check_values(sweep: Sweep, hypermodel: Any, declared: keras_tuner.HyperParameters) -> None:
    """Every value the sweep gives a knob must be one the model accepts, checked before any training.

    A misspelt pooling kind ("maxx") used to build no pooling layer and train
    under the wrong name, and `batch_size: ["sixteen"]` failed every run after
    training began. The model's own declarations say what kind of value each
    knob takes: a Choice of words its words (pooling, model, weights), an Int
    whole numbers, a Float numbers; sizes and counts must be positive, and a
    few rates have limits of their own (`value_problem`).
    """
    by_name = {p.name: p for p in declared.space}
    model = getattr(hypermodel, "model_name", None) or type(hypermodel).__name__
    for name, spec in sweep.space.items():
        values = [spec.low, spec.high] if isinstance(spec, Range) else list(spec) if isinstance(spec, (list, tuple)) \
            else [spec]
        for value in values:
            problem = value_problem(name, value, by_name.get(name))
            if problem:
                raise SweepError(f"space[{name!r}] = {value!r} is not a value {model} accepts: {problem}")


LIMITS = {  # numeric knobs whose values Keras itself would refuse, or that mean nothing
    "dropout": (lambda v: 0 <= v < 1, "dropout takes rates from 0 up to (not including) 1"),
    "learning_rate": (lambda v: v > 0, "learning_rate must be above 0"),
    "decay_rate": (lambda v: v > 0, "decay_rate must be above 0"),
}


def value_problem(name: str, value: Any, declared: Any) -> str:
    """What is wrong with one value of a knob ("" when nothing). `declared` is the model's own
    hyperparameter of that name (a Keras Tuner Choice, Int, Float or Boolean), or None.

    A model's declared numeric range is not a limit (the sweep's own range
    wins, and a deliberately tiny learning rate is a fair experiment); the
    kind of value is, and so are the `LIMITS` and positive counts and sizes."""
    kind = type(declared).__name__ if declared is not None else ""
    words = POOLING_CHOICES if re.fullmatch(r"pooling_\d+", name) else \
        list(declared.values) if kind == "Choice" and all(isinstance(v, str) for v in declared.values) else None
    if words is not None:
        if value in words:
            return ""
        close = difflib.get_close_matches(str(value), words, n=1)
        return f"{name} takes {', '.join(repr(w) for w in words)}" + (f"; did you mean {close[0]!r}?" if close else "")
    if kind == "Boolean":
        return "" if isinstance(value, bool) else f"{name} takes True or False"
    number = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if name in POSITIVE_INTEGERS or kind == "Int":
        if not number or not float(value).is_integer():
            return f"{name} takes whole numbers" + (f", like {declared.default!r}" if declared is not None else "")
        if name in POSITIVE_INTEGERS and value < 1:
            return f"{name} must be at least 1"
    if (kind == "Float" or name in LIMITS) and not number:
        return f"{name} takes numbers" + (f", like {declared.default!r}" if declared is not None else "")
    if name in LIMITS and not LIMITS[name][0](value):
        return LIMITS[name][1]
    return ""


def default_model(hypermodel: ArticleHyperModel, sweep: Sweep) -> tuple[keras.Model, dict, dict]:
    """Build the article model (all defaults), check the sweep's names
    against what it declares, and return it with the values a first trial
    of the sweep would use.

    Runs before any training, so a typo or a too-small image size fails fast.
    """
    defaults = keras_tuner.HyperParameters()
    model = hypermodel.build(defaults)
    check_names(sweep, hypermodel, defaults)
    check_values(sweep, hypermodel, defaults)
    return model, {**defaults.values, **declare_space(sweep).values}, dict(defaults.values)


def describe_space(sweep: Sweep, values: dict, searched: dict[str, str] | None = None) -> list[str]:
    """One line per hyperparameter: tuned (the sweep's values), searched (the build's range,
    your own model only), or the fixed value used."""
    lines = []
    searched = searched or {}
    for name, value in values.items():
        if name in searched and name not in sweep.space:
            lines.append(f"  {name:<16} searched {searched[name]} (the build's range)")
        elif name in sweep.space and isinstance(sweep.space[name], (list, tuple)) and len(sweep.space[name]) > 1:
            lines.append(f"  {name:<16} tuned   {list(sweep.space[name])}")
        elif name in sweep.space and isinstance(sweep.space[name], Range):
            r = sweep.space[name]
            lines.append(f"  {name:<16} tuned   {r.low}..{r.high}" + (f" step {r.step}" if r.step else "")
                         + (" (log)" if r.log else ""))
        else:
            lines.append(f"  {name:<16} fixed   {value!r}")
    return lines


def build_ranges(hp: keras_tuner.HyperParameters) -> dict[str, str]:
    """The searched declarations of a build, in words: "[32, 64]", "32..512 step 32", "True/False"."""
    ranges = {}
    for p in hp.space:
        if not is_searched(p):
            continue
        kind = type(p).__name__
        if kind == "Boolean":
            ranges[p.name] = "True/False"
        elif kind == "Choice":
            ranges[p.name] = str(list(p.values))
        else:
            ranges[p.name] = (f"{p.min_value}..{p.max_value}" + (f" step {p.step}" if p.step else "")
                              + (" (log)" if getattr(p, "sampling", "") == "log" else ""))
    return ranges
