"""Sequential seeds: rounds of seeds added only while a requested claim is undecided.

The round decision is tested on constructed claim rows. Tiny real sweeps
(12 px images, 1 epoch) check the engine: Seeds without claims, a kill -9
in the middle of round 2 and the resume, and the rounds served to two
workers. Their first round has 2 seeds, fewer than the statistics judge
(claims.stats.DEFAULT_MIN_SEEDS), so round 2 follows whatever the training
noise: the engine, not the statistics, is under test there.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import fields
from pathlib import Path

import keras_tuner
import pytest

from claims.verdicts import ClaimRow, read_claims_csv
from conftest import ROOT, TINY, make_image_folder, write_sweep
from search.sweep import keras_tuner_private as kt_private
from search.sweep.distributed import RoundOracle
from search.sweep.manifest import sweep_manifest
from search.sweep.prepare import prepare
from rundir.errors import SweepError
from rundir.records import RunDirectory, RunRecord
from search.sweep.rounds import (Round, RoundLog, current_round, first_round, next_round, requested_undecided,
                           runs_of_look, seed_plan, stop_reason, undecided_after)
from rundir.manifest import Manifest, read_manifest
from search.run import main
from search.sweep.seeds import Seeds
from search.sweep.spec import Sweep

# 2 configurations (the learning rates 1e-4 and 1e-2 the claim adds) of the
# demo CNN, 1 epoch, seeds 0-1 (one fused program per configuration) then
# seed 2 (the plan's maximum).
ROUNDS_SWEEP = """
sweep = Sweep(
    name="rounds",
    data=ImageFolder({data!r}, validation_split=0.25, seed=1),
    hypermodel=DigitsCNN,
    image_size=12,
    space={{"batch_size": 8}},
    epochs=1,
    seeds=Seeds(min=2, max=3),
    early_stopping=None,
    claims=("learning-rate",),
    fuse_seeds=True,
)
"""
CONFIGS = 2
ENV = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")


def row(claim: str, verdict: str) -> ClaimRow:
    """A claims.csv row with only its id and verdict filled in (whatever other columns it has)."""
    values = {f.name: None for f in fields(ClaimRow)}
    values.update({name: verdict for name in values if "verdict" in name}, claim=claim, differences=[], settled=True)
    return ClaimRow(**values)


# -- the decision, on constructed rows ---------------------------------------------------------


def test_next_round_adds_the_next_look_only_for_requested_undecided_claims():
    plan = Seeds(min=3, max=20)
    done = first_round(plan)
    assert done == Round(1, 0, 3)
    rows = [row("pooling-texture", "supported"), row("batch-size", "inconclusive"),
            row("depth-overfit", "inconclusive"), row("vgg16-cost", "not tested")]
    # depth-overfit is undecided but not requested: it buys no seeds.
    undecided = requested_undecided(rows, ["batch-size", "pooling-texture", "vgg16-cost"])
    assert undecided == ["batch-size"]
    second = next_round(plan, done, undecided)
    assert second == Round(2, 3, 4, ("batch-size",))
    assert second.label() == "round 2: seed 3, because batch-size is undecided"
    third = next_round(plan, Round(5, 6, 8), ["batch-size", "pooling-texture"])
    assert third == Round(6, 8, 10, ("batch-size", "pooling-texture"))
    assert third.label() == "round 6: seeds 8-9, because batch-size, pooling-texture are undecided"

    decided = [row("batch-size", "contradicted"), row("pooling-texture", "supported")]
    assert requested_undecided(decided, ["batch-size", "pooling-texture"]) == []
    assert next_round(plan, second, []) is None
    assert stop_reason(plan, second, [], ["batch-size"]) .startswith("after 4 seeds no requested claim is left")


def test_rounds_stop_at_max_and_a_fixed_count_is_one_round():
    plan = Seeds(min=3, max=8)
    assert plan.looks() == (3, 4, 5, 6, 8)
    assert Seeds().looks() == (3, 4, 5, 6, 8, 10, 12, 15, 20)
    last = Round(5, 6, 8, ("batch-size",))
    assert next_round(plan, last, ["batch-size"]) is None
    assert stop_reason(plan, last, ["batch-size"], ["batch-size"]) == \
        "reached the maximum of 8 seeds with batch-size still undecided"
    assert first_round(5) == Round(1, 0, 5) and next_round(5, Round(1, 0, 5), ["batch-size"]) is None
    assert stop_reason(Seeds(), Round(1, 0, 3), [], []) == "no claims requested, so Seeds runs its minimum of 3 seeds"


def test_a_look_reads_only_its_own_seeds_and_the_log_is_written_for_workers():
    records = [RunRecord("0000", s, "completed", {}) for s in range(5)]
    assert [r.seed for r in runs_of_look(records, 3)] == [0, 1, 2]  # a killed round 2 left seeds 3, 4 behind
    log = RoundLog([Round(1, 0, 3), Round(2, 3, 5, ("batch-size",))], finished=1)
    written = log.into(Manifest(seeds=seed_plan(Seeds()))).to_json()
    assert written["seeds_reached"] == 3 and [r["status"] for r in written["rounds"]] == ["finished", "running"]
    manifest = Manifest.from_json(written)  # what a worker reads back
    assert manifest.rounds_finished == 1 and manifest.seeds_reached == 3
    assert current_round(manifest, Seeds()) == Round(2, 3, 5, ("batch-size",))  # what a worker trains
    assert current_round(Manifest(), 4) == Round(1, 0, 4)


def test_round_oracle_makes_workers_wait_between_rounds_and_stop_after_the_last(tmp_path):
    def grid(project: str):
        hp = keras_tuner.HyperParameters()
        hp.Choice("pooling_1", ["max", "avg"])
        oracle = keras_tuner.oracles.GridSearchOracle(objective="val_accuracy", hyperparameters=hp)
        kt_private.set_project_dir(oracle, tmp_path, project)
        return oracle

    def finish(oracle, trial):
        oracle.update_trial(trial.trial_id, {"val_accuracy": 0.5})
        trial.status = "COMPLETED"
        oracle.end_trial(trial)

    served = RoundOracle(grid("tuner"))
    first = [served.create_trial("w1"), served.create_trial("w2")]
    assert [t.status for t in first] == ["RUNNING", "RUNNING"]
    assert not served.round_over()
    finish(served, first[0])
    assert served.create_trial("w1").status == "IDLE"  # grid handed out, w2 still running
    finish(served, first[1])
    assert served.create_trial("w1").status == "IDLE"  # not STOPPED: the chief has not decided yet
    assert served.round_over()
    served.switch(grid("tuner/round_2"))
    assert not served.round_over()
    again = served.create_trial("w1")
    assert again.status == "RUNNING" and again.trial_id == first[0].trial_id  # the same grid point, same id
    assert again.hyperparameters.values == first[0].hyperparameters.values
    finish(served, again)
    finish(served, served.create_trial("w2"))
    assert served.create_trial("w1").status == "IDLE" and served.round_over()
    served.finish()
    assert served.create_trial("w1").status == "STOPPED" and not served.round_over()


# -- refusals and the plan on disk --------------------------------------------------------------


def test_seeds_need_a_grid_and_claims_refuse_hyperband():
    from search import Digits, DigitsCNN

    assert Sweep(name="x", data=Digits(), hypermodel=DigitsCNN, seeds="auto").seeds == Seeds(3, 20)
    with pytest.raises(SweepError, match="only a grid search repeats"):
        Sweep(name="x", data=Digits(), hypermodel=DigitsCNN, tuner="random", seeds=Seeds())
    with pytest.raises(SweepError, match="hyperband trains configurations to unequal epoch budgets"):
        Sweep(name="x", data=Digits(), hypermodel=DigitsCNN, tuner="hyperband", claims=("pooling-texture",))
    with pytest.raises(SweepError, match='seeds must be a whole number of at least 1, Seeds'):
        Sweep(name="x", data=Digits(), hypermodel=DigitsCNN, seeds="many")


def test_bad_seeds_flag_is_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["sweep.py", "--seeds", "some"])
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_.value.code == 2 and err == ["error: argument --seeds: wants a whole number or auto, got 'some' "
                                              "(see --help)"]


def test_the_seed_plan_is_in_sweep_json_for_fixed_seeds_too(tmp_path, capsys):
    data = make_image_folder(tmp_path / "data", per_class=4, size=12)
    sweep = write_sweep(tmp_path / "tiny.py", TINY.format(data=str(data), seeds=2))
    assert main([str(sweep), "--seeds", "auto", "--describe"]) == 0
    assert "2 trials x 3 seeds (Seeds(min=3, max=20) adds rounds only for undecided claims; this sweep has none)" \
        in capsys.readouterr().out
    from search.sweep.spec import load_sweep_file

    meta = sweep_manifest(prepare(load_sweep_file(sweep)), str(sweep), "now", "running").to_json()
    assert meta["seeds"] == 2 and meta["seed_looks"] == [2] and meta["claims"] == []
    assert meta["rounds"] == [{"round": 1, "first_seed": 0, "seeds": 2, "because": [], "status": "running"}]
    assert meta["fingerprint"]["seeds"] == 2


# -- real sweeps ----------------------------------------------------------------------------------


def test_seeds_without_claims_run_the_minimum_and_say_so(tmp_path, capsys):
    data = make_image_folder(tmp_path / "data", classes=("left", "right"), per_class=8, size=12)
    sweep = write_sweep(tmp_path / "tiny.py", TINY.format(data=str(data), seeds="Seeds(min=2, max=5)")
                        .replace("epochs=2", "epochs=1"))
    out = tmp_path / "run"
    assert main([str(sweep), "--out", str(out), "--no-report"]) == 0
    assert sorted((r.trial_id, r.seed) for r in RunDirectory(out).read_runs()) == [
        ("0000", 0), ("0000", 1), ("0001", 0), ("0001", 1)]
    err = capsys.readouterr().err
    assert "round 1: seeds 0-1" in err and "round 1 run 4/4 trial 0001 seed 2/2" in err
    assert "seeds: no claims requested, so Seeds runs its minimum of 2 seeds" in err
    meta = json.loads((out / "sweep.json").read_text())
    assert meta["seeds"] == {"min": 2, "max": 5} and meta["seed_looks"] == [2, 3, 5]
    assert meta["seeds_reached"] == 2 and len(meta["rounds"]) == 1 and meta["status"] == "finished"


@pytest.fixture
def rounds_sweep(tmp_path: Path) -> Path:
    data = make_image_folder(tmp_path / "data", classes=("left", "right"), per_class=8, size=12)
    return write_sweep(tmp_path / "rounds.py", ROUNDS_SWEEP.format(data=str(data)))


def test_two_seeds_are_too_few_to_judge():
    """What the real sweeps below rely on for their round 2."""
    from claims.stats import DEFAULT_MIN_SEEDS

    assert DEFAULT_MIN_SEEDS > 2


def _check_rounds_on_disk(out: Path) -> list[RunRecord]:
    """Both rounds ran in full: 2 configurations x seeds 0-2, each trial one configuration."""
    runs = RunDirectory(out).read_runs()
    assert sorted((r.trial_id, r.seed) for r in runs) == [(f"{t:04d}", s) for t in range(CONFIGS) for s in range(3)]
    assert all(r.status == "completed" for r in runs)
    configs = {}
    for r in runs:
        configs.setdefault(r.trial_id, set()).add(r.hyperparameters["learning_rate"])
    assert all(len(c) == 1 for c in configs.values()) and len(set.union(*configs.values())) == CONFIGS
    meta = json.loads((out / "sweep.json").read_text())
    assert meta["seed_looks"] == [2, 3] and meta["claims"] == ["learning-rate"]
    assert meta["rounds"] == [
        {"round": 1, "first_seed": 0, "seeds": 2, "because": [], "status": "finished"},
        {"round": 2, "first_seed": 2, "seeds": 3, "because": ["learning-rate"], "status": "finished"},
    ]
    assert meta["seeds_reached"] == 3 and meta["status"] == "finished"
    # After the last look the claim may be decided or not; the reason must say which, as the records do.
    undecided = undecided_after(Round(2, 2, 3), runs, read_manifest(out))
    assert meta["seed_stop"] == stop_reason(Seeds(2, 3), Round(2, 2, 3), undecided, ["learning-rate"])
    assert meta["seed_stop"] in ("after 3 seeds no requested claim is left that more seeds could decide "
                                 "(each is decided, not measurable on this data, or not tested)",
                                 "reached the maximum of 3 seeds with learning-rate still undecided")
    return runs


def test_a_sweep_killed_in_round_2_resumes_without_training_a_run_twice(rounds_sweep, tmp_path):
    """Also the report it rewrites while it runs (search.sweep.live): halfway through round 2 it is there, with
    the progress banner and the verdicts of round 1 only, and it renders in Chromium at 800 and 1400 px."""
    out = tmp_path / "run"
    records = RunDirectory(out)
    command = [sys.executable, "-m", "search.run", str(rounds_sweep), "--out", str(out)]
    proc = subprocess.Popen(command, cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None:
            runs = records.read_runs()
            # Round 2 is under way: a seed-2 run finished and the next one is training.
            if any(r.seed == 2 and r.status == "completed" for r in runs) and \
                    any(r.seed == 2 and r.status == "running" for r in runs):
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the sweep ended before round 2 could be interrupted"
        proc.send_signal(signal.SIGSTOP)  # held still halfway: its page is read while the sweep is alive
        _check_live_page(out, tmp_path)
        proc.send_signal(signal.SIGKILL)
        _, first_err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert "round 2: seed 2, because learning-rate is undecided" in first_err
    before = {(r.trial_id, r.seed): r.finished for r in records.read_runs() if r.status == "completed"}
    assert len([k for k in before if k[1] < 2]) == 2 * CONFIGS and any(k[1] == 2 for k in before)
    assert f"report: {out / 'report.html'} (rewritten while the sweep runs)" in first_err  # said at the start

    again = subprocess.run(command, cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=240)
    assert again.returncode == 0, again.stderr[-3000:]
    runs = _check_rounds_on_disk(out)
    after = {(r.trial_id, r.seed): r.finished for r in runs}
    assert {k: after[k] for k in before} == before  # finished runs were reused, not trained again
    assert "round 1 run" not in again.stderr  # round 1 was whole on disk: nothing of it ran again
    assert "round 2: seed 2, because learning-rate is undecided" in again.stderr
    assert again.stderr.count("round 2 run") <= CONFIGS - 1  # the round-2 runs finished before the kill stay done
    final = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="progress"' not in final and "http-equiv" not in final  # the final report, as ever
    assert {r.claim: r.seeds for r in read_claims_csv(out / "claims.csv")}["learning-rate"] == 3


def _check_live_page(out: Path, tmp_path: Path) -> None:
    """The page of a sweep halfway through round 2: the banner, round 1's verdicts (seeds 0-1) though a
    seed-2 run is on disk, and a render in headless Chromium at both widths."""
    page = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="progress"' in page and "Sweep running" in page and 'http-equiv="refresh"' in page
    assert "Verdicts after round 1 of the plan (seeds 0-1)" in page
    assert any(r.seed == 2 and r.status == "completed" for r in RunDirectory(out).read_runs())
    assert {r.claim: r.seeds for r in read_claims_csv(out / "claims.csv")}["learning-rate"] == 2  # not 3
    from test_report_browser import CHROMIUM, chromium

    if CHROMIUM is None:
        return
    from PIL import Image

    for width in (800, 1400):
        shot = tmp_path / f"live_{width}.png"
        result = chromium(tmp_path, f"--screenshot={shot}", f"--window-size={width},1400", "--hide-scrollbars",
                          (out / "report.html").as_uri())
        assert shot.exists(), result.stderr[-2000:]
        assert "net::ERR_" not in result.stderr
        with Image.open(shot) as image:
            colours = image.convert("RGB").resize((64, 100)).getcolors(64 * 100)
        assert colours is not None and len(colours) > 20, f"the live page at {width} px looks blank"
    dom = chromium(tmp_path, "--dump-dom", "--virtual-time-budget=3000", (out / "report.html").as_uri()).stdout
    assert 'data-ready="1"' in dom and 'id="progress"' in dom


def test_workers_train_each_rounds_seeds(rounds_sweep, tmp_path):
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-m", "search.run", str(rounds_sweep), "--out", str(out), "--no-report",
                           "--workers", "2"], cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    runs = _check_rounds_on_disk(out)
    assert {r.worker for r in runs} <= {"w1", "w2"} and {r.worker for r in runs if r.seed == 2} <= {"w1", "w2"}
    # A round's seeds of a configuration are one program, trained by one worker (search.training.fused).
    assert {(r.seed, r.fused) for r in runs} == {(0, 2), (1, 2), (2, 1)}
    assert "round 2: seed 2, because learning-rate is undecided" in proc.stderr
    assert proc.stderr.count("round 2 run") == CONFIGS  # the chief shows each new run once
