"""Small seeded data sets, generated locally (nothing is downloaded).

Functions
---------
:func:`spiral`
    The two-arm spiral of the geometric-algebra Lasso experiments (SPEC §8.2).
"""

from __future__ import annotations

import numpy as np

__all__ = ["spiral"]


def spiral(n_samples: int = 160, *, shuffle: bool = True, random_state=1):
    """Two interleaved spiral arms in ``[-1, 1]^2`` with labels ±1.

    For ``i = 0..m-1`` (``m = n_samples / 2``) let ``s = 80 i / m``,
    ``φ = s π / 16`` and ``r = 6.5 (104 - s) / 104``. Arm ``+1`` holds the
    points ``(r cos φ / 13 + 0.5, r sin φ / 13 + 0.5)``, arm ``-1`` their
    reflections ``(-r cos φ / 13 + 0.5, -r sin φ / 13 + 0.5)``; all points are
    then mapped by ``x ↦ 2x - 1``. With the default 160 samples this is the
    data set of the Randomized-Geometric-Algebra spiral notebook (SPEC §8.2);
    other sizes sample the same two curves more or less densely.

    Parameters
    ----------
    n_samples : int, default=160
        Total number of points, even and at least 2.
    shuffle : bool, default=True
        Shuffle the samples (the arms are interleaved otherwise).
    random_state : int, numpy.random.Generator or None, default=1
        Seed of the shuffle. The order differs from the notebook's, whose
        shuffle used NumPy's legacy global generator.

    Returns
    -------
    X : ndarray of float64, shape (n_samples, 2)
        The points.
    y : ndarray of float64, shape (n_samples,)
        Labels, +1 or -1.

    Examples
    --------
    >>> X, y = spiral()
    >>> X.shape, sorted(set(y.tolist()))
    ((160, 2), [-1.0, 1.0])
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)):
        raise TypeError(f"n_samples must be an integer; got {type(n_samples).__name__}")
    if n_samples < 2 or n_samples % 2:
        raise ValueError(f"n_samples must be an even integer >= 2; got {n_samples}")
    m = n_samples // 2
    s = 80.0 * np.arange(m) / m
    phi = s * np.pi / 16.0
    r = 6.5 * (104.0 - s) / 104.0
    arm = np.column_stack([r * np.cos(phi), r * np.sin(phi)]) / 13.0
    X = np.concatenate([arm + 0.5, -arm + 0.5]) * 2.0 - 1.0
    y = np.concatenate([np.ones(m), -np.ones(m)])
    if shuffle:
        order = np.random.default_rng(random_state).permutation(n_samples)
        X, y = X[order], y[order]
    return X, y
