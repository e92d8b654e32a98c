"""Faults that used to lose runs or mislead (issue 28): damaged records, unwritable run directories,
a one-class folder, exits on SIGTERM, a damaged sweep.json. Each ends in one line, and a resume
trains exactly what is missing."""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys

import pandas as pd
import pytest

from conftest import make_image_folder, two_config_sweep, write_sweep
from reports.header import header_info
from reports.runs import load_runs
from rundir.records import RunDirectory
from search.run import main

FLAGS = ["--no-report", "--quiet"]


def _errors(capsys) -> list[str]:
    captured = capsys.readouterr()
    return [line for line in (captured.out + captured.err).strip().splitlines() if line.startswith("error:")]


def _same_runs(a, b) -> None:
    """Two run directories hold the same runs, value for value (the wall times aside)."""
    ra, rb = RunDirectory(a).read_runs(), RunDirectory(b).read_runs()
    assert [(r.trial_id, r.seed, r.status, r.score) for r in ra] == [(r.trial_id, r.seed, r.status, r.score) for r in rb]
    for x, y in zip(ra, rb):
        pd.testing.assert_frame_equal(pd.DataFrame(x.history).drop(columns="seconds"),
                                      pd.DataFrame(y.history).drop(columns="seconds"))


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """One finished two-run sweep, trained once for the module."""
    root = tmp_path_factory.mktemp("faults")
    data = make_image_folder(root / "data", per_class=8, size=12)
    sweep = write_sweep(root / "faults.py", two_config_sweep("faults", data))
    assert main([str(sweep), "--out", str(root / "plain"), *FLAGS]) == 0
    return sweep, root / "plain"


@pytest.fixture
def finished(template, tmp_path):
    """A copy of the finished sweep to damage, and the untouched original to compare with."""
    sweep, plain = template
    shutil.copytree(plain, tmp_path / "run")
    return sweep, tmp_path / "run", plain


@pytest.mark.parametrize("damage", ["record cut off", "record empty", "predictions cut off"])
def test_a_damaged_record_is_named_moved_aside_retrained_and_listed_in_the_report(finished, capsys, damage):
    """Before: the resume said "finished", the run dropped out of trials.csv for good and the report
    said "1 missing" with no reason."""
    sweep, out, plain = finished
    record = out / "trials" / "0001" / "seed_0.json"
    if damage == "record cut off":
        record.write_text(record.read_text()[:40])
    elif damage == "record empty":
        record.write_text("")
    else:
        predictions = record.with_name("seed_0_predictions.csv")
        predictions.write_text(predictions.read_text()[:-7])
    header = header_info(load_runs(out))
    assert len(header.damaged) == 1 and "trials/0001/seed_0" in header.damaged[0]  # the report says so
    capsys.readouterr()
    assert main([str(sweep), "--out", str(out), *FLAGS]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning:")
                and "damaged" in line]
    assert len(warnings) == 1 and str(record) in warnings[0] and "trained again" in warnings[0]
    assert (out / "damaged" / "trials" / "0001" / "seed_0.json").exists()
    _same_runs(out, plain)  # retrained, to the value
    assert "0001" in (out / "trials.csv").read_text()
    header = header_info(load_runs(out))
    assert header.damaged and header.damaged[0].startswith("damaged/trials/0001/seed_0")


def test_a_deleted_record_is_trained_again(finished):
    sweep, out, plain = finished
    (out / "trials" / "0000" / "seed_0.json").unlink()
    assert main([str(sweep), "--out", str(out), *FLAGS]) == 0
    _same_runs(out, plain)


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else True,
                    reason="root writes through missing permissions")
def test_a_run_directory_without_write_permission_is_one_line_exit_2(finished, capsys):
    sweep, out, _ = finished
    out.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        capsys.readouterr()
        assert main([str(sweep), "--out", str(out), *FLAGS]) == 2
        errors = _errors(capsys)
        assert len(errors) == 1 and str(out) in errors[0] and "write permission" in errors[0]
    finally:
        out.chmod(stat.S_IRWXU)


def test_a_run_directory_that_cannot_be_written_is_one_line_exit_2(finished, capsys, monkeypatch):
    """A read-only disk, simulated where root ignores permissions: the write probe fails with EROFS."""
    import errno
    import tempfile

    sweep, out, _ = finished

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    capsys.readouterr()
    assert main([str(sweep), "--out", str(out), *FLAGS]) == 2
    errors = _errors(capsys)
    assert len(errors) == 1 and str(out) in errors[0] and "read-only" in errors[0]


def test_a_damaged_sweep_json_says_how_to_recover(finished, capsys):
    sweep, out, _ = finished
    (out / "sweep.json").write_text('{"name": "faults", "sta')
    capsys.readouterr()
    code = main([str(sweep), "--out", str(out), *FLAGS])
    errors = _errors(capsys)
    assert code == 2 and len(errors) == 1
    assert "sweep.json" in errors[0] and "delete it and rerun" in errors[0]


def test_a_folder_with_one_class_is_one_line_before_training(tmp_path, capsys):
    data = make_image_folder(tmp_path / "data", classes=("only",), per_class=10, size=12)
    sweep = write_sweep(tmp_path / "one.py", two_config_sweep("one", data))
    capsys.readouterr()
    assert main([str(sweep), "--out", str(tmp_path / "run"), *FLAGS]) == 2
    errors = _errors(capsys)
    assert len(errors) == 1 and "one class" in errors[0] and str(data) in errors[0]
    assert not (tmp_path / "run" / "trials").exists() or not list((tmp_path / "run" / "trials").rglob("seed_*.json"))


def test_sigterm_marks_the_sweep_interrupted_and_exits_143(tmp_path):
    import signal
    import subprocess
    import time

    from conftest import ROOT

    data = make_image_folder(tmp_path / "data", per_class=8, size=12)
    body = two_config_sweep("term", data).replace("epochs=1", "epochs=200")
    sweep = write_sweep(tmp_path / "term.py", body)
    out = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "search.run", str(sweep), "--out", str(out), *FLAGS],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list(out.glob("trials/*/seed_*.json")):
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert json.loads((out / "sweep.json").read_text())["status"] == "interrupted"
    assert "terminated" in err and "Traceback" not in err


def test_a_file_name_that_is_not_utf8_is_read_not_a_traceback(tmp_path, capsys):
    """Before: UnicodeEncodeError in the data check's digest, a traceback, and sweep.json left "running"."""
    from search.check import main as check_main

    data = make_image_folder(tmp_path / "data", per_class=8, size=12)
    first = sorted((data / "a").iterdir())[0]
    odd = os.path.join(os.fsencode(data / "a"), b"caf\xe9.png")  # Latin-1 bytes: not UTF-8
    with open(odd, "wb") as fh:
        fh.write(first.read_bytes())
    sweep = write_sweep(tmp_path / "odd.py", two_config_sweep("odd", data))
    capsys.readouterr()
    assert main([str(sweep), "--out", str(tmp_path / "run"), "--quiet"]) == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    meta = json.loads((tmp_path / "run" / "sweep.json").read_text(encoding="utf-8"))
    assert meta["status"] == "finished" and meta["data"]["n_train"] + meta["data"]["n_val"] == 17  # the file was read
    assert check_main([str(data)]) == 0
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("space, says", [
    ('{"pooling_1": ["avg", "median"]}', "pooling_1 takes 'avg', 'max', 'none'"),
    ('{"pooling_1": ["avg", "maxx"]}', "did you mean 'max'?"),
    ('{"batch_size": ["sixteen"]}', "batch_size takes whole numbers"),
    ('{"batch_size": [0, 8]}', "batch_size must be at least 1"),
    ('{"dropout": [0.2, 1.5]}', "dropout takes rates from 0 up to (not including) 1"),
])
def test_values_a_knob_does_not_accept_are_one_line_before_training(tmp_path, capsys, space, says):
    """Before: "median" trained as no pooling under the wrong name; "sixteen" failed every run after training began."""
    data = make_image_folder(tmp_path / "data", per_class=8, size=12)
    body = two_config_sweep("values", data).replace('{"pooling_1": ["avg", "max"], "batch_size": 8}', space)
    sweep = write_sweep(tmp_path / "values.py", body)
    capsys.readouterr()
    assert main([str(sweep), "--out", str(tmp_path / "run"), *FLAGS]) == 2
    errors = _errors(capsys)
    assert len(errors) == 1 and says in errors[0] and "DigitsCNN" in errors[0]
    assert not list((tmp_path / "run").rglob("seed_*.json"))  # nothing trained


def test_an_image_past_the_decode_bound_is_skipped_with_a_warning(tmp_path, monkeypatch):
    """Before: a 20000x20000 PNG (552 KB on disk) decoded to about 2 GB, eight at once. The bound is set
    low here so that a small image stands for a huge one; the default is 100 megapixels."""
    import warnings

    from PIL import Image

    from search.data.images import DEFAULT_MAX_PIXELS, SkippedFileWarning, decode_files, max_pixels

    assert max_pixels() == DEFAULT_MAX_PIXELS == 100_000_000
    small, big = tmp_path / "small.png", tmp_path / "big.png"
    Image.new("RGB", (20, 20), (10, 20, 30)).save(small)
    Image.new("RGB", (200, 100), (10, 20, 30)).save(big)
    monkeypatch.setenv("SEARCH_MAX_IMAGE_PIXELS", "10000")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        decoded = decode_files([small, big], 8, 3)
    assert decoded.kept == [0]
    skipped = [str(w.message) for w in caught if issubclass(w.category, SkippedFileWarning)]
    assert len(skipped) == 1 and str(big) in skipped[0] and "200x100" in skipped[0]
    assert "SEARCH_MAX_IMAGE_PIXELS" in skipped[0]


def test_check_run_verifies_a_run_directory_without_training(finished, capsys):
    sweep, out, _ = finished
    assert main(["--check-run", str(out)]) == 0
    assert capsys.readouterr().out.splitlines()[0].endswith("2 run records (2 completed); whole")
    (out / "trials" / "0001" / "seed_0_predictions.csv").unlink()
    (out / "trials" / "0000" / "seed_0.json").unlink()
    assert main(["--check-run", str(out)]) == 1
    problems = [line for line in capsys.readouterr().out.splitlines() if line.startswith("problem: ")]
    assert len(problems) == 2
    assert any("seed_0.json is completed but seed_0_predictions.csv is missing" in p for p in problems)
    assert any("Keras Tuner holds trial 0000 of round 1 as completed, but 1 of its runs has no finished record"
               in p for p in problems)
    assert main(["--check-run", str(out / "trials")]) == 2
    assert "has no sweep.json" in capsys.readouterr().err
