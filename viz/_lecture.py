"""``geolasso lecture``: the gallery as a 16:9 slide deck (PDF) and the figures as SVG.

The deck walks through the geometry in lecture order — signed areas, a neuron
as the line through two samples, cross products, wedge dictionaries, the
arrangement, Lasso paths, certified global training against Adam and SGD,
reading a trained network, depth and reflections, 3-D, convolutions — one
slide per figure of the gallery scripts, each re-drawn on a 16:9 page in the
``slides`` style (:mod:`viz.style`: no text below 11 pt) under its page's
title. Every slide is checked as the gallery's test checks its figures; a
slide that fails is named.
"""

from __future__ import annotations

import runpy
import sys
import time
import warnings

import numpy as np

from . import style
from ._gallery import _title_and_text, _writable_directory, scripts_dir

#: A 16:9 slide, in inches (PowerPoint's and Beamer's wide format).
SLIDE = (13.333, 7.5)

#: The gallery pages in lecture order (by the text their file names contain).
ORDER = (
    "signed_areas",
    "neuron_step_by_step",
    "cross_product",
    "wedge_dictionary",
    "arrangement_cells",
    "lasso_path_animation",
    "lasso_path",
    "spiral_global_vs_adam",
    "global_vs_adam_vs_sgd",
    "inspect_network",
    "reflections",
    "neurons_3d",
    "3d_views",
    "cnn_filters",
    "batchnorm",
    "attention",
    "diffusion",
    "wgan",
)


def figure_problems(fig) -> list[str]:
    """What keeps a figure from a slide: blank, no legend or colour bar, text below
    11 pt, or something drawn outside it (an empty list when nothing)."""
    import matplotlib

    found = []
    fig.canvas.draw()
    pixels = np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(float)
    inked = float(np.mean(pixels.min(axis=2) < 240))
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
    inside = (
        drawn.x0 >= -slack
        and drawn.y0 >= -slack
        and drawn.x1 <= width + slack
        and drawn.y1 <= height + slack
    )
    if not inside:
        where = np.round(drawn.extents, 2).tolist()
        found.append(f"drawn outside the figure: {where} in a {width:g} x {height:g} in figure")
    return found


def _ordered(files):
    rank = {key: k for k, key in enumerate(ORDER)}

    def key(path):
        hits = [rank[k] for k in ORDER if k in path.stem]
        return (min(hits) if hits else len(ORDER), path.name)

    return sorted(files, key=key)


def _title_slide(deck, n_pages):
    import matplotlib.pyplot as plt

    from geolasso import __version__

    fig = plt.figure(figsize=SLIDE)
    fig.text(0.06, 0.72, "ReLU networks seen through geometry", fontsize=34, weight="bold")
    fig.text(
        0.06,
        0.60,
        "from signed areas to certified networks and reflections",
        fontsize=22,
    )
    fig.text(
        0.06,
        0.30,
        f"geolasso {__version__.split('+')[0]}: {n_pages} gallery pages, one slide per figure.\n"
        "Every value is computed by the library on the spot; the scripts are in gallery/.",
        fontsize=16,
        color="0.3",
    )
    deck.savefig(fig)
    plt.close(fig)


def run(out, *, only=None, dpi=150, quiet=False) -> int:
    """Write ``geolasso-lecture.pdf`` and one SVG (and PNG) per figure under ``out``.

    Parameters
    ----------
    out : str or path-like
        Output directory (created; refused by name when it cannot be written).
    only : str, optional
        Only the pages whose script name contains this text.
    dpi : int, default=150
        Resolution of the PNGs (the PDF and SVGs are vector graphics).
    quiet : bool, default=False
        No progress lines.

    Returns
    -------
    int
        0 when every page ran and every slide passed the checks, 1 otherwise.
    """
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    files = [p for p in scripts_dir().glob("plot_*.py") if only is None or only in p.name]
    if not files:
        print(f"geolasso lecture: no gallery page matches {only!r}", file=sys.stderr)
        return 1
    out = _writable_directory(out)
    figures_dir = out / "figures"
    figures_dir.mkdir(exist_ok=True)
    pdf = out / "geolasso-lecture.pdf"
    failed, n_slides = [], 1
    original_figure, original_show = plt.figure, plt.show

    def slide_figure(*args, **kwargs):
        kwargs["figsize"] = SLIDE
        kwargs.setdefault("layout", "constrained")
        return original_figure(*args, **kwargs)

    with style.slides(), PdfPages(pdf) as deck:
        _title_slide(deck, len(files))
        plt.figure, plt.show = slide_figure, lambda *a, **k: None
        try:
            for path in _ordered(files):
                start = time.perf_counter()
                title, _ = _title_and_text(path)
                plt.close("all")
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        runpy.run_path(str(path), run_name="__main__")
                except Exception as exc:  # a page that fails is named; the deck goes on
                    failed.append((path.name, f"{type(exc).__name__}: {exc}"))
                    continue
                for k, num in enumerate(plt.get_fignums(), start=1):
                    fig = original_figure(num)  # the page's own figure, as drawn
                    fig.suptitle(title, fontsize=18, weight="bold")
                    for problem in figure_problems(fig):
                        failed.append((f"{path.name}, figure {k}", problem))
                    deck.savefig(fig)
                    stem = f"{path.stem}_{k}"
                    fig.savefig(figures_dir / f"{stem}.svg")
                    fig.savefig(figures_dir / f"{stem}.png", dpi=dpi)
                    n_slides += 1
                plt.close("all")
                if not quiet:
                    print(f"  {path.name}: {time.perf_counter() - start:.1f} s", flush=True)
        finally:
            plt.figure, plt.show = original_figure, original_show
    print(f"{n_slides} slides written to {pdf}; SVG and PNG figures in {figures_dir}")
    for name, problem in failed:
        print(f"PROBLEM: {name}: {problem}", file=sys.stderr)
    return 1 if failed else 0
