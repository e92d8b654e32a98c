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
trains on 4/5 of the 578 images, so about 1.2x the epoch time of the fixed
split's 502.

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
