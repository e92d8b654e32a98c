"""Article 002's 10 against 100 epochs on the eye-state data at 24 px.

The article's set-up (its CNN, batch 32, plain Adam 1e-3, 100 epochs, no
early stopping) on a second real data set; the claim reads each run's
validation accuracy after epoch 10 and after epoch 100. 3 seeds first, up
to 10 while undecided.
"""

from search import Cifar10CNN, ImageFolder, Seeds, Sweep

sweep = Sweep(
    name="eyes_epochs",
    description="article 002: does training 100 epochs instead of 10 lower validation accuracy? Eye state",
    data=ImageFolder("data/eyes", validation_split=0.2, seed=12),
    hypermodel=Cifar10CNN,
    image_size=24,
    space={"epochs": 100, "batch_size": 32},
    tuner="grid",
    seeds=Seeds(min=3, max=10),
    early_stopping=None,
    claims=("more-epochs-hurt",),
)
