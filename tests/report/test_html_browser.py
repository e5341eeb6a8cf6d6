"""The HTML report opened in a real headless Chromium: the DOM it builds has the chart and the
host that is not ready, and the screenshot shows the chart's bars in their NUMA colours.

Chromium comes from Debian's `chromium` package (scripts/test-deps installs it); without it
these tests are skipped, saying so.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pngread import count_near, pixels

from sriovctl.report.chart import numa_colour
from sriovctl.report.fleet import fleet_view
from sriovctl.report.html import render_html
from sriovctl.report.inputs import load_inputs
from sriovctl.site.spec import load_site

EXAMPLE_SITE = Path(__file__).parents[2] / "examples/site/site.yaml"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium: run scripts/test-deps")


def chromium(profile: Path, *args: str) -> subprocess.CompletedProcess:
    argv = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", f"--user-data-dir={profile}", *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=180, check=False,
                          stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def page(fleet_dir, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("html") / "report.html"
    view = fleet_view(load_inputs(sorted(str(p) for p in fleet_dir.iterdir())),
                      load_site(str(EXAMPLE_SITE)))
    out.write_text(render_html(view))
    return out


def test_the_dom_has_the_chart_and_the_host_that_is_not_ready(page, tmp_path):
    done = chromium(tmp_path / "profile", "--dump-dom", page.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    assert '<svg id="capacity-chart"' in dom
    bars = dict(re.findall(r'<g class="bar" data-physnet="([^"]+)" data-vfs="(\d+)"', dom))
    assert bars == {"physnet1": "142", "physnet2": "64", "(no physnet)": "71"}
    not_ready = re.search(r'<ul id="not-ready-list">(.*?)</ul>\s*<h2>', dom, re.S).group(1)
    assert 'data-host="compute-1"' in not_ready
    assert "compute-0" not in not_ready
    assert "IOMMU" in not_ready  # the reason, not only the name


def test_the_screenshot_shows_the_bars(page, tmp_path):
    shot = tmp_path / "shot.png"
    done = chromium(tmp_path / "profile", f"--screenshot={shot}", "--window-size=1200,900",
                    "--hide-scrollbars", page.as_uri())
    assert shot.exists(), done.stderr[-2000:]
    width, height, counts = pixels(shot)
    assert (width, height) == (1200, 900)
    # NUMA 0: 128 VFs (physnet1), NUMA 1: 64 + 64 (physnet2, no physnet), none: 14 + 7;
    # the longest bar (142 VFs) is 520 px: a colour covers 520 * VFs / 142 px by 22 px
    for node, vfs in (("0", 128), ("1", 128), ("none", 21)):
        expected = 520 * vfs / 142 * 22
        assert count_near(counts, numa_colour(node)) > 0.6 * expected, node
