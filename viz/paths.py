"""Lasso regularization paths over wedge dictionaries."""

from __future__ import annotations

import numpy as np

from ._axes import generators_label, new_axes
from .style import WEIGHT_NEGATIVE as NEGATIVE
from .style import WEIGHT_POSITIVE as POSITIVE

__all__ = ["animate_path", "path_frames", "plot_path", "save_animation"]


def _check_path(path):
    """A TypeError naming what is expected unless ``path`` is a LassoPath."""
    from geolasso.lasso import LassoPath

    if not isinstance(path, LassoPath):
        raise TypeError(
            "path must be a geolasso.LassoPath, the result of geolasso.lasso_path(...); "
            f"got {type(path).__name__}"
        )


def plot_path(path, dictionary=None, *, ax=None, top=8):
    """Coefficients against the penalty; the largest atoms labelled by their generators
    where they enter.

    Parameters
    ----------
    path : geolasso.LassoPath
        From :func:`geolasso.lasso_path`.
    dictionary : geolasso.WedgeDictionary, optional
        Names the atoms ("x₃ ∧ x₁₇"); column indices otherwise.
    ax : matplotlib Axes, optional
        Where to draw.
    top : int, default=8
        Atoms labelled: the ``top`` largest (by their largest ``|z|`` along
        the path), drawn thicker; the others are drawn thin.

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    TypeError
        If ``path`` is not a :class:`geolasso.LassoPath`.
    """
    _check_path(path)
    ax = new_axes(ax)
    C = path.coefs.toarray()  # (n_atoms, n_alphas)
    alphas = np.asarray(path.alphas)
    active = np.flatnonzero(np.any(C != 0, axis=1))
    entry = {j: int(np.flatnonzero(C[j])[0]) for j in active}
    order = sorted(active, key=lambda j: (-np.abs(C[j]).max(), entry[j]))  # largest first
    for rank, j in enumerate(order):
        color = POSITIVE if C[j, np.flatnonzero(C[j])[0]] > 0 else NEGATIVE
        ax.plot(
            alphas,
            C[j],
            color=color,
            lw=1.2 if rank < top else 0.6,
            alpha=1.0 if rank < top else 0.5,
        )
        if rank < top:
            k = entry[j]
            name = (
                generators_label(*dictionary.generators_of(int(j)))
                if dictionary is not None
                else f"atom {j}"
            )
            ax.annotate(
                name,
                (alphas[k], C[j, k]),
                xytext=(-4, 6 if rank % 2 else -12),
                textcoords="offset points",
                fontsize="small",
                color=color,
                ha="right",
            )
            ax.plot(alphas[k], C[j, k], "o", color=color, ms=3)
    ax.set_xscale("log")
    ax.invert_xaxis()
    ax.axhline(0.0, color="0.6", lw=0.6)
    ax.set_xlabel("α (decreasing →)")
    ax.set_ylabel("coefficient z")
    ax.set_title(f"Lasso path: {len(active)} atoms enter over {len(alphas)} penalties")
    from matplotlib.lines import Line2D

    ax.legend(
        handles=[
            Line2D([], [], color=POSITIVE, label="z > 0 where it enters"),
            Line2D([], [], color=NEGATIVE, label="z < 0 where it enters"),
        ],
        loc="best",
        framealpha=0.85,
    )
    return ax


def path_frames(path, dictionary, X=None, y=None, *, every=1, max_atoms=12):
    """One figure per penalty: the atoms active at that α drawn over the data.

    For slides or an animation (save each ``figure_`` in turn).

    Parameters
    ----------
    path : geolasso.LassoPath
        The path.
    dictionary : geolasso.WedgeDictionary
        Its dictionary (2-D or 3-D data).
    X : array_like, optional
        The data (default: the dictionary's).
    y : array_like, optional
        Colours the samples.
    every : int, default=1
        Keep every ``every``-th penalty.
    max_atoms : int, default=12
        Atoms drawn per frame.

    Returns
    -------
    list of matplotlib Figure

    Raises
    ------
    TypeError
        If ``path`` is not a :class:`geolasso.LassoPath`.
    """
    from matplotlib.figure import Figure

    from .neurons import plot_atoms

    _check_path(path)

    C = path.coefs.tocsc()
    frames = []
    for k in range(0, len(path.alphas), max(1, int(every))):
        coef = np.asarray(C[:, k].toarray()).ravel()
        # figures outside pyplot: one per penalty, to save in turn (none left open)
        blank = Figure(figsize=(6.4, 5.2), layout="constrained")
        d = np.asarray(dictionary.X).shape[1]
        ax = blank.add_subplot(projection="3d" if d == 3 else None)
        ax = plot_atoms(
            dictionary,
            X,
            coef=coef,
            y=y,
            max_atoms=max_atoms,
            columns=np.flatnonzero(coef),
            ax=ax,
        )
        ax.set_title(f"α = {path.alphas[k]:.3g}: {np.count_nonzero(coef)} atoms", fontsize="medium")
        frames.append(ax.figure)
    return frames


def animate_path(path, dictionary, y=None, *, every=1, label=4, grid=120, interval=500, ax=None):
    """The Lasso path as an animation over 2-D data, one frame per penalty.

    Each frame shows the fitted function ``K z + c`` as the background (one
    colour scale for every frame, centred at zero), the active atoms as the
    lines of their hyperplanes (width on one scale for every frame: the largest
    ``|z|`` on the whole path; colour and style by the sign of ``z``, as in
    :mod:`viz.style`), the ``label`` largest labelled by their generators, and
    the samples in their class colours.

    Parameters
    ----------
    path : geolasso.LassoPath
        The path (:func:`geolasso.lasso_path`).
    dictionary : geolasso.WedgeDictionary
        Its dictionary, over 2-D data.
    y : array_like, shape (n_samples,), optional
        Colours the samples.
    every : int, default=1
        Keep every ``every``-th penalty.
    label : int, default=4
        Atoms labelled per frame (the largest).
    grid : int, default=120
        Grid points per axis of the background.
    interval : int, default=500
        Milliseconds per frame.
    ax : matplotlib Axes, optional
        Where to draw (a new pyplot figure by default).

    Returns
    -------
    matplotlib.animation.FuncAnimation
        Keep a reference while it plays; :func:`save_animation` writes it to
        GIF (and MP4 where ffmpeg exists).
    """
    import matplotlib as mpl
    from matplotlib.animation import FuncAnimation

    from . import style
    from ._axes import box, clip_line

    _check_path(path)
    X = np.asarray(dictionary.X, dtype=float)
    if X.shape[1] != 2:
        raise ValueError(f"animate_path draws 2-D data; the dictionary's is {X.shape[1]}-D")
    ax = new_axes(ax, figsize=(8, 7))
    C = path.coefs.tocsc()
    keep = list(range(0, len(path.alphas), max(1, int(every))))
    used = np.unique(C[:, keep].nonzero()[0])
    lo, hi = box(X)
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], grid), np.linspace(lo[1], hi[1], grid))
    F = dictionary.transform(np.column_stack([gx.ravel(), gy.ravel()]), columns=used)
    Z = np.asarray(C[used][:, keep].toarray())  # (used, frames)
    values = F @ Z + np.asarray(path.intercepts)[keep]
    top = float(np.abs(values).max()) or 1.0
    biggest = float(np.abs(Z).max()) or 1.0
    norm = mpl.colors.TwoSlopeNorm(0.0, -top, top)
    mesh = ax.pcolormesh(gx, gy, values[:, 0].reshape(gx.shape), cmap="RdBu", norm=norm)
    ax.figure.colorbar(mesh, ax=ax, shrink=0.8, label="fitted function K z + c")
    colours = {"c": style.class_colors(y)} if y is not None else {"color": "k"}
    ax.scatter(X[:, 0], X[:, 1], s=22, edgecolor="k", linewidth=0.5, zorder=4, **colours)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_aspect("equal")
    style.label_axes(ax)
    style.weight_legend(ax)
    W, b = dictionary.weights, dictionary.biases
    artists = []

    def draw(f):
        for artist in artists:
            artist.remove()
        artists.clear()
        mesh.set_array(values[:, f].reshape(gx.shape).ravel())
        z = Z[:, f]
        order = np.argsort(-np.abs(z), kind="stable")
        for rank, i in enumerate(order):
            if z[i] == 0.0:
                break
            j = int(used[i])
            seg = clip_line(W[j], b[j], lo, hi)
            if seg is None:
                continue
            colour = style.weight_color(z[i])
            (line,) = ax.plot(
                *seg.T,
                color=colour,
                ls=style.weight_linestyle(z[i]),
                lw=0.8 + 4.0 * abs(z[i]) / biggest,
                zorder=3,
            )
            artists.append(line)
            if rank < label:
                name = generators_label(*dictionary.generators_of(j))
                artists.append(
                    ax.annotate(
                        name,
                        seg.mean(axis=0),
                        color=colour,
                        fontsize="small",
                        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "alpha": 0.75},
                    )
                )
        k = keep[f]
        ax.set_title(f"α = {path.alphas[k]:.3g}: {np.count_nonzero(z)} atoms")
        return [mesh, *artists]

    draw(len(keep) - 1)  # the still picture (before it plays) is the path's end
    return FuncAnimation(ax.figure, draw, frames=len(keep), interval=interval, blit=False)


def save_animation(animation, out, *, fps=2, dpi=100):
    """Write an animation as a GIF (Pillow) and, where ffmpeg exists, an MP4 beside it.

    Parameters
    ----------
    animation : matplotlib.animation.Animation
        E.g. from :func:`animate_path`.
    out : str or path-like
        The GIF's path (``.gif``); the MP4 gets the same name with ``.mp4``.
    fps : int, default=2
        Frames per second.
    dpi : int, default=100
        Resolution.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    from pathlib import Path

    from matplotlib.animation import FFMpegWriter, PillowWriter

    out = Path(out).with_suffix(".gif")
    out.parent.mkdir(parents=True, exist_ok=True)
    animation.save(out, writer=PillowWriter(fps=fps), dpi=dpi)
    written = [out]
    if FFMpegWriter.isAvailable():
        mp4 = out.with_suffix(".mp4")
        animation.save(mp4, writer=FFMpegWriter(fps=fps), dpi=dpi)
        written.append(mp4)
    return written
