"""Your own model: a `build(hp)` function written as in Keras Tuner's README, swept here.

Nothing in it is specific to this project: the function declares its
hyperparameters with `hp`, and returns a compiled model. The build's ranges
are the search space, as in Keras Tuner; the sweep's `space` narrows or
fixes them. The engine trains every configuration with seeds
0..seeds-1, with its own fit (batch size and epochs are the `batch_size` and
`epochs` knobs), and writes the same records and report as for the article
models. Runs in under a minute on 2 CPU cores, on scikit-learn's bundled digits.

    python -m search.run sweeps/own_model.py
"""

import keras

from search import Digits, EarlyStopping, Sweep


def build_model(hp):
    model = keras.Sequential([
        keras.Input(shape=(16, 16, 1)),  # the sweep's images: image_size x image_size, 1 channel for the digits
        keras.layers.Rescaling(1 / 255),  # pixels arrive as 0..255
        keras.layers.Conv2D(hp.Choice("filters", [8, 16, 32]), 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dense(hp.Int("units", min_value=32, max_value=128, step=32), activation="relu"),
        keras.layers.Dropout(hp.Float("dropout", 0.0, 0.5, step=0.25, default=0.25)),
        keras.layers.Dense(10),
    ])
    model.compile(
        optimizer=keras.optimizers.Adam(hp.Choice("learning_rate", [1e-2, 1e-3, 1e-4], default=1e-3)),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),  # integer labels (label_mode="int")
        metrics=["accuracy"],
    )
    return model


sweep = Sweep(
    name="own_model",
    description="your own build(hp) function on scikit-learn's digits: filters and units",
    data=Digits(validation_split=0.2, seed=123),
    hypermodel=build_model,  # or a keras_tuner.HyperModel subclass or instance
    image_size=16,
    space={
        # Every hp build_model declares is searched over its own range unless named here, as Keras
        # Tuner searches it; here two vary, and two are fixed to keep the grid at 4 configurations.
        "filters": [8, 16],
        "units": [32, 64],
        "dropout": 0.25,
        "learning_rate": 1e-3,
        "batch_size": 32,  # the engine's fit reads these two knobs (defaults 32 and 10)
    },
    tuner="grid",
    epochs=4,
    seeds=2,
    early_stopping=EarlyStopping("val_accuracy", min_delta=0.001, patience=3),
)
