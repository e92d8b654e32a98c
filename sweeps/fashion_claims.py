"""Article claims on Fashion-MNIST (10 classes, 28 px), from Debian's package.

The same set-up as `eyes_claims.py`, on a second real data set: the 001
CNN (three conv blocks with max pooling, `same` padding) against average
and mixed pooling, a small and a large batch, and the logged learning rate
under the 003/004 ExponentialDecay. 500 training and 500 test images per
class (fixed by the source's seed: 5,000 + 5,000) keep a run near half a
minute on 2 CPU cores; one validation image is 0.02 points, a tenth of the
claims' 2-point margin. Install the data with
`apt-get install dataset-fashion-mnist`.
"""

from search import BreastCancerCNN, FashionMNIST, Seeds, Sweep

sweep = Sweep(
    name="fashion_claims",
    description="article claims on Fashion-MNIST at 28 px: pooling type, batch size, learning-rate schedule",
    data=FashionMNIST(per_class=500, val_per_class=500),
    hypermodel=BreastCancerCNN,
    image_size=28,
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
    seeds=Seeds(min=3, max=10),
    early_stopping=None,
    claims=("pooling-texture", "mixed-pooling", "batch-size", "lr-resets-each-epoch"),
)
