"""Article 001: breast cancer IDC patches (2 classes), the `same`-padding CNN.

The IDC patches are 50x50 pixels; validation split 0.2 with seed 12 as in
the article. Varies the pooling of each layer and the dropout rate.
"""

from search import BreastCancerCNN, EarlyStopping, ImageFolder, Sweep

sweep = Sweep(
    name="breast_cancer",
    description="article 001: pooling and dropout on IDC patches",
    data=ImageFolder("data/breast_cancer", validation_split=0.2, seed=12),
    hypermodel=BreastCancerCNN,
    image_size=50,
    space={
        "pooling_1": ["avg", "max"],
        "dropout": [0.25, 0.5],
        "batch_size": [32, 128],
    },
    tuner="grid",
    epochs=10,
    seeds=2,
    early_stopping=EarlyStopping(monitor="val_accuracy", min_delta=0.001, patience=5),
)
