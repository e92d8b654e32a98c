"""The verdicts on the articles' tuning claims, shaped for the report.

The `claims` package tests the claims a sweep requested (e.g. "max pooling
beats average pooling on texture"). `reports.html.write_report` judges them
once per report, writes the rows as `claims.csv` and hands the same rows to
every section; this module shapes them for the template's `claims` block. A sweep that
requested no claims gets one line saying so instead of a table of "not
requested".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from claims.stats import NOT_REQUESTED
from claims.verdicts import ClaimRow

NONE_REQUESTED = ("This sweep requested no claims. Add claims=(\"pooling-texture\", ...) to its sweep file to test "
                  "the articles' conclusions on this data.")


@dataclass
class ClaimsInfo:
    rows: list[ClaimRow] = field(default_factory=list)
    has_sentence: bool = False
    note: str = ""
    not_requested: list[str] = field(default_factory=list)  # ids of the claims the sweep did not ask for


def claims_info(claims: list[ClaimRow] | None) -> ClaimsInfo | None:
    """The report's claim rows for the template, or None when there are none (the section is omitted)."""
    if claims is None:
        return None
    judged = [c for c in claims if c.verdict != NOT_REQUESTED]
    skipped = [c.claim for c in claims if c.verdict == NOT_REQUESTED]
    if claims and not judged:
        return ClaimsInfo(note=NONE_REQUESTED, not_requested=skipped)
    return ClaimsInfo(judged, any(c.sentence for c in judged), not_requested=skipped)
