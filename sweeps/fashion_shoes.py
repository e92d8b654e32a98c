"""The pooling claims on Fashion-MNIST's three shoe classes: the nearest offline relative of article 004's sneakers.

Sandals, sneakers and ankle boots at 28 px, 1,000 training images per
class and all 3,000 test images of those classes as validation (one image
is 0.03 points). The 001 CNN, all-average against all-max and
average-then-max pooling, 8 epochs, 3 seeds first and up to 10.
"""

from search import BreastCancerCNN, FashionMNIST, Seeds, Sweep
from search.data.fashion_mnist import SHOES

sweep = Sweep(
    name="fashion_shoes",
    description="does max pooling beat average pooling on shoes? Fashion-MNIST's sandals, sneakers and ankle boots",
    data=FashionMNIST(classes=SHOES, per_class=1000),
    hypermodel=BreastCancerCNN,
    image_size=28,
    space={"pooling_1": ["avg", "max"], "pooling_2": ["avg", "max"]},
    tuner="grid",
    epochs=8,
    seeds=Seeds(min=3, max=10),
    early_stopping=None,
    claims=("pooling-texture", "mixed-pooling"),
)
