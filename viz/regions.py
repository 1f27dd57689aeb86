"""The fitted function, or the decision regions, with the arrangement of neurons over it."""

from __future__ import annotations

import numbers

import numpy as np

from geolasso.memory import DEFAULT_MEMORY_LIMIT, as_memory_limit, check_memory

from . import style
from ._axes import box, check_points, clip_line, new_axes

__all__ = ["plot_regions"]


def plot_regions(
    model,
    X,
    y=None,
    *,
    ax=None,
    grid=200,
    classify=None,
    neurons=True,
    legend=True,
    memory_limit=DEFAULT_MEMORY_LIMIT,
):
    """The model's output over a grid of the data's box, the samples, the neuron lines.

    Parameters
    ----------
    model : object with ``predict`` (ReLUNetwork, fitted estimator)
        For a classifier (``classes_``), the regions of ``decision_function``
        (or the predicted labels).
    X : array_like, shape (n_samples, 2)
        Samples (2-D only).
    y : array_like, shape (n_samples,), optional
        Colours the samples.
    ax : matplotlib Axes, optional
        Where to draw.
    grid : int, default=200
        Grid points per axis (at least 2).
    classify : bool, optional
        Draw two-colour regions (default: when the model has ``classes_``).
    neurons : bool, default=True
        Draw the hyperplane of every neuron (the arrangement).
    legend : bool, default=True
        A legend of the regions' and the samples' colours (:mod:`viz.style`);
        side-by-side panels may keep one.
    memory_limit : int, default=2 GiB
        Budget of the grid's evaluation (``grid²`` points, each with the
        network's hidden values); above it a
        :class:`~geolasso.exceptions.MemoryLimitError` names a grid that fits.

    Returns
    -------
    matplotlib Axes
    """
    X = check_points(X, "X", dims=(2,), what="plot_regions")
    if not hasattr(model, "predict"):
        raise TypeError(f"model must have a predict method; got {type(model).__name__}")
    if hasattr(model, "fit") and not any(
        k.endswith("_") and not k.startswith("_") for k in vars(model)
    ):
        raise ValueError(f"{type(model).__name__} is not fitted: call fit first")
    if isinstance(grid, bool) or not isinstance(grid, numbers.Integral) or grid < 2:
        raise ValueError(f"grid must be an integer >= 2 (points per axis); got {grid!r}")
    grid = int(grid)
    memory_limit = as_memory_limit(memory_limit)
    width = np.shape(getattr(getattr(model, "network_", model), "W", np.zeros((0, 2))))[0]
    per_point = 8 * (12 + 2 * width)  # coordinates, output, contour copies; hidden values
    check_memory(
        grid * grid * per_point,
        memory_limit,
        what=f"plot_regions' {grid} x {grid} grid ({width} neurons evaluated at each point)",
        remedy=f"use grid <= {max(2, int((memory_limit / per_point) ** 0.5))}",
        name="memory_limit",
    )
    ax = new_axes(ax)
    lo, hi = box(X)
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], grid), np.linspace(lo[1], hi[1], grid))
    P = np.column_stack([gx.ravel(), gy.ravel()])
    classify = hasattr(model, "classes_") if classify is None else classify
    # a classifier's real-valued output f, for both pictures (its predict gives labels)
    if hasattr(model, "decision_function"):
        Z = np.asarray(model.decision_function(P), dtype=float)
    else:
        Z = np.asarray(model.predict(P), dtype=float)
    Z = Z.reshape(gx.shape)
    if classify:
        colours = [style.REGION_NEGATIVE, style.REGION_POSITIVE]
        ax.contourf(gx, gy, Z > 0, levels=[-0.5, 0.5, 1.5], colors=colours)
        ax.contour(gx, gy, Z, levels=[0.0], colors="k", linewidths=1.2)
    else:
        import matplotlib as mpl

        top = float(np.abs(Z).max()) or 1.0
        norm = mpl.colors.TwoSlopeNorm(0.0, -top, top)  # white at f = 0, the sign palette
        cs = ax.contourf(gx, gy, Z, levels=21, cmap="RdBu", norm=norm)
        ax.figure.colorbar(cs, ax=ax, shrink=0.8, label="f(x)")
    if neurons:
        net = getattr(model, "network_", model)
        if hasattr(net, "hyperplanes"):  # a batch-normalised network: its affine neurons
            W, b = net.hyperplanes()
        else:
            W, b = getattr(net, "W", None), getattr(net, "b", None)
        if W is not None:
            thin = 0.6 if len(W) <= 40 else 0.35  # many lines only hint at the arrangement
            for w, c in zip(W, b, strict=True):
                seg = clip_line(w, c, lo, hi)
                if seg is not None:
                    ax.plot(seg[:, 0], seg[:, 1], color="white", lw=thin, alpha=0.7)
    if y is None:
        ax.scatter(X[:, 0], X[:, 1], s=14, color="k", zorder=3)
    else:
        ax.scatter(
            X[:, 0], X[:, 1], s=16, c=style.class_colors(y), edgecolor="k", linewidth=0.4, zorder=3
        )
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_aspect("equal", adjustable="box")
    style.label_axes(ax)
    if legend and (classify or y is not None):
        labels = _class_labels(model, y)
        style.sign_legend(ax, regions=classify, samples=y is not None, labels=labels)
    return ax


def _class_labels(model, y):
    """Legend names of the two sample colours: the classes, or the target's sign."""
    classes = getattr(model, "classes_", None)
    if classes is not None and len(classes) == 2:
        names = [f"{c:g}" if isinstance(c, (int, float, np.number)) else str(c) for c in classes]
        return (f"class {names[1]}", f"class {names[0]}")
    if y is not None and np.asarray(y).dtype.kind not in "biuf":
        labels = np.unique(np.asarray(y))
        if len(labels) == 2:
            return (f"class {labels[1]}", f"class {labels[0]}")
    return ("y > 0", "y ≤ 0")
