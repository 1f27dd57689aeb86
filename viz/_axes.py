"""Shared helpers of the plotting functions (internal)."""

from __future__ import annotations

import numpy as np

_SUB = str.maketrans("0123456789-", "₀₁₂₃₄₅₆₇₈₉₋")


def sub(i) -> str:
    """``3`` -> ``"₃"`` (subscript digits)."""
    return str(i).translate(_SUB)


def generators_label(samples, axes=()) -> str:
    """``"x₃ ∧ x₁₇"`` (and ``e₂`` for coordinate-axis generators)."""
    parts = [f"x{sub(s)}" for s in samples] + [f"e{sub(a)}" for a in axes]
    return " ∧ ".join(parts) if parts else "(origin)"


def new_axes(ax=None, *, projection=None, figsize=(6.4, 5.2)):
    """``ax``, or the Axes of a new pyplot figure (so that it shows in Jupyter and with
    ``plt.show()``, as any matplotlib user expects)."""
    if ax is not None:
        if projection == "3d" and getattr(ax, "name", "") != "3d":
            raise ValueError("this plot is 3-D: pass an Axes made with projection='3d'")
        return ax
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=figsize, layout="constrained")
    return fig.add_subplot(projection=projection)


def check_points(X, name, dims=(2,), what="this plot"):
    """Finite float points of an allowed dimension, or a clear error."""
    X = np.asarray(X, dtype=float)
    if X.ndim == 1 and 1 in dims:
        X = X[:, None]
    if X.ndim != 2 or X.shape[1] not in dims:
        shown = "/".join(f"{d}-D" for d in dims)
        got = X.shape[1] if X.ndim == 2 else X.ndim
        raise ValueError(
            f"{what} shows {shown} data; {name} has {got} columns. Project it first, e.g. "
            "X2 = sklearn.decomposition.PCA(2).fit_transform(X), and refit on X2"
        )
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return X


def box(X, pad=0.08):
    """Padded bounding box (lo, hi) of the points."""
    lo, hi = X.min(axis=0), X.max(axis=0)
    span = np.where(hi - lo > 0, hi - lo, 1.0)
    return lo - pad * span, hi + pad * span


def clip_line(w, b, lo, hi):
    """The segment of ``w·x + b = 0`` inside the box ``[lo, hi]`` of R², or None."""
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
    far = int(np.argmax(np.linalg.norm(pts - pts[0], axis=1)))
    return np.array([pts[0], pts[far]])


def half_plane(w, b, lo, hi):
    """The polygon ``{w·x + b >= 0}`` ∩ box, as an (k, 2) array (possibly empty)."""
    corners = np.array([[lo[0], lo[1]], [hi[0], lo[1]], [hi[0], hi[1]], [lo[0], hi[1]]])
    out = []
    for p, q in zip(corners, np.roll(corners, -1, axis=0), strict=True):
        fp, fq = p @ w + b, q @ w + b
        if fp >= 0:
            out.append(p)
        if fp * fq < 0:
            out.append(p + (q - p) * fp / (fp - fq))
    return np.array(out).reshape(-1, 2)


def plane_patch(w, b, lo, hi):
    """The polygon where ``w·x + b = 0`` cuts the box ``[lo, hi]`` of R³ (ordered), or None."""
    corners = np.array(
        [[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])]
    )
    pts = []
    for i in range(8):
        for j in range(i + 1, 8):
            p, q = corners[i], corners[j]
            if np.count_nonzero(p != q) != 1:
                continue  # not an edge
            fp, fq = p @ w + b, q @ w + b
            if fp == 0:
                pts.append(p)
            elif fp * fq < 0:
                pts.append(p + (q - p) * fp / (fp - fq))
    if len(pts) < 3:
        return None
    pts = np.unique(np.round(np.array(pts), 12), axis=0)
    centre = pts.mean(axis=0)
    n = w / np.linalg.norm(w)
    u = np.cross(n, [1.0, 0, 0] if abs(n[0]) < 0.9 else [0, 1.0, 0])
    u /= np.linalg.norm(u)
    v = np.cross(n, u)
    angles = np.arctan2((pts - centre) @ v, (pts - centre) @ u)
    return pts[np.argsort(angles)]
