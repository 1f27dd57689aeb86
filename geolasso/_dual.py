"""Dual lower bounds on a ray: the scaled-residual bound shared by every certificate.

For the squared loss ``‖y − Φ w‖² / (2n)`` plus a penalty whose dual constraint
is ``max_atoms |λᵀ φ| <= n α``, any residual ``r`` scaled into the dual
feasible set gives the lower bound ``(‖y‖² − ‖y − t r‖²) / (2n)``.
:func:`ray_bound` takes the best ``t`` on that ray; :func:`dual_ratio` turns
the dual-constraint values of ``r`` into the ratio that limits ``t``. Used by
:mod:`geolasso.certificate` and by the arrangement solver
(:mod:`geolasso.crelu`).
"""

from __future__ import annotations

import math

import numpy as np


def ray_bound(y_t, r, top_ratio):
    """The best dual value on the ray ``t r``, feasible for ``t <= 1 / max(1, top_ratio)``."""
    rr = float(r @ r)
    t = 0.0 if rr == 0.0 else float(y_t @ r) / rr
    t = min(max(t, 0.0), 1.0 / max(1.0, top_ratio))
    shifted = y_t - t * r
    return (float(y_t @ y_t) - float(shifted @ shifted)) / (2 * len(y_t))


def dual_ratio(values, threshold):
    """The largest dual-constraint value over ``n α`` (``threshold``).

    ``inf`` when a value is not a number: no scaling of the residual is then
    known to be dual feasible, and :func:`ray_bound`
    falls back to the trivial lower bound ``0`` (never to a NaN, and never to
    an unproven bound).
    """
    top = float(np.max(values, initial=0.0))
    return top / threshold if math.isfinite(top) else math.inf
