"""What a model declares and logs, read from one build with its defaults, before any training.

The checks before training ask a model two things: which knobs its build
declares (and of what kind: a Choice of words, an Int, a Float), and which
metrics each epoch of its `fit` logs. Both come from one build on an empty
`keras_tuner.HyperParameters`, which registers every declaration at its
default, as Keras Tuner's own first trial would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import keras
import keras_tuner

from search.sweep.space import known_names
from search.training import device


@dataclass(frozen=True)
class Probe:
    declared: keras_tuner.HyperParameters  # every declaration, at its default
    knobs: frozenset[str]  # every name the model can declare, at any depth (`space.known_names`)
    logged: tuple[str, ...]  # what each epoch logs: loss, the metrics, their val_ twins

    def declaration(self, knob: str) -> Any:
        """The model's own hyperparameter of that name (a Keras Tuner Choice, Int, Float, ...), or None."""
        return next((p for p in self.declared.space if p.name == knob), None)


def probe_model(hypermodel: Any, precision: str) -> Probe:
    """Build the model once with its defaults and read what it declares and logs."""
    declared = keras_tuner.HyperParameters()
    with device.precision(precision):
        model = hypermodel.build(declared)
    probe = Probe(declared, frozenset(known_names(hypermodel, declared)), tuple(logged_metrics(model)))
    del model
    keras.backend.clear_session()
    return probe


def logged_metrics(model: keras.Model) -> list[str]:
    """The names `fit` logs each epoch for this compiled model: loss, its metrics, and their val_ twins."""
    names = ["loss"]
    config = model.get_compile_config() or {}
    metrics = config.get("metrics") or []
    if isinstance(metrics, dict):  # per output: {output: [metrics]}
        metrics = [m for ms in metrics.values() for m in (ms if isinstance(ms, list) else [ms])]
    for metric in metrics if isinstance(metrics, list) else [metrics]:
        name = _metric_name(metric)
        if name and name not in names:
            names.append(name)
    return names + [f"val_{n}" for n in names]


def _metric_name(metric) -> str:
    if isinstance(metric, str):
        return {"acc": "accuracy"}.get(metric, metric)
    if isinstance(metric, dict):
        inner = metric.get("config") or {}
        return str(inner.get("name") or metric.get("class_name") or "")
    return str(getattr(metric, "name", "") or "")
