"""Shared test helpers: tiny generated image folders and tiny sweeps.

Images are generated per class with a distinct pattern (bright stripes in
different directions) so that even a 1-epoch model can learn something, and
tests stay independent of the real data sets.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parent.parent
# The few seconds of timing batches for the cost estimate (search.sweep.cost) would be paid by
# every one of the suite's sweeps; tests/test_cost.py turns it back on where it is the subject.
os.environ.setdefault("SEARCH_NO_ESTIMATE", "1")


def class_image(label: int, size: int, rng: np.random.Generator) -> np.ndarray:
    img = rng.integers(0, 80, size=(size, size, 3), dtype=np.uint8)
    if label % 2 == 0:
        img[:, :: 3, label % 3] = 230
    else:
        img[:: 3, :, label % 3] = 230
    return img


def make_image_folder(root: Path, classes=("a", "b"), per_class: int = 12, size: int = 16,
                      fmt: str = "png", seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    for label, name in enumerate(classes):
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            Image.fromarray(class_image(label, size, rng)).save(folder / f"img_{i:03d}.{fmt}")
    return root


def make_train_test(root: Path, classes=("adidas", "nike"), train: int = 12, test: int = 4, size: int = 16) -> Path:
    make_image_folder(root / "train", classes, train, size, seed=1)
    make_image_folder(root / "test", classes, test, size, seed=2)
    return root


def make_hard_folder(root: Path, per_class: int, seed: int) -> None:
    """Low-contrast stripes under noise, one image in ten drawn from the other class: no run reaches 100%,
    and a large batch (two steps an epoch) learns far less in three epochs than a small one."""
    rng = np.random.default_rng(seed)
    for label, name in enumerate(("adidas", "nike")):
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            shown = label if rng.random() > 0.1 else 1 - label
            img = rng.integers(0, 200, size=(16, 16, 3)).astype(np.int16)
            if shown == 0:
                img[:, ::3, :] += 160
            else:
                img[::3, :, :] += 160
            Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(root / name / f"img_{i:03d}.png")


def two_config_sweep(name: str, data: Path) -> str:
    """The body of the smallest real sweep: max vs avg pooling, 1 seed, 1 epoch, 12 px."""
    return f"""
sweep = Sweep(
    name={name!r},
    data=ImageFolder({str(data)!r}, validation_split=0.25, seed=1),
    hypermodel=DigitsCNN,
    image_size=12,
    space={{"pooling_1": ["avg", "max"], "batch_size": 8}},
    epochs=1,
    seeds=1,
    early_stopping=None,
)
"""


# A two-configuration sweep body (max vs avg pooling, 2 epochs, 12 px) with
# the data folder and the seed count to fill in.
TINY = """
sweep = Sweep(
    name="tiny",
    data=ImageFolder({data!r}, validation_split=0.25, seed=1),
    hypermodel=DigitsCNN,
    image_size=12,
    space={{"pooling_1": ["avg", "max"], "batch_size": 8}},
    epochs=2,
    seeds={seeds},
    early_stopping=None,
)
"""


def write_sweep(path: Path, body: str) -> Path:
    path.write_text("from search import *\n" + body)
    return path


@pytest.fixture
def image_folder(tmp_path: Path) -> Path:
    return make_image_folder(tmp_path / "images", classes=("cats", "dogs"), per_class=10, size=16)


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """Downloads fail as on a machine without network, and nothing is cached."""
    import urllib.error

    from keras.src.utils import file_utils

    def no_network(*args, **kwargs):
        raise urllib.error.URLError("[Errno -2] Name or service not known")

    monkeypatch.setattr(file_utils, "urlretrieve", no_network)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))  # no cached copy in ~/.keras
