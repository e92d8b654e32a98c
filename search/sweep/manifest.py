"""What a sweep writes into its run directory's manifest (`rundir.manifest`), and the fingerprint a resume must match.

The fingerprint is the settings that define what the records mean;
rerunning a folder with another value would mix incomparable trials, so it
is refused with one line.
"""

from __future__ import annotations

import json
from dataclasses import asdict

import keras
import keras_tuner

from rundir.errors import SweepError
from rundir.manifest import DataInfo, has_manifest, Manifest, ModelInfo, now as manifest_now, read_manifest
from rundir.records import RunDirectory
from search.models.own import model_name
from search.sweep.prepare import Prepared
from search.sweep.rounds import RoundLog, first_round, seed_plan
from search.sweep.space import describe_space
from search.sweep.spec import Range, Sweep
from search.training import device


# Settings that define what a run directory's records mean; rerunning with a
# different value would mix incomparable trials, so it is refused.
FINGERPRINT_KEYS = ("hypermodel", "space", "tuner", "objective", "image_size", "epochs", "data", "early_stopping",
                    "median_stopping", "precision", "seeds", "resize", "folds", "build_ranges")


def fingerprint(sweep: Sweep, searched: dict[str, str] | None = None) -> dict:
    """`searched`: your own model's ranges the sweep searches (Prepared.searched): editing one in the
    build is another search space. Absent for article models and in older run directories."""
    space = {k: (asdict(v) if isinstance(v, Range) else v) for k, v in sweep.space.items()}
    return {
        **({"build_ranges": dict(searched)} if searched else {}),
        "hypermodel": model_name(sweep.hypermodel),
        "space": json.loads(json.dumps(space, default=str)),
        "tuner": sweep.tuner,
        "objective": sweep.objective,
        "image_size": sweep.image_size,
        "epochs": sweep.epochs,
        "data": repr(sweep.data),
        "early_stopping": repr(sweep.early_stopping),
        "median_stopping": repr(sweep.median_stopping),
        "precision": sweep.precision,
        "seeds": seed_plan(sweep.seeds).to_json(),  # the seed plan fixes the claims' looks: a resume must keep it
        "resize": sweep.resize,  # crop/pad change every image; absent in older run directories, which still resume
        "folds": sweep.folds,  # another K is another partition of every seed
    }


def check_resumable(records: RunDirectory, sweep: Sweep, searched: dict[str, str] | None = None) -> None:
    if not has_manifest(records.root):
        return
    old = read_manifest(records.root).fingerprint
    new = fingerprint(sweep, searched)
    changed = [k for k in FINGERPRINT_KEYS if k in old and old[k] != new.get(k)]
    if changed:
        raise SweepError(
            f"run directory {records.root} holds sweep {sweep.name!r} with other settings "
            f"(changed: {', '.join(changed)}); pass --out NEW_DIR or delete the directory to start over"
        )


def sweep_manifest(prepared: Prepared, sweep_file: str, started: str, status: str,
                   log: RoundLog | None = None, threads: int | None = None) -> Manifest:
    """The sweep's sweep.json: what runs, on what, and its rounds so far."""
    s, d = prepared.sweep, prepared.data
    log = log or RoundLog([first_round(s.seeds)])
    folds = prepared.folds
    manifest = Manifest(
        name=s.name,
        description=s.description,
        sweep_file=sweep_file,
        status=status,
        started=started,
        updated=manifest_now(),
        data=DataInfo(
            source=d.source,
            description=s.data.describe(),
            classes=tuple(d.class_names),
            # With folds every image is validated once per configuration and
            # seed: the claims' resolution and chance rate are over all of them.
            class_counts=(folds.pool if folds else d).class_counts(),
            n_train=int(folds.n - folds.n // folds.k) if folds else int(len(d.y_train)),
            n_val=int(folds.n if folds else len(d.y_val)),
            split={"n_train": int(len(d.y_train)), "n_val": int(len(d.y_val))} if folds else None,
            image_size=s.image_size,
            resize=s.resize,
            input_shape=tuple(d.input_shape),
        ),
        model=ModelInfo(model_name(prepared.hypermodel),
                        prepared.hypermodel.article, prepared.params),
        space=tuple(describe_space(s, prepared.values)),
        defaults=dict(prepared.values),
        article_defaults=dict(prepared.article_defaults),
        tuned=tuple(k for k, v in s.space.items()
                    if isinstance(v, Range) or (isinstance(v, (list, tuple)) and len(v) > 1)),
        tuner=s.tuner,
        objective=s.objective,
        max_trials=s.max_trials,
        planned_trials=prepared.planned_trials,
        left_out=tuple(item.values for item in prepared.left_out),
        seeds=seed_plan(s.seeds),
        folds=folds.info() if folds else None,
        epochs=prepared.epochs,
        early_stopping=asdict(s.early_stopping) if s.early_stopping else None,
        median_stopping=asdict(s.median_stopping) if s.median_stopping else None,
        precision=s.precision,
        claims=s.claim_ids,
        stated=s.stated_claims,
        claim_min_pairs=s.claim_min_pairs,
        backend=device.backend(),
        device=device.describe_device(),
        threads=threads,
        keras=keras.__version__,
        keras_tuner=keras_tuner.__version__,
        fingerprint=fingerprint(s, prepared.searched),
    )
    return log.into(manifest)
