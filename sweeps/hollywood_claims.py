"""Test article claims on the 17 Hollywood stars (article 003's data).

The article CNN at its defaults (the hollywood-baseline claim: about 0.37,
early stopping near epoch 60) against all-max and mixed pooling, 5 seeds
each, with the article's schedule and early stopping. At 224 px this is
hours on a CPU; `--image-size 64 --epochs 30` gives a quick first look
(the baseline claim then is not the article's set-up).
"""

from search import EarlyStopping, HollywoodCNN, ImageFolder, Sweep

sweep = Sweep(
    name="hollywood_claims",
    description="article claims on 17 Hollywood stars: pooling type, baseline accuracy, learning-rate schedule",
    data=ImageFolder("data/hollywood", validation_split=0.1, seed=123, label_mode="categorical"),
    hypermodel=HollywoodCNN,
    image_size=224,
    space={
        "pooling_1": ["avg", "max"],
        "pooling_2": ["avg", "max"],
        "pooling_3": ["avg", "max"],
    },
    tuner="grid",
    epochs=100,
    seeds=5,
    early_stopping=EarlyStopping(monitor="val_accuracy", min_delta=0.001, patience=20),
    claims=("pooling-texture", "mixed-pooling", "hollywood-baseline", "lr-resets-each-epoch"),
)
