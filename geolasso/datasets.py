"""Small seeded data sets, generated locally (nothing is downloaded).

Functions
---------
:func:`spiral`
    The two-arm spiral of the geometric-algebra Lasso experiments (docs/mathematics.md §8.2).
:func:`teacher`
    Regression targets from a random two-layer ReLU "teacher" network.
"""

from __future__ import annotations

import numpy as np

__all__ = ["spiral", "teacher"]


def spiral(n_samples: int = 160, *, shuffle: bool = True, random_state=1):
    """Two interleaved spiral arms in ``[-1, 1]^2`` with labels ±1.

    For ``i = 0..m-1`` (``m = n_samples / 2``) let ``s = 80 i / m``,
    ``φ = s π / 16`` and ``r = 6.5 (104 - s) / 104``. Arm ``+1`` holds the
    points ``(r cos φ / 13 + 0.5, r sin φ / 13 + 0.5)``, arm ``-1`` their
    reflections ``(-r cos φ / 13 + 0.5, -r sin φ / 13 + 0.5)``; all points are
    then mapped by ``x ↦ 2x - 1``. With the default 160 samples this is the
    data set of the Randomized-Geometric-Algebra spiral notebook (docs/mathematics.md §8.2);
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


def teacher(
    n_samples: int = 40,
    n_features: int = 2,
    *,
    n_neurons: int = 3,
    noise: float = 0.1,
    random_state=0,
):
    """Samples and targets of a random two-layer ReLU teacher network.

    ``X`` is standard Gaussian; ``y = Σ_j v_j (w_j·x + b_j)_+ + noise · ε``
    with Gaussian ``w_j``, ``b_j``, ``ε`` and outputs ``v_j = ±1``
    (alternating signs).

    Parameters
    ----------
    n_samples : int, default=40
        Number of samples.
    n_features : int, default=2
        Input dimension.
    n_neurons : int, default=3
        Teacher width.
    noise : float, default=0.1
        Standard deviation of the additive Gaussian noise (``>= 0``).
    random_state : int, numpy.random.Generator or None, default=0
        Seed of every draw.

    Returns
    -------
    X : ndarray of float64, shape (n_samples, n_features)
    y : ndarray of float64, shape (n_samples,)

    Examples
    --------
    >>> X, y = teacher(10, 3)
    >>> X.shape, y.shape
    ((10, 3), (10,))
    """
    from ._validation import as_generator, as_positive_int

    n = as_positive_int(n_samples, "n_samples")
    d = as_positive_int(n_features, "n_features")
    m = as_positive_int(n_neurons, "n_neurons")
    if not (isinstance(noise, (int, float, np.integer, np.floating)) and noise >= 0):
        raise ValueError(f"noise must be a number >= 0; got {noise!r}")
    rng = as_generator(random_state)
    X = rng.normal(size=(n, d))
    W = rng.normal(size=(m, d))
    b = rng.normal(size=m)
    v = np.where(np.arange(m) % 2 == 0, 1.0, -1.0)
    y = np.maximum(X @ W.T + b, 0.0) @ v + float(noise) * rng.normal(size=n)
    return X, y
