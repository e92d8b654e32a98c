"""Repeated cross-validation: each seed draws its own partition of all the images into K folds.

A fixed validation split makes every verdict rest on one draw of the data,
and on small data one image is a large step of accuracy (76 test images:
1.32 points each). With `Sweep(folds=K)` the source's images, training and
validation together, are pooled; each seed partitions them into K
stratified folds of its own, and every configuration trains once per fold.
So every image is validated exactly once per configuration and seed, and
the replicate of the claims is (seed, partition): the folds of one seed
share most of their training images, so they are parts of one replicate,
never replicates of their own (Bengio and Grandvalet 2004; Nadeau and
Bengio 2003).

A copy of an image on both sides of a fold would score memory as skill.
The data check's exact and near duplicates (search.data.datacheck) are
joined into groups, and scikit-learn's `StratifiedGroupKFold` keeps each
group within one fold.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from rundir.errors import SweepError
from rundir.manifest import FoldInfo
from search.data.datacheck import NEAR_BITS, array_digests, exact_pairs, near_pairs, file_digests, perceptual_hashes
from search.data.images import joined
from search.data.sources import ImageData

PARTITION_SALT = 7919  # seed s draws its partition from s + this: unrelated to the weights' seed stream


@dataclass(frozen=True)
class FoldPlan:
    """All the images of a sweep with folds, and the duplicate groups they split by."""

    k: int
    pool: ImageData  # every image as "validation": x_val, y_val, val_paths, val_files
    groups: np.ndarray  # (n,) group id per image: copies share one
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def n(self) -> int:
        return len(self.pool.y_val)

    @property
    def grouped(self) -> tuple[int, int]:
        """(groups of two or more images, images in them): what the report says was kept together."""
        sizes = np.bincount(self.groups)
        big = sizes[sizes > 1]
        return int(len(big)), int(big.sum())

    def assignment(self, seed: int) -> np.ndarray:
        """The fold of every image in seed `seed`'s partition (cached: every configuration asks)."""
        if seed not in self._cache:
            self._cache[seed] = partition(self.pool.y_val, self.groups, self.k, seed)
        return self._cache[seed]

    def sizes(self, seed: int, fold: int) -> tuple[int, int]:
        """(training images, validation images) of one run, without copying them."""
        val = int(np.count_nonzero(self.assignment(seed) == fold))
        return self.n - val, val

    def fold(self, seed: int, fold: int) -> ImageData:
        """The data of one run: fold `fold` of seed `seed`'s partition validates, the rest trains."""
        where = self.assignment(seed)
        train, val = np.flatnonzero(where != fold), np.flatnonzero(where == fold)
        p = self.pool
        files = p.val_files
        return replace(
            p, x_train=p.x_val[train], y_train=p.y_val[train], x_val=p.x_val[val], y_val=p.y_val[val],
            val_paths=[p.val_paths[i] for i in val] if p.val_paths else [],
            train_files=[files[i] for i in train] if files else [], val_files=[files[i] for i in val] if files else [],
            val_index=[int(i) for i in val])

    def describe(self) -> str:
        groups, images = self.grouped
        return (f"{self.k}-fold cross-validation over all {self.n} images (training and validation together), "
                f"a fresh stratified partition per seed; {groups} duplicate group(s) of {images} images kept "
                "within one fold")

    def info(self) -> FoldInfo:
        """What the manifest records of the plan."""
        groups, images = self.grouped
        return FoldInfo(self.k, self.n, groups, images)


def plan_folds(data: ImageData, k: int) -> FoldPlan:
    """Pool the source's images and group their copies; a fold count the data cannot fill is an error."""
    pool = pooled(data)
    counts = np.bincount(pool.y_val, minlength=pool.num_classes)
    smallest = int(counts.min())
    if k > smallest:
        name = pool.class_names[int(counts.argmin())]
        raise SweepError(f"folds={k} is more than the {smallest} image(s) of class {name!r} in {data.source}: "
                         f"each fold needs an image of every class; use folds={max(2, smallest)} or fewer")
    return FoldPlan(k, pool, duplicate_groups(pool))


def pooled(data: ImageData) -> ImageData:
    """Training and validation images as one set (held as validation: every image is validated once)."""
    empty = data.x_train[:0]
    paths = list(data.val_paths)
    if data.train_files or data.val_files:
        paths = [f.path for f in data.train_files] + [f.path for f in data.val_files]
    return replace(
        data, x_train=empty, y_train=data.y_train[:0],
        x_val=joined(data.x_train, data.x_val), y_val=np.concatenate([data.y_train, data.y_val]),
        val_paths=paths, train_files=[], val_files=list(data.train_files) + list(data.val_files))


def duplicate_groups(pool: ImageData) -> np.ndarray:
    """A group id per image: exact copies and near ones (the data check's definitions) joined, transitively."""
    images = pool.x_val
    hashes = perceptual_hashes(images)
    digests = file_digests(pool.val_files, hashes) if pool.val_files else array_digests(images)
    parent = np.arange(len(images))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in [*exact_pairs(digests), *((i, j) for i, j, _ in near_pairs(hashes, NEAR_BITS))]:
        a, b = root(i), root(j)
        if a != b:
            parent[max(a, b)] = min(a, b)
    roots = np.array([root(i) for i in range(len(images))])
    return np.unique(roots, return_inverse=True)[1]


def partition(labels: np.ndarray, groups: np.ndarray, k: int, seed: int) -> np.ndarray:
    """The fold (0..k-1) of every image: stratified by class, copies together, shuffled by `seed`."""
    from sklearn.model_selection import StratifiedGroupKFold

    where = np.full(len(labels), -1, dtype=np.int64)
    splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed + PARTITION_SALT)
    for fold, (_, val) in enumerate(splitter.split(np.zeros(len(labels)), labels, groups)):
        where[val] = fold
    return where
