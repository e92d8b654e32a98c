"""Article 004: nike vs adidas sneakers, max vs average pooling.

The article swaps average and max pooling by hand and concludes that one
average + one max pooling layer beats two average ones, and that max pooling
suits sneakers. This sweep runs all four pooling combinations of the two
pooling layers with 5 seeds each, everything else as in the article.

Data: a folder with `train/` and `test/` trees of class folders (the article
has 502 training and 76 test images); point at yours with --data.
"""

from search import EarlyStopping, SneakersCNN, Sweep, TrainTestFolders

sweep = Sweep(
    name="sneakers",
    description="article 004: pooling type per layer on nike vs adidas",
    data=TrainTestFolders("data/sneakers", train="train", test="test"),
    hypermodel=SneakersCNN,
    image_size=224,
    space={
        "pooling_1": ["avg", "max"],
        "pooling_2": ["avg", "max"],
    },
    tuner="grid",
    epochs=60,
    seeds=5,
    early_stopping=EarlyStopping(monitor="val_accuracy", min_delta=0.001, patience=20),
    claims=("pooling-texture", "mixed-pooling"),
)
