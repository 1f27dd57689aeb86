"""Independent reference solvers for the tests: cvxpy + Clarabel at tight tolerances.

Nothing here uses geolasso: activation patterns come from null spaces computed
by scipy and from Gaussian gates, the convex programs are written out in
cvxpy from docs/mathematics.md §2.2 and §0.1.
"""

import itertools
import math

import cvxpy as cp
import numpy as np
from scipy.linalg import null_space

#: Clarabel settings of docs/mathematics.md §9 (tight interior-point tolerances).
CLARABEL = {
    "solver": cp.CLARABEL,
    "tol_gap_abs": 1e-10,
    "tol_gap_rel": 1e-10,
    "tol_feas": 1e-10,
    "max_iter": 500,
}


def solve(problem):
    problem.solve(**CLARABEL)
    assert problem.status == cp.OPTIMAL, problem.status
    return problem.value


def lasso_value(K, y, alpha, *, fit_intercept):
    """min (1/(2n))‖y - Kz - c‖² + α‖z‖₁ (c = 0 without intercept)."""
    n, p = K.shape
    z = cp.Variable(p)
    c = cp.Variable() if fit_intercept else 0.0
    objective = cp.sum_squares(y - K @ z - c) / (2 * n) + alpha * cp.norm1(z)
    return solve(cp.Problem(cp.Minimize(objective)))


def general_position_count(n, r):
    """Cells of a central arrangement of n rows in general position in R^r.

    See docs/mathematics.md §2.1.
    """
    return 2 * sum(math.comb(n - 1, k) for k in range(r))


def activation_patterns(Z, *, n_gaussian=20000, seed=0):
    """All full-dimensional activation patterns 1[Zu > 0] of the rows of Z.

    Extreme rays of every cell are null vectors of r - 1 rows (docs/mathematics.md §2.1); a
    small step off each ray in every sign direction reaches every cell that
    ray bounds. Gaussian gates are added as a cross-check.
    """
    n, r = Z.shape
    found = set()
    if r == 1:
        for s in (1.0, -1.0):
            found.add(tuple((Z[:, 0] * s > 0).astype(int)))
    else:
        eps = 1e-7
        for S in itertools.combinations(range(n), r - 1):
            N = null_space(Z[list(S)])
            if N.shape[1] != 1:
                continue
            c = N[:, 0]
            A = np.vstack([Z[list(S)], c])
            for signs in itertools.product((-1.0, 1.0), repeat=r - 1):
                for tau in (-1.0, 1.0):
                    u = np.linalg.solve(A, np.concatenate([eps * np.array(signs), [tau]]))
                    t = Z @ u
                    if np.min(np.abs(t)) > 1e-12:
                        found.add(tuple((t > 0).astype(int)))
    gates = np.random.default_rng(seed).standard_normal((r, n_gaussian))
    T = Z @ gates
    T = T[:, np.min(np.abs(T), axis=0) > 1e-12]
    found.update(map(tuple, (T > 0).astype(int).T))
    return np.array(sorted(found), dtype=float)  # (P, n)


def _crelu_solve(X, y, alpha, bias, norm):
    """Solve the convex two-layer ReLU program (docs/mathematics.md §2.2) over all patterns.

    Returns (value, V, U, c, cols, p, P): the optimum, the solution's variables
    (one row per pattern), the intercept (0 without one), the penalised columns,
    the norm order and the number of patterns.
    """
    n, d = X.shape
    Z = X if bias == "none" else np.hstack([X, np.ones((n, 1))])
    patterns = activation_patterns(Z)
    patterns = patterns[patterns.any(axis=1)]  # the all-zero pattern adds nothing
    P, r = patterns.shape[0], Z.shape[1]
    V = cp.Variable((P, r))
    U = cp.Variable((P, r))
    pre_v = Z @ V.T  # (n, P)
    pre_u = Z @ U.T
    D = patterns.T  # (n, P)
    fit = cp.sum(cp.multiply(D, pre_v - pre_u), axis=1)
    c = cp.Variable() if bias == "free" else 0.0
    cols = slice(0, d) if bias == "free" else slice(0, r)
    p = 1 if norm == "l1" else 2
    penalty = cp.sum(cp.norm(V[:, cols], p, axis=1)) + cp.sum(cp.norm(U[:, cols], p, axis=1))
    sign = 2 * D - 1
    constraints = [cp.multiply(sign, pre_v) >= 0, cp.multiply(sign, pre_u) >= 0]
    objective = cp.sum_squares(y - fit - c) / (2 * n) + alpha * penalty
    value = solve(cp.Problem(cp.Minimize(objective), constraints))
    c_value = float(c.value) if bias == "free" else 0.0
    return value, V.value, U.value, c_value, cols, p, P


def crelu_value(X, y, alpha, *, bias, norm):
    """Optimal value of the convex two-layer ReLU program (docs/mathematics.md §2.2), code scale.

    bias: "none" (Z = X, no intercept), "free" (Z = [X, 1], free intercept,
    bias outside the norm) or "regularized" (Z = [X, 1], whole vector in the
    norm, no intercept). norm: "l1" or "l2" group norm. Returns (value, number
    of patterns).
    """
    value, *_, P = _crelu_solve(X, y, alpha, bias, norm)
    return value, P


def crelu_network(X, y, alpha, *, bias, norm):
    """The optimal value of C-ReLU and its recovered network (docs/mathematics.md §2.2).

    Returns (value, W, b, v, c) with one neuron per non-zero v_i or u_i:
    (w, b) = v_i / sqrt(‖v_i^(w)‖), outer weight ±sqrt(‖v_i^(w)‖).
    """
    d = X.shape[1]
    value, V, U, c, cols, p, _ = _crelu_solve(X, y, alpha, bias, norm)
    W, b, v = [], [], []
    for M, s in ((V, 1.0), (U, -1.0)):
        for row in M:
            size = np.linalg.norm(row[cols], p)
            if size > 1e-7:
                unit = row / np.sqrt(size)
                full = np.zeros(d + 1)
                full[: unit.size] = unit
                W.append(full[:d])
                b.append(full[d] if bias != "none" else 0.0)
                v.append(s * np.sqrt(size))
    return value, np.array(W), np.array(b), np.array(v), c
