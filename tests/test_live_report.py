"""The report a sweep rewrites while it runs: when it is drawn, and that watching never peeks.

The drawing rule is tested on a fake clock; what a page of an unfinished
sweep may show is tested on written run directories (`claims.looks`): the
verdicts of the last round the sweep finished, or none before the first;
a tiny real sweep is killed halfway in its second round (in
test_rounds.py) and stopped with Ctrl-C (test_cli_startup.py).
"""

from __future__ import annotations

import html as html_lib
import io
import json
import re

import pytest

from claims.looks import Look, next_round, shown_look, shown_runs
from claims.frame import load_claims
from claims.verdicts import read_claims_csv
from reports.html import build_context, write_report
from reports.live import next_look
from reports.runs import load_runs
from reports.scorecard import NO_LOOK_YET, scorecard_info
from rundir.manifest import Round, SeedPlan, read_manifest, write_manifest
from rundir.progress import SweepProgress, read_progress, write_progress
from rundir.records import RunDirectory
from rundir.synthetic import make_record, synthetic_manifest
from search.sweep.live import LivePage
from search.sweep.progress import Progress


def text(page: str) -> str:
    """The page's words as a reader sees them: no tags, one space between words."""
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", page)).split()).replace(" ,", ",").replace(" ;", ";")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def page_with(tmp_path, cost: float = 0.5, fail: bool = False):
    clock = Clock()
    drawn: list[float] = []

    def draw(root):
        if fail:
            raise OSError("No space left on device")
        clock.now += cost  # drawing takes `cost` seconds of the sweep's time
        drawn.append(clock.now)
        (root / "report.html").write_text("page")

    progress = Progress(10, "val_accuracy", stream=io.StringIO(), quiet=True)
    return LivePage(tmp_path, draw, progress, clock=clock), clock, drawn, progress


def test_the_page_is_drawn_at_the_start_each_round_and_the_stop_and_at_most_once_a_minute_after_runs(tmp_path):
    page, clock, drawn, progress = page_with(tmp_path)
    page.start()
    assert len(drawn) == 1 and "report: " in progress.stream.getvalue()  # the path, at once, even when quiet
    for _ in range(5):  # runs ending 10 s apart: the first minute after the start draws nothing
        clock.now += 10
        progress.run_done("0000", 0, 1, "completed", 0.5, 10.0)
    assert len(drawn) == 1
    clock.now += 11
    progress.run_done("0000", 1, 2, "completed", 0.5, 10.0)  # a minute has passed: drawn
    progress.run_done("0000", 1, 2, "completed", 0.5, 0.0, reused=True)  # a resumed run is no news
    assert len(drawn) == 2
    page.round_ended()
    page.stopped()
    assert len(drawn) == 4 and page.drawn == 4
    snapshot = read_progress(tmp_path)
    assert snapshot.event == "stop" and snapshot.round_runs == 10 and snapshot.round_done == 7
    assert snapshot.eta_s == pytest.approx(3 * 10.0)  # 3 runs left at 10 s each


def test_a_slow_page_is_drawn_less_often_so_redraws_stay_within_their_share(tmp_path):
    page, clock, drawn, _ = page_with(tmp_path, cost=5.0)  # 5 s a page: a run's end redraws every 200 s at most
    page.start()
    for _ in range(100):
        clock.now += 10
        page.run_ended()
    gaps = [b - a for a, b in zip(drawn, drawn[1:])]
    assert len(drawn) == 6 and min(gaps) >= 200  # the start, then one page per 200 s of runs (40 x 5 s)
    assert page.spent_s / (clock.now - 1000.0) <= 0.03


def test_a_page_that_cannot_be_written_warns_once_and_the_sweep_goes_on(tmp_path, capsys):
    page, clock, _, _ = page_with(tmp_path, fail=True)
    page.start()
    clock.now += 120
    page.run_ended()
    page.stopped()
    err = capsys.readouterr().err
    assert err.count("warning: the live report could not be written (No space left on device)") == 1
    assert not (tmp_path / "report.html").exists()


def rounds_study(root, finished: int, status: str = "running", seeds_on_disk: int = 4, effect: float = 0.03):
    """Max vs average pooling on seeds 0..seeds_on_disk-1 under Seeds(3, 6) looks (3, 4, 6): rounds 1 (seeds
    0-2) and 2 (seed 3), of which `finished` are whole. Seed 3 shows the opposite effect, so a page that
    judged it would say so."""
    directory = RunDirectory(root)
    directory.prepare()
    manifest = synthetic_manifest(root.name, tuned=["pooling_1", "pooling_2"], planned_trials=2, n_val=1000,
                                  defaults={"pooling_1": "max", "pooling_2": "max"}, claims=("pooling-texture",),
                                  status=status)
    write_manifest(root, manifest.with_changes(seeds=SeedPlan(3, 6, (3, 4, 6), in_rounds=True),
                                               rounds=(Round(1, 0, 3), Round(2, 3, 4, ("pooling-texture",))),
                                               rounds_finished=finished))
    for seed in range(seeds_on_disk):
        for trial, pooling in enumerate(("max", "avg")):
            gain = effect if seed < 3 else -10 * effect
            score = 0.7 + 0.01 * seed + (gain + 0.002 * (seed % 2) if pooling == "max" else 0.0)
            directory.write_run(make_record(f"{trial:04d}", seed, {"pooling_1": pooling, "pooling_2": pooling},
                                            score, epochs=3))
    directory.write_summary()
    return root


def test_the_look_a_page_may_show_is_the_last_finished_round(tmp_path):
    running = read_manifest(rounds_study(tmp_path / "a", finished=1))
    assert shown_look(running) == Look(1, 3) and shown_look(running).label() == "after round 1 of the plan (seeds 0-2)"
    assert next_round(running).number == 2
    assert shown_look(running.with_changes(rounds_finished=0)) is None
    assert shown_look(running.with_changes(status="interrupted")).seeds == 3
    final = shown_look(running.with_changes(status="finished"))
    assert final.final and final.label() == "" and next_round(running.with_changes(status="finished")) is None
    look, runs = shown_runs(RunDirectory(tmp_path / "a").read_runs(), running)
    assert {r.seed for r in runs} == {0, 1, 2}


def test_a_running_sweeps_report_shows_the_verdicts_of_its_last_look_and_when_the_next_comes(tmp_path):
    root = rounds_study(tmp_path / "study", finished=1)
    write_progress(root, SweepProgress("2026-12-07T12:00:00+00:00", 95.0, 2, 2, 1, 40.0, 1, "run"))
    html = write_report(root).read_text(encoding="utf-8")
    rows = {r.claim: r for r in read_claims_csv(root / "claims.csv")}
    assert rows["pooling-texture"].seeds == 3 and rows["pooling-texture"].effect == pytest.approx(0.031, abs=0.002)
    assert 'id="progress"' in html and 'http-equiv="refresh" content="30"' in html
    assert "Sweep running: 8 runs done, 0 failed, 8 planned so far; round 2 of at most 3: 1 of 2 runs" in text(html)
    assert "Verdicts after round 1 of the plan (seeds 0-2)" in html
    assert "The next look comes at the end of round 2 (seed 3), 1 run from now (about 40 s)." in html
    assert list(load_claims(root)["seeds"]) == [3]  # a notebook reads the same look
    # Once finished, the same records are read whole: the report is the final one, with no banner.
    write_manifest(root, read_manifest(root).with_changes(status="finished", rounds_finished=2))
    html = write_report(root).read_text(encoding="utf-8")
    assert 'id="progress"' not in html and "http-equiv" not in html and "after round" not in html
    assert read_claims_csv(root / "claims.csv")[0].seeds == 4


def test_before_the_first_look_no_verdict_is_shown_anywhere(tmp_path):
    root = rounds_study(tmp_path / "fixed", finished=0, seeds_on_disk=2)
    write_manifest(root, read_manifest(root).with_changes(seeds=SeedPlan.fixed(3), rounds=(Round(1, 0, 3),)))
    (root / "claims.csv").write_text("claim,verdict\npooling-texture,supported\n")  # an earlier session's
    html = write_report(root).read_text(encoding="utf-8")
    assert not (root / "claims.csv").exists()
    context = build_context(load_runs(root))
    assert context.claims.rows == [] and context.claims.look == ""
    assert "No verdict yet" in html and "supported" not in html.split('id="claims"')[1].split("</section>")[0]
    assert next_look(read_manifest(root)) == ("The next look comes at the end of the sweep: a fixed count of 3 "
                                              "seeds has one look.")
    assert load_claims(root).empty
    cell = scorecard_info([root]).claims[0].cells[0]
    assert cell.verdict == NO_LOOK_YET and not cell.tested


def test_a_stopped_sweeps_page_says_so_and_no_longer_reloads(tmp_path):
    root = rounds_study(tmp_path / "stopped", finished=1, status="interrupted")
    raw = write_report(root).read_text(encoding="utf-8")
    html = text(raw)
    assert "Sweep stopped (status “interrupted”): rerunning the same command resumes it" in html
    assert "http-equiv" not in raw
    assert "the sweep stopped before it, and rerunning the same command resumes it" in html
    assert json.loads((root / "sweep.json").read_text())["status"] == "interrupted"  # the page wrote nothing else
