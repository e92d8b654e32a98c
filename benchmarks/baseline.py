"""The baselines: what an article's reader would write without this project.

`plain_keras_tuner_sweep` is the Keras Tuner sweep of the TensorFlow image
classification tutorial's reader: `keras.utils.image_dataset_from_directory`
(same split and seed as the sweep's `ImageFolder`), `.cache()` and
`.prefetch()` as the tutorial shows, and a stock `kt.GridSearch` over the
same hyperparameters with the same HyperModel `build`, Keras Tuner's default
checkpointing of each trial's best epoch left on. The only difference in the
HyperModel is `fit`: the stock `HyperModel.fit` (plain `model.fit`), since
the batch size is the dataset's.

`bare_fit` is plain `model.fit` on in-memory arrays, for the per-epoch
overhead benchmark.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.common import BENCH_SPACE, EpochClock, clock_callback, hypermodel_class


@dataclass
class PlainResult:
    seconds: float
    dataset_s: float  # image_dataset_from_directory + cache/prefetch set-up (decoding happens in epoch 1)
    best: float | None
    trials: list[dict[str, Any]]  # {"values": {...}, "score": float | None, "status": str}
    clocks: list[EpochClock] = field(default_factory=list)
    n_train: int = 0
    n_val: int = 0


def plain_hypermodel(model: str, input_shape, num_classes: int):
    import keras_tuner as kt

    cls = hypermodel_class(model)
    plain = type(f"Plain{cls.__name__}", (cls,), {"fit": kt.HyperModel.fit})
    return plain(input_shape, num_classes, label_mode="categorical")


def reader_datasets(data: Path, image_size: int, batch_size: int, validation_split: float):
    """The tutorial's input pipeline; returns (train_ds, val_ds, class_names)."""
    import keras
    import tensorflow as tf

    train_ds, val_ds = keras.utils.image_dataset_from_directory(
        str(data), validation_split=validation_split, subset="both", seed=123,
        image_size=(image_size, image_size), batch_size=batch_size, label_mode="categorical", verbose=False,
    )
    class_names = train_ds.class_names
    autotune = tf.data.AUTOTUNE
    train_ds = train_ds.cache().shuffle(1000).prefetch(buffer_size=autotune)
    val_ds = val_ds.cache().prefetch(buffer_size=autotune)
    return train_ds, val_ds, class_names


def plain_keras_tuner_sweep(data: Path, *, model: str, image_size: int, trials: int, epochs: int, batch_size: int,
                            validation_split: float, directory: Path, on_run_end=None,
                            on_run_start=None, executions: int = 1) -> PlainResult:
    import keras_tuner as kt

    start = time.perf_counter()
    train_ds, val_ds, class_names = reader_datasets(data, image_size, batch_size, validation_split)
    dataset_s = time.perf_counter() - start

    hp = kt.HyperParameters()
    for name, values in BENCH_SPACE.items():
        if isinstance(values, list):
            hp.Choice(name, values)
        else:
            hp.Fixed(name, values)
    hp.Fixed("batch_size", batch_size)
    hp.Fixed("epochs", epochs)
    hypermodel = plain_hypermodel(model, (image_size, image_size, 3), len(class_names))
    tuner = kt.GridSearch(hypermodel, objective="val_accuracy", max_trials=trials, hyperparameters=hp,
                          executions_per_trial=executions,
                          tune_new_entries=False, directory=str(directory), project_name="plain_keras_tuner",
                          overwrite=True)
    clocks: list[EpochClock] = []
    tuner.search(train_ds, validation_data=val_ds, epochs=epochs, verbose=0,
                 callbacks=[clock_callback(clocks, on_run_end, on_run_start)])
    seconds = time.perf_counter() - start

    rows = []
    for trial in tuner.oracle.trials.values():
        rows.append({"values": dict(trial.hyperparameters.values), "score": trial.score,
                     "status": str(trial.status)})
    scores = [r["score"] for r in rows if r["score"] is not None]
    n_train = sum(int(x.shape[0]) for x, _ in train_ds)  # from the cache: no decoding
    n_val = sum(int(x.shape[0]) for x, _ in val_ds)
    return PlainResult(seconds, dataset_s, max(scores) if scores else None, rows, clocks, n_train, n_val)


def bare_fit(model, x, y, x_val, y_val, batch_size: int, epochs: int) -> tuple[EpochClock, float | None]:
    """`model.fit` on arrays with nothing else; returns epoch timestamps and the best val_accuracy."""
    clocks: list[EpochClock] = []
    history = model.fit(x, y, batch_size=batch_size, epochs=epochs, validation_data=(x_val, y_val), shuffle=True,
                        verbose=0, callbacks=[clock_callback(clocks)])
    acc = history.history.get("val_accuracy") or []
    return clocks[-1], (max(acc) if acc else None)
