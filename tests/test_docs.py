"""The documentation site: its generated pages match the code, it builds with --strict, and its links lead somewhere."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT


def _generate():
    spec = importlib.util.spec_from_file_location("docs_generate", ROOT / "docs" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_generated_pages_are_what_the_code_says_now():
    generate = _generate()
    assert generate.stale() == [], "run: python docs/generate.py"
    cli = (ROOT / "docs" / "reference" / "cli.md").read_text()
    assert "| `--claim CLAIM` |" in cli and "| `--folds K` |" in cli
    catalogue = (ROOT / "docs" / "reference" / "claims.md").read_text()
    assert catalogue.count("\n## ") == 11 and "## pooling-texture" in catalogue


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    return out


def test_the_site_builds_with_strict_and_has_every_page(site):
    for page in ("index.html", "getting-started/index.html", "guides/own-claims/index.html", "method/index.html", "results/index.html", "articles/index.html", "architecture/index.html", "contributing/index.html",
                 "guides/data-check/index.html", "guides/own-model/index.html", "guides/sweep-files/index.html",
                 "guides/python-api/index.html", "guides/report/index.html", "reference/run-directory/index.html", "guides/parallel/index.html", "guides/performance/index.html", "reference/cli/index.html",
                 "reference/python/index.html", "reference/claims/index.html"):
        assert (site / page).is_file(), page
    api = (site / "reference" / "python" / "index.html").read_text()
    assert "claims.stated.Compare" in api and "load_claims" in api  # drawn from the docstrings by mkdocstrings


def test_every_internal_link_of_the_site_leads_to_a_page(site):
    broken = []
    for page in site.rglob("*.html"):
        for href in re.findall(r'href="([^"#?]+)', page.read_text(encoding="utf-8")):
            if re.match(r"^[a-z]+:", href) or href.startswith("//"):
                continue  # another site
            target = (site / href.lstrip("/") if href.startswith("/") else page.parent / href).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(site)} -> {href}")
    assert not broken, broken


def test_every_relative_link_of_the_readme_leads_to_a_file():
    readme = (ROOT / "README.md").read_text()
    links = re.findall(r"\]\(((?!https?:|#)[^)#]+)", readme)
    assert links and all((ROOT / link).exists() for link in links), [l for l in links if not (ROOT / l).exists()]


def test_the_guides_sweep_files_run_as_written():
    """Every guide's Python block that assigns `sweep` builds a Sweep (no data is loaded, nothing trains)."""
    from search.sweep.spec import Sweep

    checked = 0
    for page in sorted((ROOT / "docs").rglob("*.md")):
        for block in re.findall(r"```python\n(.*?)```", page.read_text(), re.S):
            if "sweep = Sweep(" not in block or "..." in block:
                continue
            namespace: dict = {}
            exec(compile(block, str(page.relative_to(ROOT)), "exec"), namespace)
            assert isinstance(namespace["sweep"], Sweep), page
            checked += 1
    assert checked >= 2
