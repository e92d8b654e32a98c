"""Add to a sweep's space the contrasts its claims need.

A sweep file that lists `claims=("pooling-texture", ...)` gets, on top of
its own space, both sides of each claim's contrast; Keras Tuner's grid then
runs them under the same seeds and split with every other setting equal,
which is what the paired statistics need. What each claim adds is declared
with the claim (`claims.catalogue`, its `schedule`); this module only merges
it in. Values the sweep already lists are reused, not run twice.
"""

from __future__ import annotations

from dataclasses import replace

from claims.catalogue import BY_ID
from search.sweep.spec import Range, Sweep


def schedule_claims(sweep: Sweep) -> Sweep:
    """The sweep with every claim's contrast values merged into its space."""
    space = dict(sweep.space)
    for claim in sweep.claims:
        if claim not in BY_ID:
            continue  # an unknown id is refused by Sweep's own checks
        for knob, values in BY_ID[claim].schedule(sweep.hypermodel).items():
            current = space.get(knob)
            if isinstance(current, Range):
                continue  # a searched range already spans both sides
            merged = list(current) if isinstance(current, (list, tuple)) else ([] if current is None else [current])
            merged += [v for v in values if v not in merged]
            space[knob] = merged
    return replace(sweep, space=space)
