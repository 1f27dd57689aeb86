"""Deep features: breakpoints at data points and at their mirror images."""

from __future__ import annotations

import numpy as np

from ._axes import box, clip_line, new_axes

__all__ = ["plot_reflections"]


def plot_reflections(source, columns=None, *, ax=None, max_features=6, points=400):
    """Reflection features: 1-D chains with their mirror points, or 2-D mirrored planes.

    1-D (a :class:`~geolasso.mirror.MirrorDictionary` or a fitted
    :class:`~geolasso.deep.DeepConvexRegressor`): each feature over a grid,
    the data as ticks, every breakpoint marked; a breakpoint that is a
    reflection ``2 x_i − x_j`` gets an arrow from ``x_j`` over ``x_i`` and the
    label "2·x_i − x_j".

    2-D (a :class:`~geolasso.reflection.ReflectionDictionary`): for each column,
    the hyperplane through ``x_j`` (solid), the plane of reflection through
    ``x_i`` (dotted) and the mirror image (dashed); the first column's
    feature (the distance to the pair) is the background.

    Parameters
    ----------
    source : MirrorDictionary, DeepConvexRegressor or ReflectionDictionary
        What to draw.
    columns : array_like of int, optional
        Columns to draw (default: the regressor's selected features, else
        the first columns with reflections).
    ax : matplotlib Axes, optional
        Where to draw.
    max_features : int, default=6
        Features drawn at most.
    points : int, default=400
        Grid points.

    Returns
    -------
    matplotlib Axes
    """
    from geolasso.mirror import MirrorDictionary
    from geolasso.reflection import ReflectionDictionary

    coef = None
    if hasattr(source, "dictionary_") and isinstance(source.dictionary_, MirrorDictionary):
        coef = source.coef_
        if columns is None:
            columns = [f["column"] for f in source.features_]
        source = source.dictionary_
    elif hasattr(source, "fit") and not hasattr(source, "dictionary_"):
        raise ValueError(f"{type(source).__name__} is not fitted: call fit first")
    ax = new_axes(ax)
    if isinstance(source, ReflectionDictionary):
        return _planes(source, columns, ax, max_features)
    if not isinstance(source, MirrorDictionary):
        raise TypeError(
            "source must be a MirrorDictionary, a fitted DeepConvexRegressor or a "
            f"ReflectionDictionary; got {type(source).__name__}"
        )
    D = source
    if columns is None:
        with_refl = [j for j in range(D.n_columns) if D.reflections(j)]
        columns = (with_refl or list(range(D.n_columns)))[:max_features]
    columns = list(columns)[:max_features]
    pts = D.points
    span = pts[-1] - pts[0]
    knots = np.concatenate([pts] + [D.breakpoints(j) for j in columns])
    lo, hi = knots.min() - 0.1 * span, knots.max() + 0.1 * span
    t = np.linspace(lo, hi, points)
    F = D.matrix(t)
    top = 0.0
    for n, j in enumerate(columns):
        f = F[:, j]
        f = f - f.min()
        scale = f.max() if f.max() > 0 else 1.0
        offset = 1.25 * n
        color = f"C{n % 10}"
        label = D.describe(j)
        if coef is not None:
            label = f"{coef[j]:+.3g} × " + label
        ax.plot(t, offset + f / scale, color=color, lw=1.6, label=label)
        for b in D.breakpoints(j):
            fb = offset + (np.interp(b, t, F[:, j]) - F[:, j].min()) / scale
            ax.plot(b, fb, "o", color=color, ms=4)
        for r in D.reflections(j):
            if r["of"] is None:
                continue
            y0 = offset + 1.08
            ax.annotate(
                "",
                xy=(r["point"], y0),
                xytext=(r["of"], y0),
                arrowprops={
                    "arrowstyle": "->",
                    "color": color,
                    "lw": 0.8,
                    "connectionstyle": "arc3,rad=-0.25",
                },
            )
            ax.plot(r["about"], y0, "|", color=color, ms=8)
            ax.annotate(
                f"2·{r['about']:g} − {r['of']:g} = {r['point']:g}",
                (r["point"], y0),
                xytext=(2, 4),
                textcoords="offset points",
                fontsize="small",
                color=color,
            )
        top = offset + 1.2
    ax.vlines(pts, -0.15, -0.02, color="k", lw=1)
    ax.set_ylim(-0.2, top + 0.1)
    ax.set_yticks([])
    ax.set_xlim(lo, hi)
    ax.set_xlabel("x (ticks: data points)")
    ax.legend(fontsize="small", loc="upper left", framealpha=0.85)
    has = any(r["of"] is not None for j in columns for r in D.reflections(j))
    what = "breakpoints and reflections" if has else "breakpoints (no reflection among these)"
    ax.set_title(f"depth-{D.depth} {D.activation} features:\n{what}", fontsize="medium")
    return ax


def _planes(D, columns, ax, max_features):
    X = D.X
    if X.shape[1] != 2:
        raise ValueError(
            f"plot_reflections draws 2-D reflection dictionaries; this one is {X.shape[1]}-D"
        )
    columns = list(range(min(D.n_columns, max_features)) if columns is None else columns)
    columns = columns[:max_features]
    # the box holds the samples and, for each column, the mirror image of x_j (the foot of
    # the image line nearest the data), so that every image line crosses the axes
    feet = []
    for k in columns:
        h = D.hyperplanes(k)
        w, b = h["image"]
        feet.append(X[h["samples"][1]] - (w @ X[h["samples"][1]] + b) * w)
    lo, hi = box(np.vstack([X, *feet]), pad=0.15)
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], 150), np.linspace(lo[1], hi[1], 150))
    F = D.matrix(np.column_stack([gx.ravel(), gy.ravel()]))[:, columns[0]].reshape(gx.shape)
    cs = ax.contourf(gx, gy, F, levels=15, cmap="Greys", alpha=0.5)
    ax.figure.colorbar(cs, ax=ax, shrink=0.8, label=f"feature of column {columns[0]}")
    ax.scatter(X[:, 0], X[:, 1], s=12, color="0.3", zorder=3)
    for n, k in enumerate(columns):
        h = D.hyperplanes(k)
        color = f"C{n % 10}"
        for key, style in (("plane", "-"), ("mirror", ":"), ("image", "--")):
            w, b = h[key]
            seg = clip_line(w, b, lo, hi)
            if seg is not None:
                ax.plot(seg[:, 0], seg[:, 1], style, color=color, lw=1.6)
        i, j = h["samples"]
        ax.plot(*X[j], "o", color=color, ms=9, mfc="none", mew=1.5)
        ax.plot(*X[i], "s", color=color, ms=9, mfc="none", mew=1.5)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")
    from matplotlib.lines import Line2D

    ax.legend(
        handles=[
            Line2D([], [], color="0.2", ls="-", marker="o", mfc="none", label="plane through x_j"),
            Line2D([], [], color="0.2", ls=":", marker="s", mfc="none", label="mirror through x_i"),
            Line2D([], [], color="0.2", ls="--", label="image of the plane"),
        ],
        loc="best",
        framealpha=0.85,
    )
    ax.set_title("a depth-3 feature: a plane, its mirror, its image", fontsize="medium")
    return ax
