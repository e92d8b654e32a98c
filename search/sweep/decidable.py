"""Before training: can the split measure the margins of the claims the sweep asks?

A claim part in accuracy points cannot be measured when its margin is
under two validation images (`claims.verdicts.below_resolution`, the one
rule). The data check knows the validation set's size before the first
epoch, so a sweep that would train for hours and end "not measurable on
this data" says so in its header instead, with what would fix it: folds
validate every image once per seed, at K times the runs.
"""

from __future__ import annotations

from typing import Sequence

from claims.catalogue import Claim
from claims.verdicts import RESOLUTION_IMAGES, unresolvable

SUGGESTED_FOLDS = 5


def _names(ids: list[str]) -> str:
    return ", ".join(ids[:-1]) + " and " + ids[-1] if len(ids) > 1 else ids[0]


def _margins(parts) -> str:
    margins = sorted({p.margin * 100 for _, p in parts})
    return " and ".join(f"{m:g}" for m in margins) + "-point margin" + ("s" if len(margins) > 1 else "")


def resolution_line(claims: Sequence[Claim], n_val: int, n_all: int, folds: int | None,
                    runs_per_seed: int | None) -> str | None:
    """The header's line when a requested claim's margin is below the split's resolution; None when every one fits.

    `n_val`: the images each seed validates on (all `n_all` under folds);
    `runs_per_seed`: configurations per seed on the fixed split, for the cost of folds.
    """
    parts = unresolvable(claims, n_val)
    if not parts:
        return None
    ids = list(dict.fromkeys(cid for cid, _ in parts))
    images = (f"all {n_val} images the {folds} folds validate" if folds else f"the {n_val} validation images")
    head = (f"claims     {_names(ids)} cannot be decided on this data: the {_margins(parts)} "
            f"{'is' if len({p.margin for _, p in parts}) == 1 else 'are'} under {RESOLUTION_IMAGES} of {images} "
            f"({100 / n_val:.3g} points each), so the verdict would read \"not measurable on this data\"")
    if folds or unresolvable(claims, n_all):
        return head + (f"; even folds, validating all {n_all} images, would not ({RESOLUTION_IMAGES * 100 / n_all:.3g} "
                       "points for two images): a larger data set is needed")
    cost = (f" ({runs_per_seed * SUGGESTED_FOLDS} runs per seed instead of {runs_per_seed})"
            if runs_per_seed else "")
    return head + (f"; --folds {SUGGESTED_FOLDS} validates all {n_all} images once per seed "
                   f"({RESOLUTION_IMAGES * 100 / n_all:.3g} points for two images), at {SUGGESTED_FOLDS}x the runs "
                   f"and epochs{cost}")
