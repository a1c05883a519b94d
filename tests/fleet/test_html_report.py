"""`fleet merge --format html` rendered by a real headless Chromium: the DOM it builds has the
node x rule grid, and the screenshot shows the failing cells in the fail colour where they are."""

from __future__ import annotations

import itertools
import json
import subprocess
from pathlib import Path
from typing import Any

from fleetdata import fleet_of, write
from helpers import Runner, require_tool

FAIL_RGB = (0xD7, 0x3A, 0x49)
PASS_RGB = (0x2E, 0xA4, 0x4F)


def chromium(*args: str) -> subprocess.CompletedProcess[str]:
    binary = require_tool("chromium")
    return subprocess.run(
        [binary, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_page_renders_the_grid(cli: Runner, tmp_path: Path, reports: Any) -> None:
    folder = write(tmp_path / "r", fleet_of(reports, 12, {"node03", "node11"}))
    page = tmp_path / "fleet.html"
    ran = cli(
        "fleet",
        "merge",
        str(folder),
        "--expect",
        "node[01-13]",
        "--format",
        "html",
        "-o",
        str(page),
    )
    assert ran.code == 2, ran.err  # node13 never reported

    dom = chromium("--dump-dom", page.as_uri()).stdout
    assert dom.count("<tr data-node=") == 13  # 12 reports and the missing node
    assert 'data-node="node13"' in dom and "s-missing" in dom
    assert dom.count('class="s-fail"') == 2
    assert "--exclude=node[03,11,13]" in dom

    shot = tmp_path / "shot.png"
    chromium(f"--screenshot={shot}", "--window-size=900,900", page.as_uri())
    from PIL import Image

    image = Image.open(shot).convert("RGB")
    colours = {image.getpixel((x, y)) for x in range(0, 400, 2) for y in range(0, 900, 2)}
    assert FAIL_RGB in colours and PASS_RGB in colours
    # the fail colour is on two rows of the grid only: node03's and node11's
    rows_with_fail = {
        y for x in range(0, 400, 2) for y in range(0, 900) if image.getpixel((x, y)) == FAIL_RGB
    }
    bands = sorted(rows_with_fail)
    separate = 1 + sum(1 for a, b in itertools.pairwise(bands) if b - a > 3)
    assert separate >= 2, bands[:5]
    json.dumps(colours, default=str)  # the figures are plain data
