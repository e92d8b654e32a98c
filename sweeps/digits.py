"""Demo: max vs average pooling in each block, and batch size, on scikit-learn's bundled digits.

Runs anywhere with no download, in about two minutes on 2 CPU cores:
8 configurations x 3 seeds of an article-style CNN at 16x16 pixels, and
verdicts on three article claims (with only 3 seeds: a demo, not proof).
"""

from search import Digits, DigitsCNN, EarlyStopping, Sweep

sweep = Sweep(
    name="digits",
    description="demo on scikit-learn's digits: max vs average pooling in each block, and batch size",
    data=Digits(validation_split=0.2, seed=123),
    hypermodel=DigitsCNN,
    image_size=16,
    space={
        "pooling_1": ["max", "avg"],
        "pooling_2": ["max", "avg"],
        "batch_size": [16, 128],
    },
    tuner="grid",
    epochs=6,
    seeds=3,
    claim_min_pairs=3,
    early_stopping=EarlyStopping(monitor="val_accuracy", min_delta=0.001, patience=4),
    claims=("pooling-texture", "mixed-pooling", "batch-size"),
)
