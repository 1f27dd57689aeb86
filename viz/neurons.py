"""Neurons drawn as hyperplanes through training samples."""

from __future__ import annotations

import numpy as np

__all__ = ["plot_explanation"]


def _new_axes(ax, projection=None):
    """``ax``, or the Axes of a new Figure (no pyplot, so no global state)."""
    if ax is not None:
        return ax
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 5.2), layout="constrained")
    return fig.add_subplot(projection=projection)


def plot_explanation(explanation, *, ax=None, max_neurons: int = 30, annotate: bool = True):
    """Draw an :class:`geolasso.interpret.Explanation`.

    With 2-D inputs (of the explained layer): the samples, each neuron's line
    (width by contribution, the active side marked by a short arrow along the
    normal) and its matched atom's generator samples, circled and labelled
    ``x_i ∧ x_j``. With other input widths: each neuron as a point, the angle
    to its atom against the activation agreement, sized by contribution.

    Parameters
    ----------
    explanation : geolasso.interpret.Explanation
        From :func:`geolasso.interpret.explain`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new Figure's Axes by default.
    max_neurons : int, default=30
        Neurons drawn, largest contributions first.
    annotate : bool, default=True
        Label the generators of the drawn neurons.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _new_axes(ax)
    recs = sorted(explanation.records(), key=lambda r: -r["contribution"])[:max_neurons]
    H = explanation.inputs
    biggest = max([r["contribution"] for r in recs] + [1e-300])
    if H.shape[1] != 2:
        ok = [r for r in recs if r["atom"] is not None]
        sizes = [20 + 200 * r["contribution"] / biggest for r in ok]
        ax.scatter([100 * r["agreement"] for r in ok], [r["angle"] for r in ok], s=sizes, alpha=0.7)
        if annotate:
            for r in ok:
                ax.annotate(str(r["neuron"]), (100 * r["agreement"], r["angle"]), fontsize=7)
        ax.set_xlabel("activation agreement with the atom (%)")
        ax.set_ylabel("angle to the atom's normal (degrees)")
        ax.set_title(f"{len(ok)} neurons and their nearest wedge atoms ({H.shape[1]}-D inputs)")
        return ax
    ax.scatter(H[:, 0], H[:, 1], s=12, color="0.55", zorder=2, label="samples")
    lo, hi = H.min(axis=0), H.max(axis=0)
    pad = 0.08 * (hi - lo + 1e-12)
    lo, hi = lo - pad, hi + pad
    colors = [f"C{i % 10}" for i in range(len(recs))]
    for rec, color in zip(recs, colors, strict=True):
        w, b = np.asarray(rec["weight"], dtype=float), float(rec["bias"])
        if not np.any(w):
            continue
        seg = _clip_line(w, b, lo, hi)
        width = 0.6 + 3.0 * rec["contribution"] / biggest
        if seg is not None:
            ax.plot(seg[:, 0], seg[:, 1], color=color, lw=width, zorder=3)
            mid = seg.mean(axis=0)
            step = 0.06 * float(np.max(hi - lo)) * w / np.linalg.norm(w)
            ax.annotate(
                "", xy=mid + step, xytext=mid, arrowprops={"arrowstyle": "->", "color": color}
            )
        if rec["samples"]:
            G = H[list(rec["samples"])]
            ax.scatter(G[:, 0], G[:, 1], s=70, facecolors="none", edgecolors=color, zorder=4)
            if annotate:
                label = " ∧ ".join(f"x{s}" for s in rec["samples"])
                label += "".join(f" ∧ e{a}" for a in rec["axes"])
                ax.annotate(
                    label, G[0], xytext=(4, 4), textcoords="offset points", fontsize=7, color=color
                )
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_aspect("equal", adjustable="box")
    ax.set_title("neurons (lines, arrow: active side) and their generator samples")
    return ax


def _clip_line(w, b, lo, hi):
    """The segment of ``w·x + b = 0`` inside the box ``[lo, hi]`` (None if it misses)."""
    pts = []
    for axis in (0, 1):
        other = 1 - axis
        if w[other] == 0.0:
            continue
        for value in (lo[axis], hi[axis]):
            t = -(b + w[axis] * value) / w[other]
            if lo[other] - 1e-12 <= t <= hi[other] + 1e-12:
                p = np.empty(2)
                p[axis], p[other] = value, t
                pts.append(p)
    if len(pts) < 2:
        return None
    pts = np.array(pts)
    far = np.argmax(np.linalg.norm(pts - pts[0], axis=1))
    return np.array([pts[0], pts[far]])
