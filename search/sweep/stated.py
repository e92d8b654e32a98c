"""Before training: a claim you state (`claims.stated.Compare`) must fit the model it is about.

`Compare` checks what it can alone (the expectation, the margin, two
different values). What needs the model is checked here, from one build with
its defaults (`search.sweep.probe`), each as one line naming the claim and
what is accepted: a knob the model does not declare, a value the knob cannot
take (the same rule as the sweep's own space, `space.value_problem`), a
metric that is neither built in nor logged by the model's `fit`.
"""

from __future__ import annotations

import difflib

from claims.measure import METRICS, metric_named
from rundir.errors import SweepError
from search.models.own import model_name
from search.sweep.probe import Probe
from search.sweep.space import value_problem
from search.sweep.spec import Sweep


def check_stated_claims(sweep: Sweep, hypermodel: object, probe: Probe | None) -> None:
    """One SweepError for the first stated claim that does not fit the model (nothing when none is stated)."""
    if probe is None:
        return
    model = model_name(hypermodel)
    for claim in sweep.stated_claims:
        if claim.knob not in probe.knobs:
            close = difflib.get_close_matches(claim.knob, sorted(probe.knobs), n=1)
            raise SweepError(f"claim {claim.id!r}: {model} has no knob {claim.knob!r} "
                             + (f"(did you mean {close[0]!r}?)" if close else
                                f"(its knobs: {', '.join(sorted(probe.knobs))})"))
        for value in (claim.treatment, claim.baseline):
            problem = value_problem(claim.knob, value, probe.declaration(claim.knob))
            if problem:
                raise SweepError(f"claim {claim.id!r}: {claim.knob}={value!r} is not a value {model} accepts: "
                                 f"{problem}")
        for part in claim.parts:
            missing = [key for key in metric_named(part.metric).needs if key not in probe.logged]
            if missing:
                built_in = part.metric in METRICS
                raise SweepError(
                    f"claim {claim.id!r}: metric {part.metric!r} "
                    + (f"reads {missing[0]!r}, which {model} does not log" if built_in or missing[0] != part.metric
                       else f"is not built in, and {model} does not log it")
                    + f"; each epoch logs {', '.join(probe.logged)} (a claim reads any of these, at its best epoch, "
                      f"or final_/first_epoch_ of one); built in: {', '.join(METRICS)}")
