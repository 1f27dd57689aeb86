"""Lasso regularization paths over wedge dictionaries."""

from __future__ import annotations

import numpy as np

from ._axes import generators_label, new_axes
from .style import WEIGHT_NEGATIVE as NEGATIVE
from .style import WEIGHT_POSITIVE as POSITIVE

__all__ = ["path_frames", "plot_path"]


def _check_path(path):
    """A TypeError naming what is expected unless ``path`` is a LassoPath."""
    from geolasso.lasso import LassoPath

    if not isinstance(path, LassoPath):
        raise TypeError(
            "path must be a geolasso.LassoPath, the result of geolasso.lasso_path(...); "
            f"got {type(path).__name__}"
        )


def plot_path(path, dictionary=None, *, ax=None, top=8):
    """Coefficients against the penalty, atoms labelled by their generators as they enter.

    Parameters
    ----------
    path : geolasso.LassoPath
        From :func:`geolasso.lasso_path`.
    dictionary : geolasso.WedgeDictionary, optional
        Names the atoms ("x₃ ∧ x₁₇"); column indices otherwise.
    ax : matplotlib Axes, optional
        Where to draw.
    top : int, default=8
        Atoms labelled (the first to enter).

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
    order = sorted(active, key=lambda j: (entry[j], -abs(C[j, -1])))
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
                fontsize=7,
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
    from .neurons import plot_atoms

    _check_path(path)

    C = path.coefs.tocsc()
    frames = []
    for k in range(0, len(path.alphas), max(1, int(every))):
        coef = np.asarray(C[:, k].toarray()).ravel()
        ax = plot_atoms(
            dictionary, X, coef=coef, y=y, max_atoms=max_atoms, columns=np.flatnonzero(coef)
        )
        ax.set_title(f"α = {path.alphas[k]:.3g}: {np.count_nonzero(coef)} atoms", fontsize=10)
        frames.append(ax.figure)
    return frames
