"""Your own model in a sweep: any Keras Tuner `HyperModel`, or a `build(hp)` function.

A Keras Tuner user's first try is the model they already have, written as in
Keras Tuner's README:

    def build_model(hp):
        model = keras.Sequential([...hp.Choice("units", [32, 64])...])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        return model

`Sweep(hypermodel=build_model)` (or a `keras_tuner.HyperModel` class or
instance) is wrapped here in `OwnHyperModel`, which the engine treats like an
article model: it builds the user's compiled model and fits it with the
engine's own fit, so batch size, epochs, seeds and the order of the training
images work exactly as for the article models (`search.data.pipeline`). The two
training knobs are declared by the wrapper (`batch_size`, default 32;
`epochs`, default 10), so a sweep's space can tune them; a HyperModel's own
`fit` is not called, because it could not keep those guarantees.
"""

from __future__ import annotations

import inspect
import traceback
from pathlib import Path
from typing import Any, Callable, ClassVar

import keras
import keras_tuner

from rundir.errors import SweepError
from search.models.articles import ArticleHyperModel

DEFAULT_BATCH_SIZE = 32
DEFAULT_EPOCHS = 10


def is_article_model(hypermodel: Any) -> bool:
    """Whether a sweep file's `hypermodel` is one of the article models (a class from search.models.articles)."""
    return isinstance(hypermodel, type) and issubclass(hypermodel, ArticleHyperModel)


def is_own(hypermodel: Any) -> bool:
    """Whether a HyperModel the engine built wraps the user's own model: the one way this is asked."""
    return isinstance(hypermodel, OwnHyperModel)


def check_own_model(hypermodel: Any) -> None:
    """One line if `hypermodel` is none of the kinds a sweep takes (checked when the Sweep is made)."""
    if is_article_model(hypermodel):
        return
    if isinstance(hypermodel, ArticleHyperModel):
        raise SweepError(f"hypermodel: pass the article model's class ({type(hypermodel).__name__}), not an instance; "
                         "the engine gives it the data's input shape and class count")
    if isinstance(hypermodel, type):
        if issubclass(hypermodel, keras_tuner.HyperModel):
            return
        raise SweepError(f"hypermodel must be a class from search.models.articles, a keras_tuner.HyperModel or a "
                         f"build(hp) function, not the class {hypermodel.__name__}")
    if isinstance(hypermodel, keras_tuner.HyperModel) or callable(hypermodel):
        return
    raise SweepError(f"hypermodel must be a class from search.models.articles, a keras_tuner.HyperModel or a "
                     f"build(hp) function, not {hypermodel!r}")


def model_name(hypermodel: Any) -> str:
    """What sweep.json, the fingerprint and the report call the model: the user's name for their own."""
    if is_own(hypermodel):
        return hypermodel.model_name
    if isinstance(hypermodel, type):
        return hypermodel.__name__
    if isinstance(hypermodel, keras_tuner.HyperModel):
        return type(hypermodel).__name__
    return getattr(hypermodel, "__qualname__", None) or type(hypermodel).__name__


def _builder(hypermodel: Any, args: dict[str, Any]) -> Callable[[keras_tuner.HyperParameters], Any]:
    if isinstance(hypermodel, type):
        try:
            instance = hypermodel(**args)
        except TypeError as exc:
            raise SweepError(f"cannot create {hypermodel.__name__}({', '.join(args)}): {exc}; give its arguments "
                             "in Sweep(hypermodel_args={...}) or pass an instance") from None
        return instance.build
    if isinstance(hypermodel, keras_tuner.HyperModel):
        return hypermodel.build
    return hypermodel


def _first_line(exc: BaseException) -> str:
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return lines[0].strip() if lines else "(no message)"


def _where(build: Callable, exc: BaseException) -> str:
    """' (my_sweep.py:12)': the deepest line of the build's own file the exception passed, or ''."""
    try:
        source = inspect.getsourcefile(inspect.unwrap(getattr(build, "__func__", build)))
    except TypeError:
        return ""
    lines = [f for f in traceback.extract_tb(exc.__traceback__) if source and f.filename == source]
    return f" ({Path(lines[-1].filename).name}:{lines[-1].lineno})" if lines else ""


def overrides_fit(hypermodel: Any) -> bool:
    cls = hypermodel if isinstance(hypermodel, type) else type(hypermodel)
    return isinstance(cls, type) and issubclass(cls, keras_tuner.HyperModel) and cls.fit is not keras_tuner.HyperModel.fit


class OwnHyperModel(ArticleHyperModel):
    """The user's model, with the engine's batch size, epochs, seeds and data order."""

    article: ClassVar[str] = "own"
    batch_size: ClassVar[int] = DEFAULT_BATCH_SIZE
    epochs: ClassVar[int] = DEFAULT_EPOCHS

    def __init__(self, hypermodel: Any, input_shape: tuple[int, int, int], num_classes: int,
                 label_mode: str = "int", hypermodel_args: dict[str, Any] | None = None):
        super().__init__(input_shape, num_classes, label_mode)
        self.user = hypermodel
        self.model_name = model_name(hypermodel)
        self._user_build = _builder(hypermodel, dict(hypermodel_args or {}))

    def training_settings(self, hp: keras_tuner.HyperParameters):
        """Only the two knobs the default fit reads; the optimizer is the user's. They are
        Fixed, so the build's own ranges can be searched (a sweep's `space` varies these two)."""
        return hp.Fixed("batch_size", self.batch_size), hp.Fixed("epochs", self.epochs)

    def build(self, hp: keras_tuner.HyperParameters) -> keras.Model:
        try:
            model = self._user_build(hp)
        except SweepError:
            raise
        except Exception as exc:  # the user's code: one line naming where, a failed run inside a sweep
            raise SweepError(f"{self.model_name}{_where(self._user_build, exc)} raised {type(exc).__name__}: "
                             f"{_first_line(exc)}") from exc
        if not isinstance(model, keras.Model):
            raise SweepError(f"{self.model_name}: build(hp) must return a keras.Model, not {type(model).__name__}")
        if getattr(model, "optimizer", None) is None or not getattr(model, "compiled", True):
            raise SweepError(f"{self.model_name}: build(hp) must return a compiled model "
                             "(call model.compile(optimizer=..., loss=..., metrics=['accuracy']) before returning it)")
        self._build_on_images(model)
        self.training_settings(hp)
        return model

    def _build_on_images(self, model: keras.Model) -> None:
        """A model written without `keras.Input` (Keras Tuner's getting-started `Sequential()`)
        has no weights until it sees data: build it on the sweep's image shape, as `fit` would."""
        if model.built and model.weights:
            return
        try:
            model.build((None, *self.input_shape))
        except Exception as exc:
            raise SweepError(f"{self.model_name}: the model has no keras.Input and could not be built on the "
                             f"sweep's images {self.input_shape}: {type(exc).__name__}: {_first_line(exc)}") from exc

    def batch_and_epochs(self, hp: keras_tuner.HyperParameters) -> tuple[int, int]:
        batch_size, epochs = self.training_settings(hp)
        return batch_size, hp.values.get("tuner/epochs", epochs)


def check_fits_data(model: keras.Model, name: str, input_shape: tuple[int, ...], num_classes: int) -> None:
    """One line before any training when the user's model does not take the sweep's images or classes."""
    expected = tuple(int(v) for v in input_shape)
    try:
        got = tuple(model.input_shape[1:])
    except (AttributeError, ValueError):  # a subclassed model not built yet: fit will tell
        return
    if got != expected and all(v is not None for v in got):
        raise SweepError(f"{name} takes inputs of shape {got}, but the sweep's images are {expected} "
                         f"(image_size and color_mode): change keras.Input(...) or the sweep's image_size")
    try:
        outputs = model.output_shape[-1]
    except (AttributeError, ValueError):
        return
    if outputs is not None and outputs != num_classes and not (num_classes == 2 and outputs == 1):
        raise SweepError(f"{name} ends in {outputs} outputs, but the data has {num_classes} classes")

