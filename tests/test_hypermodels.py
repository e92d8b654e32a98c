"""The article models, rebuilt exactly from their HyperModels' defaults."""

from __future__ import annotations

import keras
import keras_tuner
import pytest

from rundir.errors import SweepError
from search.models.articles import (
    VGG16,
    BreastCancerCNN,
    Cifar10CNN,
    DigitsCNN,
    HollywoodCNN,
    SneakersCNN,
)


def build(cls, shape, classes, hp=None, **kwargs):
    return cls(shape, classes, **kwargs).build(hp or keras_tuner.HyperParameters())


@pytest.mark.parametrize(
    "cls, shape, classes, params",
    [
        (SneakersCNN, (224, 224, 3), 2, 22_175_138),
        (HollywoodCNN, (224, 224, 3), 17, 9_536_945),
        (Cifar10CNN, (32, 32, 3), 10, 122_570),
        # Article 001 at its 50x50 IDC patches: 3 x (conv 3x3x16) after the
        # first, 'same' padding, 6x6x16 flattened into Dense(2).
        (BreastCancerCNN, (50, 50, 3), 2, 448 + 2320 * 3 + 6 * 6 * 16 * 2 + 2),
    ],
)
def test_article_cnn_parameter_counts(cls, shape, classes, params):
    assert build(cls, shape, classes).count_params() == params


def test_vgg16_from_scratch_17_classes_as_article_003():
    model = build(VGG16, (224, 224, 3), 17)
    assert model.count_params() == 134_330_193
    keras.backend.clear_session()


def test_vgg16_1000_class_top_as_article_000():
    # Article 000 uses VGG16() with ImageNet weights; the architecture (and so
    # the count) is the same without them, which needs no download.
    model = build(VGG16, (224, 224, 3), 4, top_classes=1000)
    assert model.count_params() == 138_357_544
    keras.backend.clear_session()


def test_vgg16_imagenet_weights_offline_fail_with_clear_message(offline):
    hp = keras_tuner.HyperParameters()
    hp.Fixed("weights", "imagenet")
    with pytest.raises(SweepError, match=r"VGG16 ImageNet weights need a download and it failed .*offline"):
        VGG16((224, 224, 3), 4, top_classes=1000).build(hp)


def test_defaults_are_the_article_choices():
    hp = keras_tuner.HyperParameters()
    SneakersCNN((224, 224, 3), 2).build(hp)
    assert hp.values["pooling_1"] == "avg" and hp.values["pooling_2"] == "max"
    assert hp.values["dropout"] == pytest.approx(0.3)
    assert hp.values["batch_size"] == 32 and hp.values["epochs"] == 60
    assert hp.values["learning_rate"] == pytest.approx(1e-4)
    assert (hp.values["decay_steps"], hp.values["decay_rate"]) == (50, pytest.approx(0.98))


def pooling_layers(model):
    return [type(l).__name__ for l in model.layers if "Pooling" in type(l).__name__]


def test_pooling_choice_per_layer():
    hp = keras_tuner.HyperParameters()
    hp.Fixed("pooling_1", "max")
    hp.Fixed("pooling_2", "avg")
    model = build(SneakersCNN, (64, 64, 3), 2, hp)
    assert pooling_layers(model) == ["MaxPooling2D", "AveragePooling2D"]


def test_conv_blocks_adds_layers_and_more_pooling_shrinks_the_dense_layer():
    hp = keras_tuner.HyperParameters()
    hp.Fixed("conv_blocks", 4)
    hp.Fixed("pooling_4", "max")
    model = build(SneakersCNN, (64, 64, 3), 2, hp)
    convs = [l for l in model.layers if isinstance(l, keras.layers.Conv2D)]
    assert [c.filters for c in convs] == [16, 32, 64, 128]
    assert pooling_layers(model) == ["AveragePooling2D", "MaxPooling2D", "MaxPooling2D"]


def test_learning_rate_schedule_is_staircase_exponential_decay():
    model = build(SneakersCNN, (32, 32, 3), 2)
    schedule = model.optimizer.get_config()["learning_rate"]
    assert schedule["class_name"] == "ExponentialDecay"
    assert schedule["config"]["staircase"] is True
    assert schedule["config"]["decay_steps"] == 50
    assert schedule["config"]["decay_rate"] == pytest.approx(0.98)


def test_image_too_small_for_pooling_is_a_clear_error():
    with pytest.raises(SweepError, match="image size 8 is too small for HollywoodCNN"):
        build(HollywoodCNN, (8, 8, 3), 17)


def test_digits_demo_model_is_small():
    assert build(DigitsCNN, (16, 16, 1), 10).count_params() < 100_000
