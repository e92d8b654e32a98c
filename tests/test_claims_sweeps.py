"""Tiny real Keras Tuner sweeps: every scheduled contrast pairs the records Keras Tuner really writes.

Keras Tuner registers a knob the first time a build declares it, so the
first trials of a grid lack knobs that later ones carry, and a VGG16 trial
carries the article CNN's knobs it never used. The claims pair runs "equal
in everything else"; these sweeps check, end to end (schedule -> grid ->
records -> claims.csv), that depth-overfit, fit-rule, more-pooling-hurts,
learning-rate, batch-size and vgg16-cost all find their pairs, and that
every record holds every knob (None where the model lacks it).
"""

from __future__ import annotations

import pandas as pd

from claims.stats import NOT_REQUESTED, NOT_TESTED
from claims.verdicts import evaluate, write_claims_csv
from conftest import make_image_folder, write_sweep
from rundir.manifest import read_manifest
from rundir.records import RunDirectory
from search.run import main

DEPTH_CLAIMS = ("depth-overfit", "fit-rule", "more-pooling-hurts")
TRAINING_CLAIMS = ("learning-rate", "batch-size")

SWEEP = """
sweep = Sweep(
    name="contrasts",
    data=ImageFolder({data!r}, validation_split=0.25, seed=1),
    hypermodel=DigitsCNN,
    image_size={size},
    space={space},
    epochs=1,
    seeds=2,
    early_stopping=None,
    claims={claims!r},
)
"""


def _sweep(tmp_path, name: str, claims: tuple[str, ...], size: int, space: dict) -> tuple[pd.DataFrame, list]:
    """Run the sweep (no report: its plots cost more than the runs), then judge its records as the report does."""
    data = make_image_folder(tmp_path / f"{name}_data", classes=("l", "r"), per_class=8, size=size)
    path = write_sweep(tmp_path / f"{name}.py", SWEEP.format(data=str(data), size=size, space=space, claims=claims))
    out = tmp_path / name
    assert main([str(path), "--out", str(out), "--no-report", "--quiet"]) == 0
    directory = RunDirectory(out)
    records, manifest = directory.read_runs(), read_manifest(out)
    assert manifest.claims == tuple(claims)
    write_claims_csv(out, evaluate(records, manifest))
    return pd.read_csv(out / "claims.csv").set_index("claim"), records


def _same_keys(records) -> None:
    keys = {tuple(sorted(r.hyperparameters)) for r in records}
    assert len(keys) == 1, keys


def _part_note(rows: pd.DataFrame, label: str) -> str:
    return next(n for n in " | ".join(rows["note"].fillna("")).split(" | ") if n.startswith(label))


def _decidable(rows: pd.DataFrame, claims: tuple[str, ...]) -> None:
    for claim in claims:
        row = rows.loc[claim]
        assert row["verdict"] != NOT_TESTED, (claim, row["note"])
        assert row["seeds"] == 2 and row["runs"] >= 4, (claim, row["seeds"], row["runs"])


def test_depth_and_pooling_contrasts_pair_on_real_records(tmp_path):
    rows, records = _sweep(tmp_path, "depth", DEPTH_CLAIMS, 12, {})
    assert len(records) == 8 and all(r.status == "completed" for r in records)  # 2 depths x 2 poolings x 2 seeds
    _same_keys(records)
    shallow = [r.hyperparameters for r in records if r.hyperparameters["conv_blocks"] == 2]
    deep = [r.hyperparameters for r in records if r.hyperparameters["conv_blocks"] == 3]
    # The first trial ran before the 3-block build registered pooling_3: it holds None like every 2-block run.
    assert len(shallow) == len(deep) == 4
    assert all(h["pooling_3"] is None for h in shallow) and all(h["pooling_3"] == "none" for h in deep)
    assert all(h["weights"] is None and h["model"] == "article" for h in shallow + deep)
    _decidable(rows, DEPTH_CLAIMS)
    for part in ("deeper is more accurate", "deeper overfits more", "more conv layers fit the training set better",
                 "an extra pooling layer narrows", "an extra pooling layer lowers"):
        assert "not tested" not in _part_note(rows, part).split(";")[0]
    assert "(treatment) vs" in _part_note(rows, "deeper is more accurate")  # both sides' parameter counts
    assert rows.loc["vgg16-cost", "verdict"] == NOT_REQUESTED == rows.loc["pooling-texture", "adjusted_verdict"]
    table = pd.read_csv(tmp_path / "depth" / "trials.csv")
    assert table.loc[table["hp_conv_blocks"] == 2, "hp_pooling_3"].isna().all()


def test_learning_rate_and_batch_size_contrasts_pair_on_real_records(tmp_path):
    rows, records = _sweep(tmp_path, "training", TRAINING_CLAIMS, 12, {})
    assert len(records) == 8
    _same_keys(records)
    _decidable(rows, TRAINING_CLAIMS)
    for part in ("larger batches converge", "larger batches end less accurate", "a larger rate learns faster",
                 "a larger rate fails to converge"):
        assert "not tested" not in _part_note(rows, part).split(";")[0]


def test_vgg16_cost_pairs_runs_that_lack_each_others_knobs(tmp_path):
    rows, records = _sweep(tmp_path, "vgg", ("vgg16-cost",), 32, {"batch_size": 8})
    assert len(records) == 4
    _same_keys(records)
    vgg = [r.hyperparameters for r in records if r.hyperparameters["model"] == "vgg16"]
    article = [r.hyperparameters for r in records if r.hyperparameters["model"] == "article"]
    assert all(h["conv_blocks"] is None and h["pooling_1"] is None and h["weights"] == "none" for h in vgg)
    assert all(h["conv_blocks"] == 2 and h["weights"] is None for h in article)
    row = rows.loc["vgg16-cost"]
    assert row["verdict"] != NOT_TESTED and row["seeds"] == 2 and row["runs"] == 4, row["note"]
    assert row["effect"] > 0  # VGG16 takes longer per epoch than the tiny article CNN
