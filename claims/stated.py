"""Your own question, judged like the articles': a claim you state about one knob at two values.

    Compare("dropout", 0.5, 0.25, expect="higher", metric="best_val_accuracy", margin=0.02,
            why="2 points: what I would change my model for")

reads "dropout 0.5 gives a higher best_val_accuracy than dropout 0.25, by at
least 0.02". A sweep lists it in `claims=` beside article ids; the sweep
adds both values to its space (`search.sweep.schedule`), and the claim is
judged by the same statistics as the catalogue's: paired on every other knob,
seed and fold, one value per seed, Holm over every part of every claim,
planned looks, the tuned answer, equivalence for "no meaningful difference".

A `Compare` is only a description: it becomes a `StatedClaim` record that
sweep.json keeps (`rundir.manifest`), and from that record a `Claim` of the
catalogue's own type (`claim_of`). From there on there is one path: the
verdicts, the report and the scorecard cannot tell how a claim was made,
except to say whose it is.

What can be checked without the model is checked here, when the sweep file
runs: the expectation, the margin and its reason, a reference for "equal",
two different values. The knob, its values and the metric are checked
against the model before any training (`search.sweep.prepare`).
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass
from typing import Any

from claims.catalogue import Claim, Part
from claims.contrasts import Values, same_value
from claims.measure import METRICS, metric_named
from rundir.errors import SweepError
from rundir.manifest import StatedClaim, StatedPart

STATED_SOURCE = "yours"  # a stated claim's `source`, where an article claim cites its article ("004")
EXPECT = {"higher": +1, "lower": -1, "equal": 0}
WORDS = {"higher": "a higher", "lower": "a lower", "equal": "the same"}


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _part(expect: Any, metric: Any, margin: Any, why: Any, reference: Any, name: str) -> StatedPart:
    """One expectation, checked: what is wrong is one line naming the claim and what is accepted."""
    if expect not in EXPECT:
        raise SweepError(f"claim {name!r}: expect={expect!r}; expect takes \"higher\", \"lower\" or \"equal\"")
    if not isinstance(metric, str) or not metric.strip():
        raise SweepError(f"claim {name!r}: metric={metric!r}; give a metric's name, built in "
                         f"({', '.join(METRICS)}) or one your model logs (val_auc, best_val_auc, final_val_auc)")
    if margin is None:
        raise SweepError(f"claim {name!r}: margin is missing; give the smallest effect that matters, in "
                         f"{metric}'s units (0.02 is 2 accuracy points), and why=... its reason")
    if not _number(margin) or not math.isfinite(margin) or margin <= 0:
        raise SweepError(f"claim {name!r}: margin={margin!r}; the margin must be a number above 0, the smallest "
                         f"effect on {metric} that matters")
    if not isinstance(why, str) or not why.strip():
        raise SweepError(f"claim {name!r}: why is missing; say why a {margin:g} difference in {metric} is the "
                         "smallest that matters, as every article claim's margin says (it is shown beside the verdict)")
    if expect == "equal" and reference is None:
        raise SweepError(f"claim {name!r}: expect=\"equal\" needs reference=..., the difference in {metric} it "
                         "expects (0: the two values do the same)")
    if reference is not None and (not _number(reference) or not math.isfinite(reference)):
        raise SweepError(f"claim {name!r}: reference={reference!r}; the reference must be a number")
    if reference is not None and expect != "equal":
        raise SweepError(f"claim {name!r}: reference={reference!r} goes with expect=\"equal\" only; with "
                         f"expect={expect!r} the claim is about the sign of the difference")
    return StatedPart(expect, metric.strip(), float(margin), why.strip(),
                      None if reference is None else float(reference))


@dataclass(frozen=True, init=False)
class Compare:
    """A claim you state: `knob` at `treatment` against `baseline`, and what you expect of the difference.

    - `expect`: "higher", "lower" (treatment against baseline) or "equal" (to `reference`, the
      difference expected: 0 for "the same").
    - `metric`: a built-in per-run metric (best_val_accuracy, final_val_accuracy,
      first_epoch_val_accuracy, train_val_gap, final_train_accuracy, epochs_to_target,
      seconds_per_epoch, log_seconds_per_epoch, ...) or one your model logs: `val_auc` (its best
      epoch), `final_val_auc`, `first_epoch_val_auc`.
    - `margin`: the smallest effect that matters, in the metric's units; `why`: its reason.
    - `name`: the claim's id in the report and claims.csv (default "dropout 0.5 vs 0.25");
      `says`: the claim in your words (default: said from its parts).

    `.also(...)` adds a part on the same two values, as article claims have several:

        Compare("batch_size", 64, 32, expect="equal", reference=0, metric="final_val_accuracy",
                margin=0.02, why="...").also(expect="lower", metric="log_seconds_per_epoch",
                                             margin=0.69, why="half the time: log 2")
    """

    record: StatedClaim

    def __init__(self, knob: str, treatment: Any, baseline: Any, *, expect: str | None = None,
                 metric: str = "best_val_accuracy", margin: float | None = None, why: str | None = None,
                 reference: float | None = None, name: str | None = None, says: str = "") -> None:
        if not isinstance(knob, str) or not re.fullmatch(r"[A-Za-z_][\w/.-]*", knob):
            raise SweepError(f"Compare: the knob must be a hyperparameter's name, such as \"dropout\", not {knob!r}")
        label = name if name is not None else f"{knob} {treatment!r} vs {baseline!r}".replace("'", "")
        if not isinstance(label, str) or not label.strip():
            raise SweepError(f"Compare: name={name!r}; give a short name for the claim, or leave it out")
        for side, value in (("treatment", treatment), ("baseline", baseline)):
            if not (isinstance(value, (str, bool)) or _number(value) and math.isfinite(value)):
                raise SweepError(f"claim {label!r}: the {side} value {value!r} is not a value a knob takes "
                                 "(a number, a word or True/False)")
        if same_value(treatment, baseline):
            raise SweepError(f"claim {label!r}: {knob} is {treatment!r} on both sides; compare two different values")
        if expect is None:
            raise SweepError(f"claim {label!r}: expect is missing; say \"higher\", \"lower\" or \"equal\"")
        part = _part(expect, metric, margin, why, reference, label)
        object.__setattr__(self, "record", StatedClaim(label.strip(), knob, treatment, baseline, (part,), says))

    def also(self, *, expect: str | None = None, metric: str = "best_val_accuracy", margin: float | None = None,
             why: str | None = None, reference: float | None = None) -> Compare:
        """The same claim with one more part: another expectation on the same two values."""
        if expect is None:
            raise SweepError(f"claim {self.id!r}: .also() needs expect=\"higher\", \"lower\" or \"equal\"")
        part = _part(expect, metric, margin, why, reference, self.id)
        r = self.record
        return Compare.of(StatedClaim(r.id, r.knob, r.treatment, r.baseline, (*r.parts, part), r.says))

    @classmethod
    def of(cls, record: StatedClaim) -> Compare:
        """The claim a record holds (sweep.json's), without checking it again."""
        claim = object.__new__(cls)
        object.__setattr__(claim, "record", record)
        return claim

    @property
    def id(self) -> str:
        return self.record.id

    @property
    def knob(self) -> str:
        return self.record.knob

    @property
    def values(self) -> tuple[Any, Any]:
        """(treatment, baseline)."""
        return self.record.treatment, self.record.baseline

    @property
    def metrics(self) -> tuple[str, ...]:
        return tuple(p.metric for p in self.record.parts)

    def __repr__(self) -> str:
        return f"Compare({sentence(self.record)!r})"


# -- the claim, as the catalogue's type ----------------------------------------

def part_label(claim: StatedClaim, part: StatedPart) -> str:
    """'dropout 0.5 gives a higher best_val_accuracy than 0.25' (a few words, as a catalogue part's label)."""
    k = claim.knob
    if part.expect == "equal":
        offset = f" (difference {part.reference:+g})" if part.reference else ""
        return f"{k} {claim.treatment} gives the same {part.metric} as {claim.baseline}{offset}"
    return f"{k} {claim.treatment} gives {WORDS[part.expect]} {part.metric} than {claim.baseline}"


def sentence(claim: StatedClaim) -> str:
    """The claim in words: the user's own (`says`), or its parts joined."""
    if claim.says:
        return claim.says
    labels = [part_label(claim, p) + (f", within {p.margin:g}" if p.expect == "equal" else
                                      f", by at least {p.margin:g}") for p in claim.parts]
    return "; and ".join(labels) + "."


def claim_of(claim: StatedClaim) -> Claim:
    """The catalogue's type for a stated claim: the verdicts, report and scorecard read it as any other."""
    contrast = Values(claim.knob, claim.treatment, claim.baseline)
    parts = tuple(Part(part_label(claim, p), contrast, p.metric, EXPECT[p.expect], p.margin, p.why,
                       metric_named(p.metric).points, p.reference) for p in claim.parts)
    return Claim(claim.id, STATED_SOURCE, sentence(claim), parts,
                 needs=f"{claim.knob}: {claim.treatment!r} and {claim.baseline!r}",
                 schedule=lambda model: {claim.knob: [claim.baseline, claim.treatment]}, stated=True)


# -- one line on the command line ------------------------------------------------

LINE = re.compile(r"^\s*(?P<knob>[A-Za-z_][\w/.-]*)\s*:\s*(?P<treatment>\S+)\s*(?P<op>>|<|=)\s*(?P<baseline>\S+)"
                  r"\s+on\s+(?P<metric>\S+)\s+by\s+(?P<margin>\S+)\s*(?:,\s*because\s+(?P<why>.+?))?\s*$")
OPERATORS = {">": "higher", "<": "lower", "=": "equal"}
EXAMPLE = "dropout: 0.5 > 0.25 on best_val_accuracy by 0.02, because 2 points is what I would change my model for"


def parse_claim(line: str) -> Compare:
    """A claim from one command-line string (`--claim`):

        KNOB: TREATMENT > BASELINE on METRIC by MARGIN, because WHY

    `>` expects the treatment higher, `<` lower, `=` the same (a difference of 0 within the margin).
    """
    m = LINE.match(line)
    if not m:
        raise SweepError(f"--claim {line!r} is not a claim; write it as \"{EXAMPLE}\" (> higher, < lower, = the same)")
    expect = OPERATORS[m["op"]]
    return Compare(m["knob"], _literal(m["treatment"]), _literal(m["baseline"]), expect=expect, metric=m["metric"],
                   margin=_literal(m["margin"]), why=m["why"], reference=0.0 if expect == "equal" else None)


def _literal(text: str) -> Any:
    """A value as Python reads it (0.5, 32, True), or the word itself (max, avg)."""
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text
    return value if isinstance(value, (int, float, bool, str)) else text
