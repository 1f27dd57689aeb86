"""viz's visual language: one meaning per colour and line style, written down once.

* **Sign of the output and the classes** share one diverging palette
  (:data:`SIGN_POSITIVE` blue for ``f > 0`` and class +1, :data:`SIGN_NEGATIVE`
  red for ``f < 0`` and class −1; the regions in their light tints); samples
  are drawn in the colour of their class, so a sample on the wrong side
  stands out.
* **The sign of a neuron's output weight** ``v`` has its own cue, the same in
  2-D and 3-D: :data:`WEIGHT_POSITIVE` (purple, solid) for ``v > 0``,
  :data:`WEIGHT_NEGATIVE` (green, dashed) for ``v < 0`` (colour-blind safe
  and distinct from the class colours); line width grows with ``|v|``.
* Axes are labelled ``x₁, x₂ (, x₃)``; pictures where lengths or areas are
  the point use equal aspect.
* :func:`slides` is a style for projected figures: every text at least 11 pt.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "REGION_NEGATIVE",
    "REGION_POSITIVE",
    "SIGN_NEGATIVE",
    "SIGN_POSITIVE",
    "SLIDES",
    "WEIGHT_NEGATIVE",
    "WEIGHT_POSITIVE",
    "class_colors",
    "label_axes",
    "sign_legend",
    "slides",
    "weight_color",
    "weight_legend",
    "weight_linestyle",
]

#: ``f > 0``, class +1, a positive signed area (ColorBrewer RdBu).
SIGN_POSITIVE = "#2166ac"
#: ``f < 0``, class −1, a negative signed area.
SIGN_NEGATIVE = "#b2182b"
#: The regions ``f > 0`` and ``f < 0`` (light tints of the two).
REGION_POSITIVE, REGION_NEGATIVE = "#d1e5f0", "#fddbc7"
#: A neuron with output weight ``v > 0`` / ``v < 0`` (ColorBrewer PRGn).
WEIGHT_POSITIVE, WEIGHT_NEGATIVE = "#762a83", "#1b7837"

#: rcParams of :func:`slides`: no text below 11 pt.
SLIDES = {
    "font.size": 14,
    "axes.titlesize": 15,
    "axes.labelsize": 14,
    "xtick.labelsize": 12,
    "ytick.labelsize": 12,
    "legend.fontsize": 12,
    "legend.title_fontsize": 12,
    "figure.titlesize": 16,
    "lines.linewidth": 2.0,
    "lines.markersize": 7,
}


def slides():
    """A context for figures meant for a screen: ``with viz.style.slides(): ...``
    (matplotlib's ``rc_context`` with :data:`SLIDES`; the global settings are
    restored on exit)."""
    import matplotlib as mpl

    return mpl.rc_context(SLIDES)


def weight_color(v) -> str:
    """The colour of a neuron with output weight ``v``."""
    return WEIGHT_POSITIVE if v >= 0 else WEIGHT_NEGATIVE


def weight_linestyle(v) -> str:
    """Its line style: solid for ``v >= 0``, dashed for ``v < 0``."""
    return "-" if v >= 0 else "--"


def class_colors(y):
    """One colour per sample: its class (or the sign of its target)."""
    y = np.asarray(y)
    if y.dtype.kind in "biuf":
        positive = y.astype(float) > 0
    else:
        labels = np.unique(y)
        positive = y == labels[-1]  # the second of two labels, as classifiers order them
    return np.where(positive, SIGN_POSITIVE, SIGN_NEGATIVE)


def label_axes(ax, d=2):
    """``x₁``, ``x₂`` (and ``x₃``) on the axes."""
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")
    if d == 3:
        ax.set_zlabel("x₃")


def sign_legend(ax, *, regions=True, samples=True, labels=("+1", "−1"), **kwargs):
    """A legend of the sign palette: the regions ``f > 0`` / ``f < 0`` and the classes."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = []
    if regions:
        handles += [
            Patch(facecolor=REGION_POSITIVE, edgecolor="0.5", label="f(x) > 0"),
            Patch(facecolor=REGION_NEGATIVE, edgecolor="0.5", label="f(x) < 0"),
        ]
    if samples:
        for colour, label in zip((SIGN_POSITIVE, SIGN_NEGATIVE), labels, strict=True):
            handles.append(
                Line2D([], [], ls="", marker="o", color=colour, mec="k", mew=0.4, label=label)
            )
    kwargs.setdefault("loc", "upper right")
    kwargs.setdefault("framealpha", 0.85)
    return ax.legend(handles=handles, **kwargs)


def weight_legend(ax, **kwargs):
    """A legend of the output-weight cue (``v > 0`` solid purple, ``v < 0`` dashed green)."""
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], color=WEIGHT_POSITIVE, ls="-", lw=2, label="neuron, v > 0"),
        Line2D([], [], color=WEIGHT_NEGATIVE, ls="--", lw=2, label="neuron, v < 0"),
    ]
    kwargs.setdefault("loc", "lower right")
    kwargs.setdefault("framealpha", 0.85)
    return ax.legend(handles=handles, **kwargs)
