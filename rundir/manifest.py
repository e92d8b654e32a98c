"""sweep.json, typed: what a sweep ran, on what, and how far its rounds got.

The manifest is the half of the contract between training and judging that
is not a run record: the engine writes it (`write_manifest`) when a sweep
starts, after every round and when it stops, and everything that judges or
draws reads it (`read_manifest`): the claims' seed plan and looks, the
report's header, the scorecard, `--check-run`. One type means one reading of
each key: the seed plan, the rounds and the runs they ask for, the folds,
the objective's direction.

On disk it stays the plain JSON object it always was (a text editor and
`json.load` still read it), with a `version`. Run directories written
before the version key (version 1) load: every key they lack takes the
value such a sweep had (no rounds, no folds, every claim requested).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Mapping

from rundir.errors import SweepError
from rundir.files import read_json, write_json

MANIFEST = "sweep.json"
VERSION = 2  # 1: before the key existed (the same keys, read by hand)


LOWER_IS_BETTER = ("loss", "error", "mae", "mse", "mape", "msle", "rmse", "crossentropy", "hinge", "divergence",
                   "poisson", "logcosh")  # the endings of Keras' losses and error metrics


def objective_mode(objective: str) -> str:
    """Which way a logged metric is better: a loss or an error lower, anything else (accuracy, AUC, precision)
    higher. Decided here alone: the sweep's objective and a claim's "best" of a logged metric both ask it."""
    return "min" if objective.lower().endswith(LOWER_IS_BETTER) else "max"


def objective_sign(objective: str) -> float:
    """+1 when higher is better, -1 when lower is: `sign * score` is larger for the better run."""
    return 1.0 if objective_mode(objective) == "max" else -1.0


def seed_span(first: int, seeds: int) -> str:
    """Seeds first..seeds-1 in words: 'seeds 0-2', or 'seed 3' for one."""
    last = seeds - 1
    return f"seed {last}" if last == first else f"seeds {first}-{last}"


@dataclass(frozen=True)
class Round:
    """One round of seeds: seeds `first_seed`..`seeds`-1 of every configuration it trains."""

    number: int  # 1-based
    first_seed: int
    seeds: int  # the seed count every configuration it trains has once this round is done
    because: tuple[str, ...] = ()  # the claims undecided after the previous round (none for round 1)
    trials: tuple[str, ...] | None = None  # the configurations this round trains; None: every one

    def span(self) -> str:
        """'seeds 3-4', or 'seed 2' for a round of one seed."""
        return seed_span(self.first_seed, self.seeds)

    def label(self) -> str:
        """'round 2: seeds 3-4, because batch-size, pooling-texture are undecided'."""
        text = f"round {self.number}: {self.span()}"
        if self.because:
            verb = "is" if len(self.because) == 1 else "are"
            text += f", because {', '.join(self.because)} {verb} undecided"
        if self.trials is not None:
            text += f"; only the {len(self.trials)} configuration(s) their open parts read"
        return text

    def trains(self, trial_id: str) -> bool:
        return self.trials is None or trial_id in self.trials

    def runs(self, configurations: int, runs_per_seed: int = 1) -> int:
        """The runs this round asks for: its configurations (a targeted round's own) x its new seeds x folds."""
        configs = len(self.trials) if self.trials is not None else configurations
        return configs * (self.seeds - self.first_seed) * runs_per_seed

    def to_json(self, status: str) -> dict[str, Any]:
        data = {"round": self.number, "first_seed": self.first_seed, "seeds": self.seeds,
                "because": list(self.because), "status": status}
        if self.trials is not None:
            data["trials"] = list(self.trials)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Round:
        trials = data.get("trials")
        return cls(int(data["round"]), int(data.get("first_seed") or 0), int(data["seeds"]),
                   tuple(str(c) for c in data.get("because") or ()),
                   tuple(str(t) for t in trials) if trials is not None else None)


@dataclass(frozen=True)
class SeedPlan:
    """How many seeds: a fixed count (one look), or `Seeds(min, max)` in rounds, judged at `looks`."""

    min: int
    max: int
    looks: tuple[int, ...]  # the seed counts at which verdicts may be read, fixed before any run
    in_rounds: bool = False

    @classmethod
    def fixed(cls, seeds: int) -> SeedPlan:
        return cls(seeds, seeds, (seeds,))

    def to_json(self) -> int | dict[str, int]:
        """As sweep.json keeps it: an int, or {"min", "max"} for rounds."""
        return {"min": self.min, "max": self.max} if self.in_rounds else self.min

    @classmethod
    def from_json(cls, seeds: Any, looks: Any) -> SeedPlan | None:
        listed = tuple(int(n) for n in looks) if isinstance(looks, (list, tuple)) and looks else ()
        if isinstance(seeds, dict):
            low, high = int(seeds["min"]), int(seeds["max"])
            return cls(low, high, listed or (low,), True)
        if isinstance(seeds, int) and not isinstance(seeds, bool):
            return cls(seeds, seeds, listed or (seeds,))
        if listed:  # a plan written as its looks alone (tests, simulations)
            return cls(listed[0], listed[-1], listed, len(listed) > 1)
        return None


@dataclass(frozen=True)
class FoldInfo:
    """Cross-validation: K folds over all the images, and the duplicate groups kept within one fold."""

    k: int
    images: int
    duplicate_groups: int = 0
    images_in_groups: int = 0

    def describe(self) -> str:
        return (f"{self.k}-fold cross-validation over all {self.images} images, training and validation "
                f"together, with a fresh stratified partition per seed: each configuration and seed validates "
                f"every image once, in {self.k} runs. {self.duplicate_groups} group(s) of duplicate images "
                f"({self.images_in_groups} images) were kept within one fold.")


@dataclass(frozen=True)
class DataInfo:
    """The images a sweep trained on. With folds, the counts are over all of them (each is validated once
    per configuration and seed), and `split` keeps the source's own."""

    source: str = ""
    description: str = ""
    classes: tuple[str, ...] = ()
    class_counts: dict[str, dict[str, int]] = field(default_factory=dict)  # {class: {"train": n, "val": n}}
    n_train: int | None = None
    n_val: int | None = None
    split: dict[str, int] | None = None
    image_size: int | None = None
    resize: str | None = None
    input_shape: tuple[int, ...] | None = None

    def chance_rate(self) -> float | None:
        """The largest class's share of the validation images: what always guessing it scores."""
        counts = [int(c.get("val", 0)) for c in self.class_counts.values() if isinstance(c, dict)]
        return max(counts) / sum(counts) if counts and sum(counts) else None


@dataclass(frozen=True)
class StatedPart:
    """One expectation of a user's claim (`claims.stated.Compare`): the sign of treatment - baseline on a metric."""

    expect: str  # "higher", "lower" or "equal" (to `reference`)
    metric: str  # a name `claims.measure.metric_named` knows: built in, or one the model logs
    margin: float  # the smallest effect that matters, in the metric's units
    why: str  # the margin's reason, in the user's words
    reference: float | None = None  # "equal": the difference expected (0: the same)

    def to_json(self) -> dict[str, Any]:
        return {"expect": self.expect, "metric": self.metric, "margin": self.margin, "why": self.why,
                "reference": self.reference}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StatedPart:
        reference = data.get("reference")
        return cls(str(data["expect"]), str(data["metric"]), float(data["margin"]), str(data.get("why") or ""),
                   None if reference is None else float(reference))


@dataclass(frozen=True)
class StatedClaim:
    """A claim the user stated: one knob at two values, and what they expect of the difference.

    Kept in sweep.json whole, so the verdicts and the report rebuild it from
    the run directory alone, as they rebuild an article claim from its id."""

    id: str
    knob: str
    treatment: Any  # a JSON value: a number, a word or a boolean
    baseline: Any
    parts: tuple[StatedPart, ...]
    says: str = ""  # the claim in the user's words ("" : said from the parts)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "knob": self.knob, "treatment": self.treatment, "baseline": self.baseline,
                "says": self.says, "parts": [p.to_json() for p in self.parts]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StatedClaim:
        return cls(str(data["id"]), str(data["knob"]), data["treatment"], data["baseline"],
                   tuple(StatedPart.from_json(p) for p in data["parts"]), str(data.get("says") or ""))


@dataclass(frozen=True)
class ModelInfo:
    name: str = ""
    article: str = ""
    params: int | None = None


@dataclass(frozen=True)
class Manifest:
    """One sweep's sweep.json."""

    name: str = ""
    description: str = ""
    sweep_file: str = ""
    status: str = "unknown"  # running, finished or interrupted
    started: str = ""
    updated: str = ""
    data: DataInfo = DataInfo()
    model: ModelInfo = ModelInfo()
    space: tuple[str, ...] = ()  # the space in words, one line per knob
    defaults: dict[str, Any] = field(default_factory=dict)  # every hyperparameter's value when not searched
    article_defaults: dict[str, Any] = field(default_factory=dict)
    tuned: tuple[str, ...] = ()
    tuner: str = ""
    objective: str = "val_accuracy"
    max_trials: int | None = None
    planned_trials: int | None = None  # None: the tuner decides
    left_out: tuple[dict[str, Any], ...] = ()  # configurations never trained (search.sweep.feasible)
    seeds: SeedPlan | None = None  # None: not recorded; the looks are then the seeds on disk
    folds: FoldInfo | None = None
    rounds: tuple[Round, ...] = ()
    rounds_finished: int = 0  # the first this many rounds have every run on disk
    seed_stop: str = ""  # why no further round is added ("" while one may be)
    epochs: int | None = None
    early_stopping: dict[str, Any] | None = None
    median_stopping: dict[str, Any] | None = None
    precision: str | None = None
    claims: tuple[str, ...] | None = None  # None: not recorded, every claim is requested
    stated: tuple[StatedClaim, ...] = ()  # the user's own claims, whose ids `claims` lists with the articles'
    claim_min_pairs: int | None = None
    backend: str = ""
    device: str = ""
    threads: int | None = None  # each run's CPU threads, fixed for the sweep (search.sweep.thread_plan)
    keras: str = ""
    keras_tuner: str = ""
    fingerprint: dict[str, Any] = field(default_factory=dict)  # what a resume must find unchanged
    version: int = VERSION

    # -- what the keys mean together --------------------------------------

    @property
    def objective_mode(self) -> str:
        return objective_mode(self.objective)

    @property
    def looks(self) -> tuple[int, ...]:
        """The planned seed counts at which claims may be judged; () when the plan is not recorded."""
        return self.seeds.looks if self.seeds else ()

    @property
    def runs_per_seed(self) -> int:
        """Runs of one configuration and seed: K with folds, else 1."""
        return self.folds.k if self.folds else 1

    @property
    def seeds_reached(self) -> int:
        """Seeds every configuration has once the finished rounds are on disk."""
        return self.rounds[self.rounds_finished - 1].seeds if self.rounds_finished else 0

    def planned_rounds(self) -> tuple[Round, ...]:
        """The rounds asked for so far; a directory that lists none ran one round of its fixed count."""
        if self.rounds:
            return self.rounds
        return (Round(1, 0, self.seeds.min if self.seeds else 1),)

    @property
    def seeds_so_far(self) -> int:
        """Seeds per configuration the rounds so far ask for (the latest round's count)."""
        return self.planned_rounds()[-1].seeds

    def expected_runs(self) -> int | None:
        """Runs the rounds so far ask for, folds included; None when the tuner decides the trials."""
        if self.planned_trials is None:
            return None
        return sum(r.runs(self.planned_trials, self.runs_per_seed) for r in self.planned_rounds())

    def requests(self, claim: str) -> bool:
        return self.claims is None or claim in self.claims

    def with_changes(self, **changes: Any) -> Manifest:
        return replace(self, **changes)

    # -- JSON ------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        data = {k: v for k, v in vars(self.data).items() if v is not None or k in ("n_train", "n_val")}
        data["classes"] = list(self.data.classes)
        if self.data.input_shape is not None:
            data["input_shape"] = list(self.data.input_shape)
        return {
            "version": self.version,
            "name": self.name,
            "description": self.description,
            "sweep_file": self.sweep_file,
            "status": self.status,
            "started": self.started,
            "updated": self.updated,
            "data": data,
            "model": vars(self.model).copy(),
            "space": list(self.space),
            "defaults": dict(self.defaults),
            "article_defaults": dict(self.article_defaults),
            "tuned": list(self.tuned),
            "tuner": self.tuner,
            "objective": self.objective,
            "objective_mode": self.objective_mode,  # derived, for readers without this type
            "max_trials": self.max_trials,
            "planned_trials": self.planned_trials,
            "left_out": [dict(c) for c in self.left_out],
            "seeds": self.seeds.to_json() if self.seeds else None,
            "folds": vars(self.folds).copy() if self.folds else None,
            "seed_looks": list(self.looks),
            "rounds": [r.to_json("finished" if i < self.rounds_finished else "running")
                       for i, r in enumerate(self.rounds)],
            "seeds_reached": self.seeds_reached,  # derived
            "seed_stop": self.seed_stop,
            "epochs": self.epochs,
            "early_stopping": self.early_stopping,
            "median_stopping": self.median_stopping,
            "precision": self.precision,
            "claims": list(self.claims) if self.claims is not None else None,
            "claim_min_pairs": self.claim_min_pairs,
            "backend": self.backend,
            "device": self.device,
            "threads": self.threads,
            "keras": self.keras,
            "keras_tuner": self.keras_tuner,
            "fingerprint": dict(self.fingerprint),
            # only where there are some: a sweep without them writes the keys it always wrote
            **({"stated_claims": [c.to_json() for c in self.stated]} if self.stated else {}),
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any], source: str = MANIFEST) -> Manifest:
        """The manifest in `raw`, of any version; a key of the wrong kind is one SweepError naming it."""
        if not isinstance(raw, Mapping):
            raise SweepError(f"{source} does not describe a sweep (expected a JSON object)")

        def read(key: str, parse: Callable[[Any], Any], default: Any = None) -> Any:
            value = raw.get(key)
            if value is None:
                return default
            try:
                return parse(value)
            except (TypeError, ValueError, KeyError, AttributeError) as exc:
                raise SweepError(f"{source}: the key {key!r} is not what a sweep writes ({type(exc).__name__}: "
                                 f"{exc}); delete {MANIFEST} and rerun the same command, which writes it "
                                 "again") from None

        def text(key: str, default: str = "") -> str:
            return read(key, str, default) or default

        listed = read("rounds", lambda v: [dict(r) for r in v], [])
        return cls(
            name=text("name"),
            description=text("description"),
            sweep_file=text("sweep_file"),
            status=text("status", "unknown"),
            started=text("started"),
            updated=text("updated"),
            data=read("data", _data, DataInfo()),
            model=read("model", _model, ModelInfo()),
            space=read("space", lambda v: tuple(str(line) for line in v), ()),
            defaults=read("defaults", dict, {}),
            article_defaults=read("article_defaults", dict, {}),
            tuned=read("tuned", lambda v: tuple(str(n) for n in v), ()),
            tuner=text("tuner"),
            objective=text("objective", "val_accuracy"),
            max_trials=read("max_trials", _int),
            planned_trials=read("planned_trials", _int),
            left_out=read("left_out", lambda v: tuple(dict(c) for c in v), ()),
            seeds=read("seeds", lambda v: SeedPlan.from_json(v, raw.get("seed_looks")),
                       SeedPlan.from_json(None, raw.get("seed_looks"))),
            folds=read("folds", _folds),
            rounds=read("rounds", lambda v: tuple(Round.from_json(r) for r in listed), ()),
            rounds_finished=sum(1 for r in listed if r.get("status", "finished") == "finished"),
            seed_stop=text("seed_stop"),
            epochs=read("epochs", _int),
            early_stopping=read("early_stopping", dict),
            median_stopping=read("median_stopping", dict),
            precision=read("precision", str),
            claims=read("claims", lambda v: tuple(str(c) for c in v)),
            stated=read("stated_claims", lambda v: tuple(StatedClaim.from_json(c) for c in v), ()),
            claim_min_pairs=read("claim_min_pairs", _int),
            backend=text("backend"),
            device=text("device"),
            threads=read("threads", _int),
            keras=text("keras"),
            keras_tuner=text("keras_tuner"),
            fingerprint=read("fingerprint", dict, {}),
            version=read("version", int, 1),
        )


def _data(raw: Mapping[str, Any]) -> DataInfo:
    shape = raw.get("input_shape")
    size = raw.get("image_size")
    return DataInfo(
        source=str(raw.get("source") or ""),
        description=str(raw.get("description") or ""),
        classes=tuple(str(c) for c in raw.get("classes") or ()),
        class_counts={str(k): dict(v) for k, v in (raw.get("class_counts") or {}).items()},
        n_train=_int(raw.get("n_train")),
        n_val=_int(raw.get("n_val")),
        split=dict(raw["split"]) if isinstance(raw.get("split"), Mapping) else None,
        image_size=size if isinstance(size, int) or size is None else _int(size),
        resize=raw.get("resize"),
        input_shape=tuple(int(n) for n in shape) if isinstance(shape, (list, tuple)) else None,
    )


def _model(raw: Mapping[str, Any]) -> ModelInfo:
    return ModelInfo(str(raw.get("name") or ""), str(raw.get("article") or ""), _int(raw.get("params")))


def _folds(raw: Mapping[str, Any]) -> FoldInfo:
    return FoldInfo(int(raw["k"]), int(raw.get("images") or 0), int(raw.get("duplicate_groups") or 0),
                    int(raw.get("images_in_groups") or 0))


def _int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    return int(value)


# -- the one reader and writer -------------------------------------------------

def has_manifest(root: str | Path) -> bool:
    return (Path(root) / MANIFEST).exists()


def read_manifest(root: str | Path) -> Manifest:
    """The run directory's sweep.json. A missing or damaged one is one SweepError with the way out."""
    path = Path(root) / MANIFEST
    return Manifest.from_json(read_json(path, regenerated=True), str(path))


def write_manifest(root: str | Path, manifest: Manifest) -> None:
    """Write sweep.json atomically (a killed sweep never leaves half of one), at this version."""
    write_json(Path(root) / MANIFEST, replace(manifest, version=VERSION).to_json())


def now() -> str:
    """The manifest's time stamps: local time with its offset, to the second."""
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")
