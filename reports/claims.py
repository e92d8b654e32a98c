"""The verdicts on the articles' tuning claims, when a claims.csv exists.

The `claims` package tests each claim (e.g. "max pooling beats average
pooling on texture") and writes `claims.csv` into the run directory when the
report is built. This module only reads that table for the report; the
template's `claims` block renders it.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

COLUMNS = ("claim", "verdict", "effect", "ci_low", "ci_high", "n_pairs", "metric", "note")


@dataclass
class ClaimRow:
    claim: str
    verdict: str
    effect: float | None
    ci_low: float | None
    ci_high: float | None
    n_pairs: int | None
    metric: str
    note: str
    sentence: str = ""
    source: str = ""
    differences: list[float] = field(default_factory=list)  # paired differences (or per-run values)


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
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        return ClaimsInfo(note=f"claims.csv could not be read: {exc}")
    claims = [
        ClaimRow(
            claim=row.get("claim") or "",
            verdict=row.get("verdict") or "",
            effect=_float(row.get("effect")),
            ci_low=_float(row.get("ci_low")),
            ci_high=_float(row.get("ci_high")),
            n_pairs=_int(row.get("n_pairs")),
            metric=row.get("metric") or "",
            note=row.get("note") or "",
            sentence=row.get("sentence") or "",
            source=row.get("source") or "",
            differences=[v for v in (_float(x) for x in (row.get("differences") or "").split(";")) if v is not None],
        )
        for row in rows
    ]
    return ClaimsInfo(claims, any(c.sentence for c in claims))


def _float(text: str | None) -> float | None:
    try:
        value = float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _int(text: str | None) -> int | None:
    value = _float(text)
    return None if value is None else int(value)
