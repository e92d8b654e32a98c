"""The report's "Data check" section, from the run directory's data_check.json.

It sits right after the summary because it decides how far to trust
everything below it: a class that can be told apart by its file size, or
validation images copied from training, make every accuracy higher than
the content allows. The record reads only the JSON the sweep saved
(`search.data.datacheck`), so a report rebuilt later needs no data folder.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rundir.records import CHECK_FILE


@dataclass
class CueRow:
    """One file property tested as a shortcut cue."""

    label: str
    accuracy: float
    majority: float
    lift: float
    flagged: bool
    per_class: list[tuple[str, str]]  # (class, typical value in words), flagged cues only


@dataclass
class PairView:
    kind: str  # exact / near
    where: str  # "training", "validation", "training and validation"
    a: str
    b: str
    class_a: str
    class_b: str
    distance: int
    thumb_a: str
    thumb_b: str


@dataclass
class BalanceRow:
    name: str
    train: int
    val: int
    too_small: bool


@dataclass
class DataCheckInfo:
    warnings: list[str]
    notes: list[str]
    has_files: bool
    resize: str
    n_val: int
    points_per_image: float | None  # 100 / n_val accuracy points
    resolution: str
    cues: list[CueRow]
    exact: dict[str, int]  # train / val / across -> pairs
    near: dict[str, int]
    val_with_train_copy: int
    label_conflicts: int
    pairs: list[PairView]
    balance: list[BalanceRow]
    majority_rate: float
    balance_ratio: float
    seconds: float | None = None
    flagged: list[CueRow] = field(default_factory=list)

    @property
    def duplicate_pairs(self) -> int:
        return sum(self.exact.values()) + sum(self.near.values())


WHERE = {"train": "training", "val": "validation", "across": "training and validation"}


def datacheck_info(run_dir: str | Path) -> DataCheckInfo | None:
    """The section's record, or None when the sweep saved no check (older run directories)."""
    path = Path(run_dir) / CHECK_FILE
    if not path.exists():
        return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    cues = [_cue(c) for c in raw.get("cues") or []]
    dup = raw.get("duplicates") or {}
    balance = raw.get("balance") or {}
    resolution = raw.get("resolution") or {}
    small = set(balance.get("too_small") or [])
    points = resolution.get("points_per_image")
    return DataCheckInfo(
        warnings=[str(w) for w in raw.get("warnings") or []],
        notes=[str(n) for n in raw.get("notes") or []],
        has_files=bool(raw.get("has_files")),
        resize=str(raw.get("resize") or "stretch"),
        n_val=int(resolution.get("n_val") or 0),
        points_per_image=float(points) if isinstance(points, (int, float)) and math.isfinite(points) else None,
        resolution=str(resolution.get("text") or ""),
        cues=cues,
        flagged=[c for c in cues if c.flagged],
        exact=_counts(dup.get("exact")),
        near=_counts(dup.get("near")),
        val_with_train_copy=int(dup.get("val_with_train_copy") or 0),
        label_conflicts=int(dup.get("label_conflicts") or 0),
        pairs=[_pair(p) for p in dup.get("pairs") or []],
        balance=[BalanceRow(str(name), int(c.get("train", 0)), int(c.get("val", 0)), name in small)
                 for name, c in (balance.get("counts") or {}).items()],
        majority_rate=float(balance.get("majority_rate") or 0.0),
        balance_ratio=float(balance.get("ratio") or 1.0),
        seconds=raw.get("seconds"),
    )


def _cue(raw: dict[str, Any]) -> CueRow:
    flagged = bool(raw.get("flagged"))
    per_class = raw.get("per_class") or {}
    classes = raw.get("classes") or []
    # The recognised classes first, then the others, so the contrast shows.
    order = [c for c in classes if c in per_class] + [c for c in per_class if c not in classes]
    return CueRow(
        label=str(raw.get("label") or raw.get("name")),
        accuracy=float(raw.get("accuracy") or 0.0),
        majority=float(raw.get("majority") or 0.0),
        lift=float(raw.get("lift") or 0.0),
        flagged=flagged,
        per_class=[(c, str(per_class[c])) for c in order] if flagged else [],
    )


def _pair(raw: dict[str, Any]) -> PairView:
    return PairView(
        kind=str(raw.get("kind")), where=WHERE.get(str(raw.get("where")), str(raw.get("where"))),
        a=str(raw.get("a")), b=str(raw.get("b")), class_a=str(raw.get("class_a")), class_b=str(raw.get("class_b")),
        distance=int(raw.get("distance") or 0),
        thumb_a=_data_uri(raw.get("thumb_a")), thumb_b=_data_uri(raw.get("thumb_b")),
    )


def _data_uri(value: Any) -> str:
    """Only embedded PNGs pass: the JSON is on disk and could have been edited."""
    text = str(value or "")
    return text if text.startswith("data:image/png;base64,") else ""


def _counts(raw: Any) -> dict[str, int]:
    raw = raw if isinstance(raw, dict) else {}
    return {k: int(raw.get(k, 0) or 0) for k in ("train", "val", "across")}
