"""Targeted rounds: a round after the first trains only the configurations an undecided part reads.

On the sneakers grid (pooling_1 x pooling_2 in avg/max) pooling-texture
reads all-max against all-average and mixed-pooling average-then-max
against all-average: max-then-average feeds neither, and once
pooling-texture is decided only two configurations need more seeds.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from claims.verdicts import evaluate, targeted_limit, trials_feeding_undecided
from rundir.manifest import DataInfo, FoldInfo, Manifest, SeedPlan
from rundir.records import RunRecord
from search.sweep.rounds import Round, next_round, open_after
from search.sweep.seeds import Seeds

GRID = {"0000": ("avg", "avg"), "0001": ("avg", "max"), "0002": ("max", "avg"), "0003": ("max", "max")}
META = Manifest(claims=("pooling-texture", "mixed-pooling"), seeds=SeedPlan(3, 20, Seeds(3, 20).looks(), in_rounds=True),
                data=DataInfo(n_val=2000, class_counts={"a": {"val": 1000}, "b": {"val": 1000}}))


def _records(seeds: range, max_gain: float, mixed_gain: float, rng, trials=tuple(GRID)) -> list[RunRecord]:
    settings = {t: {"pooling_1": p1, "pooling_2": p2} for t, (p1, p2) in GRID.items()}
    out = []
    for seed in seeds:
        base = 0.7 + rng.normal(0, 0.02)
        for t in trials:
            score = base + rng.normal(0, 0.002) + {"0003": max_gain, "0001": mixed_gain}.get(t, 0.0)
            out.append(RunRecord(t, seed, "completed", settings[t], score=score, best_val_accuracy=score,
                                 final_val_accuracy=score))
    return out


def test_the_next_round_trains_only_what_an_open_part_reads():
    rng = np.random.default_rng(0)
    # All-max wins by 10 points in every seed (decided at 3 seeds); the mix is a coin toss (open).
    records = _records(range(3), 0.10, 0.0, rng)
    open_claims, trials = trials_feeding_undecided(records, META)
    assert open_claims == ["mixed-pooling"] and trials == {"0000", "0001"}
    undecided, targeted = open_after(Round(1, 0, 3), records, META)
    assert undecided == ["mixed-pooling"] and targeted == ("0000", "0001")
    following = next_round(Seeds(3, 20), Round(1, 0, 3), undecided, targeted)
    assert following == Round(2, 3, 4, ("mixed-pooling",), ("0000", "0001"))
    assert following.trains("0001") and not following.trains("0003")
    assert "only the 2 configuration(s)" in following.label()
    assert Round.from_json(json.loads(json.dumps(following.to_json("running")))) == following
    # While both are open, max-then-average still feeds neither claim: it is left out from round 2 on.
    both_open = _records(range(3), 0.0, 0.0, np.random.default_rng(1))
    assert open_after(Round(1, 0, 3), both_open, META)[1] == ("0000", "0001", "0003")


def test_a_part_keeps_the_seeds_before_a_round_that_left_one_of_its_configurations_out():
    rng = np.random.default_rng(2)
    meta = META.with_changes(rounds=(Round(1, 0, 3), Round(2, 3, 4, trials=("0000", "0001"))), rounds_finished=2)
    records = _records(range(3), 0.10, 0.0, rng) + _records(range(3, 4), 0.10, 0.0, rng, trials=("0000", "0001"))
    assert targeted_limit(frozenset({"0000", "0003"}), meta) == 3  # pooling-texture: all-max was left out
    assert targeted_limit(frozenset({"0000", "0001"}), meta) is None  # mixed-pooling: trained on
    rows = {r.claim: r for r in evaluate(records, meta)}
    assert rows["pooling-texture"].seeds == 3 and rows["mixed-pooling"].seeds == 4
    assert rows["pooling-texture"].adjusted_verdict == "supported"
    # Without the round log the claims would read seed 3's lone all-average run as half a pair: no pair, 3 seeds.
    assert {r.claim: r for r in evaluate(records, META)}["pooling-texture"].seeds == 3


@pytest.mark.parametrize("trials, expected", [(None, 4 * 3 + 4 * 1), (["0000", "0001"], 4 * 3 + 2 * 1)])
def test_the_manifest_expects_the_runs_the_rounds_asked_for(trials, expected):
    """One count for the report's header, the progress lines and --check-run: a targeted round asks only its own."""
    rounds = [{"round": 1, "first_seed": 0, "seeds": 3}, {"round": 2, "first_seed": 3, "seeds": 4}]
    if trials is not None:
        rounds[1]["trials"] = trials
    manifest = Manifest.from_json({"seeds": {"min": 3, "max": 20}, "rounds": rounds, "planned_trials": 4})
    assert manifest.expected_runs() == expected
    assert manifest.with_changes(folds=FoldInfo(k=3, images=90)).expected_runs() == 3 * expected


TARGETED_SWEEP = """
sweep = Sweep(
    name="targeted",
    data=TrainTestFolders({data!r}),
    hypermodel=DigitsCNN,
    image_size=12,
    space={{"pooling_1": ["avg", "max"], "pooling_2": ["avg", "max"], "batch_size": 16}},
    epochs=2,
    seeds=Seeds(min=2, max=3),
    claim_min_pairs=2,
    folds=2,
    early_stopping=None,
    claims=("pooling-texture", "mixed-pooling"),
)
"""


def test_a_sweep_in_rounds_leaves_out_the_configuration_no_claim_reads(tmp_path):
    """Round 2 trains all-average, average-then-max and all-max, never max-then-average; the report
    expects exactly the runs the rounds asked for."""
    from conftest import make_hard_folder, write_sweep
    from reports.header import header_info
    from reports.runs import load_runs
    from rundir.records import RunDirectory
    from search.run import main

    make_hard_folder(tmp_path / "data" / "train", 62, 1)
    make_hard_folder(tmp_path / "data" / "test", 38, 2)
    path = write_sweep(tmp_path / "s.py", TARGETED_SWEEP.format(data=str(tmp_path / "data")))
    out = tmp_path / "run"
    assert main([str(path), "--out", str(out), "--no-report", "--quiet"]) == 0
    meta = json.loads((out / "sweep.json").read_text())
    runs = RunDirectory(out).read_runs()
    pools = {r.trial_id: (r.hyperparameters["pooling_1"], r.hyperparameters["pooling_2"]) for r in runs}
    assert len(meta["rounds"]) == 2, meta["rounds"]  # two seeds decide nothing: a second round follows
    second = meta["rounds"][1]
    assert sorted(pools[t] for t in second["trials"]) == [("avg", "avg"), ("avg", "max"), ("max", "max")]
    seeds = {t: sorted({r.seed for r in runs if r.trial_id == t}) for t in pools}
    assert all(seeds[t] == ([0, 1, 2] if t in second["trials"] else [0, 1]) for t in pools), seeds
    assert len(runs) == (4 * 2 + 3 * 1) * 2  # configurations x seeds x 2 folds
    header = header_info(load_runs(out))
    assert header.n_expected == len(runs) and header.n_missing == 0
    from rundir.verify import check_run

    check = check_run(out)  # rounds, a targeted round and folds: whole, with no false alarm
    assert check.ok and not check.notes, check.lines()
