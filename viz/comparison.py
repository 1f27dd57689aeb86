"""Convex training against local search: objective against time."""

from __future__ import annotations

import numpy as np

from ._axes import new_axes

__all__ = ["plot_comparison"]


def plot_comparison(runs, optimum=None, *, ax=None, relative=True):
    """Objective against wall-clock time for several runs (convex solvers, SGD, Adam).

    Parameters
    ----------
    runs : dict
        ``name -> (times, objectives)`` (arrays of equal length; one point
        for a solver that reports only its end) or ``name -> list`` of such
        pairs (several seeds, drawn thin in one colour).
    optimum : float, optional
        The reference ``J*`` (e.g. geolasso's certified optimum): with
        ``relative``, the y axis is ``(J − J*) / J*`` on a log scale.
    ax : matplotlib Axes, optional
        Where to draw.
    relative : bool, default=True
        Plot the relative excess over ``optimum`` (needs ``optimum``).

    Returns
    -------
    matplotlib Axes
    """
    if not isinstance(runs, dict) or not runs:
        raise ValueError("runs must be a non-empty dict name -> (times, objectives)")
    ax = new_axes(ax)
    rel = relative and optimum is not None
    for n, (name, value) in enumerate(runs.items()):
        curves = value if isinstance(value, list) else [value]
        color = f"C{n % 10}"
        for k, (times, obj) in enumerate(curves):
            times = np.asarray(times, dtype=float).reshape(-1)
            obj = np.asarray(obj, dtype=float).reshape(-1)
            if times.shape != obj.shape:
                raise ValueError(f"run {name!r}: times and objectives differ in length")
            yv = np.maximum((obj - optimum) / abs(optimum), 1e-16) if rel else obj
            kw = {"label": name if k == 0 else None, "color": color}
            if times.size == 1:
                ax.plot(times, yv, "*", ms=12, **kw)
            else:
                ax.plot(times, yv, lw=1.5 if len(curves) == 1 else 0.8, **kw)
    ax.set_xscale("log")
    if rel:
        ax.set_yscale("log")
        ax.set_ylabel("(J − J*) / J*")
    else:
        ax.set_ylabel("objective J")
        if optimum is not None:
            ax.axhline(optimum, color="k", lw=0.8, ls="--", label="optimum")
    ax.set_xlabel("time (s)")
    ax.legend(fontsize="small")
    return ax
