"""Your own question, judged like the articles': claims a user states with `search.Compare`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import search
from benchmarks.stated_calibration import draw, judged, manifest as stated_manifest, stated
from claims.stated import Compare, claim_of, parse_claim, sentence
from claims.stats import CONTRADICTED, NOT_REQUESTED, SUPPORTED
from claims.verdicts import evaluate, read_claims_csv
from conftest import write_sweep
from reports.scorecard import scorecard_info, write_scorecard
from rundir.errors import SweepError
from rundir.manifest import Manifest, StatedClaim, read_manifest, write_manifest
from rundir.records import RunDirectory
from search.run import main

WHY = "2 points: what I would change my model for"


# -- what a user writes ------------------------------------------------------------

def test_a_compare_reads_as_a_sentence_and_keeps_every_part():
    claim = Compare("batch_size", 64, 32, expect="equal", reference=0, metric="final_val_accuracy", margin=0.02,
                    why=WHY).also(expect="lower", metric="log_seconds_per_epoch", margin=0.69, why="half the time")
    assert claim.id == "batch_size 64 vs 32" and claim.values == (64, 32)
    assert claim.metrics == ("final_val_accuracy", "log_seconds_per_epoch")
    assert sentence(claim.record) == ("batch_size 64 gives the same final_val_accuracy as 32, within 0.02; and "
                                      "batch_size 64 gives a lower log_seconds_per_epoch than 32, by at least 0.69.")
    built = claim_of(claim.record)
    assert built.stated and built.source == "yours"
    assert [(p.sign, p.margin, p.reference) for p in built.parts] == [(0, 0.02, 0.0), (-1, 0.69, None)]
    assert built.schedule(None) == {"batch_size": [32, 64]}
    assert not built.parts[1].accuracy_units and built.parts[0].accuracy_units  # seconds are not accuracy points


@pytest.mark.parametrize("kwargs, words", [
    ({"treatment": 0.5, "baseline": 0.5}, "is 0.5 on both sides"),
    ({"margin": None}, "margin is missing"),
    ({"margin": 0}, "the margin must be a number above 0"),
    ({"margin": -0.02}, "the margin must be a number above 0"),
    ({"why": ""}, "why is missing"),
    ({"expect": "equal"}, "expect=\"equal\" needs reference=..."),
    ({"expect": "bigger"}, "expect takes \"higher\", \"lower\" or \"equal\""),
    ({"expect": None}, "expect is missing"),
    ({"treatment": [0.5]}, "is not a value a knob takes"),
    ({"reference": 0.1}, "goes with expect=\"equal\" only"),
])
def test_a_mistake_in_a_compare_is_one_line_naming_it(kwargs, words):
    args = {"treatment": 0.5, "baseline": 0.25, "expect": "higher", "metric": "best_val_accuracy", "margin": 0.02,
            "why": WHY, **kwargs}
    treatment, baseline = args.pop("treatment"), args.pop("baseline")
    with pytest.raises(SweepError) as info:
        Compare("dropout", treatment, baseline, **args)
    assert words in str(info.value) and "\n" not in str(info.value)


def test_the_command_line_states_a_claim_in_one_line():
    higher = parse_claim("dropout: 0.5 > 0.25 on best_val_accuracy by 0.02, because two points")
    assert higher.record == Compare("dropout", 0.5, 0.25, expect="higher", metric="best_val_accuracy", margin=0.02,
                                    why="two points").record
    lower = parse_claim("pooling_1: avg < max on val_auc by 0.01, because an AUC point")
    assert lower.values == ("avg", "max") and lower.record.parts[0].expect == "lower"
    same = parse_claim("batch_size: 64 = 32 on final_val_accuracy by 0.02, because two points")
    assert same.record.parts[0].expect == "equal" and same.record.parts[0].reference == 0.0
    with pytest.raises(SweepError, match="is not a claim; write it as"):
        parse_claim("dropout 0.5 is better")


# -- checked against the model before training ---------------------------------------

@pytest.mark.parametrize("claim, words", [
    ("dropot: 0.5 > 0.25 on best_val_accuracy by 0.02, because 2 points",
     "error: claim 'dropot 0.5 vs 0.25': DigitsCNN has no knob 'dropot' (did you mean 'dropout'?)"),
    ("dropout: 1.5 > 0.25 on best_val_accuracy by 0.02, because 2 points",
     "error: claim 'dropout 1.5 vs 0.25': dropout=1.5 is not a value DigitsCNN accepts: dropout takes rates"),
    ("pooling_1: maxx > avg on best_val_accuracy by 0.02, because 2 points",
     "error: claim 'pooling_1 maxx vs avg': pooling_1='maxx' is not a value DigitsCNN accepts: pooling_1 takes "
     "'avg', 'max', 'none'; did you mean 'max'?"),
    ("dropout: 0.5 > 0.25 on val_auc by 0.02, because 2 points",
     "error: claim 'dropout 0.5 vs 0.25': metric 'val_auc' is not built in, and DigitsCNN does not log it; each "
     "epoch logs loss, accuracy, val_loss, val_accuracy"),
])
def test_a_claim_that_does_not_fit_the_model_is_one_error_line_before_training(tmp_path, capsys, claim, words):
    sweep = write_sweep(tmp_path / "s.py", "from search import Digits, DigitsCNN, Sweep\n"
                        "sweep = Sweep(name='s', data=Digits(), hypermodel=DigitsCNN, image_size=16, epochs=1)\n")
    assert main([str(sweep), "--claim", claim, "--describe"]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1 and "Traceback" not in err


def test_the_header_says_which_values_a_stated_claim_added(tmp_path, capsys):
    sweep = write_sweep(tmp_path / "s.py", "from search import Compare, Digits, DigitsCNN, Sweep\n"
                        "sweep = Sweep(name='s', data=Digits(), hypermodel=DigitsCNN, image_size=16, epochs=1,\n"
                        "              space={'dropout': [0.25, 0.4]}, claims=('batch-size',\n"
                        f"              Compare('dropout', 0.5, 0.25, expect='higher', margin=0.02, why={WHY!r})))\n")
    assert main([str(sweep), "--describe"]) == 0
    out = capsys.readouterr().out
    assert ("judging    batch-size, dropout 0.5 vs 0.25 (yours): added to the space for them: dropout 0.5; "
            "batch_size 16, 128") in out
    assert "dropout          tuned   [0.25, 0.4, 0.5]" in out


# -- the same statistics ---------------------------------------------------------

def test_a_planted_effect_is_supported_and_a_null_world_is_not_beyond_the_calibrated_rate():
    """Three stated claims judged together (a numeric knob, a categorical one, a model's own val_auc)."""
    rng = np.random.default_rng(7)
    rows, _ = judged(draw(3.0, 10, rng), (10,))
    assert [r.final for r in rows] == [SUPPORTED] * 3
    assert all(r.ci_low > 0 for r in rows) and rows[2].metric == "val_auc"
    sweeps = 40
    supported = sum(any(r.final == SUPPORTED for r in judged(draw(0.0, 5, rng), (5,))[0]) for _ in range(sweeps))
    # benchmarks calibration measures the rate (<= 5% per sweep); 40 sweeps allow a few by chance, not a habit
    assert supported <= 6


def test_an_equal_claim_is_judged_by_equivalence_against_its_reference(tmp_path):
    """'dropout 0.5 does as well as 0.25': supported when the difference is the reference within the margin
    (an equivalence test, as the catalogue's sign-0 parts), contradicted when it is outside."""
    same = Compare("dropout", 0.5, 0.25, expect="equal", reference=0.0, metric="best_val_accuracy", margin=0.05,
                   why="5 points")
    off = Compare("dropout", 0.5, 0.25, expect="equal", reference=-0.2, metric="best_val_accuracy", margin=0.05,
                  why="5 points", name="off by 20 points")
    records = draw(0.0, 10, np.random.default_rng(3))
    m = stated_manifest((10,)).with_changes(claims=(same.id, off.id), stated=(same.record, off.record))
    rows = {r.claim: r for r in evaluate(records, m)}
    assert rows[same.id].final == SUPPORTED and rows[off.id].final == CONTRADICTED
    assert rows[off.id].effect == pytest.approx(rows[same.id].effect + 0.2)  # the difference less its reference


def test_stated_claims_travel_in_sweep_json_and_a_sweep_without_them_writes_no_key(tmp_path):
    claims = stated()
    write_manifest(tmp_path, Manifest(name="x", claims=tuple(c.id for c in claims),
                                      stated=tuple(c.record for c in claims)))
    back = read_manifest(tmp_path)
    assert back.stated == tuple(c.record for c in claims) and isinstance(back.stated[0], StatedClaim)
    write_manifest(tmp_path, Manifest(name="x"))
    assert "stated_claims" not in json.loads((tmp_path / "sweep.json").read_text())


def test_the_scorecard_lines_up_one_stated_claim_across_studies(tmp_path):
    roots = []
    for i, effect in enumerate((3.0, 0.0)):
        root = tmp_path / f"study{i}"
        directory = RunDirectory(root)
        directory.prepare()
        write_manifest(root, stated_manifest((5,)).with_changes(name=f"study{i}"))
        for record in draw(effect, 5, np.random.default_rng(i)):
            directory.write_run(record)
        roots.append(root)
    info = scorecard_info(roots)
    row = next(c for c in info.claims if c.claim == "dropout 0.5 vs 0.25")
    assert row.source == "yours" and [c.verdict for c in row.cells][0] == SUPPORTED
    assert {c.claim for c in info.claims} == {c.id for c in stated()}  # no article claim was requested
    page = write_scorecard(roots, tmp_path / "compare" / "scorecard.html").read_text()
    assert "dropout 0.5 vs 0.25</b> <span class=\"muted\">(your claim)</span>" in page


# -- a real sweep: your own model's knob and metric -----------------------------------

OWN = '''
import keras
from search import Compare, Digits, Sweep


def build_model(hp):
    model = keras.Sequential([
        keras.Input(shape=(8, 8, 1)),
        keras.layers.Rescaling(1 / 255),
        keras.layers.Flatten(),
        keras.layers.Dense(hp.Choice("units", [4, 32]), activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy", keras.metrics.SparseTopKCategoricalAccuracy(k=2, name="top2")])
    return model


sweep = Sweep(
    name="own_claim", data=Digits(validation_split=0.2, seed=123), hypermodel=build_model, image_size=8,
    tuner="grid", epochs=2, seeds=2, claim_min_pairs=2, early_stopping=None,
    claims=(Compare("units", 32, 4, expect="higher", metric="val_top2", margin=0.02,
                    why="two points of top-2 accuracy", says="32 units rank the right digit higher than 4"),),
)
'''


def test_a_claim_on_an_own_models_knob_and_logged_metric_reaches_claims_csv_the_report_and_python(tmp_path):
    sweep = write_sweep(tmp_path / "own.py", OWN)
    result = search.run_sweep(sweep, out=tmp_path / "run", quiet=True)
    rows = [r for r in read_claims_csv(tmp_path / "run" / "claims.csv") if r.verdict != NOT_REQUESTED]
    assert [(r.claim, r.source, r.metric) for r in rows] == [("units 32 vs 4", "yours", "val_top2")]
    assert rows[0].sentence == "32 units rank the right digit higher than 4"
    assert rows[0].seeds == 2 and rows[0].effect is not None  # a value per seed, from each run's logged val_top2
    history = pd.read_csv(next((tmp_path / "run" / "trials").glob("*/seed_0_history.csv")))
    assert "val_top2" in history.columns
    html = Path(result.report).read_text()
    assert "your claim" in html and "32 units rank the right digit higher than 4" in html
    frame = result.claims()
    assert list(frame["claim"]) == ["units 32 vs 4"] and bool(frame["yours"][0])
    assert frame.equals(search.load_claims(tmp_path / "run"))
    text = repr(result)
    assert text.startswith(f"SweepResult('{tmp_path / 'run'}': 4 runs (4 completed, 0 failed); best trial ")
    assert "claims: 1 " in text and "\n" not in text and len(text) < 300
    page = result._repr_html_()
    assert "units 32 vs 4" in page and "Best configuration" in page


def test_the_guides_example_is_a_sweep_with_a_two_part_claim_of_your_own():
    import re

    from conftest import ROOT

    guide = (ROOT / "docs" / "guides" / "own-claims.md").read_text()
    block = re.search(r"```python\n(.*?)```", guide, re.S).group(1)
    namespace: dict = {}
    exec(compile(block, "docs/guides/own-claims.md", "exec"), namespace)
    sweep = namespace["sweep"]
    assert sweep.claim_ids == ("dropout 0.5 vs 0.25",)
    assert [p.metric for p in sweep.stated_claims[0].parts] == ["best_val_accuracy", "train_val_gap"]
