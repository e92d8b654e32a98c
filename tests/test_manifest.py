"""sweep.json, typed (`rundir.manifest`): one reader and one writer, and older run directories still load."""

from __future__ import annotations

import json

import pytest

from rundir.errors import SweepError
from rundir.manifest import MANIFEST, VERSION, Manifest, Round, SeedPlan, read_manifest, write_manifest
from rundir.records import RunDirectory

# A sweep.json as the engine wrote it before the manifest had a version (a real one, trimmed): a study of
# seeds in rounds, interrupted in its third round.
ARTICLE_001 = {'model': 'article', 'conv_blocks': 3, 'dropout': 0.5, 'pooling_1': 'max', 'pooling_2': 'max',
               'pooling_3': 'max', 'batch_size': 32, 'epochs': 10, 'learning_rate': 0.001, 'decay_steps': 50,
               'decay_rate': 1.0}
VERSION_1 = {'name': 'eyes_structure',
     'description': "article 004's depth, pooling-count and learning-rate claims on eye state at 24 px",
     'sweep_file': 'sweeps/eyes_structure.py',
     'status': 'interrupted',
     'started': '2026-12-07T00:03:30+00:00',
     'updated': '2026-12-07T05:39:04+00:00',
     'data': {'source': '../shared/datasets/eyes',
              'description': '../shared/datasets/eyes (validation split 0.2, seed 12)',
              'classes': ['closedLeftEyes', 'closedRightEyes'],
              'class_counts': {'closedLeftEyes': {'train': 951, 'val': 241},
                               'closedRightEyes': {'train': 956, 'val': 236}},
              'n_train': 3877,
              'n_val': 969,
              'image_size': 24,
              'resize': 'stretch',
              'input_shape': [24, 24, 3]},
     'model': {'name': 'BreastCancerCNN', 'article': '001', 'params': 7988},
     'space': ["  model            fixed   'article'", '  conv_blocks      tuned   [3, 4]'],
     'defaults': {**ARTICLE_001, 'epochs': 8, 'learning_rate': 0.0001},
     'article_defaults': ARTICLE_001,
     'tuned': ['conv_blocks', 'pooling_3', 'learning_rate'],
     'tuner': 'grid',
     'objective': 'val_accuracy',
     'objective_mode': 'max',
     'max_trials': None,
     'planned_trials': 8,
     'left_out': [],
     'seeds': {'min': 3, 'max': 10},
     'folds': None,
     'seed_looks': [3, 4, 5, 6, 8, 10],
     'rounds': [{'round': 1, 'first_seed': 0, 'seeds': 3, 'because': [], 'status': 'finished'},
                {'round': 2, 'first_seed': 3, 'seeds': 4, 'because': ['depth-overfit'], 'status': 'finished'},
                {'round': 3, 'first_seed': 4, 'seeds': 5, 'because': ['depth-overfit'], 'status': 'running'}],
     'seeds_reached': 4,
     'seed_stop': '',
     'epochs': 8,
     'early_stopping': None,
     'median_stopping': None,
     'precision': 'float32',
     'claims': ['depth-overfit', 'learning-rate'],
     'claim_min_pairs': 5,
     'backend': 'tensorflow',
     'device': 'CPU: x86_64, 2 cores',
     'threads': 2,
     'keras': '3.15.1',
     'keras_tuner': '1.4.8',
     'fingerprint': {'hypermodel': 'BreastCancerCNN',
                     'space': {'batch_size': 32,
                               'conv_blocks': [3, 4],
                               'pooling_3': ['max', 'none'],
                               'learning_rate': [0.0001, 0.01]},
                     'tuner': 'grid',
                     'objective': 'val_accuracy',
                     'image_size': 24,
                     'epochs': 8,
                     'data': "ImageFolder(path='../shared/datasets/eyes', validation_split=0.2, seed=12, "
                             "color_mode='rgb', label_mode='int')",
                     'early_stopping': 'None',
                     'median_stopping': 'None',
                     'precision': 'float32',
                     'seeds': {'min': 3, 'max': 10},
                     'resize': 'stretch',
                     'folds': None}}


def test_a_version_1_file_loads_and_writes_back_the_same_keys(tmp_path):
    (tmp_path / MANIFEST).write_text(json.dumps(VERSION_1))
    manifest = read_manifest(tmp_path)
    assert manifest.version == 1 and manifest.claims == ("depth-overfit", "learning-rate")
    assert manifest.seeds == SeedPlan(3, 10, (3, 4, 5, 6, 8, 10), in_rounds=True)
    assert manifest.rounds[-1] == Round(3, 4, 5, ("depth-overfit",)) and manifest.rounds_finished == 2
    assert manifest.seeds_reached == 4 and manifest.seeds_so_far == 5
    assert manifest.expected_runs() == 8 * 3 + 8 * 1 + 8 * 1
    assert manifest.data.chance_rate() == pytest.approx(241 / 477)
    write_manifest(tmp_path, manifest)
    assert json.loads((tmp_path / MANIFEST).read_text()) == {**VERSION_1, "version": VERSION}


def test_a_partial_file_reads_as_the_sweep_it_describes(tmp_path):
    """Keys a sweep did not write yet (or a test leaves out) take what such a sweep had."""
    RunDirectory(tmp_path).write_json(MANIFEST, {"name": "x", "seeds": 4})
    manifest = read_manifest(tmp_path)
    assert manifest.looks == (4,) and manifest.planned_rounds() == (Round(1, 0, 4),)
    assert manifest.claims is None and manifest.requests("pooling-texture")  # not recorded: every claim
    assert manifest.expected_runs() is None  # the tuner decides the trials
    assert Manifest.from_json({"seed_looks": [3, 5, 8]}).seeds == SeedPlan(3, 8, (3, 5, 8), in_rounds=True)
    assert Manifest().looks == () and Manifest(objective="val_loss").objective_mode == "min"


@pytest.mark.parametrize("key, value", [("seeds", {"min": "three"}), ("rounds", [{"round": 1}]),
                                        ("folds", {"images": 9}), ("data", {"class_counts": 3})])
def test_a_key_of_the_wrong_kind_is_one_line_naming_it(tmp_path, key, value):
    RunDirectory(tmp_path).write_json(MANIFEST, {**VERSION_1, key: value})
    with pytest.raises(SweepError) as error:
        read_manifest(tmp_path)
    assert f"{tmp_path / MANIFEST}: the key {key!r}" in str(error.value) and "\n" not in str(error.value)


def test_not_an_object_is_one_line(tmp_path):
    (tmp_path / MANIFEST).write_text("[1, 2]")
    with pytest.raises(SweepError, match="does not describe a sweep"):
        read_manifest(tmp_path)
