"""What a sweep file declares, and loading one with errors a user can act on.

A sweep file is plain Python that assigns `sweep = Sweep(...)`. Python is
the format on purpose: data sources and models are real objects with
docstrings and argument checking, and a typo fails on the line that has it.
"""

from __future__ import annotations

import difflib
import math
import runpy
import traceback
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Union

from claims.catalogue import BY_ID, Claim
from claims.stated import Compare, claim_of
from rundir.manifest import StatedClaim
from search.data.sources import DataSource
from search.training.device import PRECISIONS
from rundir.errors import SweepError
from search.data.images import RESIZE_MODES
from search.training.pruning import MedianStopping
from search.sweep.seeds import Seeds

TUNERS = ("grid", "random", "bayesian", "hyperband")
FUSE_CHOICES = ("auto", True, False)


@dataclass(frozen=True)
class Range:
    """A numeric interval to search: `Range(1e-5, 1e-2, log=True)`.

    Grid search needs a `step` (or `log=True` with `step` as the factor).
    """

    low: float
    high: float
    step: float | None = None
    log: bool = False

    def __post_init__(self):
        if not self.low < self.high:
            raise SweepError(f"Range low {self.low} must be below high {self.high}")

    @property
    def is_int(self) -> bool:
        return all(isinstance(v, int) and not isinstance(v, bool) for v in (self.low, self.high)) and (
            self.step is None or isinstance(self.step, int)
        )


SpaceValue = Union[list, tuple, Range, int, float, str, bool]


@dataclass(frozen=True)
class EarlyStopping:
    """The articles' EarlyStopping(val_accuracy, min_delta=0.001, patience=20)."""

    monitor: str = "val_accuracy"
    min_delta: float = 0.001
    patience: int = 20


@dataclass(frozen=True)
class Sweep:
    """One sweep: which data, which model, which knobs, which tuner, how long.

    `space` maps a hyperparameter name to the values to try: a list (a
    choice), a `Range`, or a single value (fixed). Hyperparameters not named
    keep the article's default, so a sweep file lists only what it varies.
    """

    name: str
    data: DataSource
    hypermodel: Any  # an article class from search.models.articles, a keras_tuner.HyperModel, or a build(hp) function
    space: dict[str, SpaceValue] = field(default_factory=dict)
    hypermodel_args: dict[str, Any] = field(default_factory=dict)
    tuner: str = "grid"
    objective: str = "val_accuracy"
    max_trials: int | None = None  # None: the whole grid, or 10 for other tuners
    epochs: int | None = None  # None: the article's epoch count
    image_size: int = 224
    seeds: int | Seeds | str = 1  # N: seeds 0..N-1; Seeds(min, max) or "auto": rounds while a claim is undecided
    # K: stratified K-fold cross-validation over all the source's images, a
    # fresh partition per seed (search.data.folds); None: the source's own split.
    folds: int | None = None
    early_stopping: EarlyStopping | None = field(default_factory=EarlyStopping)
    median_stopping: MedianStopping | None = None  # stop runs behind the median (off; not with claims)
    precision: str = "float32"  # or "mixed_bfloat16": bf16 compute, float32 weights (opt-in)
    fuse_seeds: bool | str = "auto"  # train a trial's seeds as one program (search.training.fused); "auto": if measured faster
    resize: str = "stretch"  # or "crop" / "pad": keep the aspect ratio, as Keras' crop_/pad_to_aspect_ratio
    claims: tuple[str | Compare, ...] = ()  # claims to test: article ids (claims.catalogue) and your own Compare(...)
    claim_min_pairs: int = 5  # least seeds a claim verdict needs is min(this, 3); 2 lowers it to 2
    description: str = ""
    max_consecutive_failures: int = 10

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name or "/" in self.name:
            raise SweepError(f"sweep name must be a non-empty string without '/', not {self.name!r}")
        if self.tuner not in TUNERS:
            raise SweepError(f"unknown tuner {self.tuner!r}; choose one of {', '.join(TUNERS)}")
        from search.models.own import check_own_model

        check_own_model(self.hypermodel)
        if self.seeds == "auto":
            object.__setattr__(self, "seeds", Seeds())
        for label, value, low in (
            ("epochs", self.epochs, 1),
            ("max_trials", self.max_trials, 1),
            ("seeds", None if isinstance(self.seeds, Seeds) else self.seeds, 1),
            ("image_size", self.image_size, 4),
            ("folds", self.folds, 2),
        ):
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < low):
                raise SweepError(f"{label} must be a whole number of at least {low}"
                                 + (", Seeds(min, max) or \"auto\"" if label == "seeds" else "") + f", not {value!r}")
        if isinstance(self.seeds, Seeds) and self.tuner != "grid":
            raise SweepError(f"seeds={self.seeds} adds rounds of seeds to the same configurations, which only a grid "
                             f"search repeats; use tuner=\"grid\" or a fixed seed count with tuner={self.tuner!r}")
        self._check_claims()
        if self.precision not in PRECISIONS:
            close = difflib.get_close_matches(str(self.precision), PRECISIONS, n=1)
            raise SweepError(f"unknown precision {self.precision!r}; "
                             + (f"did you mean {close[0]!r}?" if close else f"choose one of {', '.join(PRECISIONS)}"))
        if self.resize not in RESIZE_MODES:
            close = difflib.get_close_matches(str(self.resize), RESIZE_MODES, n=1)
            raise SweepError(f"unknown resize {self.resize!r}; "
                             + (f"did you mean {close[0]!r}?" if close else f"choose one of {', '.join(RESIZE_MODES)}"))
        if self.fuse_seeds not in FUSE_CHOICES or isinstance(self.fuse_seeds, int) and not isinstance(
                self.fuse_seeds, bool):
            raise SweepError(f"fuse_seeds must be \"auto\", True or False, not {self.fuse_seeds!r}")
        if self.fuse_seeds is True and self.median_stopping is not None:
            raise SweepError("fuse_seeds=True trains a trial's seeds together, but median_stopping judges each run "
                             "alone; use fuse_seeds=\"auto\" or False with median_stopping")
        if self.median_stopping is not None and self.claims:
            raise SweepError("median_stopping cuts runs short, which would bias the paired claim statistics; "
                             "use it in sweeps without claims")
        if self.tuner == "hyperband" and self.claims:
            raise SweepError("hyperband trains configurations to unequal epoch budgets, which the paired claim "
                             "statistics cannot compare; use tuner=\"grid\" in sweeps with claims")
        if self.folds is not None:
            self._check_folds()
        for name, value in self.space.items():
            if isinstance(value, (list, tuple)) and len(value) == 0:
                raise SweepError(f"search space for {name!r} is empty; give at least one value")
            if self.tuner == "grid" and isinstance(value, Range) and value.step is None:
                raise SweepError(f"grid search needs a step for Range {name!r} (or list the values)")

    def _check_claims(self) -> None:
        """Article ids the catalogue knows and Compare(...) claims, each named once."""
        object.__setattr__(self, "claims", (self.claims,) if isinstance(self.claims, (str, Compare))
                           else tuple(self.claims))
        for claim in self.claims:
            if isinstance(claim, Compare):
                if claim.id in BY_ID:
                    raise SweepError(f"claim {claim.id!r}: the name is an article claim's; give Compare(name=...) "
                                     "another")
            elif not isinstance(claim, str):
                raise SweepError(f"claims lists {claim!r}; give article claim ids (\"pooling-texture\") or "
                                 "Compare(...) claims of your own")
            elif claim not in BY_ID:
                close = difflib.get_close_matches(claim, list(BY_ID), n=1)
                raise SweepError(f"unknown claim {claim!r}" + (f" (did you mean {close[0]!r}?)" if close else
                                                              f"; known: {', '.join(BY_ID)}"))
        ids = self.claim_ids
        twice = sorted({c for c in ids if ids.count(c) > 1})
        if twice:
            raise SweepError(f"claims lists {', '.join(repr(c) for c in twice)} more than once; give each "
                             "Compare(...) its own name=")

    @property
    def claim_ids(self) -> tuple[str, ...]:
        """Every requested claim's id, article and stated alike, in the sweep's order."""
        return tuple(c.id if isinstance(c, Compare) else c for c in self.claims)

    @property
    def stated_claims(self) -> tuple[StatedClaim, ...]:
        """The claims the user stated, as sweep.json keeps them."""
        return tuple(c.record for c in self.claims if isinstance(c, Compare))

    def claim_list(self) -> tuple[Claim, ...]:
        """Every requested claim as the catalogue's type: an article's, or the user's (`claims.stated.claim_of`)."""
        return tuple(claim_of(c.record) if isinstance(c, Compare) else BY_ID[c] for c in self.claims)

    def _check_folds(self) -> None:
        """What folds cannot go with: each is refused as claims refuse it, before any training."""
        if self.tuner == "hyperband":
            raise SweepError(f"folds={self.folds} trains every configuration on each fold to one budget, which "
                             "hyperband's unequal epoch budgets break; use tuner=\"grid\" with folds")
        if self.median_stopping is not None:
            raise SweepError(f"folds={self.folds}: median_stopping would compare runs validated on different "
                             "folds; use it without folds")

    def with_overrides(self, **overrides: Any) -> Sweep:
        """The sweep with CLI flags applied; `None` means the flag was not given."""
        given = {k: v for k, v in overrides.items() if v is not None}
        if "data" in given:
            given["data"] = self.data.with_path(given["data"])
        return replace(self, **given)

    def grid_size(self) -> int | None:
        """How many configurations a grid search has (None if not a grid)."""
        if self.tuner != "grid":
            return None
        total = 1
        for value in self.space.values():
            if isinstance(value, (list, tuple)):
                total *= len(value)
            elif isinstance(value, Range):
                total *= _range_count(value)
        return total

    def planned_trials(self) -> int | None:
        """Configurations the sweep will run, if knowable up front."""
        if self.tuner == "grid":
            size = self.grid_size() or 1
            return min(size, self.max_trials) if self.max_trials else size
        if self.tuner == "hyperband":
            return None
        return self.max_trials or 10


def _range_count(value: Range) -> int:
    if value.log:
        return int(math.floor(math.log(value.high / value.low) / math.log(value.step))) + 1
    return int(math.floor((value.high - value.low) / value.step + 1e-9)) + 1


SWEEP_FIELDS = [f.name for f in fields(Sweep)]


def load_sweep_file(path: str | Path) -> Sweep:
    """Run a sweep file and return its `sweep`, turning any mistake into one line."""
    path = Path(path)
    if not path.exists():
        raise SweepError(f"sweep file {path} does not exist")
    if path.is_dir():
        raise SweepError(f"sweep file {path} is a folder; give a .py file such as sweeps/digits.py")
    try:
        namespace = runpy.run_path(str(path), run_name="__sweep__")
    except SweepError as exc:
        raise SweepError(f"{path}:{_line_in(path, exc)}: {exc}") from None
    except SyntaxError as exc:
        raise SweepError(f"{path}:{exc.lineno}: syntax error: {exc.msg}") from None
    except TypeError as exc:
        raise SweepError(f"{path}:{_line_in(path, exc)}: {_explain_type_error(exc)}") from None
    except Exception as exc:  # any other mistake in user code: report its line
        raise SweepError(f"{path}:{_line_in(path, exc)}: {type(exc).__name__}: {exc}") from None
    sweep = namespace.get("sweep")
    if sweep is None:
        raise SweepError(f"sweep file {path} defines no `sweep = Sweep(...)`")
    if not isinstance(sweep, Sweep):
        raise SweepError(f"sweep file {path}: `sweep` must be a search.Sweep, not {type(sweep).__name__}")
    return sweep


def _line_in(path: Path, exc: BaseException) -> str:
    """The line of the sweep file where the exception passed, or '?'."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if Path(frame.filename).resolve() == path.resolve():
            return str(frame.lineno)
    return "?"


def _explain_type_error(exc: TypeError) -> str:
    text = str(exc)
    if "unexpected keyword argument" in text and "Sweep" in text:
        bad = text.split("'")[-2] if text.count("'") >= 2 else ""
        close = difflib.get_close_matches(bad, SWEEP_FIELDS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(SWEEP_FIELDS)})"
        return f"Sweep() got an unknown setting {bad!r}{hint}"
    return f"TypeError: {text}"
