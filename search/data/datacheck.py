"""Check the data before trusting a sweep: shortcut cues, duplicates,
resolution of the validation set, class balance.

A tuning conclusion ("max pooling beats average pooling") means nothing if
the model can tell the classes apart by the files' sizes, if validation
images are copies of training images, or if the validation set is so small
that one image moves accuracy by several points. None of this shows in the
accuracy numbers; this module measures it once per sweep, right after
decoding, from what decoding already produced (the arrays and each file's
`FileProperties`), so it costs a small fraction of decoding.

Libraries: CleanVision finds the same duplicates and odd sizes, but decodes
every image again at full size (54 s on the 1,800 Hollywood images, 10-25x
our whole decoding); cleanlab's Datalab scores property-label correlation,
but needs CleanVision's pass and Hugging Face `datasets`, silences every
Python warning process-wide on import, and takes the majority *class index*
for the majority rate (0.0 for a balanced two-class set, cleanlab 2.9.0).
`imagehash.phash` costs 1.6 s for 1,800 64-px images (0.9 ms per image, the
per-image PIL calls); `perceptual_hashes` below is its algorithm (32x32
grey, 2-D DCT, 8x8 low frequencies against their median) on the whole
stack at once. The cue classifier is scikit-learn's, as the issue asks.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rundir.files import atomic_write_text
from rundir.records import CHECK_FILE
from search.data.images import FileProperties
from search.data.sources import ImageData

VERSION = 3  # bump when what the check computes changes: old caches are recomputed

# The properties tested as shortcut cues, in the order shown. Categorical
# ones are compared by value; numeric ones by quantile bins.
NUMERIC = ("width", "height", "aspect_ratio", "file_bytes", "brightness")
CATEGORICAL = ("format", "mode")
PROPERTY_NAMES = {
    "width": "image width", "height": "image height", "aspect_ratio": "aspect ratio (width / height)",
    "format": "file format", "mode": "colour mode", "file_bytes": "file size", "brightness": "mean brightness",
}
GEOMETRY = ("width", "height", "aspect_ratio")

# A property is a shortcut cue when, alone, it predicts the class with a
# cross-validated accuracy that closes at least CUE_LIFT of the gap between
# the majority-class rate and 100% (Cohen's-kappa-like "lift") AND beats
# the majority rate with a binomial p below CUE_P. The lift keeps tiny but
# real effects of a large folder quiet; the p keeps a 12-image folder's luck
# quiet. A random folder of one size scores lift ~0 (tests/test_datacheck.py).
CUE_LIFT = 0.3
CUE_P = 1e-3

# Perceptual hashes at most this many bits apart (of 64) are near duplicates:
# saving a photo-like JPEG again at quality 50-75 moved 0-4 bits, and
# different synthetic photos were 14 or more apart; on the shared folders
# 3 Hollywood pairs and 1 eyes pair fall within 4 bits (38 eyes pairs at 6).
NEAR_BITS = 4
# A hash match is confirmed by the pixels: a near copy is at most this mean
# absolute difference (of 255) from its twin at the check's size. A hash of a
# tiny image is too coarse alone: 63 pairs of different handwriting in
# scikit-learn's digits at 16 px matched within 4 bits, at 7.6-21.9 apart.
# Copies are closer: JPEG re-saves (quality 50 and 75) of 10 Hollywood photos
# at 64 px were 0.3-1.6 apart, and the shared Hollywood folder's two pairs of
# one photo saved twice (hash 0 bits apart) 3.6 and 4.5; its third hash match
# (4 bits, 22.5 apart) and the one eyes match (71 apart) are other pictures.
NEAR_PIXELS = 6.0
# A class is too small to split with fewer training images than this, or
# fewer than 2 validation images (its accuracy then rests on one image).
MIN_CLASS_IMAGES = 5
IMBALANCE = 3.0  # largest class / smallest class above this: warn
PAIRS_KEPT = 6  # duplicate pairs kept (with thumbnails) for the report
FOLDS = 3  # cross-validation folds of the cue classifier: each fold is a fit, and fits are most of its cost
BINS = 16  # most value bins of a numeric property


@dataclass
class PropertyCue:
    """How well one file property alone predicts the class."""

    name: str
    label: str  # in words
    accuracy: float  # cross-validated accuracy of the one-property classifier
    majority: float  # majority-class rate: what always guessing the largest class scores
    lift: float  # (accuracy - majority) / (1 - majority)
    p_value: float  # one-sided binomial: accuracy this high by luck at the majority rate
    flagged: bool
    classes: list[str]  # the classes the property recognises best (flagged cues only)
    per_class: dict[str, str]  # class -> its typical value, in words
    distribution: dict[str, list[float]] = field(default_factory=dict)  # class -> 5 quantiles (numeric)
    shares: dict[str, dict[str, float]] = field(default_factory=dict)  # class -> value -> share (categorical)


@dataclass
class DuplicatePair:
    kind: str  # "exact" or "near"
    where: str  # "train", "val" or "across"
    a: str  # file path (or "train #12" for arrays without files)
    b: str
    class_a: str
    class_b: str
    distance: int  # perceptual-hash bits apart (0 for exact)
    thumb_a: str = ""  # data URI of a small PNG
    thumb_b: str = ""


@dataclass
class Duplicates:
    exact: dict[str, int]  # where -> pairs ("train", "val", "across")
    near: dict[str, int]  # near but not exact
    val_with_train_copy: int  # validation images with an exact or near copy in training
    label_conflicts: int  # pairs whose two images carry different classes
    pairs: list[DuplicatePair]


@dataclass
class Resolution:
    """What one validation image is worth, for the claims and the report."""

    n_val: int
    points_per_image: float  # 100 / n_val accuracy points
    text: str


@dataclass
class ClassBalance:
    counts: dict[str, dict[str, int]]  # class -> {"train": n, "val": n}
    majority_rate: float  # share of the largest class in validation: what guessing it scores
    ratio: float  # largest / smallest class (all images)
    too_small: list[str]  # classes with < MIN_CLASS_IMAGES training or < 2 validation images


@dataclass
class DataCheck:
    """Everything the check found; saved as data_check.json in the run directory."""

    version: int
    key: str  # digest of the data and settings checked: equal key, reuse
    source: str
    has_files: bool  # False for the built-in sets: no file properties to test
    image_size: int
    resize: str
    n_train: int
    n_val: int
    classes: list[str]
    cues: list[PropertyCue]
    duplicates: Duplicates
    resolution: Resolution
    balance: ClassBalance
    warnings: list[str]
    notes: list[str]  # plain facts worth a line (resolution, what was not checked)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# ---------------------------------------------------------------- entry points


def check_data(data: ImageData, image_size: int, resize: str = "stretch", folds: int | None = None) -> DataCheck:
    """Run every check on decoded data (arrays plus, for folders, file properties).

    With `folds` (a sweep's K), every image, training and validation alike,
    is validated once per configuration and seed, so the resolution is over
    all of them: what the claims' verdicts count (`claims.verdicts`)."""
    import time

    started = time.perf_counter()
    has_files = bool(data.train_files) and len(data.train_files) == len(data.y_train)
    labels = np.concatenate([data.y_train, data.y_val]).astype(np.int64)
    files = list(data.train_files) + list(data.val_files) if has_files else []
    brightness = np.concatenate([sampled_brightness(data.x_train), sampled_brightness(data.x_val)])
    cues = shortcut_cues(files, labels, data.class_names) if has_files else []
    if len(labels):
        cues.append(property_cue("brightness", brightness, labels, data.class_names))
    duplicates = find_duplicates(data, files)
    resolution = validation_resolution(len(labels) if folds else len(data.y_val), folds)
    balance = class_balance(data)
    check = DataCheck(
        version=VERSION, key=data_key(data, image_size, resize, folds), source=data.source, has_files=has_files,
        image_size=image_size, resize=resize, n_train=int(len(data.y_train)), n_val=int(len(data.y_val)),
        classes=list(data.class_names), cues=cues, duplicates=duplicates, resolution=resolution, balance=balance,
        warnings=[], notes=[],
    )
    check.warnings = warning_lines(check) + small_images(files, image_size)
    check.notes = note_lines(check)
    check.seconds = round(time.perf_counter() - started, 3)
    return check


def data_key(data: ImageData, image_size: int, resize: str, folds: int | None = None) -> str:
    """A digest of what was checked: each file's path, size and modification
    time, the split and the labels (or the arrays, for built-in sets), the
    image size and resize, and the folds (they change the resolution)."""
    h = hashlib.blake2b(digest_size=16)
    h.update(json.dumps([VERSION, image_size, resize, data.class_names] + ([folds] if folds else [])).encode())
    if data.train_files:
        for split, files, labels in (("train", data.train_files, data.y_train), ("val", data.val_files, data.y_val)):
            h.update(split.encode())
            # A file name that is not UTF-8 reaches Python with surrogate escapes: hash its bytes as they are.
            h.update("\n".join(f"{f.path}\t{f.file_bytes}\t{f.modified_ns}" for f in files)
                     .encode("utf-8", "surrogateescape"))
            h.update(np.ascontiguousarray(labels).tobytes())
    else:
        for array in (data.x_train, data.y_train, data.x_val, data.y_val):
            h.update(np.ascontiguousarray(array).tobytes())
    return h.hexdigest()


def cached_check(data: ImageData, image_size: int, resize: str, run_dir: Path,
                 folds: int | None = None) -> tuple[DataCheck | dict, bool]:
    """The run directory's data_check.json if it checked this very data, else
    a fresh check written there. Returns (check, reused)."""
    path = Path(run_dir) / CHECK_FILE
    key = data_key(data, image_size, resize, folds)
    if path.exists():
        try:
            old = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            old = {}
        if old.get("key") == key and old.get("version") == VERSION:
            return old, True
    check = check_data(data, image_size, resize, folds)
    atomic_write_text(path, json.dumps(check.to_json(), indent=1))
    return check, False


# ---------------------------------------------------------------- shortcut cues


def property_values(files: list[FileProperties], name: str) -> np.ndarray:
    if name == "aspect_ratio":
        return np.array([f.width / f.height if f.height else 0.0 for f in files], dtype=np.float64)
    values = [getattr(f, name) for f in files]
    return np.array(values, dtype=object if name in CATEGORICAL else np.float64)


def shortcut_cues(files: list[FileProperties], labels: np.ndarray, classes: list[str]) -> list[PropertyCue]:
    """The file properties as cues (brightness, read from the arrays, is added by the caller)."""
    return [property_cue(name, property_values(files, name), labels, classes)
            for name in (*GEOMETRY, *CATEGORICAL, "file_bytes")]


def sampled_brightness(images: np.ndarray, samples: int = 32) -> np.ndarray:
    """Mean pixel value of each decoded image, from an evenly strided grid of
    about samples x samples pixels: averaging every pixel of a 224-px stack
    costs more than the rest of the check. With resize="pad" the black
    borders count, as the model sees them."""
    if len(images) == 0:
        return np.zeros(0)
    step = max(1, images.shape[1] // samples)
    return images[:, ::step, ::step].mean(axis=(1, 2, 3), dtype=np.float32).astype(np.float64)


def property_cue(name: str, values: np.ndarray, labels: np.ndarray, classes: list[str]) -> PropertyCue:
    """Cross-validate a one-property classifier and compare it with the majority rate."""
    counts = np.bincount(labels, minlength=len(classes))
    n = len(labels)
    majority = float(counts.max() / n) if n else 0.0
    categorical = values.dtype == object
    codes = _codes(values) if categorical else _bins(values.astype(np.float64), labels)
    predicted = _cross_val_predict(codes, labels)
    accuracy = float(np.mean(predicted == labels)) if n else 0.0
    lift = (accuracy - majority) / (1.0 - majority) if majority < 1.0 else 0.0
    p_value = _binomial_tail(int(round(accuracy * n)), n, majority)
    flagged = lift >= CUE_LIFT and p_value < CUE_P and len(np.unique(codes)) > 1
    if flagged and name == "brightness":
        flagged = _typical_apart(values.astype(np.float64), labels, classes, predicted, majority)
    cue = PropertyCue(
        name=name, label=PROPERTY_NAMES[name], accuracy=accuracy, majority=majority, lift=lift, p_value=p_value,
        flagged=bool(flagged), classes=_recognised_classes(predicted, labels, classes, majority) if flagged else [],
        per_class={},
    )
    if categorical:
        cue.shares = _shares(values, labels, classes)
        cue.per_class = {c: _typical_share(shares) for c, shares in cue.shares.items()}
    else:
        quantiles = _class_quantiles(values, labels, classes)
        cue.distribution = {c: q[:5] for c, q in quantiles.items()}
        cue.per_class = {c: _typical_number(name, q[5], q[2], q[6]) for c, q in quantiles.items()}
    return cue


def _codes(values: np.ndarray) -> np.ndarray:
    """Categorical values as integer codes 0..k-1."""
    _, codes = np.unique(np.array([str(v) for v in values]), return_inverse=True)
    return codes.astype(np.int64)


def _bins(values: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """A numeric property as integer bin codes at its quantiles (at most
    BINS bins, about 20 images each at least): equal values share a bin, so
    "every image of class A is 750 px wide" stays one bin."""
    bins = int(min(BINS, max(2, len(values) // 20)))
    distinct = np.unique(values)
    if len(distinct) <= bins:  # few values (sizes, often): one bin each
        return np.searchsorted(distinct, values).astype(np.int64)
    edges = np.unique(np.quantile(values, np.linspace(0, 1, bins + 1)[1:-1]))
    return np.searchsorted(edges, values, side="right").astype(np.int64)


def _cross_val_predict(codes: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Out-of-fold predictions of scikit-learn's CategoricalNB on one binned property.

    With one feature, CategoricalNB predicts the class most frequent in the
    image's bin (smoothed, weighed by the class priors): a histogram
    classifier that catches "class A is 750 px, class B 592 px, with a few
    odd ones" and multi-modal values alike, where one Gaussian per class
    (cleanlab's GaussianNB) does not. It is also the cheap one: the module
    imports in 5 ms where sklearn.tree took 0.1-0.6 s, the largest single
    cost of the check in a fresh sweep process.
    """
    from sklearn import config_context
    from sklearn.model_selection import StratifiedKFold
    from sklearn.naive_bayes import CategoricalNB

    present = np.bincount(labels)
    smallest = int(present[present > 0].min()) if len(labels) else 0
    folds = min(FOLDS, smallest)
    if folds < 2 or len(np.unique(codes)) < 2:  # a constant property predicts the majority class, no more
        return np.full(len(labels), present.argmax() if len(labels) else 0)
    x = codes.reshape(-1, 1)
    predicted = np.empty_like(labels)
    # scikit-learn's argument checks cost more than these tiny fits; the
    # inputs are ours and already clean.
    with config_context(skip_parameter_validation=True, assume_finite=True):
        for train, test in StratifiedKFold(folds, shuffle=True, random_state=0).split(x, labels):
            model = CategoricalNB(min_categories=int(codes.max()) + 1).fit(x[train], labels[train])
            predicted[test] = model.predict(x[test])
    return predicted


def _binomial_tail(successes: int, n: int, p: float) -> float:
    """P(X >= successes) for X ~ Binomial(n, p), summed in log space
    (scipy.stats would cost a second of import for one number)."""
    if n == 0 or successes <= n * p:
        return 1.0  # at or below the expected count: no evidence at all (and the sum below needs k > mean)
    p = min(max(p, 1e-12), 1 - 1e-12)
    log_p, log_q, log_n = math.log(p), math.log1p(-p), math.lgamma(n + 1)
    first = log_n - math.lgamma(successes + 1) - math.lgamma(n - successes + 1) + successes * log_p + (
        n - successes) * log_q
    total, term = 1.0, 1.0  # terms relative to the first; past the mean they only shrink
    for k in range(successes, n):
        term *= (n - k) / (k + 1) * p / (1 - p)
        total += term
        if term < 1e-12 * total:
            break
    return min(1.0, math.exp(first) * total)


def _recognised_classes(predicted: np.ndarray, labels: np.ndarray, classes: list[str], majority: float) -> list[str]:
    """Classes the property picks out, best first: at least half of the class
    recognised, and a precision that closes at least half the gap between
    the class's share and 100%."""
    scores = []
    for i, name in enumerate(classes):
        mine = labels == i
        said = predicted == i
        if not mine.any() or not said.any():
            continue
        recall = float(np.mean(predicted[mine] == i))
        precision = float(np.mean(labels[said] == i))
        share = float(mine.mean())
        if recall >= 0.5 and precision >= share + 0.5 * (1 - share) - 1e-9:
            scores.append((recall * precision, name))
    return [name for _, name in sorted(scores, reverse=True)]


def _typical_apart(values: np.ndarray, labels: np.ndarray, classes: list[str], predicted: np.ndarray,
                   majority: float) -> bool:
    """Brightness is a cue a user can act on only when a recognised class's typical values (10th to 90th
    percentile, as the warning prints them) sit apart from another class's: noise 128 (125-130) beside
    stripes 127 (120-130) is a histogram quirk, not a lighting difference."""
    ranges = {c: (q[5], q[6]) for c, q in _class_quantiles(values, labels, classes).items()}
    for c in _recognised_classes(predicted, labels, classes, majority):
        low, high = ranges[c]
        if any(other != c and (o_high < low or o_low > high) for other, (o_low, o_high) in ranges.items()):
            return True
    return False


def _class_quantiles(values: np.ndarray, labels: np.ndarray, classes: list[str]) -> dict[str, list[float]]:
    """Per class: min, quartiles, max (the report's distribution), then the 10th and 90th percentiles."""
    out = {}
    for i, c in enumerate(classes):
        mine = values[labels == i]
        if len(mine):
            out[c] = [float(q) for q in np.quantile(mine, [0, 0.25, 0.5, 0.75, 1, 0.1, 0.9])]
    return out


def _typical_number(name: str, low: float, mid: float, high: float) -> str:
    return _format(name, mid) if low == high else f"{_format(name, mid)} ({_format(name, low)}-{_format(name, high)})"


def _typical_share(shares: dict[str, float]) -> str:
    value, share = next(iter(shares.items()))
    return value if share == 1.0 else f"{value} {100 * share:.0f}%"


def _format(name: str, value: float) -> str:
    if name in ("width", "height"):
        return f"{value:.0f} px"
    if name == "aspect_ratio":
        return f"{value:.2f}"
    if name == "file_bytes":
        return f"{value / 1024:.0f} KB" if value >= 10 * 1024 else f"{value / 1024:.1f} KB"
    return f"{value:.0f}"


def _shares(values: np.ndarray, labels: np.ndarray, classes: list[str]) -> dict[str, dict[str, float]]:
    out = {}
    for i, c in enumerate(classes):
        mine = [str(v) for v in values[labels == i]]
        if mine:
            out[c] = {k: n / len(mine) for k, n in Counter(mine).most_common()}
    return out


# ---------------------------------------------------------------- duplicates


def perceptual_hashes(images: np.ndarray, chunk: int = 256) -> np.ndarray:
    """64-bit DCT hashes of a (n, h, w, c) uint8 stack, as imagehash.phash computes them.

    Each image is shrunk to (at most) 32x32 grey, each cell the sum of two
    sample points on its diagonal (reading every pixel of a 224-px stack would cost more
    than the whole check's budget), transformed with a 2-D DCT (a matrix
    product), and its 8x8 lowest frequencies compared with their median.
    Vectorised over the stack: a small fraction of what imagehash's
    per-image calls cost (1.6 s for 1,800 64-px images).
    """
    n, h, w = images.shape[:3]
    side = min(32, h, w)
    low = min(8, side)
    basis = _dct_matrix(side)[:low]  # (low, side): the lowest frequencies only
    out = np.zeros(n, dtype=np.uint64)
    weights = (1 << np.arange(low * low, dtype=np.uint64)[::-1])
    step_h, step_w = h // side, w // side
    offsets = sorted({(int(q * step_h), int(q * step_w)) for q in (0.25, 0.75)})
    for start in range(0, n, chunk):
        block = images[start:start + chunk]
        total = np.zeros((len(block), side, side, images.shape[3]), dtype=np.uint16)
        for dy, dx in offsets:  # plain strided slices: far cheaper than fancy indexing
            total += block[:, dy::step_h, dx::step_w][:, :side, :side]
        grey = total[..., 0].astype(np.float32)
        for channel in range(1, total.shape[3]):  # numpy's sum over a last axis of 3 is slow; adds are not
            grey += total[..., channel]
        freq = (basis @ grey @ basis.T).reshape(len(block), -1)
        bits = freq > np.median(freq, axis=1, keepdims=True)
        out[start:start + chunk] = (bits.astype(np.uint64) * weights).sum(axis=1, dtype=np.uint64)
    return out


def _dct_matrix(n: int) -> np.ndarray:
    """Orthonormal DCT-II basis: row k is frequency k (scipy's dct(norm="ortho"))."""
    k, i = np.arange(n)[:, None], np.arange(n)[None, :]
    m = np.cos(np.pi * (2 * i + 1) * k / (2 * n)) * math.sqrt(2.0 / n)
    m[0] /= math.sqrt(2.0)
    return m.astype(np.float32)


def array_digests(images: np.ndarray) -> list[str]:
    return [hashlib.blake2b(np.ascontiguousarray(img).tobytes(), digest_size=16).hexdigest() for img in images]


def file_digests(files: list[FileProperties], hashes: np.ndarray) -> list[str]:
    """Content hashes for exact duplicates, computed only where they can match:
    two identical files have the same byte size and the same perceptual
    hash, so a file sharing neither pair with another gets its path instead.
    (Hashing every file cost more than the rest of the check on the 4,846
    small eyes files, whose sizes collide by the hundreds.)"""
    keys = [(f.file_bytes, int(h)) for f, h in zip(files, hashes)]
    shared = Counter(keys)
    digests = []
    for f, key in zip(files, keys):
        if shared[key] < 2:
            digests.append(f"unique size: {f.path}")
            continue
        try:
            digests.append(hashlib.blake2b(Path(f.path).read_bytes(), digest_size=16).hexdigest())
        except OSError:  # gone since decoding: it cannot be matched
            digests.append(f"unreadable: {f.path}")
    return digests


def find_duplicates(data: ImageData, files: list[FileProperties]) -> Duplicates:
    """Exact duplicates by content hash, near ones by perceptual hash, within
    training, within validation and across the split."""
    n_train = len(data.y_train)
    labels = np.concatenate([data.y_train, data.y_val])

    def image(i: int) -> np.ndarray:
        return data.x_train[i] if i < n_train else data.x_val[i - n_train]

    hashes = np.concatenate([perceptual_hashes(data.x_train), perceptual_hashes(data.x_val)])
    digests = file_digests(files, hashes) if files else array_digests(data.x_train) + array_digests(data.x_val)
    names = [f.path for f in files] if files else [f"train #{i}" for i in range(n_train)] + [
        f"validation #{i}" for i in range(len(data.y_val))]
    exact = exact_pairs(digests)
    near = [(i, j, d) for i, j, d in near_pairs(hashes, NEAR_BITS)
            if digests[i] != digests[j] and pixel_distance(image(i), image(j)) <= NEAR_PIXELS]

    def where(i: int, j: int) -> str:
        return "train" if j < n_train else ("val" if i >= n_train else "across")

    counts_exact = Counter(where(i, j) for i, j in exact)
    counts_near = Counter(where(i, j) for i, j, _ in near)
    copied_val = {j for i, j in exact if i < n_train <= j} | {j for i, j, _ in near if i < n_train <= j}
    conflicts = sum(labels[i] != labels[j] for i, j in exact) + sum(labels[i] != labels[j] for i, j, _ in near)
    chosen = _pick_pairs([(i, j, 0, "exact") for i, j in exact] + [(i, j, d, "near") for i, j, d in near],
                         where)
    pairs = [DuplicatePair(kind, where(i, j), names[i], names[j], data.class_names[labels[i]],
                           data.class_names[labels[j]], int(d), _thumbnail(image(i)), _thumbnail(image(j)))
             for i, j, d, kind in chosen]
    return Duplicates(
        exact={k: int(counts_exact.get(k, 0)) for k in ("train", "val", "across")},
        near={k: int(counts_near.get(k, 0)) for k in ("train", "val", "across")},
        val_with_train_copy=len(copied_val), label_conflicts=int(conflicts), pairs=pairs,
    )


def pixel_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference of two decoded images, 0-255."""
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


def exact_pairs(digests: list[str]) -> list[tuple[int, int]]:
    """Each image paired with the first of its group of identical files."""
    first: dict[str, int] = {}
    pairs = []
    for j, d in enumerate(digests):
        if d in first:
            pairs.append((first[d], j))
        else:
            first[d] = j
    return pairs


def near_pairs(hashes: np.ndarray, max_bits: int) -> list[tuple[int, int, int]]:
    """All (i, j, bits) with i < j and Hamming distance <= max_bits.

    Pigeonhole search instead of comparing every pair: cut the 64 bits into
    max_bits + 1 pieces; two hashes at most max_bits apart agree on at
    least one piece whole, so only hashes sharing a piece are compared.
    Comparing all pairs took 2.8 s for 20,000 images and grows with n^2
    (CIFAR-10 has 60,000).
    """
    n = len(hashes)
    if n < 2:
        return []
    pieces = max_bits + 1
    widths = [64 // pieces + (1 if k < 64 % pieces else 0) for k in range(pieces)]
    first, second = [], []
    shift = 0
    for width in widths:
        keys = (hashes >> np.uint64(shift)) & np.uint64((1 << width) - 1)
        shift += width
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
        for step in range(1, n):  # sorted: equal keys sit next to each other
            same = np.nonzero(ordered[:-step] == ordered[step:])[0]
            if len(same) == 0:
                break
            first.append(order[same])
            second.append(order[same + step])
    if not first:
        return []
    a, b = np.concatenate(first), np.concatenate(second)
    close = popcount(hashes[a] ^ hashes[b]) <= max_bits  # most candidates share a piece by chance alone
    low, high = np.minimum(a[close], b[close]).astype(np.int64), np.maximum(a[close], b[close]).astype(np.int64)
    pairs = np.unique(low * n + high)  # a pair found through several pieces counts once
    i, j = pairs // n, pairs % n
    bits = popcount(hashes[i] ^ hashes[j])
    return [(int(x), int(y), int(d)) for x, y, d in zip(i, j, bits)]


def popcount(values: np.ndarray) -> np.ndarray:
    """Set bits of each uint64 (np.bitwise_count where numpy >= 2 has it)."""
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(values)
    as_bytes = np.ascontiguousarray(values).view(np.uint8).reshape(*values.shape, 8)
    return np.unpackbits(as_bytes, axis=-1).sum(axis=-1)


def _pick_pairs(pairs: list[tuple[int, int, int, str]], where) -> list[tuple[int, int, int, str]]:
    """A few pairs for the report: cross-split ones first (they inflate validation accuracy)."""
    order = {"across": 0, "val": 1, "train": 2}
    return sorted(pairs, key=lambda p: (order[where(p[0], p[1])], p[3] != "exact", p[2], p[0]))[:PAIRS_KEPT]


def _thumbnail(image: np.ndarray, side: int = 64) -> str:
    import base64
    import io

    from PIL import Image

    pil = Image.fromarray(image.squeeze(-1) if image.shape[-1] == 1 else image)
    if max(pil.size) > side:
        pil = pil.resize((side, side), Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    pil.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


# ---------------------------------------------------------------- resolution and balance


def validation_resolution(n_val: int, folds: int | None = None) -> Resolution:
    """What one image is worth. With K folds `n_val` is every image: each is validated once per seed."""
    if n_val == 0:
        return Resolution(0, float("nan"), "no validation images")
    points = 100.0 / n_val
    counted = (f"{n_val} images, each validated once per seed over the {folds} folds" if folds
               else f"{n_val} validation images")
    return Resolution(n_val, points, (
        f"{counted}: one image is {points:.3g} accuracy points, so an effect smaller than "
        f"two images ({2 * points:.3g} points) cannot be told from the luck of which images land in validation"))


def class_balance(data: ImageData) -> ClassBalance:
    counts = data.class_counts()
    totals = [c.get("train", 0) + c.get("val", 0) for c in counts.values()]
    val = np.bincount(data.y_val, minlength=data.num_classes) if len(data.y_val) else np.zeros(1)
    small = [name for name, c in counts.items() if c.get("train", 0) < MIN_CLASS_IMAGES or c.get("val", 0) < 2]
    return ClassBalance(
        counts=counts, majority_rate=float(val.max() / max(val.sum(), 1)),
        ratio=float(max(totals) / max(min(totals), 1)) if totals else 1.0, too_small=small,
    )


# ---------------------------------------------------------------- what to say


def warning_lines(check: DataCheck) -> list[str]:
    """One line per problem: what, which classes, what to do."""
    lines = [_cue_warning(c, check.resize) for c in check.cues if c.flagged]
    d = check.duplicates
    if d.val_with_train_copy:
        lines.append(
            f"duplicates: {d.val_with_train_copy} of {check.n_val} validation images have a copy in training "
            f"({_count(d.exact['across'], 'exact pair')}, {_count(d.near['across'], 'near pair')}); "
            "they inflate validation accuracy: "
            + ("remove one copy of each pair from the data folder" if check.has_files else
               f"leave one copy of each pair out of the arrays ({_pair_names(d)})"))
    inside = d.exact["train"] + d.exact["val"]
    if inside:
        lines.append(
            f"duplicates: {_count(inside, 'exact duplicate pair')} within training ({d.exact['train']}) or "
            f"validation ({d.exact['val']}); they weigh those images twice: remove the copies")
    if d.label_conflicts:
        lines.append(f"duplicates: {_count(d.label_conflicts, 'duplicate pair')} "
                     f"{'carry' if d.label_conflicts != 1 else 'carries'} different classes: the same image is "
                     + ("in two class folders" if check.has_files else "labelled twice, with two classes")
                     + "; decide which class it belongs to")
    b = check.balance
    if b.too_small:
        which = f"classes {_names(b.too_small)} have" if len(b.too_small) > 1 else f"class {b.too_small[0]} has"
        lines.append(f"class balance: {which} fewer than {MIN_CLASS_IMAGES} training or 2 validation images, "
                     "too few to learn or measure: add images or drop the class")
    if b.ratio > IMBALANCE:
        largest = max(b.counts, key=lambda c: sum(b.counts[c].values()))
        smallest = min(b.counts, key=lambda c: sum(b.counts[c].values()))
        lines.append(f"class balance: {largest} has {b.ratio:.1f}x the images of {smallest}; always guessing the "
                     f"largest class scores {100 * b.majority_rate:.0f}% validation accuracy: compare scores with that")
    return lines


SMALL_FACTOR = 0.5  # an image under half the sweep's size on its longer side is blown up from very few pixels


def small_images(files: list[FileProperties], image_size: int) -> list[str]:
    """One line when files are much smaller than the sweep's image size: stretching a 1x1 or 12x12 image to
    224 px trains on what is not there. None for built-in sets, which have no files."""
    small = [f for f in files if max(f.width, f.height) < SMALL_FACTOR * image_size]
    if not small:
        return []
    least = min(small, key=lambda f: f.width * f.height)
    return [f"small images: {len(small)} image{'s are' if len(small) != 1 else ' is'} under half the sweep's "
            f"{image_size} px on the longer side (the smallest, {least.width}x{least.height}: {least.path}); "
            "each is blown up from few pixels: remove them, or use a smaller --image-size"]


def _cue_warning(cue: PropertyCue, resize: str) -> str:
    shown = cue.classes + [c for c in cue.per_class if c not in cue.classes]  # the others give the contrast
    values = "; ".join(f"{c}: {cue.per_class[c]}" for c in shown[:4]) + ("; ..." if len(shown) > 4 else "")
    more = len(cue.classes) - 4
    classes = _names(cue.classes) + (f" and {more} more" if more > 0 else "") if cue.classes else "several classes"
    line = (f"shortcut cue: {cue.label} alone predicts the class ({100 * cue.accuracy:.0f}% cross-validated "
            f"accuracy vs {100 * cue.majority:.0f}% for the majority class), mostly for {classes} ({values}); ")
    return line + _remedy(cue.name, resize)


def _remedy(name: str, resize: str) -> str:
    if name in GEOMETRY:
        if resize == "stretch":
            return ("stretching to a square distorts these classes differently: try --resize crop "
                    "(or --resize pad, which keeps the aspect ratio visible as black borders)")
        if resize == "pad":
            return "padding keeps the aspect ratio visible as borders: try --resize crop"
        return "cropping removes the aspect ratio but not the resolution: check how each class was collected"
    if name in ("format", "mode"):
        return "convert every file to one format and colour mode, or check how each class was collected"
    if name == "file_bytes":
        return "file size follows the source and compression of each class: check how each class was collected"
    return "check backgrounds and lighting per class: the model may learn them instead of the content"


def _pair_names(d: Duplicates) -> str:
    """Built-in data has no files: name the pairs by their index in each split (`find_duplicates`)."""
    shown = [f"{p.a} = {p.b}" for p in d.pairs if p.where == "across"][:3]
    more = d.val_with_train_copy - len(shown)
    return "; ".join(shown) + (f"; {more} more in the report" if more > 0 else "")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"


def _names(names: list[str]) -> str:
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else (names[0] if names else "")


def note_lines(check: DataCheck) -> list[str]:
    notes = [check.resolution.text]
    if not check.has_files:
        notes.append("built-in data set without files: width, height, aspect ratio, file size, format and colour mode "
                     "were not checked; duplicates and brightness were checked on the decoded arrays")
    return notes


# ---------------------------------------------------------------- reading a saved check


def warnings_of(check: DataCheck | dict) -> list[str]:
    return list(check.warnings if isinstance(check, DataCheck) else check.get("warnings", []))


def notes_of(check: DataCheck | dict) -> list[str]:
    return list(check.notes if isinstance(check, DataCheck) else check.get("notes", []))


def check_for_sweep(data: ImageData, image_size: int, resize: str, run_dir: Path, say=None,
                    folds: int | None = None) -> DataCheck | dict:
    """The sweep's check: cached in the run directory, its warnings printed
    as `warning:` lines on stderr before any training, its notes through
    `say` (the progress printer, silent with --quiet)."""
    import sys

    check, reused = cached_check(data, image_size, resize, run_dir, folds)
    for line in warnings_of(check):
        print(f"warning: {line}", file=sys.stderr)
    if say is not None:
        for note in notes_of(check):
            say(f"data check: {note}" + (" (cached)" if reused else ""))
    return check
