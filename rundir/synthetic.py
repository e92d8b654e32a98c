"""Synthetic run directories: realistic sweep results without training anything.

The report's tests and its speed benchmark need run directories of any
shape (1,000 trials, a sweep still running, failed trials, hostile class
names, a known max-vs-avg effect) in milliseconds. They are written with the
project's own `RunDirectory`/`RunRecord`, so they have exactly the on-disk
format a real sweep writes. They live with the run directory, not the
report, because the claims' tests and benchmarks use them too.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from pathlib import Path
from typing import Any, Sequence

from PIL import Image

from rundir.manifest import DataInfo, Manifest, ModelInfo, Round, SeedPlan, write_manifest
from rundir.records import RunDirectory, RunRecord

DEFAULT_CLASSES = ("cat", "dog", "bird")


def synthetic_manifest(name: str = "synthetic", *, classes: Sequence[str] = DEFAULT_CLASSES,
                       tuned: Sequence[str] = (), defaults: dict[str, Any] | None = None,
                       planned_trials: int | None = 8, seeds: int = 2, epochs: int = 10, status: str = "finished",
                       objective: str = "val_accuracy", n_val: int = 60, data_source: str = "synthetic images",
                       claims: Sequence[str] = ()) -> Manifest:
    """A sweep.json with every key the engine writes, built through the engine's own type."""
    start = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.timezone.utc)
    per_class = max(n_val // max(len(classes), 1), 1)
    return Manifest(
        name=name,
        description="synthetic sweep for tests and benchmarks",
        sweep_file=f"sweeps/{name}.py",
        status=status,
        started=start.isoformat(timespec="seconds"),
        updated=(start + dt.timedelta(minutes=42)).isoformat(timespec="seconds"),
        data=DataInfo(
            source=data_source,
            description=data_source,
            classes=tuple(classes),
            class_counts={c: {"train": per_class * 4, "val": per_class} for c in classes},
            n_train=per_class * 4 * len(classes),
            n_val=per_class * len(classes),
            image_size=32,
            input_shape=(32, 32, 3),
        ),
        model=ModelInfo("SyntheticCNN", "none", 123456),
        space=tuple(f"  {k:<16} tuned" for k in tuned),
        defaults=dict(defaults or {}),
        tuned=tuple(tuned),
        tuner="grid",
        objective=objective,
        planned_trials=planned_trials,
        seeds=SeedPlan.fixed(seeds),
        rounds=(Round(1, 0, seeds),),
        rounds_finished=1 if status == "finished" else 0,
        epochs=epochs,
        early_stopping={"monitor": objective, "min_delta": 0.001, "patience": 5},
        claims=tuple(claims),
        backend="tensorflow",
        device="CPU: synthetic",
        keras="3.0",
        keras_tuner="1.4",
    )


def make_record(trial_id: str, seed: int, hyperparameters: dict[str, Any], score: float | None, *,
                epochs: int = 10, status: str = "completed", error: str = "", traceback: str = "",
                stopped_epoch: int | None = None, learning_rate: float = 1e-3) -> RunRecord:
    """A run record whose history climbs smoothly to `score` (best at the last epoch)."""
    history = []
    if status != "failed" or score is not None:
        final = score if score is not None else 0.5
        for epoch in range(1, epochs + 1):
            progress = 1 - math.exp(-3 * epoch / epochs)
            val_acc = final * progress / (1 - math.exp(-3))
            history.append({
                "epoch": epoch, "loss": 2.0 * (1 - progress) + 0.05, "accuracy": min(val_acc + 0.02, 1.0),
                "val_loss": 2.1 * (1 - progress) + 0.08, "val_accuracy": val_acc,
                "learning_rate": learning_rate * (0.97 ** epoch), "lr_epoch_start": learning_rate,
                "seconds": 0.5,
            })
    done = status == "completed"
    return RunRecord(
        trial_id=trial_id, seed=seed, status=status, hyperparameters=dict(hyperparameters),
        score=score if done else None, best_val_accuracy=score if done else None,
        final_val_accuracy=score if done else None, best_epoch=epochs if done else None,
        epochs_run=len(history), stopped_epoch=stopped_epoch,
        final_train_accuracy=history[-1]["accuracy"] if history else None,
        train_val_gap=0.02 if done else None, wall_time_s=0.5 * max(len(history), 1),
        seconds_per_epoch=0.5 if history else None, params=123456, error=error, traceback=traceback,
        started="2026-01-05T12:00:00+00:00", finished="2026-01-05T12:00:05+00:00" if status != "running" else "",
        history=history,
    )


def predictions(n: int, n_classes: int, accuracy: float, rng: random.Random,
                paths: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Validation predictions with about `accuracy` of them right."""
    rows = []
    for i in range(n):
        true = i % n_classes
        predicted = true if rng.random() < accuracy else (true + 1 + rng.randrange(max(n_classes - 1, 1))) % n_classes
        rows.append({"index": i, "path": paths[i] if paths else "", "true": true, "predicted": predicted})
    return rows


def write_images(folder: Path, n: int, size: int = 40) -> list[str]:
    """n small solid-colour PNG files; returns their absolute paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = folder / f"img_{i:04d}.png"
        Image.new("RGB", (size, size), ((37 * i) % 256, (91 * i) % 256, (173 * i) % 256)).save(path)
        paths.append(str(path.resolve()))
    return paths


def write_synthetic_run(root: Path, *, n_trials: int = 8, seeds: int = 2, epochs: int = 10,
                        classes: Sequence[str] = DEFAULT_CLASSES, status: str = "finished",
                        planned_trials: int | None | str = "same", failed: Sequence[int] = (),
                        error_text: str = "out of memory: synthetic failure", pooling_effect: float = 0.02,
                        noise: float = 0.01, n_val: int = 60, with_images: bool = False,
                        predictions_for: str = "all", seed: int = 0) -> Path:
    """A run directory of n_trials x seeds runs over pooling_1/pooling_2/learning_rate/dropout/batch_size.

    Scores follow a known model: max pooling on pooling_1 adds `pooling_effect`,
    higher dropout costs a little, plus Gaussian seed noise. Trials whose
    index is in `failed` fail with `error_text`. `predictions_for`: "all"
    runs or only the "best" trial's runs (faster to write for big sweeps).
    """
    rng = random.Random(seed)
    root = Path(root)
    directory = RunDirectory(root)
    directory.prepare()
    tuned = ["pooling_1", "pooling_2", "learning_rate", "dropout", "batch_size"]
    defaults = {"pooling_1": "max", "pooling_2": "max", "learning_rate": 1e-3, "dropout": 0.25,
                "batch_size": 32, "epochs": epochs, "conv_blocks": 2}
    planned = n_trials if planned_trials == "same" else planned_trials
    write_manifest(root, synthetic_manifest(root.name or "synthetic", classes=classes, tuned=tuned, defaults=defaults,
                                            planned_trials=planned, seeds=seeds, epochs=epochs, status=status,
                                            n_val=n_val))
    paths = write_images(root / "images", n_val) if with_images else None
    configs = [_config(i, n_trials, rng, defaults) for i in range(n_trials)]
    means = [0.8 + (pooling_effect if c["pooling_1"] == "max" else 0.0) - 0.05 * c["dropout"]
             + 0.01 * math.log10(c["learning_rate"] / 1e-4) for c in configs]
    scores = [[min(max(m + rng.gauss(0, noise), 0.0), 1.0) for _ in range(seeds)] for m in means]
    ok = [i for i in range(n_trials) if i not in set(failed)] or [0]
    best_index = max(ok, key=lambda i: sum(scores[i]) / seeds)
    for i, hps in enumerate(configs):
        trial_id = f"{i:04d}"
        for s in range(seeds):
            if i in failed:
                record = make_record(trial_id, s, hps, None, epochs=epochs, status="failed", error=error_text,
                                     traceback=f"Traceback (most recent call last):\n  ...\nRuntimeError: {error_text}")
                directory.write_run(record)
                continue
            score = scores[i][s]
            stop = epochs if rng.random() < 0.3 else None
            record = make_record(trial_id, s, hps, score, epochs=epochs, stopped_epoch=stop,
                                 learning_rate=hps["learning_rate"])
            preds = None
            if predictions_for == "all" or i == best_index:
                preds = predictions(n_val, len(classes), score, rng, paths)
            directory.write_run(record, preds)
    directory.write_summary()
    return root


def _config(i: int, n_trials: int, rng: random.Random, defaults: dict[str, Any]) -> dict[str, Any]:
    """Small sweeps walk a grid (so pooling pairs exist); big ones sample at random."""
    config = dict(defaults)
    grid_pools = [("max", "max"), ("avg", "max"), ("max", "avg"), ("avg", "avg")]
    p1, p2 = grid_pools[i % 4]
    config["pooling_1"], config["pooling_2"] = p1, p2
    block = i // 4
    if n_trials <= 64:
        config["dropout"] = [0.25, 0.5][block % 2]
        config["batch_size"] = [32, 128][(block // 2) % 2]
        config["learning_rate"] = [1e-3, 1e-2][(block // 4) % 2]
    else:  # random search: pooling still paired in blocks of 4 configurations sharing the rest
        rng_block = random.Random(block)
        config["dropout"] = round(rng_block.uniform(0.0, 0.6), 3)
        config["batch_size"] = rng_block.choice([16, 32, 64, 128])
        config["learning_rate"] = 10 ** rng_block.uniform(-4, -2)
    return config
