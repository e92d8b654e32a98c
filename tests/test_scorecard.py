"""The reproduction scorecard: claims as rows, studies as columns, each judged from its own run directory."""

from __future__ import annotations

import csv
from pathlib import Path

from benchmarks.verdict_table import BY_NAME, table_rows
from claims.catalogue import BY_ID
from claims.stats import CONTRADICTED, NOT_REQUESTED, SUPPORTED
from reports.__main__ import main
from reports.scorecard import scorecard_info
from reports.synthetic import make_record, sweep_meta
from rundir.records import RunDirectory


def write_pooling_study(root: Path, effect: float, claims: tuple[str, ...] = ("pooling-texture",),
                        seeds: int = 5) -> Path:
    """All-max and all-avg runs per seed whose difference is `effect` plus a little seed noise."""
    directory = RunDirectory(root)
    directory.prepare()
    meta = sweep_meta(root.name, tuned=["pooling_1", "pooling_2"], planned_trials=2, seeds=seeds, n_val=1000,
                      defaults={"pooling_1": "max", "pooling_2": "max"})
    directory.write_json("sweep.json", {**meta, "claims": list(claims)})
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


def test_the_readme_table_rows_come_from_the_scorecard(tmp_path):
    write_pooling_study(tmp_path / "eyes", +0.06, claims=("pooling-texture", "batch-size"))
    rows = table_rows([BY_NAME["eyes"], BY_NAME["hollywood-baseline"]], tmp_path)
    info = scorecard_info([tmp_path / "eyes"])
    cell = info.claims[0].cells[0]
    assert rows[0] == (f"| eyes, 24 px | pooling-texture | supported | {cell.effect:+.3f} | "
                       f"[{cell.ci_low:+.3f}, {cell.ci_high:+.3f}] | 5 (10 runs) | 0.02 | 5 |")
    assert rows[1].startswith("| eyes, 24 px | batch-size | not tested |")
    assert "not run yet" in rows[2] and "--only hollywood-baseline" in rows[2]
