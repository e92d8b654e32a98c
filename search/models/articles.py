"""The articles' models as Keras Tuner HyperModels.

As in Keras Tuner's `applications/`, a HyperModel gets the input shape and
class count in its constructor, and `build(hp)` declares each
hyperparameter where it is used, its default being the article's choice: a
HyperModel built with default hyperparameters *is* the article model, to the
parameter (each class cites its article's layer list; the tests check
`count_params()` against the articles' model summaries).

The small article CNNs all follow one pattern, conv layer(s) -> pooling ->
dropout, repeated, then Flatten -> Dense -> output; each class states its
layer list as a table of `ConvBlock`s that reads like the article. The
tunable knobs are the same for all of them:

- `pooling_<i>`  avg / max / none for the pooling after conv block i
- `conv_blocks`  how many conv blocks (the article's count by default; extra
                 blocks double the filters and have no pooling by default)
- `dropout`      the rate of every dropout layer
- `dense_units`  width of the hidden dense layer
- `batch_size`, `epochs`, `learning_rate`, `decay_steps`, `decay_rate`
                 training knobs, ExponentialDecay with staircase=True as in
                 the articles (decay_rate 1.0 means a constant rate)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import keras
import keras_tuner
from keras import layers

from rundir.errors import SweepError
from search.data.pipeline import fit_inputs

POOLING_CHOICES = ["avg", "max", "none"]
BATCH_SIZES = [8, 16, 32, 64, 128, 256]


@dataclass(frozen=True)
class ConvBlock:
    """Conv2D layer(s) with the same filter count, then pooling, then dropout."""

    filters: int
    pooling: str = "none"  # the article's pooling after this block: avg, max or none
    dropout: bool = False  # whether the article puts a dropout layer after it
    convs: int = 1


@dataclass(frozen=True)
class TrainingSettings:
    """The per-trial settings that `fit` and the optimizer read from `hp`."""

    batch_size: int
    epochs: int
    learning_rate: float
    decay_steps: int
    decay_rate: float


class ArticleHyperModel(keras_tuner.HyperModel):
    """Shared training knobs of every article model; subclasses build layers.

    Class attributes hold the article's training defaults so each subclass
    states its own set-up in a few lines.
    """

    article: ClassVar[str] = ""
    batch_size: ClassVar[int] = 32
    epochs: ClassVar[int] = 10
    learning_rate: ClassVar[float] = 1e-4
    decay_steps: ClassVar[int] = 50
    decay_rate: ClassVar[float] = 1.0
    from_logits: ClassVar[bool] = True

    def __init__(self, input_shape: tuple[int, int, int], num_classes: int, label_mode: str = "int", **kwargs):
        super().__init__(name=type(self).__name__, **kwargs)
        self.input_shape = tuple(input_shape)
        self.num_classes = int(num_classes)
        self.label_mode = label_mode

    # -- training knobs -------------------------------------------------

    def training_settings(self, hp: keras_tuner.HyperParameters) -> TrainingSettings:
        """Declare the training hyperparameters (also used by `--describe`)."""
        return TrainingSettings(
            batch_size=hp.Choice("batch_size", BATCH_SIZES, default=self.batch_size),
            epochs=hp.Int("epochs", 1, 1000, default=self.epochs),
            learning_rate=hp.Float("learning_rate", 1e-6, 1.0, sampling="log", default=self.learning_rate),
            decay_steps=hp.Int("decay_steps", 1, 100_000, default=self.decay_steps),
            decay_rate=hp.Float("decay_rate", 0.05, 1.0, default=self.decay_rate),
        )

    def compile(self, model: keras.Model, hp: keras_tuner.HyperParameters) -> keras.Model:
        s = self.training_settings(hp)
        rate = s.learning_rate
        if s.decay_rate < 1.0:
            # The articles' schedule: decays per optimizer *step*, staircase.
            rate = keras.optimizers.schedules.ExponentialDecay(
                s.learning_rate, decay_steps=s.decay_steps, decay_rate=s.decay_rate, staircase=True
            )
        if self.label_mode == "categorical":
            loss = keras.losses.CategoricalCrossentropy(from_logits=self.from_logits)
        else:
            loss = keras.losses.SparseCategoricalCrossentropy(from_logits=self.from_logits)
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=rate), loss=loss, metrics=["accuracy"])
        return model

    def batch_and_epochs(self, hp: keras_tuner.HyperParameters) -> tuple[int, int]:
        """The trial's batch size and epoch budget (Hyperband's `tuner/epochs` when it sets one)."""
        s = self.training_settings(hp)
        return s.batch_size, hp.values.get("tuner/epochs", s.epochs)

    def fit(self, hp, model, x, y, validation_data, seed: int = 0, **kwargs):
        """Batch size and epochs are per-trial hyperparameters, read here;
        `seed` fixes the order of the training images in each epoch.

        Under Hyperband the oracle decides the epoch budget (`tuner/epochs`).
        A Hyperband trial that continues an earlier one (`tuner/initial_epoch`)
        gets a fresh model here, not the earlier weights (no checkpoint carries
        over from one trial to another), so it trains all `tuner/epochs`
        epochs from epoch 0: starting at the initial epoch would train a new
        model for only the remainder.
        A run resumed from its checkpoint (search.training.checkpoints) passes
        `initial_epoch`: the weights are the checkpoint's, and the data order
        goes on from that epoch.
        """
        batch_size, epochs = self.batch_and_epochs(hp)
        x_val, y_val = validation_data
        inputs = fit_inputs(x, y, x_val, y_val, batch_size, seed, keras.backend.backend(),
                            skip_epochs=kwargs.get("initial_epoch", 0))
        return model.fit(inputs.x, inputs.y, epochs=epochs, **inputs.kwargs, **kwargs)


def pooling_layer(choice: str) -> layers.Layer | None:
    if choice == "max":
        return layers.MaxPooling2D(2)
    if choice == "avg":
        return layers.AveragePooling2D(2)
    return None


class ArticleCNN(ArticleHyperModel):
    """A small article CNN: Rescaling, conv blocks, Flatten, Dense, output."""

    blocks: ClassVar[tuple[ConvBlock, ...]] = ()
    padding: ClassVar[str] = "valid"
    dropout_rate: ClassVar[float] = 0.0
    dense_units: ClassVar[int] = 0  # 0: no hidden dense layer (article 001)
    extra_blocks: ClassVar[int] = 2  # how far `conv_blocks` may exceed the article

    def build(self, hp: keras_tuner.HyperParameters) -> keras.Model:
        # The articles' other choice of model (003 tried it): VGG16 from scratch.
        if hp.Choice("model", ["article", "vgg16"], default="article") == "vgg16":
            return VGG16(self.input_shape, self.num_classes, self.label_mode).build(hp)
        model = keras.Sequential(name=type(self).__name__)
        model.add(keras.Input(self.input_shape))
        # Pixels arrive as 0..255; 003/004 rescale in the model, 001/002 in
        # the pipeline. Both are this parameter-free layer.
        model.add(layers.Rescaling(1.0 / 255))
        depth = hp.Int("conv_blocks", 1, len(self.blocks) + self.extra_blocks, default=len(self.blocks))
        dropout = hp.Float("dropout", 0.0, 0.9, step=0.05, default=self.dropout_rate)
        size = self.input_shape[0]
        for i, block in enumerate(self._blocks(depth), start=1):
            pool = pooling_layer(hp.Choice(f"pooling_{i}", POOLING_CHOICES, default=block.pooling))
            # Track the feature map size to fail with a clear message, not
            # Keras' "computed output size would be zero or negative".
            size = self._next_size(size, block, pool is not None)
            if size < 1:
                raise SweepError(
                    f"image size {self.input_shape[0]} is too small for {type(self).__name__} "
                    f"with {depth} conv blocks and this pooling; use a larger --image-size"
                )
            for _ in range(block.convs):
                model.add(layers.Conv2D(block.filters, 3, padding=self.padding, activation="relu"))
            if pool is not None:
                model.add(pool)
            if block.dropout and dropout > 0:
                model.add(layers.Dropout(dropout))
        model.add(layers.Flatten())
        if self.dense_units:
            model.add(layers.Dense(hp.Int("dense_units", 8, 1024, default=self.dense_units), activation="relu"))
        # float32 output under a mixed policy too, so the loss sees exact probabilities.
        model.add(layers.Dense(self.num_classes, activation=None if self.from_logits else "softmax", dtype="float32"))
        return self.compile(model, hp)

    def _next_size(self, size: int, block: ConvBlock, pooled: bool) -> int:
        """The feature map's side after `block`: its convolutions (unpadded ones shave 2 pixels each), then
        its pooling (halves). The one rule `build` and `feature_size` share."""
        size -= 0 if self.padding == "same" else 2 * block.convs
        return size // 2 if pooled else size

    def feature_size(self, values: dict, image_size: int | None = None) -> int:
        """The side of the last feature map for these knob values (the article's where absent), or the
        first side below 1 when the image is too small for them: known before anything is built."""
        depth = int(values.get("conv_blocks", len(self.blocks)))
        size = image_size or self.input_shape[0]
        for i, block in enumerate(self._blocks(depth), start=1):
            size = self._next_size(size, block, values.get(f"pooling_{i}", block.pooling) != "none")
            if size < 1:
                return size
        return size

    def smallest_image(self, values: dict) -> int:
        """The smallest image side these knob values can be built at."""
        size = self.input_shape[0]
        while self.feature_size(values, size) < 1:
            size += 1
        return size

    def _blocks(self, depth: int) -> list[ConvBlock]:
        """The article's blocks, cut short or extended to `depth`."""
        blocks = list(self.blocks[:depth])
        while len(blocks) < depth:
            last = blocks[-1]
            blocks.append(ConvBlock(last.filters * 2, "none", last.dropout, last.convs))
        return blocks


class SneakersCNN(ArticleCNN):
    """Article 004, nike vs adidas: 22,175,138 parameters at 224x224.

    Conv16-AvgPool | Conv32-MaxPool-Dropout0.3 | Conv64-Dropout0.3 |
    Flatten-Dense128-Dense2; Adam + ExponentialDecay(1e-4, 50, 0.98), 60 epochs.
    """

    article = "004"
    blocks = (ConvBlock(16, "avg"), ConvBlock(32, "max", dropout=True), ConvBlock(64, dropout=True))
    dropout_rate = 0.3
    dense_units = 128
    epochs = 60
    decay_steps = 50
    decay_rate = 0.98


class HollywoodCNN(ArticleCNN):
    """Article 003, 17 Hollywood stars: 9,536,945 parameters at 224x224.

    Conv16-AvgPool | Conv32-AvgPool-Dropout0.5 | Conv64-AvgPool-Dropout0.5 |
    Conv128-Dropout0.5 | Flatten-Dense128-Dense17; ExponentialDecay(1e-4, 60, 0.96).
    """

    article = "003"
    blocks = (
        ConvBlock(16, "avg"),
        ConvBlock(32, "avg", dropout=True),
        ConvBlock(64, "avg", dropout=True),
        ConvBlock(128, dropout=True),
    )
    dropout_rate = 0.5
    dense_units = 128
    epochs = 100
    decay_steps = 60
    decay_rate = 0.96


class Cifar10CNN(ArticleCNN):
    """Article 002, CIFAR-10: 122,570 parameters at 32x32.

    Conv32-MaxPool | Conv64-MaxPool | Conv64 | Flatten-Dense64-Dense10;
    plain Adam (1e-3), 10 epochs, batch 32.
    """

    article = "002"
    blocks = (ConvBlock(32, "max"), ConvBlock(64, "max"), ConvBlock(64))
    dense_units = 64
    epochs = 10
    learning_rate = 1e-3


class BreastCancerCNN(ArticleCNN):
    """Article 001, breast cancer IDC patches (50x50), `padding="same"`.

    Conv16-Conv16-MaxPool-Dropout0.5 | Conv16-MaxPool | Conv16-MaxPool |
    Flatten-Dense(2, softmax); plain Adam.
    """

    article = "001"
    blocks = (ConvBlock(16, "max", dropout=True, convs=2), ConvBlock(16, "max"), ConvBlock(16, "max"))
    padding = "same"
    dropout_rate = 0.5
    from_logits = False
    epochs = 10
    learning_rate = 1e-3


class DigitsCNN(ArticleCNN):
    """The demo model: an article-style CNN sized for 16x16 digits.

    Conv16-MaxPool | Conv32-MaxPool-Dropout0.25 | Flatten-Dense64-Dense10, `same` padding.
    """

    article = "demo"
    blocks = (ConvBlock(16, "max"), ConvBlock(32, "max", dropout=True))
    padding = "same"
    dropout_rate = 0.25
    dense_units = 64
    epochs = 8
    learning_rate = 1e-3


class VGG16(ArticleHyperModel):
    """`keras.applications.VGG16`, as articles 000 (ImageNet, 1000-class top,
    138,357,544 parameters) and 003 (from scratch, 17 classes, 134,330,193).

    `weights="imagenet"` needs a download of the weights; offline it fails
    with a clear message. With ImageNet weights and a top of other than 1000
    classes, the pretrained convolutional base gets VGG16's own top layers.
    """

    article = "000/003"
    from_logits = False
    decay_steps = 20
    decay_rate = 0.96

    def __init__(self, input_shape, num_classes, label_mode="int", top_classes: int | None = None,
                 weights: str = "none", **kwargs):
        super().__init__(input_shape, num_classes, label_mode, **kwargs)
        self.top_classes = top_classes or num_classes
        self.default_weights = weights

    def build(self, hp: keras_tuner.HyperParameters) -> keras.Model:
        weights = hp.Choice("weights", ["none", "imagenet"], default=self.default_weights)
        inputs = keras.Input(self.input_shape)
        # keras' VGG16 expects caffe-style preprocessing of 0..255 pixels.
        x = layers.Lambda(keras.applications.vgg16.preprocess_input, name="vgg16_preprocess")(inputs)
        if weights == "none":
            base = keras.applications.VGG16(weights=None, input_tensor=x, classes=self.top_classes)
            return self.compile(keras.Model(inputs, _float32(base.output), name="VGG16"), hp)
        top = self.top_classes == 1000
        base = _imagenet_vgg16(x, include_top=top)
        y = base.output
        if not top:
            y = layers.Flatten(name="flatten")(y)
            y = layers.Dense(4096, activation="relu", name="fc1")(y)
            y = layers.Dense(4096, activation="relu", name="fc2")(y)
            y = layers.Dense(self.top_classes, activation="softmax", name="predictions")(y)
        return self.compile(keras.Model(inputs, _float32(y), name="VGG16"), hp)


def _float32(y):
    """Keras applications end in the global policy's dtype; under a mixed
    policy the loss should still see float32 probabilities."""
    if keras.mixed_precision.global_policy().compute_dtype == "float32":
        return y
    return layers.Activation("linear", dtype="float32", name="float32_output")(y)


def _imagenet_vgg16(x, include_top: bool) -> keras.Model:
    try:
        return keras.applications.VGG16(weights="imagenet", input_tensor=x, include_top=include_top)
    except ValueError as exc:
        raise SweepError(f"VGG16 with ImageNet weights: {exc}") from None
    except Exception as exc:  # the download raises URL, HTTP or OS errors
        raise SweepError(
            "VGG16 ImageNet weights need a download and it failed "
            f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else 'no detail'}); "
            "offline, put vgg16_weights_tf_dim_ordering_tf_kernels*.h5 in ~/.keras/models/ or use weights='none'"
        ) from None


HYPERMODELS: dict[str, type[ArticleHyperModel]] = {
    cls.__name__: cls
    for cls in (SneakersCNN, HollywoodCNN, Cifar10CNN, BreastCancerCNN, DigitsCNN, VGG16)
}
