"""The reproduction scorecard: claims as rows, studies as columns, each judged from its own run directory."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from benchmarks.verdict_table import (
    BEGIN, BY_NAME, COLUMNS, END, RESULTS, SCORECARD, markdown, read_scorecard, table_rows, update_scorecard,
)
from claims.catalogue import BY_ID
from claims.stats import CONTRADICTED, NOT_MEASURABLE, NOT_REQUESTED, SUPPORTED
from reports.__main__ import main
from reports.scorecard import scorecard_info
from rundir.manifest import read_manifest, write_manifest
from rundir.synthetic import make_record, synthetic_manifest
from rundir.files import to_csv
from rundir.records import RunDirectory


def write_pooling_study(root: Path, effect: float, claims: tuple[str, ...] = ("pooling-texture",),
                        seeds: int = 5) -> Path:
    """All-max and all-avg runs per seed whose difference is `effect` plus a little seed noise."""
    directory = RunDirectory(root)
    directory.prepare()
    write_manifest(root, synthetic_manifest(root.name, tuned=["pooling_1", "pooling_2"], planned_trials=2, seeds=seeds,
                                            n_val=1000, defaults={"pooling_1": "max", "pooling_2": "max"},
                                            claims=claims))
    for seed in range(seeds):
        base = 0.7 + 0.01 * seed
        for trial, pooling in enumerate(("max", "avg")):
            score = base + (effect + 0.002 * (seed % 2) if pooling == "max" else 0.0)
            directory.write_run(make_record(f"{trial:04d}", seed, {"pooling_1": pooling, "pooling_2": pooling}, score,
                                            epochs=3))
    directory.write_summary()
    return root


def test_each_claim_lines_up_every_studys_adjusted_verdict(tmp_path):
    studies = [write_pooling_study(tmp_path / "a", +0.06), write_pooling_study(tmp_path / "b", -0.06),
               write_pooling_study(tmp_path / "c", 0.0, claims=("batch-size",))]
    info = scorecard_info(studies, ["study A", "", ""])
    assert [s.label for s in info.studies] == ["study A", "b", "c"]
    assert [s.folds for s in info.studies] == ["fixed split"] * 3 and info.studies[0].seeds == 5
    by_claim = {c.claim: c for c in info.claims}
    assert set(by_claim) == {"pooling-texture", "batch-size"}  # what some study requested, in catalogue order
    texture = by_claim["pooling-texture"]
    assert texture.sentence == BY_ID["pooling-texture"].sentence
    assert [c.verdict for c in texture.cells] == [SUPPORTED, CONTRADICTED, NOT_REQUESTED]
    a = texture.cells[0]
    assert a.ci_low < 0.06 < a.ci_high and a.seeds == 5 and a.margin == 0.02
    assert (texture.holds, texture.fails, texture.tested) == (1, 1, 2)
    assert texture.summary == "holds on 1 of 2 studies that tested it (contradicted on 1, not tested on 1)"
    assert by_claim["batch-size"].summary == "not tested by any of the 3 studies"  # c lacks a batch-size knob


def test_compare_writes_one_page_and_a_csv_beside_it(tmp_path, capsys):
    a, b = write_pooling_study(tmp_path / "a", +0.06), write_pooling_study(tmp_path / "b", +0.05)
    out = tmp_path / "pages" / "card.html"
    assert main(["compare", str(a), str(b), "--out", str(out), "--label", "eyes", "--label", "hollywood"]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    page = out.read_text()
    assert "holds on 2 of 2 studies that tested it" in page and BY_ID["pooling-texture"].sentence in page
    assert page.count("data:image/png;base64,") == 1  # the claim's forest plot, embedded
    assert "http://" not in page and "https://" not in page  # self-contained
    with (out.parent / "scorecard.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["claim"], r["study"], r["verdict"]) for r in rows] == [
        ("pooling-texture", "eyes", SUPPORTED), ("pooling-texture", "hollywood", SUPPORTED)]


def test_compare_on_a_folder_that_is_no_run_directory_is_one_error_line(tmp_path, capsys):
    assert main(["compare", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and "missing" in err[0]


def test_scorecard_csv_judges_present_studies_again_and_keeps_the_others(tmp_path):
    card = tmp_path / "scorecard.csv"
    old = {"study": "hollywood-baseline", "data": "Hollywood", "claim": "hollywood-baseline", "verdict": SUPPORTED,
           "unadjusted": SUPPORTED, "effect": "0.011", "ci_low": "-0.018", "ci_high": "0.04", "margin": "0.05",
           "seeds": "5", "runs": "5", "folds": "fixed split", "date": "2026-12-02"}
    stale = {**old, "study": "eyes", "claim": "pooling-texture", "verdict": CONTRADICTED}
    card.write_text(to_csv([old, stale], COLUMNS))
    write_pooling_study(tmp_path / "eyes", +0.06, claims=("pooling-texture", "batch-size"))
    rows = update_scorecard([BY_NAME["eyes"], BY_NAME["hollywood-baseline"]], tmp_path, card)
    cell = scorecard_info([tmp_path / "eyes"]).claims[0].cells[0]
    by_key = {(r["study"], r["claim"]): r for r in rows}
    fresh = by_key[("eyes", "pooling-texture")]  # judged again from disk: the stale row is gone
    assert fresh["verdict"] == SUPPORTED and float(fresh["effect"]) == pytest.approx(cell.effect, abs=1e-6)
    assert fresh["seeds"] == "5" and fresh["folds"] == "fixed split" and fresh["command"].startswith(
        "python -m search.run sweeps/eyes_claims.py --data ../shared/datasets/eyes")
    assert float(fresh["cost_s"]) >= 0 and fresh["date"] and "cores" in fresh["machine"]
    assert by_key[("hollywood-baseline", "hollywood-baseline")]["effect"] == "0.011"  # kept as it was
    assert by_key[("eyes", "batch-size")]["verdict"] == "not tested"
    table = table_rows(rows)
    cost = f"{float(fresh['cost_s']) / 60:.0f} min" if float(fresh["cost_s"]) else ""
    assert fresh["headline"] == "supported, and at least the margin" and fresh["size"] == "at least the margin"
    assert table[0] == (f"| pooling-texture | eyes, 24 px | {fresh['headline']} | {cell.effect:+.3f} | "
                        f"[{cell.ci_low:+.3f}, {cell.ci_high:+.3f}] | 5 (10 runs), fixed split | 0.02 | {cost} | "
                        f"{fresh['date']} |")
    assert any(r.startswith("| fit-rule | (no study yet) |") for r in table)  # a hole is shown, not hidden


def test_the_results_pages_verdict_table_is_the_committed_scorecard():
    """The results page's table is generated from benchmarks/scorecard.csv (`--page`): the two must agree."""
    text = RESULTS.read_text(encoding="utf-8")
    assert BEGIN in text and END in text
    shown = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert shown == markdown(read_scorecard(SCORECARD)), "run python -m benchmarks.verdict_table --table-only --page"


def test_studies_are_labelled_by_sweep_name_and_told_apart(tmp_path):
    a = write_pooling_study(tmp_path / "one" / "run", +0.06)
    b = write_pooling_study(tmp_path / "two" / "run", +0.05)
    for root, name in ((a, "eyes_claims"), (b, "eyes_claims")):
        write_manifest(root, read_manifest(root).with_changes(name=name))
    labels = [s.label for s in scorecard_info([a, b]).studies]
    assert len(set(labels)) == 2 and all(label.startswith("eyes_claims") for label in labels)


def test_a_not_measurable_cell_says_why_not_zeros(tmp_path):
    root = write_pooling_study(tmp_path / "ceiling", 0.0)
    directory = RunDirectory(root)
    for record in directory.read_runs():
        record.score = record.best_val_accuracy = 1.0
        directory.write_run(record)
    directory.write_summary()
    cell = scorecard_info([root]).claims[0].cells[0]
    assert cell.verdict == NOT_MEASURABLE and cell.why == "every run scored 100%"
    out = tmp_path / "card.html"
    assert main(["compare", str(root), "--out", str(out)]) == 0
    assert "every run scored 100%" in out.read_text() and "+0.000 [+0.000, +0.000]" not in out.read_text()


def test_a_study_costs_its_runs_time_not_the_time_its_process_was_held():
    """A run held by SIGSTOP (the machine's CI ran meanwhile) counts at its configuration's median;
    a configuration that is slower throughout keeps its own time."""
    from types import SimpleNamespace

    from benchmarks.verdict_table import study_cost_s

    runs = [SimpleNamespace(trial_id="0000", wall_time_s=t) for t in (30.0, 32.0, 1045.0)]
    runs += [SimpleNamespace(trial_id="0001", wall_time_s=t) for t in (300.0, 310.0, 290.0)]
    assert study_cost_s(runs) == pytest.approx(30 + 32 + 32 + 300 + 310 + 290)
    assert study_cost_s(runs[:2]) == pytest.approx(62)
