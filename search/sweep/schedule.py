"""Add to a sweep's space the contrasts its claims need.

A sweep file that lists `claims=("pooling-texture", ...)` gets, on top of
its own space, both sides of each claim's contrast; Keras Tuner's grid then
runs them under the same seeds and split with every other setting equal,
which is what the paired statistics need. What each claim adds is declared
with the claim (`claims.catalogue`, its `schedule`; a claim you state with
`Compare` adds its two values, `claims.stated`); this module only merges it in. Values the sweep already lists are reused, not run twice.
"""

from __future__ import annotations

from dataclasses import replace

from search.sweep.spec import Range, Sweep


def schedule_claims(sweep: Sweep) -> Sweep:
    """The sweep with every claim's contrast values merged into its space."""
    space = dict(sweep.space)
    for claim in sweep.claim_list():
        for knob, values in claim.schedule(sweep.hypermodel).items():
            current = space.get(knob)
            if isinstance(current, Range):
                continue  # a searched range already spans both sides
            merged = list(current) if isinstance(current, (list, tuple)) else ([] if current is None else [current])
            merged += [v for v in values if v not in merged]
            space[knob] = merged
    return replace(sweep, space=space)
