"""Article 002's 10 against 100 epochs, at the article's own set-up, on Fashion-MNIST.

CIFAR-10 downloads at run time; Fashion-MNIST is the nearest real data
that installs offline (`apt-get install dataset-fashion-mnist`). The
article's CNN (122,570 parameters at 32 px), batch 32, plain Adam 1e-3,
100 epochs with no early stopping; the claim reads each run's validation
accuracy after epoch 10 and after epoch 100. 500 training and 500 test
images per class (5,000 + 5,000: one validation image is 0.02 points) keep
a 100-epoch run near 5 minutes on 2 CPU cores. 3 seeds first, up to 10
while undecided.
"""

from search import Cifar10CNN, FashionMNIST, Seeds, Sweep

sweep = Sweep(
    name="fashion_epochs",
    description="article 002: does training 100 epochs instead of 10 lower validation accuracy? Fashion-MNIST",
    data=FashionMNIST(per_class=500, val_per_class=500),
    hypermodel=Cifar10CNN,
    image_size=28,
    space={"epochs": 100, "batch_size": 32},
    tuner="grid",
    seeds=Seeds(min=3, max=10),
    early_stopping=None,
    claims=("more-epochs-hurt",),
)
