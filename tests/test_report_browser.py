"""The report in a real browser: it loads offline, its script runs without errors, it draws.

Needs Chromium (CI's .ci/run installs it with apt-get); skipped with a clear
reason where it is not installed. The screenshot is kept in pytest's tmp
folder (and copied to $REPORT_SCREENSHOT_DIR when set) for a human to look at.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from reports.html import write_report
from rundir.synthetic import write_synthetic_run

CHROMIUM = next((shutil.which(name) for name in ("chromium", "chromium-browser") if shutil.which(name)), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install -y chromium)")

HOSTILE = "<script>alert(1)</script>"


def chromium(tmp_path: Path, *args: str, timeout: int = 60) -> subprocess.CompletedProcess:
    """Headless Chromium with everything that could reach the network switched off."""
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--disable-dev-shm-usage", f"--user-data-dir={profile}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("browser") / "sweep"
    write_synthetic_run(root, n_trials=16, seeds=2, failed=[5], error_text=f"{HOSTILE} a&b \"q\"",
                        classes=[HOSTILE, 'a&b "q"', "cat", "dog"], with_images=True, n_val=48,
                        status="running", planned_trials=20)
    with (root / "claims.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["claim", "verdict", "effect", "ci_low", "ci_high", "n_pairs", "metric", "note"])
        writer.writerow(["pooling-texture", "supported", "0.02", "0.01", "0.03", "16", "val_accuracy", HOSTILE])
    return write_report(root)


def test_page_loads_script_runs_and_nothing_executes_from_data(report, tmp_path):
    result = chromium(tmp_path, "--dump-dom", "--virtual-time-budget=3000", report.as_uri())
    dom = result.stdout
    assert "<body" in dom, result.stderr[-2000:]
    assert 'data-ready="1"' in dom, "the report's inline script did not run to the end"
    assert "<script>alert" not in dom
    assert dom.count("<script>") == 1


def test_no_console_errors(report, tmp_path):
    result = chromium(tmp_path, "--enable-logging=stderr", "--v=0", "--dump-dom", "--virtual-time-budget=3000",
                      report.as_uri())
    console = [line for line in result.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert not console, "\n".join(console)
    assert not re.search(r"Failed to load resource|net::ERR_", result.stderr), result.stderr[-2000:]


def test_screenshot_renders(report, tmp_path):
    shot = tmp_path / "report.png"
    result = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,2000", "--hide-scrollbars",
                      report.as_uri())
    assert shot.exists(), result.stderr[-2000:]
    with Image.open(shot) as image:
        assert image.size == (1280, 2000)
        colours = image.convert("RGB").resize((64, 100)).getcolors(64 * 100)
    assert colours is not None and len(colours) > 20, "the screenshot looks blank"
    if os.environ.get("REPORT_SCREENSHOT_DIR"):
        target = Path(os.environ["REPORT_SCREENSHOT_DIR"])
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, target / "report.png")


@pytest.mark.parametrize("width", [800, 1400])
def test_the_scorecard_renders_offline_at_800_and_1400_px(tmp_path, width):
    from reports.scorecard import write_scorecard
    from test_scorecard import write_pooling_study

    studies = [write_pooling_study(tmp_path / "eyes", +0.06), write_pooling_study(tmp_path / "hollywood", -0.03)]
    page = write_scorecard(studies, tmp_path / "card" / "scorecard.html")
    shot = tmp_path / f"card_{width}.png"
    result = chromium(tmp_path, f"--screenshot={shot}", f"--window-size={width},1600", "--hide-scrollbars",
                      page.as_uri())
    assert shot.exists(), result.stderr[-2000:]
    assert not re.search(r"Failed to load resource|net::ERR_", result.stderr), result.stderr[-2000:]
    with Image.open(shot) as image:
        colours = image.convert("RGB").resize((64, 100)).getcolors(64 * 100)
    assert colours is not None and len(colours) > 20, "the screenshot looks blank"
    if os.environ.get("REPORT_SCREENSHOT_DIR"):
        target = Path(os.environ["REPORT_SCREENSHOT_DIR"])
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, target / shot.name)
