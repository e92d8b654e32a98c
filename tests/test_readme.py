"""The Python API guide's example runs as written (on a smaller budget), and the README's set-up
commands are what CI runs."""

from __future__ import annotations

import re

import keras

from conftest import ROOT

README = (ROOT / "README.md").read_text()


def section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", README, re.S | re.M)
    assert match, f"README has no section {title!r}"
    return match.group(1)


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, re.S)


def test_the_python_api_example_runs(tmp_path, monkeypatch, capsys):
    """The example as printed, with sweeps/own_model.py cut to 2 configurations x 1 seed x 1 epoch."""
    import sweeps.own_model

    small = sweeps.own_model.sweep.with_overrides(epochs=1, seeds=1, max_trials=2)
    monkeypatch.setattr(sweeps.own_model, "sweep", small)
    monkeypatch.chdir(tmp_path)
    example = python_blocks((ROOT / "docs" / "guides" / "python-api.md").read_text())[0]
    namespace: dict = {}
    exec(compile(example, "docs/guides/python-api.md", "exec"), namespace)
    result, runs = namespace["result"], namespace["runs"]
    assert result.run_dir.resolve() == (tmp_path / "runs" / "own_model").resolve()
    assert len(runs) == 2 and set(runs["status"]) == {"completed"}
    assert set(result.best_hyperparameters) >= {"filters", "units", "batch_size", "epochs"}
    assert isinstance(namespace["best"], keras.Model)
    assert (result.run_dir / "tensorboard").is_dir()
    assert "hp_units" in capsys.readouterr().out  # the groupby printed


def test_ci_runs_the_readme_test_command():
    commands = re.findall(r"^(?!#)(.*pytest -q.*)$", section("Quick start"), re.M)
    assert len(commands) == 1
    assert commands[0] in (ROOT / ".ci" / "run").read_text().splitlines()


def test_the_synopsis_lists_every_flag():
    from search.run import build_parser

    guide = (ROOT / "docs" / "guides" / "sweep-files.md").read_text()
    synopsis = re.search(r"```\npython -m search.run SWEEP_FILE(.*?)```", guide, re.S).group(1)
    flags = [o for action in build_parser()._actions for o in action.option_strings if o.startswith("--")]
    missing = [f for f in flags if f != "--help" and f not in synopsis]
    assert not missing, f"the sweep-files guide's synopsis lacks {missing}"


def test_the_readmes_sweep_file_is_a_sweep():
    """The README's 10-line sweep file, as printed: a Sweep with an article claim and one of your own."""
    namespace: dict = {}
    exec(compile(python_blocks(section("Sweep files"))[0], "README.md (Sweep files)", "exec"), namespace)
    sweep = namespace["sweep"]
    assert sweep.claim_ids == ("pooling-texture", "batch_size 16 vs 64") and sweep.seeds.max == 20
