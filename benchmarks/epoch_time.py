"""`python -m benchmarks.epoch_time`: seconds per epoch of each article model at its article size.

Not a ratio: the cost table docs/guides/performance.md quotes, so a user can price a sweep
before starting it. Each model is built with its article defaults (batch
size, image size, classes), then `search.training.step_time.dry_run` times a
few batches on random images (the step's cost does not depend on the
pixels), and the epoch is priced at the article's own training and
validation set sizes. `--describe` and the sweep header estimate the same way.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# model, image size, channels, classes, training images, validation images, article
ARTICLE_SIZES = (
    ("DigitsCNN", 16, 1, 10, 1438, 359, "demo: scikit-learn digits, val split 0.2"),
    ("Cifar10CNN", 32, 3, 10, 50000, 10000, "002: CIFAR-10"),
    ("BreastCancerCNN", 50, 3, 2, 1000, 250, "001: IDC patches (per 1,250 images)"),
    ("SneakersCNN", 224, 3, 2, 502, 76, "004: sneakers train/test"),
    ("HollywoodCNN", 224, 3, 17, 1620, 180, "003: Hollywood, val split 0.1"),
    ("VGG16", 224, 3, 4, 3877, 969, "000: eyes (4,846 images), val split 0.2"),
)


def measure(name: str, size: int, channels: int, classes: int, steps: int) -> dict:
    import keras
    import keras_tuner
    import numpy as np

    from search.models import articles
    from search.training.step_time import dry_run

    hypermodel = getattr(articles, name)((size, size, channels), classes)
    hp = keras_tuner.HyperParameters()
    model = hypermodel.build(hp)
    batch_size, _ = hypermodel.batch_and_epochs(hp)
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, (batch_size, size, size, channels)).astype("float32")
    y = rng.integers(0, classes, batch_size)
    timed = dry_run(model, x, y, batch_size, steps=steps, name=name)
    params = int(model.count_params())
    keras.backend.clear_session()
    return {"batch_size": batch_size, "params": params, "compile_s": timed.compile_s,
            "train_step_s": timed.train_step_s, "eval_step_s": timed.eval_step_s, "timed": timed}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.epoch_time", description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=3, help="steady batches timed per model (after the first)")
    p.add_argument("--models", nargs="*", default=[m[0] for m in ARTICLE_SIZES])
    args = p.parse_args(argv)
    from benchmarks.common import machine

    rows = []
    for name, size, channels, classes, train, val, article in ARTICLE_SIZES:
        if name not in args.models:
            continue
        print(f"timing {name} at {size}x{size}...", file=sys.stderr)
        m = measure(name, size, channels, classes, args.steps)
        epoch = m.pop("timed").epoch_s(train, val)
        row = {"model": name, "article": article, "image_size": size, "train_images": train, "val_images": val,
               **m, "epoch_s": round(epoch, 2), "machine": machine()}
        print(json.dumps(row), flush=True)
        rows.append(row)
    print("\n| model | article data | size | batch | parameters | first batch (s) | batch (s) | epoch (s) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['model']} | {r['article']} ({r['train_images']:,} + {r['val_images']:,}) | {r['image_size']} "
              f"| {r['batch_size']} | {r['params']:,} | {r['compile_s'] + r['train_step_s']:.2f} | {r['train_step_s']:.3f} "
              f"| {r['epoch_s']:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
