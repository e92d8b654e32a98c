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
    assert [m["name"] for m in lines] == ["memory.per_trial", "memory.peak", "memory.slope"]
    details = lines[0]["details"]
    assert len(details["ours_peak_after_each_trial_mb"]) == 2 and len(details["baseline_part_peak_after_each_trial_mb"]) == 2
    assert details["part_data_mb"] < details["data_mb"]
    assert lines[1]["ours"] > 0 and lines[1]["baseline"] > 0
    full, part = lines[2]["details"]["images"]
    assert full > part > 0 and lines[2]["ours"] == details["ours_data_copies_after_each_trial"][-1]


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
    from rundir.synthetic import write_synthetic_run

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



def run_fused(capsys, *argv) -> tuple[dict, dict]:
    """`fused` at toy size: its measured lines (with every field) and its skipped parts, by name."""
    assert main(["fused", *argv]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    measured = {m["name"]: m for m in lines if "skipped" not in m}
    for m in measured.values():
        assert FIELDS <= set(m), FIELDS - set(m)
        assert m["machine"]["backend"] and m["pass"] in (True, False, None)
    return measured, {m["name"]: m["skipped"] for m in lines if "skipped" in m}


def test_fused_eyes_part(toy_folder, tmp_path, capsys):
    """Fused vs one by one and the verdicts; auto and the plain side are
    exercised by the Hollywood and --gpu tests (each side costs seconds here)."""
    measured, skipped = run_fused(capsys, "--data", str(toy_folder), "--hollywood-data", str(tmp_path / "absent"),
                                  "--image-size", "24", "--epochs", "1", "--trials", "1", "--seeds", "2",
                                  "--eyes-sides", "on,off")
    assert list(measured) == ["fused.eyes"] and "not found" in skipped["fused.hollywood"]
    eyes = measured["fused.eyes"]
    d = eyes["details"]
    assert eyes["trials"] == 1 and d["seeds"] == 2 and eyes["baseline"] > 0 and eyes["ours"] > 0
    assert d["on_fused_counts"] == {"2": 2} and d["off_fused_counts"] == {"1": 2}
    assert isinstance(d["same_verdicts"], bool) and [c[0] for c in d["verdicts_on"]] == [c[0] for c in d["verdicts_off"]]
    assert d["same_configurations"] is True and d["on_run_best"]["n"] == d["off_run_best"]["n"] == 2
    assert d["auto_seconds"] == [] and d["plain_seconds"] == []


def test_fused_hollywood_part_reports_what_auto_chose(toy_folder, tmp_path, capsys):
    kept = tmp_path / "kept"
    measured, skipped = run_fused(capsys, "--data", str(tmp_path / "absent"), "--hollywood-data", str(toy_folder),
                                  "--hollywood-size", "40", "--hollywood-epochs", "1", "--hollywood-trials", "1",
                                  "--seeds", "2", "--keep-runs", str(kept))
    # --keep-runs keeps each side's run folder; a second measurement into it would resume, so it is refused.
    assert sorted(p.name for p in kept.iterdir()) == ["hollywood_auto_0", "hollywood_off_0"]
    assert (kept / "hollywood_off_0" / "trials.csv").exists()
    assert run_fused(capsys, "--data", str(tmp_path / "absent"), "--hollywood-data", str(toy_folder),
                     "--keep-runs", str(kept))[1] == {"fused": f"--keep-runs {kept} is not empty: a run folder there "
                                                          "would resume, not be timed"}
    assert list(measured) == ["fused.hollywood"] and list(skipped) == ["fused.eyes"]
    m = measured["fused.hollywood"]
    assert m["image_size"] == 40 and m["trials"] == 1 and m["ours"] > 0 and m["baseline"] > 0
    d = m["details"]
    # On a CPU auto keeps seeds one after another, by rule (search.training.fusion), and says why.
    assert d["auto_fused"] is False and "on a CPU" in d["auto_reason"]
    assert d["auto_fused_counts"] == {"1": 2}
    assert d["off_fused_counts"] == {"1": 2}


def test_fused_gpu_mode_runs_on_the_cpu_and_says_so(toy_folder, tmp_path, capsys):
    measured, skipped = run_fused(capsys, "--gpu", "--data", str(tmp_path / "absent"), "--hollywood-data",
                                  str(toy_folder), "--seeds", "2", "--hollywood-size", "40", "--hollywood-epochs", "1",
                                  "--hollywood-trials", "1", "--max-k", "2", "--k-steps", "1")
    assert list(measured) == ["fused.gpu.hollywood", "fused.gpu.max_k"] and list(skipped) == ["fused.gpu.eyes"]
    d = measured["fused.gpu.hollywood"]["details"]
    assert d["gpu"] is False and "no GPU" in d["note"] and measured["fused.gpu.hollywood"]["image_size"] == 40
    assert d["plain_run_best"]["n"] == d["fused_run_best"]["n"] == 2 and d["fused_fused_counts"] == {"2": 2}
    assert d["same_configurations"] is True and isinstance(d["run_best_gap_within_tolerance"], bool)
    k = measured["fused.gpu.max_k"]
    assert k["ours"] == 2 and [r["k"] for r in k["details"]["per_k"]] == [1, 2]
    assert "cap" in k["details"]["stopped"]["tower"] and k["details"]["largest_k"] == {"tower": 2}
    assert all(r["peak_bytes"] > 0 and r["first_fit_s"] > 0 for r in k["details"]["per_k"])


def test_the_epoch_table_prices_each_article_model_at_its_article_size(capsys):
    from benchmarks import epoch_time

    assert epoch_time.main(["--models", "DigitsCNN", "BreastCancerCNN", "--steps", "2"]) == 0
    out = capsys.readouterr().out
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert [(r["model"], r["image_size"], r["train_images"]) for r in rows] == [("DigitsCNN", 16, 1438),
                                                                            ("BreastCancerCNN", 50, 1000)]
    assert all(r["epoch_s"] > 0 and r["train_step_s"] > 0 and "load_avg" in r["machine"] for r in rows)
    assert "| DigitsCNN | demo: scikit-learn digits" in out
