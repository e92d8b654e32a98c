"""Every private Keras Tuner name the project uses still exists in the installed Keras Tuner,
and no module outside the seam reaches for one."""

from __future__ import annotations

import re

import contextlib

import keras_tuner
import pytest

from conftest import ROOT
from search.sweep import keras_tuner_private as kt_private
@pytest.mark.parametrize("private", kt_private.PRIVATE_NAMES, ids=lambda p: f"{p.owner}.{p.name}")
def test_each_private_name_still_exists(private):
    owner = private.where()
    assert hasattr(owner, private.name), (
        f"Keras Tuner {keras_tuner.__version__} has no {private.owner}.{private.name} ({private.why}); "
        "update search/sweep/keras_tuner_private.py"
    )
    assert private.why


def test_the_installed_version_is_the_pinned_one():
    major, minor, patch = (int(re.match(r"\d+", part).group()) for part in keras_tuner.__version__.split(".")[:3])
    assert (1, 4, 7) <= (major, minor, patch) < (1, 5, 0)
    assert '"keras-tuner>=1.4.7,<1.5"' in (ROOT / "pyproject.toml").read_text()


def test_no_module_outside_the_seam_imports_keras_tuner_src():
    """Private attributes are listed in the seam; `keras_tuner.src` imports and
    the old ways around the public API (sys.modules, the error's wording) are gone."""
    offenders = []
    for path in sorted([*ROOT.glob("search/*.py"), *ROOT.glob("claims/*.py"), *ROOT.glob("reports/*.py")]):
        if path.name == "keras_tuner_private.py":
            continue
        text = path.read_text()
        for pattern in (r"keras_tuner\.src", r"sys\.modules\.get\(\"keras_tuner", r"[\"']consecutive[\"']",
                        r"\._retry_queue", r"\._ordered_ids", r"\._populate_next", r"\._compare\(", r"\._project_dir",
                        r"\._get_(oracle|tuner)_fname", r"\._is_worker", r"\._retrieve\b"):
            if re.search(pattern, text):
                offenders.append(f"{path.relative_to(ROOT)}: {pattern}")
    assert not offenders, offenders


def test_the_grid_resume_cites_the_upstream_issue():
    assert "keras-team/keras-tuner#1055" in (ROOT / "search" / "sweep" / "oracles.py").read_text()


def test_a_failed_write_inside_a_sweep_is_keras_tuners_public_fatal_error(tmp_path):
    import search.sweep.oracles  # noqa: F401  (registers Keras Tuner's FatalError)
    from rundir.files import RecordWriteError, atomic_write_text

    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(keras_tuner.errors.FatalError) as caught:
        atomic_write_text(blocker / "x.json", "{}")  # a file where a folder should be
    assert isinstance(caught.value, RecordWriteError)


def test_the_failure_limit_is_read_from_the_oracle_state(tmp_path):
    from keras_tuner.engine.trial import TrialStatus

    from search.sweep.engine import longest_failure_streak
    hp = keras_tuner.HyperParameters()
    hp.Int("x", 0, 9)
    oracle = keras_tuner.oracles.GridSearchOracle(objective="val_accuracy", hyperparameters=hp,
                                                  max_consecutive_failed_trials=2)
    oracle.verbose = 0
    kt_private.set_project_dir(oracle, tmp_path, "t")
    statuses = [TrialStatus.FAILED, TrialStatus.COMPLETED, TrialStatus.FAILED, TrialStatus.FAILED]
    for i, status in enumerate(statuses):
        trial = oracle.create_trial("tuner0")
        trial.status = status
        if status == TrialStatus.COMPLETED:
            oracle.update_trial(trial.trial_id, {"val_accuracy": 0.5})
        # Keras Tuner raises a bare RuntimeError when the second failure in a row ends.
        with pytest.raises(RuntimeError) if i == len(statuses) - 1 else contextlib.nullcontext():
            oracle.end_trial(trial)
    assert longest_failure_streak(oracle) == 2
