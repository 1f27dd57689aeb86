"""Neurons and wedge atoms drawn as hyperplanes through training samples."""

from __future__ import annotations

import numpy as np

from . import style as _style
from ._axes import (
    box,
    check_points,
    clip_line,
    generators_label,
    half_plane,
    new_axes,
    plane_patch,
)

__all__ = ["plot_atoms", "plot_explanation", "plot_neurons"]


def _draw_hyperplanes(
    ax, X, planes, *, y=None, shade=None, label_every=True, linestyles=None, legend=True
):
    """Data and hyperplanes ``(w, b, weight, color, samples, axes)`` in 2-D or 3-D.

    The line style is the output weight's sign cue (:mod:`viz.style`) unless
    ``linestyles`` says otherwise; with ``legend``, a legend of that cue.
    """
    d = X.shape[1]
    lo, hi = box(X)
    biggest = max([abs(p[2]) for p in planes] + [1e-300])
    colour = {"color": "0.45"} if y is None else {"c": _style.class_colors(y)}
    if d == 2:
        ax.scatter(X[:, 0], X[:, 1], s=14, zorder=3, edgecolor="none", **colour)
    else:
        ax.scatter(X[:, 0], X[:, 1], X[:, 2], s=10, depthshade=False, **colour)
    if shade is None:  # a few shaded sides read well; many only tint the picture
        shade = len(planes) <= 6
    placed = []
    for k, (w, b, weight, color, samples, axes) in enumerate(planes):
        width = 0.6 + 2.8 * abs(weight) / biggest
        style = linestyles[k] if linestyles is not None else _style.weight_linestyle(weight)
        if d == 2:
            seg = clip_line(w, b, lo, hi)
            if seg is None:
                continue
            ax.plot(seg[:, 0], seg[:, 1], color=color, lw=width, ls=style, zorder=2)
            if shade:
                poly = half_plane(w, b, lo, hi)
                if len(poly) >= 3:
                    ax.fill(poly[:, 0], poly[:, 1], color=color, alpha=0.06, lw=0, zorder=1)
            if len(samples):
                G = X[list(samples)]
                ax.scatter(
                    G[:, 0], G[:, 1], s=70, facecolors="none", edgecolors=color, lw=1.4, zorder=4
                )
            if label_every and (len(samples) or len(axes)):
                # label at the segment's point farthest from labels already placed
                t = np.linspace(0.15, 0.85, 8)[:, None]
                cand = seg[0] + t * (seg[1] - seg[0])
                if placed:
                    gaps = np.min(
                        np.linalg.norm(cand[:, None] - np.array(placed)[None], axis=2), axis=1
                    )
                    where = cand[int(np.argmax(gaps))]
                else:
                    where = cand[len(cand) // 2]
                placed.append(where)
                ax.annotate(
                    generators_label(samples, axes),
                    where,
                    fontsize="small",
                    color=color,
                    xytext=(3, 3),
                    textcoords="offset points",
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.7},
                )
        else:
            from mpl_toolkits.mplot3d.art3d import Poly3DCollection

            patch = plane_patch(w, b, lo, hi)
            if patch is None:
                continue
            ax.add_collection3d(
                Poly3DCollection(
                    [patch],
                    facecolor=color,
                    alpha=0.15 + 0.25 * abs(weight) / biggest,
                    edgecolor=color,
                    linewidth=0.6 * width,
                    linestyle=style,
                )
            )
            if len(samples):
                G = X[list(samples)]
                ax.scatter(G[:, 0], G[:, 1], G[:, 2], s=50, color=color, depthshade=False)
            if label_every and len(samples):
                ax.text(
                    *X[list(samples)].mean(axis=0),
                    " " + generators_label(samples, axes),
                    fontsize="small",
                    color=color,
                )
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    if d == 2:
        ax.set_aspect("equal", adjustable="box")
    else:
        ax.set_zlim(lo[2], hi[2])
        ax.set_box_aspect(hi - lo, zoom=0.9)  # equal scale on the three axes, labels inside
        ax.locator_params(nbins=4)  # a few ticks: readable from any side
    _style.label_axes(ax, d)
    if legend and linestyles is None:
        _style.weight_legend(ax)
    return ax


def plot_atoms(
    dictionary, X=None, *, columns=None, coef=None, y=None, ax=None, max_atoms=20, labels=True
):
    """Atoms of a wedge dictionary as lines (2-D) or plane patches (3-D) through their generators.

    Parameters
    ----------
    dictionary : geolasso.WedgeDictionary
        The dictionary (its data are drawn unless ``X`` is given).
    X : array_like, shape (n_samples, 2 or 3), optional
        The data (default: the dictionary's).
    columns : array_like of int, optional
        Atoms to draw; default: the support of ``coef``, else the first
        ``max_atoms``.
    coef : array_like, shape (n_atoms,), optional
        Lasso coefficients: line width by magnitude, colour by sign.
    y : array_like, shape (n_samples,), optional
        Colours the samples.
    ax : matplotlib Axes, optional
        Where to draw (``projection="3d"`` for 3-D data).
    max_atoms : int, default=20
        Atoms drawn at most (largest coefficients first).
    labels : bool, default=True
        Label each atom "x₃ ∧ x₁₇".

    Returns
    -------
    matplotlib Axes
    """
    X = check_points(dictionary.X if X is None else X, "X", dims=(2, 3), what="plot_atoms")
    if coef is not None:
        coef = np.asarray(coef, dtype=float)
        if coef.shape != (len(dictionary),):
            raise ValueError(f"coef must have shape ({len(dictionary)},); got {coef.shape}")
    if columns is None:
        columns = np.flatnonzero(coef) if coef is not None else np.arange(len(dictionary))
    columns = np.asarray(columns, dtype=int)
    if coef is not None:
        columns = columns[np.argsort(-np.abs(coef[columns]), kind="stable")]
    columns = columns[:max_atoms]
    W, b = dictionary.weights, dictionary.biases
    planes = []
    for j in columns:
        samples, axes = dictionary.generators_of(int(j))
        if coef is None:  # atoms without weights: thin, neutral lines (no sign, no size)
            planes.append((W[j], b[j], 0.0, "0.3", samples, axes))
        else:
            weight = float(coef[j])
            planes.append((W[j], b[j], weight, _style.weight_color(weight), samples, axes))
    ax = new_axes(ax, projection="3d" if X.shape[1] == 3 else None)
    return _draw_hyperplanes(ax, X, planes, y=y, label_every=labels, legend=coef is not None)


def _network_of(model):
    from geolasso.readers import as_network

    try:
        return as_network(model)
    except TypeError:
        if hasattr(model, "fit") and not hasattr(model, "network_"):
            raise ValueError(
                f"{type(model).__name__} is not fitted (or has no network): call fit first"
            ) from None
        raise


def plot_neurons(model, X, y=None, *, ax=None, max_neurons=30, labels=True):
    """A two-layer ReLU network's neurons as hyperplanes through their generator samples.

    Each neuron ``(w, b)`` is drawn as its hyperplane (line width by
    ``|v|·‖w‖``; purple solid for ``v > 0``, green dashed for ``v < 0``, as in
    :mod:`viz.style`), its active
    side lightly shaded, and the training samples of its nearest wedge atom
    (:func:`geolasso.interpret.explain`; exact for networks trained by
    ``ConvexReLU``) circled and labelled.

    Parameters
    ----------
    model : ReLUNetwork, fitted ConvexReLU, tuple or torch module
        The network.
    X : array_like, shape (n_samples, 2 or 3)
        Training samples.
    y : array_like, shape (n_samples,), optional
        Colours the samples.
    ax : matplotlib Axes, optional
        Where to draw (``projection="3d"`` for 3-D data).
    max_neurons : int, default=30
        Neurons drawn at most (largest contributions first).
    labels : bool, default=True
        Label each neuron by its generators.

    Returns
    -------
    matplotlib Axes
    """
    from geolasso.interpret import explain

    X = check_points(X, "X", dims=(2, 3), what="plot_neurons")
    net = _network_of(model)
    ex = explain(net, X, top=0, certificate=False)
    recs = sorted(ex.records(), key=lambda r: -r["contribution"])[:max_neurons]
    planes = []
    for r in recs:
        v = float(net.v[r["neuron"]])
        signed = v * r["contribution"]  # the sign picks the cue, the size the width
        color = _style.weight_color(v)
        planes.append((r["weight"], r["bias"], signed, color, r["samples"], r["axes"]))
    ax = new_axes(ax, projection="3d" if X.shape[1] == 3 else None)
    return _draw_hyperplanes(ax, X, planes, y=y, label_every=labels)


def plot_explanation(explanation, *, color_by="angle", ax=None, max_neurons=30, annotate=True):
    """A trained network's neurons beside their matched wedge atoms.

    2-D inputs: each neuron's line (solid) and its atom's line (dashed)
    through the circled generator samples, both coloured by the match's
    angle or agreement (colour bar). Other widths: each neuron as a point,
    angle against agreement, sized by contribution.

    Parameters
    ----------
    explanation : geolasso.interpret.Explanation
        From :func:`geolasso.interpret.explain`.
    color_by : {"angle", "agreement"}, default="angle"
        What the colour shows.
    ax : matplotlib Axes, optional
        Where to draw.
    max_neurons : int, default=30
        Neurons drawn, largest contributions first.
    annotate : bool, default=True
        Label the generators of the drawn neurons.

    Returns
    -------
    matplotlib Axes
    """
    import matplotlib as mpl

    if color_by not in ("angle", "agreement"):
        raise ValueError(f"color_by must be 'angle' or 'agreement'; got {color_by!r}")
    ax = new_axes(ax)
    recs = [r for r in explanation.records() if r["atom"] is not None]
    recs = sorted(recs, key=lambda r: -r["contribution"])[:max_neurons]
    H = explanation.inputs
    if color_by == "angle":
        values = np.array([r["angle"] for r in recs])
        norm = mpl.colors.Normalize(0.0, max(float(values.max(initial=0.0)), 1.0))
        cmap, label = mpl.colormaps["viridis"], "angle to the atom (degrees)"
    else:
        values = np.array([100 * r["agreement"] for r in recs])
        norm = mpl.colors.Normalize(min(float(values.min(initial=100.0)), 90.0), 100.0)
        cmap, label = mpl.colormaps["viridis_r"], "activation agreement (%)"
    colors = [cmap(norm(v)) for v in values]
    if H.shape[1] != 2:
        biggest = max([r["contribution"] for r in recs] + [1e-300])
        sizes = [20 + 200 * r["contribution"] / biggest for r in recs]
        ax.scatter(
            [100 * r["agreement"] for r in recs],
            [r["angle"] for r in recs],
            s=sizes,
            c=colors,
            alpha=0.8,
        )
        if annotate:
            for r in recs:
                ax.annotate(str(r["neuron"]), (100 * r["agreement"], r["angle"]), fontsize="small")
        ax.set_xlabel("activation agreement with the atom (%)")
        ax.set_ylabel("angle to the atom's normal (degrees)")
        ax.set_title(f"{len(recs)} neurons and their nearest wedge atoms ({H.shape[1]}-D inputs)")
        # fixed, meaningful ranges: agreement is a percentage, angles start at 0 and span at
        # least a degree (exact matches sit at 0, not on an axis of rounding noise)
        top = max([r["angle"] for r in recs] + [1.0])
        ax.set_xlim(min([100 * r["agreement"] for r in recs] + [90.0]) - 1.0, 100.5)
        ax.set_ylim(-0.05 * top, 1.1 * top)
        sm = mpl.cm.ScalarMappable(norm=norm, cmap=cmap)
        ax.figure.colorbar(sm, ax=ax, label=label, shrink=0.8)
        return ax
    planes, styles = [], []
    for r, color in zip(recs, colors, strict=True):
        atom = r["atom"]
        planes.append((r["weight"], r["bias"], r["contribution"], color, (), ()))
        styles.append("-")
        planes.append((atom[:2], atom[2], r["contribution"], color, r["samples"], r["axes"]))
        styles.append("--")
    _draw_hyperplanes(ax, H, planes, shade=False, label_every=annotate, linestyles=styles)
    sm = mpl.cm.ScalarMappable(norm=norm, cmap=cmap)
    ax.figure.colorbar(sm, ax=ax, label=label, shrink=0.8)
    ax.set_title("neurons (solid) and their nearest wedge atoms (dashed)")
    return ax
