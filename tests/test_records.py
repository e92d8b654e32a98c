"""Run-directory details that matter when a sweep is shared or resumed."""

from __future__ import annotations

import stat

import keras_tuner

from rundir.files import atomic_write_text
from rundir.records import RunDirectory, RunRecord
from search.sweep.tuner import _same_config


def test_records_are_readable_by_others(tmp_path):
    """mkstemp makes private files; a run directory shared by machines must not be."""
    path = tmp_path / "x.json"
    atomic_write_text(path, "{}")
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_leftover_temporary_files_are_removed_but_records_kept(tmp_path):
    runs = RunDirectory(tmp_path)
    runs.prepare()
    runs.write_run(RunRecord("0000", 0, "completed", {"pooling_1": "max"}))
    left = [tmp_path / "trials" / "0000" / ".seed_1.json.abc.tmp", tmp_path / ".trials.csv.x.tmp"]
    for path in left:
        path.write_text("half")
    assert runs.remove_temp_files() == 2
    assert not any(p.exists() for p in left)
    assert [(r.trial_id, r.seed) for r in runs.read_runs()] == [("0000", 0)]


def test_a_record_is_reused_only_for_the_same_configuration():
    hp = keras_tuner.HyperParameters()
    hp.Fixed("pooling_1", "max")
    hp.Fixed("learning_rate", 0.001)
    same = RunRecord("0003", 0, "completed", {"pooling_1": "max", "learning_rate": 0.001, "conv_blocks": 4})
    other = RunRecord("0003", 0, "completed", {"pooling_1": "avg", "learning_rate": 0.001})
    assert _same_config(same, hp)  # names only the record has (declared at build) do not matter
    assert not _same_config(other, hp)
