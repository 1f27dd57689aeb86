"""Every gallery page, rendered in the slides style, passes what a test can check.

Each script runs in this process (``plt.show`` does nothing) inside
``viz.style.slides()``; every figure it leaves must be non-blank, carry a
legend or a colour bar, keep everything it draws inside the figure, and have no
text below 11 pt. ``geolasso gallery`` and the Sphinx build run the same scripts.
"""

import runpy
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from viz import style

GALLERY = Path(__file__).resolve().parents[1] / "gallery"
SCRIPTS = sorted(GALLERY.glob("plot_*.py"))


def problems(fig):
    """What is wrong with a rendered figure (an empty list when nothing)."""
    found = []
    fig.canvas.draw()
    pixels = np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(float)
    inked = np.mean(pixels.min(axis=2) < 240)
    if pixels.std() < 5 or inked < 0.02:
        found.append(f"blank ({inked:.1%} of the pixels drawn)")
    colorbar = any(ax.get_label() == "<colorbar>" for ax in fig.axes)
    legend = bool(fig.legends) or any(ax.get_legend() is not None for ax in fig.axes)
    if not (colorbar or legend):
        found.append("no legend and no colour bar")
    small = sorted(
        {
            (t.get_text()[:30], t.get_fontsize())
            for t in fig.findobj(matplotlib.text.Text)
            if t.get_visible() and t.get_text().strip() and t.get_fontsize() < 11
        }
    )
    if small:
        found.append(f"text below 11 pt: {small[:3]}")
    drawn = fig.get_tightbbox(fig.canvas.get_renderer())
    width, height = fig.get_size_inches()
    slack = 0.02  # inches
    if (
        drawn.x0 < -slack
        or drawn.y0 < -slack
        or drawn.x1 > width + slack
        or drawn.y1 > height + slack
    ):
        where = drawn.extents.round(2)
        found.append(f"drawn outside the figure: {where} in a {width} x {height} in figure")
    return found


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
