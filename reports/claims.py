"""The verdicts on the articles' tuning claims, when a claims.csv exists.

The `claims` package tests the claims a sweep requested (e.g. "max pooling
beats average pooling on texture") and writes `claims.csv` into the run
directory when the report is built. This module only reads that table for
the report; the template's `claims` block renders it. A sweep that
requested no claims gets one line saying so instead of a table of "not
requested".
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from claims.stats import NOT_REQUESTED
from claims.verdicts import ClaimRow, read_claims_csv

NONE_REQUESTED = ("This sweep requested no claims. Add claims=(\"pooling-texture\", ...) to its sweep file to test "
                  "the articles' conclusions on this data.")


@dataclass
class ClaimsInfo:
    rows: list[ClaimRow] = field(default_factory=list)
    has_sentence: bool = False
    note: str = ""
    not_requested: list[str] = field(default_factory=list)  # ids of the claims the sweep did not ask for
    seed_based: bool = True  # False: an older claims.csv, counted in pairs, without adjusted verdicts


def claims_info(run_dir: Path) -> ClaimsInfo | None:
    """Rows of claims.csv, or None when the file does not exist (the section is omitted)."""
    path = Path(run_dir) / "claims.csv"
    if not path.exists():
        return None
    try:
        claims = read_claims_csv(path)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        return ClaimsInfo(note=f"claims.csv could not be read: {exc}")
    judged = [c for c in claims if c.verdict != NOT_REQUESTED]
    skipped = [c.claim for c in claims if c.verdict == NOT_REQUESTED]
    if claims and not judged:
        return ClaimsInfo(note=NONE_REQUESTED, not_requested=skipped)
    return ClaimsInfo(judged, any(c.sentence for c in judged), not_requested=skipped,
                      seed_based=any(c.adjusted_verdict for c in judged) or not judged)
