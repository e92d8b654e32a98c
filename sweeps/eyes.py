"""Eye state (closed/open x left/right, 4 classes) with the article 001 CNN at 24 px.

The eyes set (CEW, 24x24 grayscale photos loaded as RGB) is small enough
to compare pooling types with many seeds on a CPU. Article 000 fine-tunes
VGG16 on the same task: see sweeps/eyes_vgg16.py for that set-up.
"""

from search import BreastCancerCNN, EarlyStopping, ImageFolder, Sweep

sweep = Sweep(
    name="eyes",
    description="eye state, 4 classes: max vs average pooling in each of the three pooling layers",
    data=ImageFolder("data/eyes", validation_split=0.2, seed=12),
    hypermodel=BreastCancerCNN,
    image_size=24,
    space={
        "pooling_1": ["avg", "max"],
        "pooling_2": ["avg", "max"],
        "pooling_3": ["avg", "max"],
    },
    tuner="grid",
    epochs=20,
    seeds=3,
    early_stopping=EarlyStopping(monitor="val_accuracy", min_delta=0.001, patience=5),
)
