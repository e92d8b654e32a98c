"""Fashion-MNIST from its IDX files: a real data set that installs offline.

Debian's `dataset-fashion-mnist` package puts Zalando's four IDX files in
/usr/share/datasets/fashion-mnist (60,000 training and 10,000 test images,
28x28 grayscale, 10 classes). `keras.datasets.fashion_mnist` caches the
same files in ~/.keras/datasets/fashion-mnist. Nothing here downloads: the
files are read where they are, or the sweep stops with one line that says
how to get them.

The test set is the validation set, as Keras' `load_data()` splits it; with
`Sweep(folds=K)` the two are pooled like any source's. Three classes are
shoes (sandal, sneaker, ankle boot): `classes=SHOES` is the nearest offline
relative of article 004's sneakers.
"""

from __future__ import annotations

import gzip
import os
import zlib
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from rundir.errors import SweepError
from search.data.images import check_resize
from search.data.sources import DataNotFound, ImageData, LabelMode, _resize_stack

CLASSES = ("t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot")
SHOES = ("sandal", "sneaker", "ankle boot")
DEBIAN_FOLDER = Path("/usr/share/datasets/fashion-mnist")
KERAS_CACHE = Path(os.path.expanduser("~")) / ".keras" / "datasets" / "fashion-mnist"
FILES = {
    "train_images": "train-images-idx3-ubyte", "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte", "test_labels": "t10k-labels-idx1-ubyte",
}
INSTALL = "apt-get install dataset-fashion-mnist"
_IDX_UBYTE = 0x08  # the IDX type code of unsigned bytes: the only one Fashion-MNIST uses


def read_idx(path: Path, dims: int) -> np.ndarray:
    """One IDX file (gzipped or not) as a uint8 array of `dims` dimensions.

    The header states the shape, so a truncated file is told from a whole
    one by its length, not by a failure somewhere in training.
    """
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, zlib.error) as exc:
        raise SweepError(f"{path}: damaged file, not a readable gzip ({type(exc).__name__}: {exc})") from None
    if len(raw) < 4 + 4 * dims or raw[0] != 0 or raw[1] != 0 or raw[2] != _IDX_UBYTE or raw[3] != dims:
        raise SweepError(f"{path}: not an IDX file of unsigned bytes with {dims} dimension(s) "
                         f"(its header reads {raw[:4].hex() or 'nothing'})")
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims))
    size = int(np.prod(shape))
    body = raw[4 + 4 * dims:]
    if len(body) != size:
        raise SweepError(f"{path}: truncated or padded: its header says {' x '.join(map(str, shape))} = {size:,} "
                         f"bytes, it holds {len(body):,}")
    return np.frombuffer(body, dtype=np.uint8).reshape(shape)


def find_folder(path: str | Path | None) -> Path:
    """`path` when given, else the Debian package's folder, else Keras' cache: the first that holds the files."""
    candidates = [Path(path)] if path is not None else [DEBIAN_FOLDER, KERAS_CACHE]
    for folder in candidates:
        if all(_file(folder, name) is not None for name in FILES.values()):
            return folder
    where = candidates[0]
    if path is not None and where.is_dir():
        missing = [n for n in FILES.values() if _file(where, n) is None]
        raise DataNotFound(f"Fashion-MNIST folder {where} lacks {missing[0]}(.gz) (expected the four IDX files)")
    if path is not None:
        raise DataNotFound(f"Fashion-MNIST folder {where} does not exist")
    raise DataNotFound(f"Fashion-MNIST is not on this machine (looked in {DEBIAN_FOLDER} and {KERAS_CACHE}): "
                       f"install it with `{INSTALL}`, or give FashionMNIST(path=...) / --data PATH to a folder of "
                       "its IDX files")


def _file(folder: Path, name: str) -> Path | None:
    for candidate in (folder / f"{name}.gz", folder / name):
        if candidate.is_file():
            return candidate
    return None


def class_indices(classes: tuple[str, ...] | None) -> list[int]:
    """The class numbers of `classes` named in words (case, '_' and '-' ignored); every class when None."""
    if classes is None:
        return list(range(len(CLASSES)))
    if isinstance(classes, str):
        classes = (classes,)

    def key(name: str) -> str:
        return name.lower().replace("_", " ").replace("-", " ").replace("/top", "").strip()

    known = {key(c): i for i, c in enumerate(CLASSES)}
    picked = []
    for name in classes:
        if key(str(name)) not in known:
            raise SweepError(f"FashionMNIST(classes=...): unknown class {name!r}; the classes are "
                             f"{', '.join(CLASSES)}")
        picked.append(known[key(str(name))])
    if len(set(picked)) < 2:
        raise SweepError("FashionMNIST(classes=...): a classifier needs at least two different classes")
    return sorted(set(picked))


def subset(labels: np.ndarray, keep: list[int], per_class: int | None, seed: int) -> np.ndarray:
    """Indices of the images of the `keep` classes: all of them, or `per_class` of each drawn with `seed`."""
    rng = np.random.RandomState(seed)
    chosen = []
    for c in keep:
        where = np.flatnonzero(labels == c)
        if per_class is not None:
            if per_class > len(where):
                raise SweepError(f"FashionMNIST: per_class={per_class} but class {CLASSES[c]!r} has {len(where)} "
                                 "images in this split")
            where = np.sort(rng.permutation(where)[:per_class])
        chosen.append(where)
    return np.sort(np.concatenate(chosen))


@dataclass(frozen=True)
class FashionMNIST:
    """Zalando's Fashion-MNIST, read from its IDX files (no download).

    `classes` keeps only the classes named (renumbered in the order of
    `CLASSES`); `per_class` and `val_per_class` draw that many training and
    test images of each class, the same ones for every run (fixed by
    `seed`), for a CPU budget. Images are resized from 28 px to the sweep's
    `image_size`.
    """

    path: str | Path | None = None
    classes: tuple[str, ...] | None = None
    per_class: int | None = None
    val_per_class: int | None = None
    seed: int = 123
    label_mode: LabelMode = "int"

    def __post_init__(self):
        for label in ("per_class", "val_per_class"):
            value = getattr(self, label)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
                raise SweepError(f"FashionMNIST({label}=...) must be a whole number of at least 1, not {value!r}")
        class_indices(self.classes)

    def with_path(self, path: str | Path) -> FashionMNIST:
        return replace(self, path=path)

    def describe(self) -> str:
        names = [CLASSES[i] for i in class_indices(self.classes)]
        which = "all 10 classes" if len(names) == len(CLASSES) else f"{len(names)} classes ({', '.join(names)})"
        train = f"{self.per_class} training images per class" if self.per_class else "all training images"
        val = f"{self.val_per_class} test images per class" if self.val_per_class else "all test images"
        where = self.path or f"{DEBIAN_FOLDER} (Debian's dataset-fashion-mnist)"
        return f"Fashion-MNIST, {which}: {train}, {val} as validation (seed {self.seed}); from {where}"

    def load(self, image_size: int, resize: str = "stretch") -> ImageData:
        """`resize` is checked but changes nothing: the images are square."""
        check_resize(resize)
        folder = find_folder(self.path)
        keep = class_indices(self.classes)
        arrays = {key: read_idx(_file(folder, name), 3 if key.endswith("images") else 1)  # type: ignore[arg-type]
                  for key, name in FILES.items()}
        out = []
        for split, per_class in (("train", self.per_class), ("test", self.val_per_class)):
            images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
            if len(images) != len(labels):
                raise SweepError(f"{folder}: {split} has {len(images):,} images but {len(labels):,} labels")
            if labels.size and labels.max() >= len(CLASSES):
                raise SweepError(f"{folder}: {split} labels run up to {labels.max()}; Fashion-MNIST has 10 classes")
            index = subset(labels, keep, per_class, self.seed)
            renumber = np.full(len(CLASSES), -1, dtype=np.int32)
            renumber[keep] = np.arange(len(keep), dtype=np.int32)
            out.append((_resize_stack(images[index][..., None], image_size), renumber[labels[index]]))
        (x_train, y_train), (x_val, y_val) = out
        return ImageData(x_train, y_train, x_val, y_val, [CLASSES[i] for i in keep], self.describe())
