"""Article 002: CIFAR-10, the 122,570-parameter CNN, 10 vs 100 epochs.

The article reports 0.7183 test accuracy after 10 epochs and a lower one
after 100. Seeds come in rounds: 3 first, then 5, 8 and at most 10 while
more-epochs-hurt is undecided (3 fixed seeds could rarely decide it, and
each 100-epoch run is long, so seeds are added only when needed).
`keras.datasets.cifar10` downloads the data once; offline, pass --data PATH
to an extracted cifar-10-batches-py folder.
"""

from search import Cifar10, Cifar10CNN, Seeds, Sweep

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
    seeds=Seeds(min=3, max=10),
    early_stopping=None,
    claims=("more-epochs-hurt",),
)
