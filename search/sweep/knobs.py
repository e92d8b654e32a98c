"""Which knobs a run record holds: every knob of the model family, None where the model lacks it.

What Keras Tuner records is not what the model had. Under the grid oracle
(with `tune_new_entries=False`) a knob the model declares only in some
builds is registered by the first build that declares it and fixed at its
default from then on, so:

- the trials before that build lack it (a 3-block trial run before the
  first 4-block one has no `pooling_4`), the trials after it carry its
  default although their model has no such layer;
- a VGG16 trial of an article-CNN sweep carries the article's
  `conv_blocks`, `dropout`, `dense_units` and `pooling_*` values it never
  used, and the article trials after the first VGG16 one carry `weights`.

Pairing runs "equal in every other knob" then fails or pairs the wrong
runs. So the record holds exactly: the value of every knob the build
actually read (`used_knobs`), None for every other knob the model family
can have (`knob_universe`), and Keras Tuner's bookkeeping (`tuner/...`)
as it is. Every record of a sweep thus has the same keys.
"""

from __future__ import annotations

import contextlib
from typing import Any, Iterator

import keras_tuner

TRAINING = ("batch_size", "epochs", "learning_rate", "decay_steps", "decay_rate")


@contextlib.contextmanager
def used_knobs(hp: keras_tuner.HyperParameters) -> Iterator[set[str]]:
    """The names `hp` is asked for while the block runs (a model's build).

    Every `hp.Choice/Int/Float/Fixed/Boolean` goes through `_retrieve`;
    wrapping it on this one object records the knobs the build read.
    """
    from search.sweep import keras_tuner_private as kt_private  # `_retrieve` is private to Keras Tuner

    names: set[str] = set()

    def recording(original):
        def retrieve(parameter):
            names.add(parameter.name)
            return original(parameter)

        return retrieve

    undo = kt_private.wrap_retrieve(hp, recording)
    try:
        yield names
    finally:
        undo()


def knob_universe(hypermodel: Any, space: dict[str, Any]) -> list[str]:
    """Every knob a model of this sweep can have: the training knobs, and per model family its own.

    Pooling knobs go up to the deepest model the sweep's space allows (its
    largest `conv_blocks`, else the article depth), not to the family's
    maximum, so trials.csv gets no column that is empty in every run.
    """
    names = list(TRAINING)
    blocks = getattr(hypermodel, "blocks", None)
    if blocks is not None:  # an article CNN (search.models.articles.ArticleCNN)
        depth = len(blocks)
        spec = space.get("conv_blocks")
        if isinstance(spec, (list, tuple)) and spec:
            depth = max(depth, *(int(v) for v in spec))
        elif isinstance(spec, int):
            depth = max(depth, spec)
        elif hasattr(spec, "high"):
            depth = max(depth, int(spec.high))
        names += ["model", "conv_blocks", "dropout"]
        if getattr(hypermodel, "dense_units", 0):
            names.append("dense_units")
        names += [f"pooling_{i}" for i in range(1, depth + 1)]
    names.append("weights")  # VGG16's, also reached through an article CNN's model="vgg16"
    return names


def record_values(values: dict[str, Any], used: set[str], universe: list[str]) -> dict[str, Any]:
    """What a record holds: used knobs with their value, the rest of the universe None, tuner/ bookkeeping kept."""
    out: dict[str, Any] = {}
    for name in list(universe) + [k for k in values if k not in universe]:
        if name.startswith("tuner/"):
            out[name] = values[name]
        elif name in used:
            out[name] = values.get(name)
        else:
            out[name] = None
    return out
