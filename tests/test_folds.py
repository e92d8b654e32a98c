"""Repeated cross-validation: each seed a fresh grouped stratified partition, and claims decided on every image.

The unit tests check the partition itself (stratified, every image once,
copies together, a fresh draw per seed) and what folds refuse. The sweep
tests run the batch-size claim on article-sized data (124 + 76 images,
like the sneakers article's 76-image test folder): on the fixed split its
accuracy part is "not measurable on this data", with folds over all 200
images it gets a verdict, and every image is validated exactly once per
configuration and seed.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from claims.catalogue import CLAIMS
from claims.stats import NOT_MEASURABLE, SUPPORTED
from claims.verdicts import evaluate, per_seed_differences, write_claims_csv
from conftest import make_hard_folder, make_image_folder, write_sweep
from reports.header import header_info
from reports.runs import load_runs
from rundir.errors import SweepError
from rundir.manifest import read_manifest
from rundir.records import RunDirectory, RunRecord
from search import DigitsCNN, ImageFolder, Sweep
from search.data.folds import plan_folds
from search.run import main

ACCURACY_PART = "larger batches end less accurate"


def _plan(root: Path, k: int, per_class: dict[str, int]):
    for label, (name, n) in enumerate(per_class.items()):
        make_image_folder(root, classes=(name,), per_class=n, size=16, seed=label)
    return plan_folds(ImageFolder(str(root), validation_split=0.25, seed=1).load(12), k)


def test_each_seed_partitions_every_image_once_stratified_and_afresh(tmp_path):
    plan = _plan(tmp_path / "images", 4, {"a": 21, "b": 13})
    assert plan.n == 34  # training and validation pooled
    labels = plan.pool.y_val
    first, again, other = plan.assignment(0), plan_folds_again(plan).assignment(0), plan.assignment(1)
    assert set(first) == {0, 1, 2, 3} and (first == again).all()  # one seed, one partition, on every call
    assert not (first == other).all()  # another seed draws another partition
    for where in (first, other):
        for label, count in Counter(labels).items():
            per_fold = np.bincount(where[labels == label], minlength=4)
            assert per_fold.max() - per_fold.min() <= 1, (label, per_fold)  # stratified
    seen = []
    for fold in range(4):
        data = plan.fold(0, fold)
        assert len(data.x_train) + len(data.x_val) == 34 and len(data.val_index) == len(data.y_val)
        assert (labels[data.val_index] == data.y_val).all()
        seen += data.val_index
    assert sorted(seen) == list(range(34))  # every image validated exactly once per seed


def plan_folds_again(plan):
    """A second plan over the same pool: partitions depend on the seed alone, not on the plan's cache."""
    from search.data.folds import FoldPlan

    return FoldPlan(plan.k, plan.pool, plan.groups)


def test_copies_of_an_image_never_sit_on_both_sides_of_a_fold(tmp_path):
    root = make_image_folder(tmp_path / "images", classes=("a", "b"), per_class=15, size=16)
    copies = [("a", 0), ("a", 1), ("b", 2)]
    for name, i in copies:
        for j in range(2):
            shutil.copy(root / name / f"img_{i:03d}.png", root / name / f"copy_{i}_{j}.png")
    plan = plan_folds(ImageFolder(str(root), validation_split=0.25, seed=1).load(12), 3)
    assert plan.grouped[0] >= 3 and plan.grouped[1] >= 9
    paths = [str(f.path) for f in plan.pool.val_files]
    for seed in range(5):
        where = plan.assignment(seed)
        for name, i in copies:
            members = [n for n, p in enumerate(paths) if Path(p).name in
                       {f"img_{i:03d}.png", f"copy_{i}_0.png", f"copy_{i}_1.png"} and Path(p).parent.name == name]
            assert len(members) == 3 and len(set(where[members])) == 1, (seed, name, i, where[members])
    assert "duplicate group" in plan.describe()


def test_more_folds_than_a_class_has_images_is_an_error_naming_it(tmp_path):
    with pytest.raises(SweepError, match=r"folds=6 is more than the 5 image\(s\) of class 'rare'"):
        _plan(tmp_path / "images", 6, {"common": 20, "rare": 5})


@pytest.mark.parametrize("settings, message", [
    ({"folds": 1}, "folds"),
    ({"folds": 3, "tuner": "hyperband"}, "hyperband"),
    ({"folds": 3, "median_stopping": True}, "median_stopping"),
])
def test_what_folds_cannot_go_with_is_refused_before_training(tmp_path, settings, message):
    with pytest.raises(SweepError, match=message):
        Sweep(name="x", data=ImageFolder(str(tmp_path)), hypermodel=DigitsCNN, **settings)


def test_folds_on_the_command_line_are_checked_in_one_line(image_folder, tmp_path, capsys):
    from conftest import two_config_sweep

    path = write_sweep(tmp_path / "s.py", two_config_sweep("s", image_folder))
    assert main([str(path), "--out", str(tmp_path / "run"), "--folds", "1", "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and "folds" in err[0]


def test_another_fold_count_does_not_resume_a_run_directory(tmp_path):
    from search.sweep.manifest import check_resumable, fingerprint
    make_image_folder(tmp_path / "images")
    sweep = Sweep(name="x", data=ImageFolder(str(tmp_path / "images")), hypermodel=DigitsCNN, folds=3)
    records = RunDirectory(tmp_path / "run")
    records.write_json("sweep.json", {"fingerprint": fingerprint(sweep)})
    check_resumable(records, sweep)
    with pytest.raises(SweepError, match="folds"):
        check_resumable(records, Sweep(name="x", data=sweep.data, hypermodel=DigitsCNN, folds=5))


def _run(trial: str, seed: int, fold: int, batch: int, accuracy: float, images: int) -> RunRecord:
    return RunRecord(trial_id=trial, seed=seed, status="completed", hyperparameters={"batch_size": batch},
                     fold=fold, val_images=images, final_val_accuracy=accuracy, best_val_accuracy=accuracy,
                     history=[{"val_accuracy": accuracy}])


def test_a_seeds_value_is_its_difference_over_all_its_images():
    """Folds of 10 and 30 images: the seed's difference weighs them 1:3, as if counted over all 40 images."""
    part = next(p for c in CLAIMS if c.id == "batch-size" for p in c.parts if p.label == ACCURACY_PART)
    runs = [_run("0", 0, 0, 8, 0.9, 10), _run("1", 0, 0, 128, 0.8, 10),
            _run("0", 0, 1, 8, 0.7, 30), _run("1", 0, 1, 128, 0.3, 30)]
    values, used = per_seed_differences(part, runs, {"data": {"n_val": 40}})
    assert values[0] == pytest.approx((10 * -0.1 + 30 * -0.4) / 40) and len(used) == 4


# -- the done-means sweep ----------------------------------------------------

CV_SWEEP = """
sweep = Sweep(
    name="cv",
    data=TrainTestFolders({data!r}),
    hypermodel=DigitsCNN,
    image_size=12,
    space={{"batch_size": [16, 128]}},
    epochs=3,
    seeds=5,
    early_stopping=None,
    claims=("batch-size",),
    claim_min_pairs=3,
    folds={folds},
)
"""


@pytest.fixture(scope="module")
def article_sized(tmp_path_factory) -> Path:
    """124 training and 76 test images: the sneakers article's test folder size."""
    root = tmp_path_factory.mktemp("sneakers")
    make_hard_folder(root / "train", 62, 1)
    make_hard_folder(root / "test", 38, 2)
    return root


def _sweep(root: Path, out: Path, folds: int | None, quiet: bool = True) -> tuple[pd.Series, list[RunRecord], dict]:
    path = write_sweep(out.parent / f"cv_{folds}.py", CV_SWEEP.format(data=str(root), folds=folds))
    assert main([str(path), "--out", str(out), "--no-report"] + (["--quiet"] if quiet else [])) == 0
    directory = RunDirectory(out)
    records, meta = directory.read_runs(), directory.read_json("sweep.json")
    write_claims_csv(out, evaluate(records, read_manifest(out)))
    return pd.read_csv(out / "claims.csv").set_index("claim").loc["batch-size"], records, meta


def _part(row: pd.Series) -> str:
    return next(n for n in row["note"].split(" | ") if n.startswith(ACCURACY_PART))


def test_folds_decide_what_the_fixed_split_cannot_measure(article_sized, tmp_path, capsys):
    fixed, _, _ = _sweep(article_sized, tmp_path / "fixed", None)
    assert _part(fixed).startswith(f"{ACCURACY_PART}: {NOT_MEASURABLE}") and "76 validation images" in _part(fixed)
    assert json.loads((tmp_path / "fixed" / "data_check.json").read_text())["resolution"]["n_val"] == 76

    capsys.readouterr()
    row, records, meta = _sweep(article_sized, tmp_path / "cv", 3, quiet=False)
    # The data check counts what the verdicts count: all 200 images, in the header, data_check.json and the report.
    counted = "200 images, each validated once per seed over the 3 folds: one image is 0.5 accuracy points"
    assert f"data check: {counted}" in capsys.readouterr().err
    resolution = json.loads((tmp_path / "cv" / "data_check.json").read_text())["resolution"]
    assert resolution["n_val"] == 200 and resolution["text"].startswith(counted)
    from reports.datacheck import datacheck_info

    assert datacheck_info(tmp_path / "cv").resolution.startswith(counted)
    assert meta["folds"] == {"k": 3, "images": 200, "duplicate_groups": meta["folds"]["duplicate_groups"],
                             "images_in_groups": meta["folds"]["images_in_groups"]}
    assert meta["data"]["n_val"] == 200
    assert _part(row).startswith(f"{ACCURACY_PART}: {SUPPORTED}"), _part(row)
    assert "over 5 seeds" in _part(row)

    # A run is (configuration, seed, fold); each seed validates every image once per configuration.
    assert all(r.status == "completed" for r in records)
    runs = Counter((r.trial_id, r.seed) for r in records)
    assert set(runs.values()) == {3}
    images = defaultdict(list)
    out = tmp_path / "cv"
    for r in records:
        assert (out / "trials" / r.trial_id / f"seed_{r.seed}_fold_{r.fold}.json").exists()
        ids = pd.read_csv(out / "trials" / r.trial_id / f"seed_{r.seed}_fold_{r.fold}_predictions.csv")["index"]
        assert len(ids) == r.val_images
        images[(r.trial_id, r.seed)] += list(ids)
    assert all(sorted(v) == list(range(200)) for v in images.values())
    # Seeds draw different partitions: the same fold number validates other images.
    first = {s: sorted(pd.read_csv(out / "trials" / "0000" / f"seed_{s}_fold_0_predictions.csv")["index"])
             for s in (0, 1)}
    assert first[0] != first[1]
    trials = pd.read_csv(out / "trials.csv")
    assert "fold" in trials.columns and set(trials["fold"]) == {0, 1, 2}
    # The report says what the folds did, and budgets their runs, from the records alone.
    # The confusion matrix of a seed reads all its folds' predictions: every image once.
    from reports.confusion import read_predictions

    assert sorted(read_predictions(load_runs(out), "0000", 0)["index"]) == list(range(200))
    header = header_info(load_runs(out))
    assert header.folds.startswith("3-fold cross-validation over all 200 images")
    assert "x 3 folds" in header.budget


def test_a_trial_cut_off_after_one_fold_trains_only_the_rest(article_sized, tmp_path):
    """As if the process died during fold 1 of seed 0: the rerun keeps fold 0 and trains fold 1."""
    out = tmp_path / "cv"
    path = write_sweep(tmp_path / "s.py", CV_SWEEP.format(data=str(article_sized), folds=2)
                       .replace("seeds=5", "seeds=1").replace("[16, 128]", "[16]"))
    assert main([str(path), "--out", str(out), "--no-report", "--quiet"]) == 0
    directory = RunDirectory(out)
    fold0 = directory.read_run("0000", 0, 0)
    (out / "trials" / "0000" / "seed_0_fold_1.json").unlink()
    trial_file = directory.tuner_dir / "trial_0000" / "trial.json"
    trial = json.loads(trial_file.read_text())
    trial["status"] = "RUNNING"
    trial_file.write_text(json.dumps(trial))
    oracle = directory.tuner_dir / "oracle.json"
    state = json.loads(oracle.read_text())
    state["ongoing_trials"], state["end_order"] = {"tuner0": trial["trial_id"]}, []
    oracle.write_text(json.dumps(state))
    assert main([str(path), "--out", str(out), "--no-report", "--quiet"]) == 0
    assert directory.read_run("0000", 0, 0).finished == fold0.finished
    assert directory.read_run("0000", 0, 1).status == "completed"
    assert [r.key for r in directory.read_runs()][:2] == [("0000", 0, 0), ("0000", 0, 1)]


def test_the_sneakers_cv_sweep_is_the_sneakers_sweep_with_folds():
    from conftest import ROOT
    from search.sweep.spec import load_sweep_file

    fixed, cv = load_sweep_file(ROOT / "sweeps" / "sneakers.py"), load_sweep_file(ROOT / "sweeps" / "sneakers_cv.py")
    assert cv.folds == 5 and fixed.folds is None and cv.name == "sneakers_cv"
    assert (cv.space, cv.claims, cv.seeds, cv.epochs) == (fixed.space, fixed.claims, fixed.seeds, fixed.epochs)
