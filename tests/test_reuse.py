"""One compiled model per trial: later seeds train it in their own initial
state, value for value as their fresh model would, without tracing again."""

from __future__ import annotations

import keras
import keras_tuner
import numpy as np

from conftest import TINY, make_image_folder, write_sweep
from search.training import reuse
from search.models.articles import DigitsCNN
from search.data.pipeline import fit_inputs
from rundir.records import RunDirectory
from search.training.reuse import TrialModel, adopt_state
from search.run import main

RNG = np.random.RandomState(0)
X = RNG.randint(0, 255, (48, 12, 12, 3)).astype("uint8")
Y = RNG.randint(0, 10, 48)


def _build(seed: int, pooling: str = "max", decay_rate: float = 0.5) -> keras.Model:
    hp = keras_tuner.HyperParameters()
    hp.Fixed("pooling_1", pooling)
    hp.Fixed("decay_rate", decay_rate)  # a schedule: the optimizer's step count matters
    hp.Fixed("decay_steps", 2)
    keras.utils.set_random_seed(seed)
    return DigitsCNN((12, 12, 3), 10).build(hp)


def _fit(model: keras.Model, seed: int) -> dict:
    inputs = fit_inputs(X, Y, X[:8], Y[:8], batch_size=8, seed=seed, backend=keras.backend.backend())
    return model.fit(inputs.x, inputs.y, epochs=2, verbose=0, **inputs.kwargs).history


def test_a_kept_model_trains_exactly_as_the_fresh_one_and_traces_nothing():
    kept = TrialModel()
    first = kept.take(_build(0))
    _fit(first, 0)
    traced = first.train_function

    alone = _build(1)
    expected = _fit(alone, 1)

    model = kept.take(_build(1))
    assert model is first and kept.reused == 1
    got = _fit(model, 1)
    assert got == expected  # dropout seeds, initial weights, optimizer steps: all the fresh run's
    assert model.train_function is traced
    np.testing.assert_array_equal(model.predict(X, verbose=0), alone.predict(X, verbose=0))


def test_a_model_of_another_shape_is_not_adopted():
    kept = _build(0, pooling="max")
    _fit(kept, 0)
    before = [v.numpy().copy() for v in kept.variables]
    other = _build(1, pooling="none")  # no pooling: a bigger dense layer
    other.optimizer.build(other.trainable_variables)
    assert adopt_state(kept, other) is False
    assert all((a == v.numpy()).all() for a, v in zip(before, kept.variables))

    holder = TrialModel()
    holder.take(kept)
    assert holder.take(other) is other and holder.reused == 0  # the new model is kept from now on
    assert holder.model is other


def test_a_model_that_never_trained_is_not_reused():
    holder = TrialModel()
    untrained = holder.take(_build(0))
    assert not untrained.optimizer.built
    fresh = _build(1)
    assert holder.take(fresh) is fresh and holder.reused == 0


def test_a_sweep_with_reuse_records_what_fresh_models_record(tmp_path, monkeypatch):
    data = make_image_folder(tmp_path / "data", classes=("left", "right"), per_class=8, size=12)
    sweep = write_sweep(tmp_path / "seeds.py", TINY.format(data=str(data), seeds=3))
    reused = []
    take = TrialModel.take

    def counting_take(self, fresh):
        model = take(self, fresh)
        reused.append(model is not fresh)
        return model

    monkeypatch.setattr(reuse.TrialModel, "take", counting_take)
    # Seeds one after another (not fused: search.training.fused trains them as one program instead).
    assert main([str(sweep), "--out", str(tmp_path / "kept"), "--no-report", "--quiet", "--fuse-seeds", "off"]) == 0
    assert reused == [False, True, True] * 2  # seeds 1 and 2 of each trial trained the kept model

    monkeypatch.setattr(reuse.TrialModel, "take", lambda self, fresh: fresh)
    assert main([str(sweep), "--out", str(tmp_path / "fresh"), "--no-report", "--quiet", "--fuse-seeds", "off"]) == 0

    kept = {(r.trial_id, r.seed): r for r in RunDirectory(tmp_path / "kept").read_runs()}
    fresh = {(r.trial_id, r.seed): r for r in RunDirectory(tmp_path / "fresh").read_runs()}
    assert kept.keys() == fresh.keys() and len(kept) == 6
    for key, run in kept.items():
        assert run.status == "completed"
        assert len(run.history) == len(fresh[key].history) == 2
        for got, want in zip(run.history, fresh[key].history):
            for column in ("loss", "accuracy", "val_loss", "val_accuracy", "learning_rate"):
                assert got[column] == want[column], (key, column)
