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
                 "guides/python-api/index.html", "guides/report/index.html", "guides/reliability/index.html", "faq/index.html", "reference/run-directory/index.html", "guides/parallel/index.html", "guides/performance/index.html", "reference/cli/index.html",
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


def test_the_exit_statuses_of_the_reliability_guide_are_the_commands():
    """The guide's table has a row for every status `--help` lists, and no other."""
    from search.run import EPILOG

    listed = re.findall(r"^  (\d+) ", EPILOG.split("exit status:")[1], flags=re.M)
    guide = (ROOT / "docs" / "guides" / "reliability.md").read_text(encoding="utf-8")
    assert listed and re.findall(r"^\| (\d+) \|", guide, flags=re.M) == listed


def _parsers():
    """The project's commands, each with a function that parses its arguments (and exits on a bad one)."""
    import benchmarks.__main__ as benchmarks_main
    import reports.__main__ as reports_main
    from benchmarks import verdict_table
    from search import check, run

    def reports(args):
        return reports_main.compare_parser().parse_args(args[1:]) if args[:1] == ["compare"] else \
            reports_main.report_parser().parse_args(args)

    return {("python", "-m", "search.run"): run.parse_args, ("cnn-sweep",): run.parse_args,
            ("python", "-m", "search.check"): check.parse_args, ("python", "-m", "reports"): reports,
            ("python", "-m", "benchmarks"): benchmarks_main.parse_args,
            ("python", "-m", "benchmarks.verdict_table"): verdict_table.build_parser().parse_args}


def test_every_command_of_the_docs_and_readme_parses():
    """Every line of a bash block that runs one of the project's commands parses with today's flags."""
    import shlex

    parsers, checked, bad = _parsers(), 0, []
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        for block in re.findall(r"```bash\n(.*?)```", page.read_text(encoding="utf-8"), re.S):
            for line in block.replace("\\\n", " ").splitlines():
                # A synopsis ("[--seeds N|auto]") is read as one use: every option, the first choice, 1 for a
                # placeholder.
                words = [("1" if re.fullmatch(r"[A-Z]+", w) else w).split("|")[0]
                         for w in shlex.split(line.replace("[", " ").replace("]", " "), comments=True)]
                segments = [[]]
                for word in words:  # `a && b || c`: each command on its own
                    segments.append([]) if word in ("&&", "||", ";") else segments[-1].append(word)
                for words in segments:
                    words = ["python", *words[1:]] if words and re.search(r"(^|/)python3?$", words[0]) else words
                    command = next((c for c in parsers if tuple(words[:len(c)]) == c), None)
                    if command is None:
                        continue
                    try:
                        parsers[command](words[len(command):])
                        checked += 1
                    except SystemExit:
                        bad.append(f"{page.relative_to(ROOT)}: {line.strip()}")
    assert not bad, bad
    assert checked >= 10


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
