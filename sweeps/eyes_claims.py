"""Test article claims on the eye-state data (4 classes) at 24 px.

The 001 CNN (the data set's reference model: about 0.90 with max pooling
vs 0.88 with average) with 5 seeds per configuration: max vs average vs
mixed pooling in the first two pooling layers, a small vs a large batch,
and the logged learning rate under the 003/004 ExponentialDecay.
"""

from search import BreastCancerCNN, EarlyStopping, ImageFolder, Sweep

sweep = Sweep(
    name="eyes_claims",
    description="article claims on eye state at 24 px: pooling type, batch size, learning-rate schedule",
    data=ImageFolder("data/eyes", validation_split=0.2, seed=12),
    hypermodel=BreastCancerCNN,
    image_size=24,
    space={
        "pooling_1": ["avg", "max"],
        "pooling_2": ["avg", "max"],
        "batch_size": [16, 128],
        "learning_rate": 1e-3,
        "decay_steps": 60,
        "decay_rate": 0.96,
    },
    tuner="grid",
    epochs=8,
    seeds=5,
    early_stopping=None,
    claims=("pooling-texture", "mixed-pooling", "batch-size", "lr-resets-each-epoch"),
)
