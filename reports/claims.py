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

import math

from claims.catalogue import BY_ID, CLAIMS, Claim
from claims.stated import STATED_SOURCE
from claims.stats import (
    BEYOND, CONTRADICTED, INCONCLUSIVE, NO_DIFFERENCE, NOT_MEASURABLE, NOT_REQUESTED, NOT_TESTED, SUPPORTED, UNRESOLVED,
    WITHIN,
)
from claims.verdicts import ClaimRow

NONE_REQUESTED = ("This sweep requested no claims. Add claims=(\"pooling-texture\", ...) to its sweep file to test "
                  "the articles' conclusions on this data.")


@dataclass
class ClaimsInfo:
    rows: list[ClaimRow] = field(default_factory=list)
    has_sentence: bool = False
    note: str = ""
    not_requested: list[str] = field(default_factory=list)  # ids of the claims the sweep did not ask for
    plain: dict[str, str] = field(default_factory=dict)  # claim id -> one sentence a reader can act on
    tuned: dict[str, str] = field(default_factory=dict)  # claim id -> the tuned answer in a sentence (where it has one)
    yours: list[str] = field(default_factory=list)  # ids of the claims the user stated
    look: str = ""  # the planned look the rows are of, while the sweep runs: "after round 1 of the plan (seeds 0-2)"
    next_look: str = ""  # while the sweep runs: when the claims are judged next, in words


def claims_info(claims: list[ClaimRow] | None, known: tuple[Claim, ...] = CLAIMS) -> ClaimsInfo | None:
    """The report's claim rows for the template, or None when there are none (the section is omitted).
    `known`: the claims the rows are of (`claims.verdicts.claims_of`: the catalogue's and the user's)."""
    if claims is None:
        return None
    by_id = {c.id: c for c in known}
    judged = [c for c in claims if c.verdict != NOT_REQUESTED]
    skipped = [c.claim for c in claims if c.verdict == NOT_REQUESTED]
    if claims and not judged:
        return ClaimsInfo(note=NONE_REQUESTED, not_requested=skipped)
    return ClaimsInfo(judged, any(c.sentence for c in judged), not_requested=skipped,
                      plain={c.claim: plain_sentence(c, len(judged), by_id.get(c.claim)) for c in judged},
                      tuned={c.claim: tuned_sentence(c, len(judged)) for c in judged if c.tuned_verdict},
                      yours=[c.claim for c in judged if is_stated(c)])


def is_stated(row: ClaimRow) -> bool:
    """Whether the row is a claim the user stated (`claims.stated`), not an article's."""
    return row.source == STATED_SOURCE


def _amount(value: float, metric: str) -> str:
    """An effect in the metric's own unit: accuracy-like shares as points, epochs as epochs."""
    if "accuracy" in metric or "gap" in metric or metric == "did_not_converge":
        return f"{value * 100:+.1f} points"
    if metric.startswith("epoch"):
        return f"{value:+.1f} epochs" if "minus" not in metric else f"{value * 100:+.1f} points"
    if metric.startswith("log_"):
        return f"{math.exp(value):.3g}x"
    return f"{value:+.3g}"


def plain_sentence(row: ClaimRow, judged: int, claim: Claim | None = None) -> str:
    """One sentence on what the claim's deciding part measured and what to make of it, e.g. "On this
    data, all-max beats all-average pooling: +2.0 points (95% interval +0.1 to +3.9 points) over 3
    seeds; the 95% interval alone says supported, but with 3 claims judged at once that is not enough
    to be sure; about 6 seeds in all would decide it at the spread seen so far." """
    final = row.final
    if final == NOT_TESTED:
        if row.note.startswith("needs "):
            return f"Not tested: the claim {row.note}, which this sweep did not run."
        return "Not tested; see the details."
    claim = claim or BY_ID.get(row.claim)
    part = row.decided_by if row.decided_by and row.decided_by != "every part" else \
        (claim.parts[0].label if claim is not None else row.claim)
    if final == NOT_MEASURABLE or row.effect is None:
        return f"{part[:1].upper()}{part[1:]}: {final}; see the details."
    whose = "your" if is_stated(row) else "the article's"
    sign_zero = claim is not None and any(p.sign == 0 and p.label == part for p in claim.parts)
    measured = _amount(row.effect, row.metric) + (
        (" from the difference you expected" if is_stated(row) else " from the article's value") if sign_zero else "")
    if row.ci_low is not None and row.ci_high is not None:
        measured += f" (95% interval {_amount(row.ci_low, row.metric)} to {_amount(row.ci_high, row.metric)})"
    head = f"On this data, {part}: {measured} over {row.seeds} seeds"
    others = f"with {judged} claims judged at once" if judged > 1 else "allowing for a look after every round"
    margin = f"the margin of {_amount(row.margin, row.metric).lstrip('+')} that would matter" \
        if row.margin is not None else "the margin"
    if final in (SUPPORTED, CONTRADICTED):
        tail = (f"{whose} claim holds here, beyond seed-to-seed noise" if final == SUPPORTED else
                f"the opposite of {whose} claim, beyond seed-to-seed noise")
        if row.size == BEYOND:
            tail += f", and by at least {margin}"
        elif row.size == WITHIN:
            tail += f", but the effect is smaller than {margin}"
        elif row.size == UNRESOLVED:
            tail += f"; whether it reaches {margin} is not resolved yet (more seeds may tell)"
    elif final == NO_DIFFERENCE:
        tail = f"any difference is smaller than the margin of {row.margin:g} that would matter: no meaningful difference"
    elif row.verdict != INCONCLUSIVE and row.verdict != final:
        tail = f"the 95% interval alone says {row.verdict}, but {others} that is not enough to be sure"
    else:
        tail = "not enough seeds yet to tell"
    if final == INCONCLUSIVE and row.seeds_to_decide is not None:
        tail += f"; about {row.seeds_to_decide} seeds in all would decide it, if the spread stays as seen so far"
    return f"{head}; {tail}."


def tuned_sentence(row: ClaimRow, judged: int = 1) -> str:
    """The tuned answer in one sentence, e.g. "Each side at its own best settings (chosen on half the
    seeds, measured on the other half; all-max at learning_rate=0.001; all-average at ...): +4.0 points
    (95% interval +0.8 to +7.2 points) over 5 seeds: supported." """
    head = "Each side at its own best settings (chosen on half the seeds, measured on the other half"
    head += f"; {row.tuned_choice})" if row.tuned_choice else ")"
    if row.tuned_effect is None:
        return f"{head}: {row.tuned_verdict}."
    measured = _amount(row.tuned_effect, row.metric)
    if row.tuned_ci_low is not None and row.tuned_ci_high is not None:
        measured += f" (95% interval {_amount(row.tuned_ci_low, row.metric)} to {_amount(row.tuned_ci_high, row.metric)})"
    tail = row.tuned_headline
    low, high = row.tuned_ci_low, row.tuned_ci_high
    if row.tuned_verdict == INCONCLUSIVE and low is not None and high is not None and (low > 0 or high < 0):
        others = f"with {judged} claims judged at once" if judged > 1 else "allowing for a look after every round"
        tail += f" (the 95% interval alone excludes no difference, but {others} that is not enough to be sure)"
    return f"{head}: {measured} over {row.tuned_seeds} seeds: {tail}."
