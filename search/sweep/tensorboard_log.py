"""Opt-in TensorBoard logs of a sweep: each run's curves and the HParams dashboard.

Keras Tuner wires TensorBoard's hparams plugin in its own `run_trial`, which
`SweepTuner` replaces; this is the same view, written from the run records:

    RUN_DIR/tensorboard/                        the HParams experiment (hparams_config)
    RUN_DIR/tensorboard/<trial>/seed_<s>/       one run: its hyperparameters and per-epoch scalars

Each run is written once it has ended, from its history (the epoch rows the
records keep), so logging costs nothing while the model trains and a failed
run shows the epochs it had. Open it with `tensorboard --logdir RUN_DIR/tensorboard`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from rundir.errors import SweepError
from rundir.records import RunRecord

SCALARS = ("loss", "accuracy", "val_loss", "val_accuracy", "learning_rate")
FOLDER = "tensorboard"


def _summary():
    try:
        import tensorflow as tf
        from tensorboard.plugins.hparams import api as hp_api
    except ImportError as exc:
        raise SweepError(f"--tensorboard needs TensorFlow and TensorBoard installed ({exc})") from None
    return tf, hp_api


def _hparam_value(value: Any) -> Any:
    """TensorBoard takes bool, int, float or str; None (a knob this model lacks) is left out."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def write_experiment(run_dir: Path, space_names: list[str], objective: str) -> Path:
    """The HParams dashboard's columns: the sweep's knobs and the scores."""
    tf, hp_api = _summary()
    root = Path(run_dir) / FOLDER
    with tf.summary.create_file_writer(str(root)).as_default():
        hp_api.hparams_config(
            hparams=[hp_api.HParam(name) for name in space_names] + [hp_api.HParam("seed")],
            metrics=[hp_api.Metric("score", display_name=f"best {objective}"),
                     *(hp_api.Metric(name) for name in SCALARS if name != "learning_rate")],
        )
    return root


def write_run(run_dir: Path, record: RunRecord) -> Path:
    """One run's hyperparameters, score and per-epoch scalars."""
    tf, hp_api = _summary()
    folder = Path(run_dir) / FOLDER / str(record.trial_id) / f"seed_{record.seed}"
    values = {k: _hparam_value(v) for k, v in record.hyperparameters.items() if not k.startswith("tuner/")}
    values = {k: v for k, v in values.items() if v is not None}
    values["seed"] = record.seed
    writer = tf.summary.create_file_writer(str(folder))
    with writer.as_default():
        hp_api.hparams(values, trial_id=f"{record.trial_id}/seed_{record.seed}")
        for row in record.history:
            for name in SCALARS:
                value = row.get(name)
                if value is not None and math.isfinite(float(value)):
                    tf.summary.scalar(name, float(value), step=int(row["epoch"]))
        if record.score is not None:
            tf.summary.scalar("score", float(record.score), step=max(1, record.epochs_run))
    writer.flush()
    writer.close()
    return folder
