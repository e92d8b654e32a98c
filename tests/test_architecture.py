"""The package tree keeps its floors: the import-linter contracts of pyproject.toml hold, and no circles.

The layers themselves are declared once, in pyproject.toml; import-linter
(and grimp, the graph it is built on) reads every import, also the ones
inside functions that load TensorFlow lazily.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("search", "claims", "reports", "rundir")
# Every package and sub-package: grimp looks for circles among one package's children.
CONTAINERS = ("search", "search.data", "search.models", "search.training", "search.sweep", "claims", "reports", "rundir")


def test_the_import_linter_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    if not lint.exists():
        pytest.skip("import-linter is not installed (pip install -e '.[test]')")
    done = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "broken" in done.stdout and " 0 broken" in done.stdout


@pytest.mark.parametrize("package", CONTAINERS)
def test_no_import_circles_among_a_packages_modules(package):
    graph = grimp.build_graph(*PACKAGES)
    assert graph.nominate_cycle_breakers(package) == set()


def test_a_circle_would_be_found():
    """The check above can fail: the same call on a graph with one circle names an import to break."""
    graph = grimp.build_graph(*PACKAGES)
    graph.add_import(importer="search.data.sources", imported="search.sweep.engine")
    assert graph.nominate_cycle_breakers("search")
    graph.add_import(importer="search.sweep.seeds", imported="search.sweep.engine")
    assert graph.nominate_cycle_breakers("search.sweep")


def test_the_records_load_without_keras():
    """claims/ and the report stand on the run records; reading them must not load TensorFlow or the engine."""
    code = ("import sys; import rundir.records, rundir.lock, claims.verdicts, claims.measure; "
            "from search import load_results; "
            "print(sorted(m for m in ('keras', 'tensorflow', 'search.sweep.engine', 'search.sweep.tuner') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"
