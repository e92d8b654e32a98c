"""Smoke test of `python -m benchmarks`: every benchmark runs at toy size on a
tiny generated image folder and prints JSON lines with every field.

No timing is asserted: these sizes measure nothing, they only prove the
benchmarks run and report in the documented format.
"""

from __future__ import annotations

import json

import pytest

from benchmarks.__main__ import main
from conftest import make_image_folder

FIELDS = {"name", "machine", "data", "image_size", "trials", "epochs", "metric", "unit", "baseline_is", "ours_is",
          "baseline", "ours", "ratio", "ratio_means", "target", "pass", "baseline_best", "ours_best", "details"}


@pytest.fixture(scope="module")
def toy_folder(tmp_path_factory):
    return make_image_folder(tmp_path_factory.mktemp("bench") / "images", classes=("a", "b"), per_class=8, size=32,
                             fmt="jpg")


def run_benchmark(capsys, *argv) -> list[dict]:
    assert main(list(argv)) == 0
    out = capsys.readouterr().out
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert lines, out
    assert "benchmark" in out and "target" in out  # the summary table follows the lines
    for line in lines:
        assert FIELDS <= set(line), FIELDS - set(line)
        assert {"cores", "cpu", "backend"} <= set(line["machine"])
        assert line["pass"] in (True, False, None)
    return lines


TOY = ["--model", "SneakersCNN", "--image-size", "28", "--validation-split", "0.25", "--batch-size", "8"]


def test_overhead_and_sweep(toy_folder, capsys):
    lines = run_benchmark(capsys, "overhead", "--data", str(toy_folder), *TOY, "--trials", "1", "--epochs", "2")
    assert [m["name"] for m in lines] == ["overhead"]
    assert lines[0]["ours"] > 0 and lines[0]["baseline"] > 0 and lines[0]["trials"] == 1

    lines = run_benchmark(capsys, "sweep", "--data", str(toy_folder), *TOY, "--trials", "1", "--epochs", "1",
                          "--seeds", "2")
    sweep = lines[0]
    assert sweep["name"] == "sweep" and sweep["trials"] == 1 and sweep["details"]["seeds"] == 2
    assert sweep["details"]["same_configurations"] is True  # one configuration, two runs of it on each side
    assert sweep["baseline_best"] is not None and sweep["ours_best"] is not None


def test_memory(toy_folder, capsys, monkeypatch):
    """The children run in this process here (a subprocess each would cost a
    TensorFlow import apiece); their numbers mean nothing, their format does."""
    from benchmarks import memory

    def in_process(jobs):
        return {key: memory._child(side, {**opts, "warm_up": False}) for key, (side, opts) in jobs.items()}

    monkeypatch.setattr(memory, "_spawn", in_process)
    lines = run_benchmark(capsys, "memory", "--data", str(toy_folder), *TOY, "--trials", "2", "--epochs", "1")
    assert [m["name"] for m in lines] == ["memory.per_trial", "memory.peak"]
    details = lines[0]["details"]
    assert len(details["ours_peak_after_each_trial_mb"]) == 2 and len(details["baseline_part_peak_after_each_trial_mb"]) == 2
    assert details["part_data_mb"] < details["data_mb"]
    assert lines[1]["ours"] > 0 and lines[1]["baseline"] > 0


def test_memory_child_entry_rejects_other_arguments(capsys):
    from benchmarks.memory import _main

    assert _main(["--child", "nobody", "{}"]) == 2


def test_precision_and_report(toy_folder, capsys):
    lines = run_benchmark(capsys, "precision", "--data", str(toy_folder), *TOY, "--epochs", "2", "--images", "8")
    assert lines[0]["name"] == "precision" and lines[0]["baseline"] > 0 and lines[0]["ours"] > 0

    lines = run_benchmark(capsys, "report", "--report-trials", "6", "--report-epochs", "3", "--no-cli")
    assert lines[0]["name"] == "report" and lines[0]["baseline"] is None and lines[0]["ours"] > 0


def test_missing_data_folder_skips_with_a_reason(tmp_path, capsys):
    assert main(["sweep", "--data", str(tmp_path / "absent")]) == 0
    out = capsys.readouterr().out
    line = json.loads(out.splitlines()[0])
    assert line["name"] == "sweep" and "not found" in line["skipped"] and line["pass"] is None


def test_pruning_replays_a_finished_sweep(tmp_path, capsys):
    from reports.synthetic import write_synthetic_run

    run = write_synthetic_run(tmp_path / "run", n_trials=6, seeds=2, epochs=5)
    lines = run_benchmark(capsys, "pruning", "--runs", str(run), "--after-epochs", "1,9")
    assert [m["ours_is"] for m in lines] == ["MedianStopping(after_epochs=1, min_runs=3)",
                                             "MedianStopping(after_epochs=9, min_runs=3)"]
    assert all(m["trials"] == 12 and m["baseline"] == 60 for m in lines)
    assert lines[1]["ours"] == 60 and lines[1]["details"]["regret"] == 0  # epoch 9 never comes: nothing cut
    assert lines[0]["ours"] < 60 and lines[0]["details"]["runs_stopped"] > 0


def test_pruning_trains_its_own_grid_without_runs(toy_folder, capsys):
    lines = run_benchmark(capsys, "pruning", "--data", str(toy_folder), *TOY, "--trials", "4", "--epochs", "2",
                          "--after-epochs", "1")
    assert lines[0]["trials"] == 4 and lines[0]["baseline"] == 8
