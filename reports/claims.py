"""The verdicts on the articles' tuning claims, when a claims.csv exists.

The `claims` package tests each claim (e.g. "max pooling beats average
pooling on texture") and writes `claims.csv` into the run directory when the
report is built. This module only reads that table for the report; the
template's `claims` block renders it.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from claims.verdicts import ClaimRow, read_claims_csv


@dataclass
class ClaimsInfo:
    rows: list[ClaimRow] = field(default_factory=list)
    has_sentence: bool = False
    note: str = ""


def claims_info(run_dir: Path) -> ClaimsInfo | None:
    """Rows of claims.csv, or None when the file does not exist (the section is omitted)."""
    path = Path(run_dir) / "claims.csv"
    if not path.exists():
        return None
    try:
        claims = read_claims_csv(path)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        return ClaimsInfo(note=f"claims.csv could not be read: {exc}")
    return ClaimsInfo(claims, any(c.sentence for c in claims))
