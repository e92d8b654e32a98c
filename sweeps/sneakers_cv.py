"""Article 004 on its own data, decided: the sneakers sweep with 5-fold cross-validation, a fresh partition per seed.

sweeps/sneakers.py validates on the article's 76 test images: one image is
1.32 accuracy points, more than half the claims' 2-point margin, so its
accuracy claims read "not measurable on this data". Here the 502 training
and 76 test images are pooled, each seed draws its own stratified partition
of all 578 into 5 folds (copies found by the data check kept in one fold),
and every configuration trains on each fold: every image is validated once
per configuration and seed, 0.17 points an image.

Cost: 5 times sweeps/sneakers.py's runs, 4 configurations x 5 seeds x 5
folds = 100 runs of up to 60 epochs (the header prints the count). Each run
trains on 4/5 of the 578 images (462), about 0.92x the epoch time of the
fixed split's 502. On 2 CPU cores a 224 px epoch of the fixed split took
5.7 s (issue 27's measurement), so a fold's is about 5.2 s: at most
100 x 60 x 5.2 s, about 8.7 h, and less with early stopping (patience 20).
On a GPU: not measured here (no GPU was lent to this project yet); the
article's model is small, so expect the GPU's per-step overhead, not its
compute, to set the pace, which is what `--fuse-seeds on` (fused folds
too) is for.

Data: a folder with `train/` and `test/` trees of class folders; point at
yours with --data.
"""

import runpy
from dataclasses import replace
from pathlib import Path

# sweeps/sneakers.py with folds: one grid, one model, one set of claims.
_fixed = runpy.run_path(str(Path(__file__).with_name("sneakers.py")))["sweep"]

sweep = replace(
    _fixed,
    name="sneakers_cv",
    description="article 004: pooling type per layer on nike vs adidas, 5-fold cross-validation per seed",
    folds=5,
)
