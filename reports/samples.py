"""A grid of validation images with true and predicted labels, for the best run.

Seeing a handful of mistakes next to correct predictions shows what the
model confuses (blurry crops, look-alike classes) in a way a matrix cannot.
Mistakes are picked first, then correct images fill the grid; each image is
shrunk to a thumbnail and embedded as a PNG data URI so the report stays a
single offline file. Built-in data sets (digits, CIFAR-10) have no image
files, so the grid is skipped with a note.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from reports.confusion import class_names, read_predictions, to_index
from reports.runs import SweepRuns

GRID_SIZE = 16
MAX_MISTAKES = 8  # leave room for correct examples even when the model is poor
THUMBNAIL_PX = 96


@dataclass
class SampleImage:
    index: int
    path: str
    true: str
    predicted: str
    correct: bool
    data_uri: str | None  # None when the file could not be read
    problem: str = ""


@dataclass
class SampleGridInfo:
    trial_id: str
    seed: int
    images: list[SampleImage] = field(default_factory=list)
    available: bool = False
    note: str = ""


def sample_grid_info(runs: SweepRuns, best: tuple[str, int] | None, size: int = GRID_SIZE) -> SampleGridInfo | None:
    """Pick up to `size` validation images of the best run, mistakes first, and thumbnail them."""
    if best is None:
        return None
    trial_id, seed = best
    frame = read_predictions(runs, trial_id, seed)
    if frame is None or frame.empty:
        return SampleGridInfo(trial_id, seed, note="No validation predictions on disk for this run.")
    paths = frame["path"].fillna("").astype(str)
    if not (paths.str.len() > 0).any():
        return SampleGridInfo(trial_id, seed, note="Images are unavailable: this data set is built in "
                                                   "(no image files on disk), so only the confusion matrix is shown.")
    classes = class_names(runs)
    true, predicted = to_index(frame["true"], classes), to_index(frame["predicted"], classes)
    has_path = (paths.str.len() > 0).to_numpy()
    wrong = np.flatnonzero(has_path & (true != predicted))[:MAX_MISTAKES]
    right = np.flatnonzero(has_path & (true == predicted))[: size - len(wrong)]
    chosen = sorted(np.concatenate([wrong, right]).tolist())[:size]
    if len(chosen) < size:  # few correct ones: fill up with more mistakes
        extra = [i for i in np.flatnonzero(has_path & (true != predicted)) if i not in set(chosen)]
        chosen = sorted(chosen + extra[: size - len(chosen)])
    images = []
    for i in chosen:
        path = paths.iloc[i]
        uri, problem = thumbnail_uri(resolve(path, runs.run_dir))
        images.append(SampleImage(int(frame["index"].iloc[i]) if "index" in frame else int(i), path,
                                  _name(true[i], classes), _name(predicted[i], classes),
                                  bool(true[i] == predicted[i]), uri, problem))
    readable = sum(img.data_uri is not None for img in images)
    note = "" if readable == len(images) else (
        f"{len(images) - readable} of {len(images)} image files could not be read (moved or deleted?).")
    return SampleGridInfo(trial_id, seed, images, readable > 0, note)


def resolve(path: str, run_dir: Path) -> Path:
    """Paths are written as the data loader saw them; relative ones may be relative to the run dir."""
    candidate = Path(path)
    if candidate.is_absolute() or candidate.exists():
        return candidate
    return run_dir / candidate


def thumbnail_uri(path: Path, px: int = THUMBNAIL_PX) -> tuple[str | None, str]:
    """A PNG data URI of the image shrunk to fit px x px, or (None, why)."""
    try:
        with Image.open(path) as image:
            image.draft("RGB", (px * 2, px * 2))  # JPEG: decode at reduced size, much faster
            image = image.convert("RGB") if image.mode not in ("RGB", "L") else image.copy()
        image.thumbnail((px, px))
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", optimize=False)
    except FileNotFoundError:
        return None, "file not found"
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        return None, f"cannot read image: {exc}"
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii"), ""


def _name(index: int, classes: list[str]) -> str:
    return classes[index] if 0 <= index < len(classes) else str(index)
