"""The README's verdict table is printed from each study's claims.csv as written by the claims code."""

from __future__ import annotations

from benchmarks.verdict_table import BY_NAME, table_rows
from claims.verdicts import ClaimRow, write_claims_csv


def _row(claim: str, verdict: str, adjusted: str, **numbers) -> ClaimRow:
    return ClaimRow(claim, verdict, numbers.get("effect"), numbers.get("ci_low"), numbers.get("ci_high"), None,
                    "best_val_accuracy", "", "004", "", [], adjusted_verdict=adjusted, seeds=numbers.get("seeds"),
                    runs=numbers.get("runs"), margin=numbers.get("margin"), seeds_needed=numbers.get("needed"))


def test_rows_show_requested_claims_with_holm_beside_the_plain_verdict(tmp_path):
    write_claims_csv(tmp_path, [
        _row("pooling-texture", "supported", "inconclusive", effect=0.028, ci_low=0.009, ci_high=0.047, seeds=5,
             runs=20, margin=0.02),
        _row("batch-size", "contradicted", "contradicted", effect=4.85, ci_low=4.5, ci_high=5.2, seeds=5, runs=80,
             margin=1.0, needed=5),
        _row("vgg16-cost", "not requested", "not requested"),
    ])
    rows = table_rows(BY_NAME["eyes"], tmp_path)
    assert rows == [
        "| eyes, 24 px | pooling-texture | supported; Holm: inconclusive | +0.028 | [+0.009, +0.047] | 5 (20 runs) "
        "| 0.02 |  |",
        "| eyes, 24 px | batch-size | contradicted | +4.850 | [+4.500, +5.200] | 5 (80 runs) | 1 | 5 |",
    ]


def test_a_study_not_run_yet_says_how_to_run_it(tmp_path):
    (row,) = table_rows(BY_NAME["hollywood-baseline"], tmp_path)
    assert "not run yet" in row and "--only hollywood-baseline" in row
