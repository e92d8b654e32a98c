"""Article 002: CIFAR-10, the 122,570-parameter CNN, 10 vs 100 epochs.

The article reports 0.7183 test accuracy after 10 epochs and a lower one
after 100. `keras.datasets.cifar10` downloads the data once; offline, pass
--data PATH to an extracted cifar-10-batches-py folder.
"""

from search import Cifar10, Cifar10CNN, Sweep

sweep = Sweep(
    name="cifar10",
    description="article 002: does training 100 epochs instead of 10 lower test accuracy?",
    data=Cifar10(),
    hypermodel=Cifar10CNN,
    image_size=32,
    space={
        "epochs": [10, 100],
        "batch_size": 32,
    },
    tuner="grid",
    seeds=3,
    early_stopping=None,
    claims=("more-epochs-hurt",),
)
