"""The HTML report: info records computed from generated run directories, and the page built from them.

No training: every run directory is written with RunDirectory/RunRecord
(rundir.synthetic), so these tests take seconds. Statistics are checked on
the info records, escaping and completeness on the HTML text.
"""

from __future__ import annotations

import csv
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from reports.__main__ import main as reports_main
from reports.confusion import confusion_info
from reports.curves import curves_info
from reports.effects import effect_info
from reports.header import header_info
from reports.html import build_context, render, write_report
from claims.stats import NOT_MEASURABLE, NOT_REQUESTED, SUPPORTED
from claims.verdicts import evaluate, read_claims_csv
from reports.pooling import paired_difference, pooling_info
from reports.runs import best_run, load_runs, trial_scores
from reports.samples import sample_grid_info
from rundir.manifest import Round, SeedPlan, read_manifest, write_manifest
from rundir.synthetic import make_record, predictions, synthetic_manifest, write_synthetic_run
from reports.table import trials_table_info
from rundir.errors import SweepError
from rundir.records import RunDirectory


def pooling_of(runs):
    """The pooling section as the report builds it: beside the claims' verdicts, judged once."""
    return pooling_info(runs, evaluate(runs.records, runs.manifest))


def request_claims(root: Path, *claims: str) -> Path:
    """The sweep asked for these claims, with the seeds its records hold (one look at all of them)."""
    seeds = max(r.seed for r in RunDirectory(root).read_runs()) + 1
    write_manifest(root, read_manifest(root).with_changes(claims=claims, seeds=SeedPlan.fixed(seeds),
                                                          rounds=(Round(1, 0, seeds),)))
    return root

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = "<script>alert(1)</script>"
QUOTED = 'a&b "q"'


def write_pooling_dir(root: Path, diffs_by_seed: dict[tuple[float, int], float], *, base_noise: bool = True,
                      objective: str = "val_accuracy", knobs: tuple[str, ...] = ("pooling_1",),
                      whole_network: bool = False) -> Path:
    """Runs that differ only in pooling_1 (max/avg) per (dropout, seed); max − avg = the given diff.

    `whole_network`: pooling_2 follows pooling_1, so the sides are all max and all avg (the claims' contrast).
    """
    directory = RunDirectory(root)
    directory.prepare()
    defaults = {"pooling_1": "max", "pooling_2": "max", "dropout": 0.25}
    write_manifest(directory.root, synthetic_manifest("pool", tuned=list(knobs) + ["dropout"], defaults=defaults,
                                                  planned_trials=None, objective=objective, n_val=1000))
    trial = 0
    for (dropout, seed), diff in diffs_by_seed.items():
        base = 0.7 + (0.1 * dropout if base_noise else 0.0) + 0.013 * seed  # big between-setting spread
        for pooling, score in (("max", base + diff), ("avg", base)):
            hps = {"pooling_1": pooling, "pooling_2": pooling if whole_network else "max", "dropout": dropout}
            directory.write_run(make_record(f"{trial:04d}", seed, hps, score, epochs=3))
            trial += 1
    return root


# -- loading and ranking -------------------------------------------------------------


def test_complete_run_counts_and_best_trial(tmp_path):
    root = write_synthetic_run(tmp_path / "done", n_trials=8, seeds=2)
    runs = load_runs(root)
    header = header_info(runs)
    assert (header.n_completed, header.n_failed, header.n_missing, header.running) == (16, 0, 0, False)
    scores = trial_scores(runs)
    means = runs.completed.groupby("trial_id")["score"].mean()
    assert scores.index[0] == means.idxmax()
    assert best_run(runs)[0] == means.idxmax()
    best_trial, best_seed = best_run(runs)
    seeds = runs.completed[runs.completed.trial_id == best_trial]
    assert seeds.loc[seeds.score.idxmax(), "seed"] == best_seed


def test_partial_run_says_running_and_counts_missing(tmp_path):
    root = write_synthetic_run(tmp_path / "partial", n_trials=5, seeds=2, status="running", planned_trials=12)
    header = header_info(load_runs(root))
    assert header.running and header.n_expected == 24 and header.n_missing == 24 - 10
    html = write_report(root).read_text(encoding="utf-8")
    assert "Sweep running" in html and "14</strong> missing" in html and 'http-equiv="refresh"' in html


def test_unknown_planned_trials_say_unknown(tmp_path):
    root = write_synthetic_run(tmp_path / "hb", n_trials=4, seeds=1, planned_trials=None, status="running")
    header = header_info(load_runs(root))
    assert header.n_missing is None and header.missing_text == "unknown"
    assert "<strong>unknown</strong> missing" in write_report(root).read_text(encoding="utf-8")


def test_missing_hyperparameters_take_the_sweep_defaults(tmp_path):
    directory = RunDirectory(tmp_path / "d")
    directory.prepare()
    write_manifest(directory.root, synthetic_manifest(tuned=["pooling_1"], defaults={"pooling_1": "max", "dropout": 0.25}))
    directory.write_run(make_record("0000", 0, {"pooling_1": "max"}, 0.9))  # first trial: dropout not recorded
    directory.write_run(make_record("0001", 0, {"pooling_1": "avg", "dropout": 0.25}, 0.8))
    runs = load_runs(directory.root)
    assert runs.frame["hp_dropout"].tolist() == [0.25, 0.25]
    assert pooling_of(runs).knobs[0].paired.n_pairs == 1


def test_empty_run_directory_still_renders(tmp_path):
    directory = RunDirectory(tmp_path / "fresh")
    directory.prepare()
    write_manifest(directory.root, synthetic_manifest(status="running", tuned=["pooling_1"]))
    html = write_report(directory.root).read_text(encoding="utf-8")
    assert "No run has been recorded yet." in html and "No run has completed yet." in html


def test_half_written_record_is_skipped(tmp_path):
    root = write_synthetic_run(tmp_path / "torn", n_trials=4, seeds=1)
    (root / "trials" / "0003" / "seed_0.json").write_text('{"trial_id": "0003", "se', encoding="utf-8")
    assert len(load_runs(root).frame) == 3
    assert write_report(root).exists()


# -- failures and escaping -----------------------------------------------------------


def test_failed_trials_show_their_error(tmp_path):
    root = write_synthetic_run(tmp_path / "failed", n_trials=6, seeds=2, failed=[2],
                               error_text="out of memory: OOM when allocating tensor")
    runs = load_runs(root)
    table = trials_table_info(runs, best_run(runs))
    failed = [row for row in table.rows if row.status == "failed"]
    assert len(failed) == 2 and table.n_failed == 2
    assert all(row.error == "out of memory: OOM when allocating tensor" for row in failed)
    assert table.rows[-1].status == "failed"  # failures sort last
    assert header_info(runs).n_failed == 2
    html = write_report(root).read_text(encoding="utf-8")
    assert "out of memory: OOM when allocating tensor" in html and "traceback</summary>" in html


def test_hostile_text_is_escaped_everywhere(tmp_path):
    root = write_synthetic_run(tmp_path / "hostile", n_trials=4, seeds=1, classes=[HOSTILE, QUOTED, "plain"],
                               failed=[3], error_text=f"{HOSTILE} {QUOTED}", with_images=True)
    meta = RunDirectory(root).read_json("sweep.json")
    meta["name"], meta["description"], meta["device"] = HOSTILE, QUOTED, f"GPU {HOSTILE}"
    RunDirectory(root).write_json("sweep.json", meta)
    with (root / "claims.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["claim", "verdict", "effect", "ci_low", "ci_high", "n_pairs", "metric", "note"])
        writer.writerow([HOSTILE, QUOTED, "0.1", "0.0", "0.2", "4", "val_accuracy", HOSTILE])
    # Render without write_report, which would recompute claims.csv.
    html = render(build_context(load_runs(root)))
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "a&amp;b &#34;q&#34;" in html
    assert html.count("<script>") == 1  # only the report's own sort script


def test_report_is_self_contained(tmp_path):
    root = write_synthetic_run(tmp_path / "offline", n_trials=8, seeds=2, with_images=True)
    html = write_report(root).read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<link" not in html and "@import" not in html and "url(" not in html
    assert html.count('src="data:image/png;base64,') >= 5  # curves, effects, pooling, thumbnails
    assert 'setAttribute("data-ready", "1")' in html and "@media print" in html


# -- pooling statistics ----------------------------------------------------------------


def test_paired_pooling_difference_and_ci_match_scipy(tmp_path):
    diffs = {(0.25, 0): 0.050, (0.25, 1): 0.040, (0.25, 2): 0.060, (0.5, 0): 0.045, (0.5, 1): 0.055, (0.5, 2): 0.050}
    runs = load_runs(write_pooling_dir(tmp_path / "pool", diffs))
    info = pooling_of(runs)
    assert info.varied
    paired = info.knobs[0].paired
    # The seed is the unit: each seed's pairs are averaged, the interval is over the 3 seeds.
    values = np.array([np.mean([d for (_, seed), d in diffs.items() if seed == s]) for s in range(3)])
    low, high = stats.t.interval(0.95, df=len(values) - 1, loc=values.mean(), scale=stats.sem(values))
    assert paired.n_pairs == 6 and paired.n_seeds == 3
    assert paired.mean_diff == pytest.approx(values.mean())
    assert (paired.ci_low, paired.ci_high) == (pytest.approx(low), pytest.approx(high))
    assert "better" not in paired.sentence  # an estimate: the verdicts are the claims'
    options = {o.label: o for o in info.knobs[0].options}
    assert options["max"].n == options["avg"].n == 6
    assert options["max"].mean - options["avg"].mean == pytest.approx(values.mean())


def test_pairs_need_the_same_seed_and_other_settings(tmp_path):
    directory = RunDirectory(tmp_path / "unpaired")
    directory.prepare()
    write_manifest(directory.root, synthetic_manifest(tuned=["pooling_1", "dropout"]))
    directory.write_run(make_record("0000", 0, {"pooling_1": "max", "dropout": 0.25}, 0.9))
    directory.write_run(make_record("0001", 1, {"pooling_1": "avg", "dropout": 0.25}, 0.8))  # other seed
    directory.write_run(make_record("0002", 0, {"pooling_1": "avg", "dropout": 0.5}, 0.8))  # other dropout
    paired = pooling_of(load_runs(directory.root)).knobs[0].paired
    assert paired.n_pairs == 0 and paired.too_few
    assert paired.sentence.startswith("No pairs") and paired.mean_diff is None


def test_the_pooling_section_quotes_the_claims_verdict_and_decides_nothing_itself(tmp_path):
    """One decision per contrast on the page: the claims', with the claims' numbers."""
    diffs = {(d, s): 0.05 + 0.002 * s for d in (0.25, 0.5) for s in range(4)}
    runs = load_runs(request_claims(write_pooling_dir(tmp_path / "judged", diffs, whole_network=True), "pooling-texture", "depth-overfit"))
    rows = {r.claim: r for r in evaluate(runs.records, runs.manifest)}
    info = pooling_info(runs, list(rows.values()))
    claimed = {c.claim: c for c in info.claimed}
    texture = claimed["pooling-texture"]
    assert texture.label == "all max − all avg" and texture.judged
    assert texture.verdict == rows["pooling-texture"].final == SUPPORTED
    assert (texture.effect, texture.ci_low, texture.ci_high) == (
        rows["pooling-texture"].effect, rows["pooling-texture"].ci_low, rows["pooling-texture"].ci_high)
    html = render(build_context(runs, list(rows.values())))
    assert "pooling-texture: supported" in html and "max better" not in html


def test_an_unrequested_pooling_claim_is_an_estimate_by_the_claims_measurement(tmp_path):
    diffs = {(0.25, s): 0.05 + 0.002 * s for s in range(4)}
    runs = load_runs(request_claims(write_pooling_dir(tmp_path / "unjudged", diffs, whole_network=True)))  # no claims requested
    texture = {c.claim: c for c in pooling_of(runs).claimed}["pooling-texture"]
    assert texture.verdict == NOT_REQUESTED and not texture.judged
    assert texture.effect == pytest.approx(np.mean([0.05 + 0.002 * s for s in range(4)]))
    assert 'add "pooling-texture"' in texture.sentence


def test_all_runs_at_100_percent_are_not_measurable(tmp_path):
    diffs = {(0.25, s): 0.0 for s in range(4)}
    root = write_pooling_dir(tmp_path / "ceiling", diffs, base_noise=False, whole_network=True)
    for record in RunDirectory(root).read_runs():
        record.score = record.best_val_accuracy = 1.0
        RunDirectory(root).write_run(record)
    texture = {c.claim: c for c in pooling_of(load_runs(request_claims(root, "pooling-texture"))).claimed}
    assert texture["pooling-texture"].verdict == NOT_MEASURABLE


def test_too_few_pairs_is_said_plainly():
    paired = paired_difference("max", "avg", [(0,), (0,), (1,), (1,)], ["max", "avg", "max", "avg"],
                               [0.9, 0.8, 0.95, 0.8])
    assert paired.n_pairs == 2 and paired.too_few
    assert "too few seeds" in paired.sentence


def test_repeated_configurations_are_averaged_not_double_counted():
    keys = [(0,)] * 3 + [(1,)] * 2 + [(2,)] * 2
    groups = ["max", "max", "avg", "max", "avg", "max", "avg"]
    scores = [0.9, 0.8, 0.7, 0.9, 0.8, 0.75, 0.7]
    paired = paired_difference("max", "avg", keys, groups, scores)
    assert paired.n_pairs == 3 and paired.differences == pytest.approx([0.15, 0.1, 0.05])  # one pair per seed


def test_pooling_patterns_all_max_all_avg_mixed(tmp_path):
    root = write_synthetic_run(tmp_path / "patterns", n_trials=16, seeds=3, pooling_effect=0.03, noise=0.002,
                               n_val=1000)
    info = pooling_of(load_runs(root))
    patterns = {p.label: p for p in info.patterns}
    # The claims' definitions: "avg then max" is article 004's mix; max then avg is another mix.
    assert set(patterns) == {"all max", "all avg", "avg then max", "other mix"}
    assert all(patterns[p].n == 12 for p in patterns)
    claimed = {c.label: c for c in info.claimed}
    assert set(claimed) == {"all max − all avg", "avg then max − all avg"}
    assert claimed["all max − all avg"].seeds == 3
    assert claimed["all max − all avg"].effect == pytest.approx(0.03, abs=0.005)
    knobs = {k.name: k.paired for k in info.knobs}
    assert knobs["pooling_1"].ci_low > 0 and knobs["pooling_2"].n_pairs == 24


def test_no_pooling_varied_omits_the_section_with_a_note(tmp_path):
    directory = RunDirectory(tmp_path / "nopool")
    directory.prepare()
    write_manifest(directory.root, synthetic_manifest(tuned=["dropout"]))
    for i, dropout in enumerate((0.1, 0.2, 0.3)):
        directory.write_run(make_record(f"{i:04d}", 0, {"pooling_1": "max", "dropout": dropout}, 0.8 + i / 100))
    runs = load_runs(directory.root)
    info = pooling_of(runs)
    assert not info.varied and "did not vary pooling" in info.note
    html = render(build_context(runs))
    assert "did not vary pooling" in html and "Paired differences" not in html


def test_interval_edge_cases():
    one = paired_difference("max", "avg", [(0,), (0,)], ["max", "avg"], [0.9, 0.8])
    assert one.n_seeds == 1 and one.ci_low is None and one.ci_high is None
    same = paired_difference("max", "avg", [(s,) for s in (0, 0, 1, 1, 2, 2)], ["max", "avg"] * 3, [0.35, 0.1] * 3)
    assert same.ci_low == pytest.approx(0.25) and same.ci_high == pytest.approx(0.25)


# -- other sections ----------------------------------------------------------------


def test_effect_table_means_per_value(tmp_path):
    root = write_synthetic_run(tmp_path / "effects", n_trials=16, seeds=2)
    runs = load_runs(root)
    info = effect_info(runs, "dropout")
    done = runs.completed
    by_value = {s.value: s for s in info.stats}
    for value, group in done.groupby("hp_dropout")["score"]:
        row = by_value[f"{value:g}"]
        assert row.n == len(group) and row.mean == pytest.approx(group.mean())
        assert row.std == pytest.approx(group.std(ddof=1))
    assert sum(s.best for s in info.stats) == 1
    assert len(info.scores) == len(done)


def test_continuous_hyperparameter_is_binned(tmp_path):
    root = write_synthetic_run(tmp_path / "cont", n_trials=120, seeds=1, epochs=3)
    info = effect_info(load_runs(root), "learning_rate")
    assert info.numeric and info.binned and 2 <= len(info.stats) <= 6
    assert sum(s.n for s in info.stats) == 120
    assert info.log_scale
    assert not effect_info(load_runs(root), "dropout").log_scale


def test_curves_are_the_best_trials_only(tmp_path):
    root = write_synthetic_run(tmp_path / "curves", n_trials=12, seeds=2, epochs=7)
    runs = load_runs(root)
    info = curves_info(runs, top=5)
    assert len(info.series) == 5
    assert [s.trial_id for s in info.series] == list(trial_scores(runs).index[:5])
    assert all(len(s.epochs) == len(s.val_accuracy) == len(s.learning_rate) == 7 for s in info.series)
    assert info.has_learning_rate


def test_confusion_matrix_counts_predictions(tmp_path):
    directory = RunDirectory(tmp_path / "cm")
    directory.prepare()
    write_manifest(directory.root, synthetic_manifest(classes=["a", "b", "c"], tuned=["pooling_1"]))
    rows = [{"index": i, "path": "", "true": t, "predicted": p}
            for i, (t, p) in enumerate([(0, 0), (0, 1), (1, 1), (2, 2), (2, 0), (2, 2)])]
    directory.write_run(make_record("0000", 0, {"pooling_1": "max"}, 0.9), rows)
    runs = load_runs(directory.root)
    info = confusion_info(runs, best_run(runs))
    assert info.matrix == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    assert info.n == 6 and info.accuracy == pytest.approx(4 / 6)
    assert info.per_class_recall == pytest.approx([0.5, 1.0, 2 / 3])
    grid = sample_grid_info(runs, best_run(runs))
    assert not grid.available and "unavailable" in grid.note
    assert "Images are unavailable" in render(build_context(runs))


def test_image_grid_marks_mistakes(tmp_path):
    root = write_synthetic_run(tmp_path / "img", n_trials=4, seeds=1, with_images=True, n_val=40)
    runs = load_runs(root)
    grid = sample_grid_info(runs, best_run(runs))
    assert grid.available and len(grid.images) == 16
    assert all(img.data_uri.startswith("data:image/png;base64,") for img in grid.images)
    frame = __import__("pandas").read_csv(root / "trials" / grid.trial_id / f"seed_{grid.seed}_predictions.csv")
    wrong = int((frame["true"] != frame["predicted"]).sum())
    assert sum(not img.correct for img in grid.images) == min(wrong, 8)
    html = write_report(root).read_text(encoding="utf-8")
    assert html.count('class="tile wrong"') == sum(not img.correct for img in grid.images)


def test_missing_image_files_are_reported_not_fatal(tmp_path):
    root = write_synthetic_run(tmp_path / "moved", n_trials=2, seeds=1, with_images=True, n_val=20)
    for image in (root / "images").glob("*.png"):
        image.unlink()
    runs = load_runs(root)
    grid = sample_grid_info(runs, best_run(runs))
    assert not grid.available and "could not be read" in grid.note
    assert write_report(root).exists()


def test_report_computes_a_verdict_for_every_requested_claim(tmp_path):
    root = write_synthetic_run(tmp_path / "claims", n_trials=4, seeds=1)
    meta = RunDirectory(root).read_json("sweep.json")
    meta["claims"] = ["pooling-texture", "batch-size"]
    RunDirectory(root).write_json("sweep.json", meta)
    html = write_report(root).read_text(encoding="utf-8")
    table = __import__("pandas").read_csv(root / "claims.csv")
    assert len(table) == 11 and set(table["verdict"]) <= {
        "supported", "contradicted", "inconclusive", "no meaningful difference", "not measurable on this data",
        "not tested", "not requested"}
    assert (table["verdict"] == "not requested").sum() == 9
    assert {"seeds", "runs", "adjusted_verdict", "margin", "seeds_needed"} <= set(table.columns)
    assert 'id="claims"' in html
    for claim in table["claim"]:
        assert claim in html
    assert "Max pooling beats average pooling" in html  # the article's sentence beside its verdict
    assert "Not requested by this sweep: mixed-pooling" in html


def test_a_sweep_without_claims_gets_one_line_not_a_table(tmp_path):
    root = write_synthetic_run(tmp_path / "noclaims", n_trials=4, seeds=1)
    html = write_report(root).read_text(encoding="utf-8")
    section = html[html.index('id="claims"'):html.index("</section>", html.index('id="claims"'))]
    assert "requested no claims" in section and "<table" not in section


def _claims_context(tmp_path, claims_csv: str):
    """The report context of a synthetic sweep judged by the claims.csv text given."""
    root = write_synthetic_run(tmp_path / "claims", n_trials=4, seeds=1)
    (root / "claims.csv").write_text(claims_csv, encoding="utf-8")
    return build_context(load_runs(root), read_claims_csv(root / "claims.csv"))


def test_claims_table_renders_the_rows_it_is_given(tmp_path):
    context = _claims_context(  # rows of an older file
        tmp_path, "claim,verdict,effect,ci_low,ci_high,n_pairs,metric,note,sentence,differences\n"
        "pooling-texture,supported,0.021,0.004,0.038,8,val_accuracy,,Max pooling wins on texture.,0.01;0.03\n")
    assert context.claims.rows[0].differences == [0.01, 0.03]
    assert context.claims_image is not None
    html = render(context)
    assert 'id="claims"' in html and "pooling-texture" in html and "Max pooling wins on texture." in html
    assert "+0.0210" in html


def test_the_claims_table_puts_the_verdict_to_act_on_first(tmp_path):
    """The adjusted verdict leads the row; the plain 95% interval's verdict follows it, muted."""
    html = render(_claims_context(
        tmp_path, "claim,verdict,adjusted_verdict,effect,ci_low,ci_high,seeds,runs,metric,note,sentence,differences\n"
        "pooling-texture,supported,inconclusive,0.021,0.004,0.038,3,8,val_accuracy,,Max wins.,0.01;0.03;0.02\n"))
    table = html[html.index('id="claims"'):]
    row = table[table.index("Max wins."):]
    assert row.index('<span class="final">inconclusive</span>') < row.index("unadjusted (95% CI alone): supported")
    # One plain sentence to act on, the numbers and the long note folded under it.
    plain = row[row.index('<td class="plain">'):]
    assert plain.index("On this data, all-max beats all-average pooling: +2.1 points (95% interval +0.4 points to "
                       "+3.8 points) over 3 seeds; the 95% interval alone says supported") < plain.index("<details>")


# -- command line ------------------------------------------------------------------


def test_cli_missing_directory_is_one_line_exit_2(tmp_path):
    result = subprocess.run([sys.executable, "-m", "reports", str(tmp_path / "nope")], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines[-1].startswith("error: ") and "does not exist" in lines[-1]
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_a_bad_flag_is_one_line_exit_2_like_every_command(tmp_path, capsys):
    for argv in (["--bogus", str(tmp_path)], ["compare", str(tmp_path), "--label"]):
        with pytest.raises(SystemExit) as stopped:
            reports_main(argv)
        err = capsys.readouterr().err
        assert stopped.value.code == 2 and err.count("\n") == 1 and err.startswith("error: "), err


def test_cli_invalid_directory_and_success(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert reports_main([str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and "sweep.json" in err
    root = write_synthetic_run(tmp_path / "ok", n_trials=2, seeds=1)
    assert reports_main([str(root)]) == 0
    assert capsys.readouterr().out.strip() == str(root / "report.html")


def test_write_report_raises_sweep_error_for_bad_json(tmp_path):
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "sweep.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(SweepError, match="not valid JSON"):
        write_report(tmp_path / "bad")


def test_real_digits_run_if_present():
    root = ROOT / "runs" / "digits"
    if not (root / "sweep.json").exists():
        pytest.skip("no runs/digits sample in this checkout")
    runs = load_runs(root)
    context = build_context(runs)
    assert context.header.n_runs == len(runs.records) and context.best is not None
    assert "Max vs average pooling" in render(context)
    assert not math.isnan(runs.completed["score"].mean())


def test_predictions_helper_matches_accuracy():
    import random

    rows = predictions(1000, 4, 0.8, random.Random(1))
    assert 0.75 < np.mean([r["true"] == r["predicted"] for r in rows]) < 0.85


def test_a_pooling_knob_only_deeper_models_have_is_no_pooling_comparison(tmp_path):
    directory = RunDirectory(tmp_path / "depth")
    directory.prepare()
    write_manifest(directory.root, synthetic_manifest(tuned=["pooling_1", "conv_blocks"], n_val=1000))
    trial = 0
    for seed in range(3):
        for pool in ("avg", "max"):
            for depth, extra in ((2, None), (3, "none")):
                hps = {"pooling_1": pool, "conv_blocks": depth, "pooling_3": extra}
                directory.write_run(make_record(f"{trial:04d}", seed, hps, 0.7 + 0.05 * (pool == "max") + 0.01 * seed))
                trial += 1
    info = pooling_of(load_runs(directory.root))
    assert [k.name for k in info.knobs] == ["pooling_1"]
    assert info.knobs[0].paired.n_seeds == 3 and info.knobs[0].paired.mean_diff == pytest.approx(0.05)


def test_rounds_of_seeds_count_the_latest_rounds_seeds(tmp_path):
    """With Seeds(min, max) sweep.json keeps a plan, not a count: the header expects
    planned trials x the seeds of the round now running, and says it is a plan."""
    root = write_synthetic_run(tmp_path / "rounds", n_trials=4, seeds=3, planned_trials=4, status="running")
    write_manifest(root, read_manifest(root).with_changes(
        seeds=SeedPlan(3, 10, (3, 4, 5, 6, 8, 10), in_rounds=True), seed_stop="", rounds_finished=1,
        rounds=(Round(1, 0, 3), Round(2, 3, 5, ("pooling-texture",)))))
    header = header_info(load_runs(root))
    assert header.n_expected == 4 * 5 and header.n_missing == 20 - 12
    assert "4 trials x 5 seeds (rounds of seeds, 3 to 10" in header.budget
