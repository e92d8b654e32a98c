"""Article 000: eye state with `keras.applications.VGG16()` as is.

ImageNet weights and the 1000-class top (138,357,544 parameters), Adam with
ExponentialDecay(1e-4, 20, 0.96), 10 epochs, 224 px. The weights are a
download; offline this sweep stops with a clear message. Slow on a CPU.
"""

from search import VGG16, ImageFolder, Sweep

sweep = Sweep(
    name="eyes_vgg16",
    description="article 000: VGG16 with ImageNet weights on eye state",
    data=ImageFolder("data/eyes", validation_split=0.2, seed=12),
    hypermodel=VGG16,
    hypermodel_args={"top_classes": 1000, "weights": "imagenet"},
    image_size=224,
    space={"batch_size": [16, 32]},
    tuner="grid",
    epochs=10,
    seeds=1,
    early_stopping=None,
)
