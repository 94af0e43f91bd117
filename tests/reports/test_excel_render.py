"""The Excel file opens in a real spreadsheet: LibreOffice (headless) converts it to PDF,
``pdftoppm`` renders the pages, and the chart pages carry the series' colours in bulk (a
chart LibreOffice could not read would leave them white).  Skipped only outside CI when
``soffice`` is missing (``scripts/test`` installs libreoffice-calc and poppler-utils)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from kefu.reports import excel
from reportkit import AGENTS, INTERVALS

pytestmark = pytest.mark.skipif(
    (shutil.which("soffice") is None or shutil.which("pdftoppm") is None)
    and not os.environ.get("CI"),
    reason="LibreOffice (soffice) and poppler-utils (pdftoppm) are not installed")

DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img" / "report-excel.png"


def _rgb(hex_: str) -> np.ndarray:
    return np.array([int(hex_[i:i + 2], 16) for i in (1, 3, 5)], dtype=np.int16)


def _ppm(path: Path) -> np.ndarray:
    """A binary PPM (P6, 8 bits) as a height × width × 3 array."""
    data = path.read_bytes()
    magic, width, height, depth, pixels = data.split(maxsplit=4)
    assert magic == b"P6" and depth == b"255"
    return np.frombuffer(pixels[:int(width) * int(height) * 3], dtype=np.uint8).reshape(
        int(height), int(width), 3).astype(np.int16)


def _near(img: np.ndarray, hex_: str) -> np.ndarray:
    return np.abs(img - _rgb(hex_)).max(axis=2) <= 12


def _share(img: np.ndarray, hex_: str) -> float:
    """The fraction of the page's pixels within a small distance of a colour."""
    return float(_near(img, hex_).mean())


def _spread(img: np.ndarray, hex_: str) -> float:
    """How much of the page's width a colour spans (a line across the chart: most)."""
    xs = np.flatnonzero(_near(img, hex_).any(axis=0))
    return float(xs.max() - xs.min()) / img.shape[1] if xs.size else 0.0


def test_libreoffice_draws_the_charts(tmp_path: Path) -> None:
    excel.write(AGENTS, tmp_path / "agents.xlsx")
    excel.write(INTERVALS, tmp_path / "intervals.xlsx")
    began = time.monotonic()            # one LibreOffice start for both files
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/profile",
                    "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path),
                    str(tmp_path / "agents.xlsx"), str(tmp_path / "intervals.xlsx")],
                   check=True, capture_output=True, timeout=120)
    took = time.monotonic() - began
    pdf = tmp_path / "agents.pdf"
    for name in ("agents", "intervals"):
        assert (tmp_path / f"{name}.pdf").exists(), f"LibreOffice wrote no {name}.pdf"
        subprocess.run(["pdftoppm", "-r", "50", str(tmp_path / f"{name}.pdf"),
                        str(tmp_path / name)], check=True, timeout=60)
    pages = [_ppm(p) for p in sorted(tmp_path.glob("agents-*.ppm"))]
    # the data sheet first, then a chart sheet per chart: the pie, then the columns
    table, pie, columns = pages[:3]
    blue, orange, grey = excel.PALETTE[:3]
    assert _share(table, blue) < 0.001                 # the table page has no chart
    for colour in (blue, orange, grey):               # the pie's three slices
        assert _share(pie, colour) > 0.01, colour
    assert _share(columns, blue) > 0.03                # answered: tall columns
    assert 0.001 < _share(columns, orange) < _share(columns, blue)   # missed: short ones
    _, lines = [_ppm(p) for p in sorted(tmp_path.glob("intervals-*.ppm"))][:2]
    for colour in (blue, orange):                      # two lines across the hours (a
        assert _spread(lines, colour) > 0.5, colour    # date axis drew them on one day)
    assert took < 60, took                             # measured ~4 s here (2 cores)
    if os.environ.get("KEFU_WRITE_DOCS_IMG"):          # refresh docs/img/report-excel.png
        subprocess.run(["pdftoppm", "-r", "80", "-f", "3", "-l", "3", "-png",
                        "-singlefile", str(pdf), str(DOCS_IMG.with_suffix(""))], check=True)
