"""The pooling claims on Fashion-MNIST's shoes, at the size issue 44 found a verdict flip at.

Sandals, sneakers and ankle boots at 28 px (1,000 training and 500
validation images per class, drawn by the source's seed), article 002's
CNN (two pooling layers: all-max, all-average and the two mixes), 8
epochs, 3 seeds first and up to 8. `python -m benchmarks stability` runs
it on several draws of the images and counts how often each claim's
answer agrees across them.
"""

from search import Cifar10CNN, FashionMNIST, Seeds, Sweep
from search.data.fashion_mnist import SHOES

sweep = Sweep(
    name="shoes_pooling",
    description="max against average pooling on Fashion-MNIST's shoes, Cifar10CNN at 28 px",
    data=FashionMNIST(classes=SHOES, per_class=1000, val_per_class=500),
    hypermodel=Cifar10CNN,
    image_size=28,
    space={"pooling_1": ["avg", "max"], "pooling_2": ["avg", "max"]},
    tuner="grid",
    epochs=8,
    seeds=Seeds(min=3, max=8),
    early_stopping=None,
    claims=("pooling-texture", "mixed-pooling"),
)
