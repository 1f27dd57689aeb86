"""Every gallery page, rendered in the slides style, passes what a test can check.

Each script runs in this process (``plt.show`` does nothing) inside
``viz.style.slides()``; every figure it leaves must be non-blank, carry a
legend or a colour bar, keep everything it draws inside the figure, and have no
text below 11 pt. ``geolasso gallery`` and the Sphinx build run the same scripts.
"""

import re
import runpy
import subprocess
import sys
import warnings
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from viz import style

GALLERY = Path(__file__).resolve().parents[1] / "gallery"
SCRIPTS = sorted(GALLERY.glob("plot_*.py"))


def _run(*args):
    return subprocess.run(
        [sys.executable, "-m", "geolasso", *args],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def problems(fig):
    """What is wrong with a rendered figure (the lecture deck's check of every slide)."""
    from viz._lecture import figure_problems

    return figure_problems(fig)


def test_the_gallery_has_the_pages_a_lecture_needs():
    assert len(SCRIPTS) >= 14
    text = " ".join(p.read_text() for p in SCRIPTS)
    assert "FuncAnimation" in text or "animate_path" in text  # at least one animation


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_every_figure_of_the_page_is_slide_ready(script, monkeypatch):
    monkeypatch.setattr(plt, "show", lambda *args, **kwargs: None)
    plt.close("all")
    try:
        with style.slides(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the scripts' own warnings (e.g. Adam's)
            runpy.run_path(str(script), run_name="__main__")
            figures = [plt.figure(num) for num in plt.get_fignums()]
            assert figures, f"{script.name} drew no figure"
            report = {f"figure {k}": problems(fig) for k, fig in enumerate(figures, start=1)}
    finally:
        plt.close("all")
    assert {k: v for k, v in report.items() if v} == {}


def test_the_check_finds_a_bad_figure():
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.text(0.5, 0.5, "tiny", fontsize=6)
    ax.text(2.5, 0.5, "far outside", transform=ax.transAxes)
    found = problems(fig)
    plt.close(fig)
    assert any("no legend" in p for p in found)
    assert any("below 11 pt" in p for p in found)
    assert any("outside the figure" in p for p in found)


def test_the_lecture_writes_a_16_9_deck_and_svgs(tmp_path):
    """``geolasso lecture``: a PDF of 16:9 pages (a title slide and one per figure of every
    page, each redrawn at 16:9) whose every slide passed the figure checks (exit 0, else the
    failing slides are named), and one SVG per figure."""
    out = _run("lecture", "--out", str(tmp_path), "--quiet")
    assert out.returncode == 0, out.stderr
    pdf = (tmp_path / "geolasso-lecture.pdf").read_bytes()
    boxes = re.findall(rb"/MediaBox \[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    svgs = sorted((tmp_path / "figures").glob("*.svg"))
    assert len(svgs) >= len(SCRIPTS)  # every page, one figure at least
    assert len(boxes) == 1 + len(svgs)  # the title slide, then one slide per figure
    for width, height in boxes:
        assert float(width) / float(height) == pytest.approx(16 / 9, rel=1e-3)


def test_the_gallery_writes_svg_at_a_chosen_resolution(tmp_path):
    out = _run("gallery", "--out", str(tmp_path), "--only", "signed_areas", "--format", "svg")
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "plot_01_signed_areas_1.svg").read_text().lstrip().startswith("<?xml")
    out = _run("gallery", "--out", str(tmp_path), "--only", "signed_areas", "--dpi", "50")
    assert out.returncode == 0, out.stderr
    import matplotlib.image as mpimg

    small = mpimg.imread(tmp_path / "plot_01_signed_areas_1.png")
    assert small.shape[1] == 12 * 50  # the page's 12-inch figure at 50 dpi
