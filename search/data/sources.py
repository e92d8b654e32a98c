"""Data sources for sweeps: image folders as the articles load them, and
two built-in sets (scikit-learn's digits, CIFAR-10).

Every source decodes its images once, into uint8 arrays kept in memory, and
every trial of the sweep reuses them: decoding hundreds of JPEGs per trial
or per epoch would cost more than training the article CNNs on a GPU.
"""

from __future__ import annotations

import os
import pickle
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

from rundir.errors import SweepError
from search.data.images import (IMAGE_EXTENSIONS, FileProperties, SkippedFileWarning, check_fits_in_memory,
                                 check_resize, decode_files, reorder_rows)

ColorMode = Literal["rgb", "grayscale"]
LabelMode = Literal["int", "categorical"]


@dataclass(frozen=True)
class ImageData:
    """Decoded training and validation images plus what the report needs."""

    x_train: np.ndarray  # (n, size, size, channels) uint8
    y_train: np.ndarray  # (n,) int32 class indices
    x_val: np.ndarray
    y_val: np.ndarray
    class_names: list[str]
    source: str  # human description: folder path or built-in name
    val_paths: list[str] = field(default_factory=list)  # file of each val image, if any
    # What each image's file says of itself (size, format, colour mode, hash),
    # in the order of the arrays; empty for the built-in sets, which have no
    # files. The data check reads them.
    train_files: list[FileProperties] = field(default_factory=list)
    val_files: list[FileProperties] = field(default_factory=list)
    # With folds (search.data.folds): each validation image's place among all
    # the images, so a run's predictions name the image whichever fold it is in.
    val_index: list[int] = field(default_factory=list)

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return tuple(self.x_train.shape[1:])  # type: ignore[return-value]

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def class_counts(self) -> dict[str, dict[str, int]]:
        """Images per class in each split, for the report header."""
        counts: dict[str, dict[str, int]] = {}
        for split, labels in (("train", self.y_train), ("val", self.y_val)):
            tally = np.bincount(labels, minlength=self.num_classes)
            for name, n in zip(self.class_names, tally):
                counts.setdefault(name, {})[split] = int(n)
        return counts


class DataSource(Protocol):
    """What a sweep file's `data=` must provide."""

    label_mode: LabelMode

    def load(self, image_size: int, resize: str = "stretch") -> ImageData: ...

    def with_path(self, path: str | Path) -> DataSource: ...

    def describe(self) -> str: ...


class DataNotFound(SweepError):
    """The data folder is not on this machine: a sweep cannot run, but `--describe` can still say what it would do."""


def one_hot(labels: np.ndarray, num_classes: int) -> np.ndarray:
    return np.eye(num_classes, dtype=np.float32)[labels]


# ---------------------------------------------------------------- folders


def _class_folders(root: Path) -> list[Path]:
    if not root.exists():
        raise DataNotFound(f"data folder {root} does not exist")
    if not root.is_dir():
        raise SweepError(f"data path {root} is a file, not a folder of class sub-folders")
    classes = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    classes = [p for p in classes if not _loops_back(p, root)]
    _same_folder_twice(classes)
    if not classes:
        raise SweepError(f"data folder {root} has no class sub-folders (expected one folder per class)")
    if len(classes) == 1:
        raise SweepError(f"data folder {root} has one class ({classes[0].name}/); a classifier needs at least two "
                         f"class sub-folders, one per class")
    return classes


def _same_folder_twice(classes: list[Path]) -> None:
    """Two class folders that are one folder (a symbolic link to a sibling) would train its images as two
    classes at once: one error line naming both."""
    seen: dict[Path, Path] = {}
    for folder in classes:
        real = folder.resolve()
        if real in seen:
            raise SweepError(f"class folders {seen[real]} and {folder} are the same folder ({real}): every image "
                             "would be in two classes; remove the link or copy the images it should hold")
        seen[real] = folder


def _loops_back(folder: Path, root: Path) -> bool:
    """A class folder that links to the data folder (or above it) would list
    every image again as one more class: skip it with a warning."""
    if not folder.is_symlink():
        return False
    target, top = folder.resolve(), root.resolve()
    if target != top and target not in top.parents:
        return False
    warnings.warn(f"skipped {folder}: a symbolic link back to {target} (a loop), not a class folder",
                  SkippedFileWarning, stacklevel=4)
    return True


def _index_folder(root: Path) -> tuple[list[Path], list[int], list[str]]:
    """List image files per class like `keras.utils.image_dataset_from_directory`.

    Class order is the sorted folder names; files are walked in sorted order
    without following symlinks (a symlink loop cannot hang the walk). Files
    with other extensions are skipped with a warning.
    """
    paths: list[Path] = []
    labels: list[int] = []
    classes = _class_folders(root)
    for index, folder in enumerate(classes):
        found = 0
        for dirpath, _, files in sorted(os.walk(folder), key=lambda w: w[0]):
            for name in sorted(files):
                path = Path(dirpath) / name
                if name.lower().endswith(IMAGE_EXTENSIONS):
                    paths.append(path)
                    labels.append(index)
                    found += 1
                elif not name.startswith("."):
                    warnings.warn(
                        f"skipped {path}: not an image file extension {IMAGE_EXTENSIONS}",
                        SkippedFileWarning,
                        stacklevel=3,
                    )
        if found == 0:
            raise SweepError(f"class folder {folder} is empty (no .jpg/.png/.bmp/.gif images)")
    return paths, labels, [c.name for c in classes]


def _decode_folder(
    root: Path, image_size: int, channels: int, resize: str = "stretch"
) -> tuple[np.ndarray, np.ndarray, list[FileProperties], list[str]]:
    paths, labels, class_names = _index_folder(root)
    check_fits_in_memory(len(paths), image_size, channels, f"data folder {root}")
    decoded = decode_files(paths, image_size, channels, resize=resize)
    kept_labels = np.asarray(labels, dtype=np.int32)[decoded.kept]
    for index, name in enumerate(class_names):
        if not np.any(kept_labels == index):
            raise SweepError(f"class folder {root / name} has no readable images (all were skipped)")
    return decoded.images, kept_labels, decoded.properties, class_names


def _channels(color_mode: ColorMode) -> int:
    if color_mode not in ("rgb", "grayscale"):
        raise SweepError(f"color_mode must be 'rgb' or 'grayscale', not {color_mode!r}")
    return 3 if color_mode == "rgb" else 1


@dataclass(frozen=True)
class ImageFolder:
    """One folder of class sub-folders, split into training and validation.

    The split repeats Keras' `image_dataset_from_directory(validation_split=,
    seed=)`: file list shuffled with `np.random.RandomState(seed)`, the last
    `int(split * n)` files are validation. The same seed gives every trial of
    a sweep the same split, which the paired claim statistics rely on.
    """

    path: str | Path
    validation_split: float = 0.2
    seed: int = 123
    color_mode: ColorMode = "rgb"
    label_mode: LabelMode = "int"

    def with_path(self, path: str | Path) -> ImageFolder:
        return replace(self, path=path)

    def describe(self) -> str:
        return f"{self.path} (validation split {self.validation_split}, seed {self.seed})"

    def load(self, image_size: int, resize: str = "stretch") -> ImageData:
        if not 0.0 < self.validation_split < 1.0:
            raise SweepError(f"validation_split must be between 0 and 1, not {self.validation_split}")
        root = Path(self.path)
        images, labels, files, class_names = _decode_folder(root, image_size, _channels(self.color_mode),
                                                            check_resize(resize))
        order = np.arange(len(labels))
        np.random.RandomState(self.seed).shuffle(order)
        n_val = int(self.validation_split * len(order))
        if n_val == 0 or n_val == len(order):
            raise SweepError(f"data folder {root} has too few images ({len(order)}) for a validation split")
        train, val = order[:-n_val], order[-n_val:]
        images = reorder_rows(images, order)  # training then validation, in place: no second copy
        return ImageData(
            x_train=images[:-n_val],
            y_train=labels[train],
            x_val=images[-n_val:],
            y_val=labels[val],
            class_names=class_names,
            source=str(root),
            val_paths=[files[i].path for i in val],
            train_files=[files[i] for i in train],
            val_files=[files[i] for i in val],
        )


@dataclass(frozen=True)
class TrainTestFolders:
    """A folder holding `train/` and `test/` trees, as in the sneakers article.

    The test folder is the validation set, exactly as the article uses it.
    """

    path: str | Path
    train: str = "train"
    test: str = "test"
    color_mode: ColorMode = "rgb"
    label_mode: LabelMode = "int"

    def with_path(self, path: str | Path) -> TrainTestFolders:
        return replace(self, path=path)

    def describe(self) -> str:
        return f"{self.path} ({self.train}/ for training, {self.test}/ for validation)"

    def load(self, image_size: int, resize: str = "stretch") -> ImageData:
        check_resize(resize)
        root = Path(self.path)
        if not root.exists():
            raise DataNotFound(f"data folder {root} does not exist")
        for sub in (self.train, self.test):
            if not (root / sub).is_dir():
                raise SweepError(f"data folder {root} has no {sub}/ sub-folder (expected {self.train}/ and {self.test}/)")
        channels = _channels(self.color_mode)
        x_train, y_train, train_files, train_classes = _decode_folder(root / self.train, image_size, channels, resize)
        x_val, y_val, val_files, val_classes = _decode_folder(root / self.test, image_size, channels, resize)
        if train_classes != val_classes:
            raise SweepError(
                f"class folders differ between {root / self.train} {train_classes} and {root / self.test} {val_classes}"
            )
        return ImageData(x_train, y_train, x_val, y_val, train_classes, str(root), [f.path for f in val_files],
                         train_files, val_files)


# ---------------------------------------------------------------- built-in sets


def _resize_stack(images: np.ndarray, size: int) -> np.ndarray:
    """Resize a uint8 (n, h, w, c) stack with PIL's bilinear filter."""
    from PIL import Image

    if images.shape[1] == size and images.shape[2] == size:
        return images
    out = np.empty((len(images), size, size, images.shape[3]), dtype=np.uint8)
    for i, img in enumerate(images):
        pil = Image.fromarray(img.squeeze(-1) if img.shape[-1] == 1 else img)
        resized = np.asarray(pil.resize((size, size), Image.Resampling.BILINEAR))
        out[i] = resized[..., None] if resized.ndim == 2 else resized
    return out


def _split(n: int, validation_split: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.arange(n)
    np.random.RandomState(seed).shuffle(order)
    n_val = int(validation_split * n)
    return order[:-n_val], order[-n_val:]


@dataclass(frozen=True)
class Digits:
    """scikit-learn's bundled 8x8 digits (1,797 images, 10 classes).

    Ships inside scikit-learn, so the demo sweep needs no download. Pixel
    values 0..16 are scaled to 0..255 so the models see the same range as
    photos.
    """

    validation_split: float = 0.2
    seed: int = 123
    label_mode: LabelMode = "int"

    def with_path(self, path: str | Path) -> Digits:
        raise SweepError("the digits demo data ships with scikit-learn; --data does not apply to it")

    def describe(self) -> str:
        return "scikit-learn digits (1,797 8x8 grayscale images, bundled, no download)"

    def load(self, image_size: int, resize: str = "stretch") -> ImageData:
        """`resize` is checked but changes nothing: the digits are square."""
        check_resize(resize)
        from sklearn.datasets import load_digits

        digits = load_digits()
        images = np.round(digits.images * (255.0 / 16.0)).astype(np.uint8)[..., None]
        images = _resize_stack(images, image_size)
        labels = digits.target.astype(np.int32)
        train, val = _split(len(labels), self.validation_split, self.seed)
        return ImageData(
            images[train], labels[train], images[val], labels[val], [str(d) for d in range(10)], self.describe()
        )


@dataclass(frozen=True, eq=False, repr=False)
class Arrays:
    """In-memory NumPy arrays, the way a Keras Tuner user calls `tuner.search(x, y, ...)`.

    `x_train` is (n, height, width) or (n, height, width, channels) of pixel
    values 0-255 (floats in 0-1 are taken as 0-1 and scaled up); `y_train`
    holds class numbers (or one-hot rows). Without `x_val`/`y_val`, the last
    `validation_split` of a `RandomState(seed)` shuffle is validation, as for
    an `ImageFolder`. Images are resized to the sweep's `image_size`.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray | None = None
    y_val: np.ndarray | None = None
    validation_split: float = 0.2
    seed: int = 123
    class_names: tuple[str, ...] | None = None  # default: "0", "1", ...
    label_mode: LabelMode = "int"

    def __repr__(self) -> str:  # what the run directory's fingerprint compares: the content, not the object
        import hashlib

        digest = hashlib.sha256()
        for a in (self.x_train, self.y_train, self.x_val, self.y_val):
            if a is not None:
                digest.update(np.ascontiguousarray(a).tobytes())
        return (f"Arrays({len(self.y_train)} training images, sha256 {digest.hexdigest()[:16]}, "
                f"validation_split={self.validation_split}, seed={self.seed}, label_mode={self.label_mode!r})")

    def with_path(self, path: str | Path) -> Arrays:
        raise SweepError("the sweep's data are in-memory arrays (Arrays); --data does not apply to them")

    def describe(self) -> str:
        val = f"{len(self.y_val)} given validation images" if self.y_val is not None else \
            f"validation split {self.validation_split}, seed {self.seed}"
        return f"in-memory arrays ({len(self.y_train)} training images, {val})"

    def load(self, image_size: int, resize: str = "stretch") -> ImageData:
        """`resize` is checked; non-square arrays are stretched to image_size x image_size."""
        check_resize(resize)
        x, y = _image_array("x_train", self.x_train), _label_array("y_train", self.y_train, len(self.x_train))
        if (self.x_val is None) != (self.y_val is None):
            raise SweepError("Arrays: give both x_val and y_val, or neither (then validation_split is used)")
        if self.x_val is not None:
            x_val = _image_array("x_val", self.x_val)
            y_val = _label_array("y_val", self.y_val, len(self.x_val))
            if x_val.shape[1:] != x.shape[1:]:
                raise SweepError(f"Arrays: x_val images are {x_val.shape[1:]}, x_train's {x.shape[1:]}")
        else:
            if not 0.0 < self.validation_split < 1.0:
                raise SweepError(f"Arrays: validation_split must be between 0 and 1, not {self.validation_split}")
            if int(self.validation_split * len(y)) == 0:
                raise SweepError(f"Arrays: {len(y)} images are too few for a validation split of "
                                 f"{self.validation_split}")
            train, val = _split(len(y), self.validation_split, self.seed)
            x, y, x_val, y_val = x[train], y[train], x[val], y[val]
        classes = int(max(y.max(), y_val.max())) + 1
        names = [str(c) for c in self.class_names] if self.class_names is not None else [str(i) for i in range(classes)]
        if len(names) < classes:
            raise SweepError(f"Arrays: labels go up to {classes - 1} but class_names has {len(names)} names")
        if len(set(y.tolist())) < 2:
            raise SweepError("Arrays: y_train has one class; a classifier needs at least two")
        return ImageData(_resize_stack(x, image_size), y, _resize_stack(x_val, image_size), y_val, names,
                         self.describe())


def _image_array(name: str, value) -> np.ndarray:
    """(n, h, w, c) uint8 from what a user has: (n, h, w) grey, floats in 0-1 or 0-255, any int type."""
    a = np.asarray(value)
    if a.ndim == 3:
        a = a[..., None]
    if a.ndim != 4 or a.shape[-1] not in (1, 3) or len(a) == 0:
        raise SweepError(f"Arrays: {name} must be images of shape (n, height, width) or (n, height, width, 1 or 3), "
                         f"not {a.shape}")
    if not np.issubdtype(a.dtype, np.number) or np.issubdtype(a.dtype, np.complexfloating):
        raise SweepError(f"Arrays: {name} must hold numbers, not {a.dtype}")
    if a.dtype == np.uint8:
        return a
    if not np.all(np.isfinite(a)):
        raise SweepError(f"Arrays: {name} holds NaN or infinite values")
    low, high = float(a.min()), float(a.max())
    if low < 0 or high > 255:
        raise SweepError(f"Arrays: {name} values run from {low:g} to {high:g}; give pixel values 0-255 (or 0-1)")
    if np.issubdtype(a.dtype, np.floating) and high <= 1.0:
        a = a * 255.0
    return np.round(a).astype(np.uint8)


def _label_array(name: str, value, n: int) -> np.ndarray:
    y = np.asarray(value)
    if y.ndim == 2 and y.shape[1] > 1:  # one-hot rows
        y = y.argmax(axis=1)
    y = y.reshape(-1) if y.ndim == 2 and y.shape[1] == 1 else y
    if y.ndim != 1 or len(y) != n:
        raise SweepError(f"Arrays: {name} must hold one class number per image ({n}), not shape {np.shape(value)}")
    if not np.issubdtype(y.dtype, np.integer) and not np.all(np.mod(y, 1) == 0):
        raise SweepError(f"Arrays: {name} must hold whole class numbers 0, 1, ..., not {y.dtype} values like {y[0]!r}")
    if y.min() < 0:
        raise SweepError(f"Arrays: {name} has a negative class number ({y.min()})")
    return y.astype(np.int32)


CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


@dataclass(frozen=True)
class Cifar10:
    """CIFAR-10 as article 002 loads it: `keras.datasets.cifar10` (a download).

    With `path`, reads an already extracted `cifar-10-batches-py` folder
    instead, for machines without network.
    """

    path: str | Path | None = None
    label_mode: LabelMode = "int"

    def with_path(self, path: str | Path) -> Cifar10:
        return replace(self, path=path)

    def describe(self) -> str:
        return str(self.path) if self.path else "keras.datasets.cifar10 (downloaded once, then cached in ~/.keras)"

    def load(self, image_size: int, resize: str = "stretch") -> ImageData:
        """`resize` is checked but changes nothing: CIFAR-10 images are square."""
        check_resize(resize)
        if self.path is None:
            (x_train, y_train), (x_val, y_val) = _download_cifar10()
        else:
            (x_train, y_train), (x_val, y_val) = _read_cifar10_batches(Path(self.path))
        return ImageData(
            _resize_stack(x_train, image_size),
            y_train.reshape(-1).astype(np.int32),
            _resize_stack(x_val, image_size),
            y_val.reshape(-1).astype(np.int32),
            list(CIFAR10_CLASSES),
            self.describe(),
        )


def _download_cifar10():
    import keras

    try:
        return keras.datasets.cifar10.load_data()
    except Exception as exc:  # urllib raises several types; all mean the same here
        raise DataNotFound(
            "CIFAR-10 needs a download (keras.datasets.cifar10) and it failed "
            f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else 'no detail'}); "
            "if this machine is offline, pass --data PATH to an extracted cifar-10-batches-py folder"
        ) from None


def _read_cifar10_batches(root: Path):
    if not root.is_dir():
        raise DataNotFound(f"CIFAR-10 folder {root} does not exist")

    def read(name: str) -> tuple[np.ndarray, np.ndarray]:
        file = root / name
        if not file.exists():
            raise SweepError(f"CIFAR-10 folder {root} lacks {name} (expected an extracted cifar-10-batches-py)")
        with open(file, "rb") as fh:
            batch = pickle.load(fh, encoding="bytes")
        x = np.asarray(batch[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        return x, np.asarray(batch[b"labels"], dtype=np.int32)

    parts = [read(f"data_batch_{i}") for i in range(1, 6)]
    x_train = np.concatenate([p[0] for p in parts])
    y_train = np.concatenate([p[1] for p in parts])
    return (x_train, y_train), read("test_batch")
