"""The command line: one-line errors for every user mistake, and --describe."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import ROOT, make_image_folder, make_train_test, write_sweep
from search.run import main

GOOD = """
sweep = Sweep(
    name="cli",
    data=ImageFolder({data!r}),
    hypermodel=DigitsCNN,
    image_size=12,
    space={{"pooling_1": ["avg", "max"]}},
    epochs=1,
)
"""


@pytest.fixture
def data(tmp_path):
    return make_image_folder(tmp_path / "data", per_class=6, size=12)


def one_line_error(capsys, argv) -> str:
    code = main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2, err
    assert len(err) == 1 and err[0].startswith("error: "), err
    return err[0]


def test_describe_prints_space_and_parameter_count(tmp_path, data, capsys):
    sweep = write_sweep(tmp_path / "s.py", GOOD.format(data=str(data)))
    assert main([str(sweep), "--describe"]) == 0
    out = capsys.readouterr().out
    assert "pooling_1        tuned   ['avg', 'max']" in out
    assert "parameters with default hyperparameters" in out and "DigitsCNN" in out
    assert not (tmp_path / "runs").exists()


def test_describe_sneakers_at_article_size(tmp_path, capsys):
    root = make_train_test(tmp_path / "sneakers", train=2, test=1, size=30)
    assert main([str(ROOT / "sweeps" / "sneakers.py"), "--data", str(root), "--describe"]) == 0
    out = capsys.readouterr().out
    assert "22,175,138 parameters" in out
    assert ("claims     pooling-texture and mixed-pooling cannot be decided on this data: the 2-point margin is under "
            "2 of the 2 validation images (50 points each)") in out
    assert "even folds, validating all 6 images, would not (33.3 points for two images): a larger data set" in out


def test_a_claim_the_split_cannot_measure_is_said_before_training_with_the_folds_that_would(tmp_path, capsys):
    """The sneakers article's 76 test images: 1.32 points each, against a 2-point margin."""
    root = make_train_test(tmp_path / "sneakers", train=62, test=38, size=8)
    sweep = ROOT / "sweeps" / "sneakers.py"
    assert main([str(sweep), "--data", str(root), "--describe", "--image-size", "32"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("claims "))
    assert line == ("claims     pooling-texture and mixed-pooling cannot be decided on this data: the 2-point margin "
                    "is under 2 of the 76 validation images (1.32 points each), so the verdict would read \"not "
                    "measurable on this data\"; --folds 5 validates all 200 images once per seed (1 points for two "
                    "images), at 5x the runs and epochs (20 runs per seed instead of 4)")
    assert main([str(sweep), "--data", str(root), "--describe", "--image-size", "32", "--folds", "5"]) == 0
    assert "claims " not in capsys.readouterr().out  # all 200 images: each is 0.5 points


@pytest.mark.parametrize(
    "body, message",
    [
        ("sweep = Sweep(name='x', data=ImageFolder('d'), hypermodel=DigitsCNN, epoch=3)",
         r"s.py:2: Sweep\(\) got an unknown setting 'epoch' \(did you mean 'epochs'\?\)"),
        ("sweep = Sweep(name='x', data=ImageFolde('d'), hypermodel=DigitsCNN)", r"s.py:2: NameError: .*ImageFolde"),
        ("sweep = Sweep(name='x', data=ImageFolder('d'), hypermodel=DigitsCNN,\n", r"s.py:\d+: syntax error"),
        ("swep = 1", r"defines no `sweep = Sweep\(...\)`"),
        ("sweep = Sweep(name='x', data=ImageFolder('d'), hypermodel=DigitsCNN, tuner='gird')", r"unknown tuner 'gird'"),
        ("sweep = Sweep(name='x', data=ImageFolder('d'), hypermodel=DigitsCNN, space={'dropout': []})",
         r"search space for 'dropout' is empty"),
    ],
)
def test_bad_sweep_files(tmp_path, capsys, body, message):
    import re

    sweep = write_sweep(tmp_path / "s.py", body)
    assert re.search(message, one_line_error(capsys, [str(sweep)]))


def test_unknown_hyperparameter(tmp_path, data, capsys):
    sweep = write_sweep(tmp_path / "s.py", GOOD.format(data=str(data)).replace("pooling_1", "pool_1"))
    line = one_line_error(capsys, [str(sweep), "--describe"])
    assert "unknown hyperparameter 'pool_1' for DigitsCNN (did you mean 'pooling_1'?)" in line


def test_missing_data_folder(tmp_path, data, capsys):
    sweep = write_sweep(tmp_path / "s.py", GOOD.format(data=str(data)))
    line = one_line_error(capsys, [str(sweep), "--data", str(tmp_path / "missing")])
    assert "missing does not exist" in line


def test_negative_epochs_flag(tmp_path, data, capsys):
    sweep = write_sweep(tmp_path / "s.py", GOOD.format(data=str(data)))
    assert "epochs must be a whole number of at least 1, not -3" in one_line_error(capsys, [str(sweep), "--epochs", "-3"])


def test_image_size_too_small_for_the_model(tmp_path, capsys):
    root = make_train_test(tmp_path / "sneakers", train=2, test=1, size=8)
    line = one_line_error(capsys, [str(ROOT / "sweeps" / "sneakers.py"), "--data", str(root), "--image-size", "8"])
    assert "image size 8 is too small for SneakersCNN" in line


def test_missing_sweep_file(tmp_path, capsys):
    assert "does not exist" in one_line_error(capsys, [str(tmp_path / "nope.py")])


def test_bad_flag_and_no_traceback_in_a_real_process(tmp_path):
    bad = subprocess.run([sys.executable, "-m", "search.run", "sweeps/digits.py", "--epochz", "3"],
                         cwd=ROOT, capture_output=True, text=True)
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines()[-1].startswith("error: unrecognized arguments: --epochz")
    sweep = write_sweep(tmp_path / "s.py", "sweep = Sweep(name='x', data=ImageFolder('d'), hypermodel=Nope)")
    res = subprocess.run([sys.executable, "-m", "search.run", str(sweep)], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert res.stderr.strip().splitlines()[-1].startswith(f"error: {sweep}:2: NameError")


@pytest.mark.parametrize("flag, expected", [([], 60.0), (["--checkpoint-every", "0"], 0.0),
                                            (["--checkpoint-every", "90"], 90.0),
                                            (["--checkpoint-every", "off"], None)])
def test_checkpoint_every_flag_reaches_the_run_options(flag, expected):
    from search.run import _options, parse_args

    assert _options(parse_args(["s.py", *flag])).checkpoint_every_s == expected


def test_checkpoint_every_rejects_a_negative_interval(tmp_path, data, capsys):
    sweep = write_sweep(tmp_path / "s.py", GOOD.format(data=str(data)))
    with pytest.raises(SystemExit):
        main([str(sweep), "--checkpoint-every", "-5"])
    assert "want seconds (0 or more) or 'off', got '-5'" in capsys.readouterr().err


def test_a_configuration_the_image_size_cannot_hold_is_left_out_before_training(tmp_path, capsys):
    """Issue 39: Cifar10CNN at 28 px with depth-overfit and more-pooling-hurts gets a fourth block after a
    pooled third one. Before, every seed of it trained and failed; now it is one warning, left out, and the
    sweep trains the rest whole."""
    import json

    import numpy as np

    from rundir.verify import check_run

    rng = np.random.default_rng(0)
    np.save(tmp_path / "x.npy", rng.integers(0, 255, size=(40, 28, 28), dtype=np.uint8))
    sweep = write_sweep(tmp_path / "deep.py", f"""
import numpy as np
x = np.load({str(tmp_path / "x.npy")!r})
sweep = Sweep(name="deep", data=Arrays(x, (x.mean(axis=(1, 2)) > 127).astype(int)), hypermodel=Cifar10CNN,
              image_size=28, tuner="grid", epochs=1, seeds=1, early_stopping=None,
              claims=("depth-overfit", "more-pooling-hurts"))
""")
    assert main([str(sweep), "--describe"]) == 0
    captured = capsys.readouterr()
    (warning,) = [line for line in captured.err.splitlines() if line.startswith("warning: left out")]
    assert warning == ("warning: left out of the grid: conv_blocks=4, pooling_3='max': image size 28 is too small "
                       "for Cifar10CNN with these blocks and pooling (--image-size 38 would hold it); its runs are "
                       "not trained")
    assert "left out   1 of the grid's 4 configurations, which image size 28 cannot hold" in captured.out
    assert "3 trials x 1 seed" in captured.out or "3 trials" in captured.out
    out = tmp_path / "run"
    assert main([str(sweep), "--out", str(out), "--no-report", "--quiet"]) == 0
    assert "3 runs completed, 0 failed" in capsys.readouterr().err
    meta = json.loads((out / "sweep.json").read_text())
    assert meta["planned_trials"] == 3 and meta["left_out"] == [{"conv_blocks": 4, "pooling_3": "max"}]
    assert check_run(out).ok
    assert main([str(sweep), "--out", str(out), "--no-report", "--quiet"]) == 0  # a resume trains nothing more
    assert "3 runs completed, 0 failed" in capsys.readouterr().err
