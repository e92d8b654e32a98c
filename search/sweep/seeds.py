"""How many seeds a sweep runs: a fixed count, or rounds added while a claim is undecided.

The seed is the unit of replication of every claim verdict, so the number
of seeds is what buys certainty. A fixed `seeds=5` runs seeds 0..4 for every
configuration. `Seeds(min=3, max=20)` (or `seeds="auto"`) runs the grid
with `min` seeds first, then adds rounds of seeds, up to `max`, only while
some requested claim is still inconclusive.

Looking at the verdicts after every round would inflate their error rate
if each look used the plain 95% interval. The claims statistics therefore
spend the error rate over the planned looks (`looks()`), which is why the
plan is fixed up front and written into sweep.json as `seed_looks`: the
verdicts can be recomputed from disk at any time with the same plan.
"""

from __future__ import annotations

from dataclasses import dataclass

from rundir.errors import SweepError


@dataclass(frozen=True)
class Seeds:
    """Sequential seeds: start with `min`, stop at `max` or when every requested claim is decided."""

    min: int = 3
    max: int = 20

    def __post_init__(self):
        for label, value in (("min", self.min), ("max", self.max)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 2:
                raise SweepError(f"Seeds({label}=...) must be a whole number of at least 2, not {value!r}")
        if self.max < self.min:
            raise SweepError(f"Seeds(min={self.min}, max={self.max}): max must be at least min")

    def looks(self) -> tuple[int, ...]:
        """The seed counts after each round: `min`, then growing by about a quarter (at least one seed) each
        round, ending at `max`: 3, 4, 5, 6, 8, 10, 12, 15, 20 for the default.

        Dense looks let a clear effect stop a few seeds after it is clear;
        each extra look costs little of the error rate, since the claims
        statistics account for the looks sharing their seeds
        (`claims.stats.look_null`). Chosen by `benchmarks calibration`'s
        design comparison (benchmarks/README.md): the fewest seeds at twice
        the margin among the schedules tried.
        """
        counts = [self.min]
        while counts[-1] < self.max:
            nxt = max(counts[-1] + 1, round(counts[-1] * 1.25))
            counts.append(self.max if self.max - nxt < 2 else nxt)
        return tuple(counts)


def seed_looks(seeds: int | Seeds) -> tuple[int, ...]:
    """The planned seed counts at which verdicts are read: one look for a fixed count."""
    return seeds.looks() if isinstance(seeds, Seeds) else (int(seeds),)
