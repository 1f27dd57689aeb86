"""geolasso.algebra against docs/mathematics.md §9 (T1–T8), algebraic laws and independent oracles.

Oracles: numpy's LU determinant (``numpy.linalg.det``) of explicitly assembled
matrices, ``numpy.cross``, and exact sympy arithmetic (in test_symbolic.py).
"""

import itertools
import math

import numpy as np
import pytest
from _strategies import blade_inputs, cross_inputs, finite, matrices
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

import geolasso as gl
from geolasso import algebra


def det_minors(A):
    """Independent oracle: minors of A (k, d) by numpy's LU determinant."""
    k, d = A.shape
    return np.array([np.linalg.det(A[:, list(S)]) for S in itertools.combinations(range(d), k)])


def scale(*arrays):
    """Tolerance scale: the product of the row norms (a bound on every minor)."""
    out = 1.0
    for A in arrays:
        out *= float(np.prod(np.linalg.norm(np.atleast_2d(A), axis=1) + 1.0))
    return out


# ----------------------------------------------------------------- docs/mathematics.md §9, T1–T8
def test_t1_wedge_2d():
    x, y = [1, 2], [3, 4]
    assert_array_equal(gl.wedge([x, y]), [-2.0])
    assert_array_equal(gl.wedge([y, x]), [2.0])
    assert_array_equal(gl.wedge([x, x]), [0.0])
    assert np.dot(x, y) == 11


def test_t2_cross_2d_convention():
    c = gl.cross([[3, 4]])
    assert_array_equal(c, [4.0, -3.0])
    assert c @ [1, 0] == 4.0 == gl.signed_volume([[1, 0], [3, 4]])


def test_t3_cross_3d():
    a, b = np.array([1.0, 2, 3]), np.array([4.0, 5, 6])
    c = gl.cross([a, b])
    assert_array_equal(c, [-3.0, 6.0, -3.0])
    assert_array_equal(c, np.cross(a, b))
    assert c @ c == 54.0
    assert c @ a == 0.0
    assert c @ b == 0.0
    assert c[0] == -3.0 == gl.signed_volume([[1, 0, 0], a, b])
    assert_array_equal(gl.wedge([a, b]), [-3.0, -6.0, -3.0])  # docs/mathematics.md §0.3 layout
    assert gl.blade_norm([a, b]) ** 2 == pytest.approx(54.0, rel=1e-15)


def test_t4_cross_4d_signs():
    e = np.eye(4)
    assert_array_equal(gl.cross(e[[1, 2, 3]]), e[0])
    assert_array_equal(gl.cross(e[[0, 2, 3]]), -e[1])


def test_t6_triangle():
    x, p, q = [0.0, 1.0], [0.0, 0.0], [1.0, 0.0]
    w, b = gl.hyperplane([p, q])
    value = w @ x + b
    assert value == 1.0
    assert value == 2 * gl.simplex_volume([x, p, q])
    assert value / np.linalg.norm(w) == 1.0


def test_t7_augmented_identity():
    e = np.eye(3)
    w, b = gl.hyperplane(e)
    x = np.zeros(3)
    assert w @ x + b == -1.0
    assert (-1) ** 3 * gl.signed_volume(e - x) == -1.0
    assert gl.simplex_volume(np.vstack([x, e])) == pytest.approx(1 / 6, rel=1e-15)


@pytest.mark.parametrize("d", [1, 2, 3, 4, 5, 6, 7])
def test_t7_augmented_identity_random(rng, d):
    P = rng.normal(size=(5, d, d))
    x = rng.normal(size=(5, d))
    w, b = gl.hyperplane(P)
    lhs = np.einsum("bi,bi->b", w, x) + b
    augmented = np.concatenate([np.concatenate([x[:, None], P], 1), np.ones((5, d + 1, 1))], 2)
    assert_allclose(lhs, np.linalg.det(augmented), rtol=1e-10, atol=1e-12 * scale(P[0], x))
    assert_allclose(lhs, (-1) ** d * np.linalg.det(P - x[:, None, :]), rtol=1e-10, atol=1e-10)
    simplex = gl.simplex_volume(np.concatenate([x[:, None], P], 1))
    assert_allclose(lhs, (-1) ** d * math.factorial(d) * simplex, rtol=1e-10, atol=1e-10)


def test_t8_worked_example():
    p, q, r = [0.0, 0.0], [4.0, 0.0], [1.0, 3.0]
    w, b = gl.hyperplane([p, q])
    assert_array_equal(np.append(w, b), [0.0, 4.0, 0.0])
    assert w @ r + b == 12.0
    assert (w @ r + b) / np.linalg.norm(w) == 3.0
    w, b = gl.hyperplane([q, r])
    assert_array_equal(np.append(w, b), [-3.0, -3.0, 12.0])
    assert w @ p + b == 12.0
    assert (w @ p + b) / np.linalg.norm(w) == pytest.approx(2 * np.sqrt(2), rel=1e-15)
    assert (w @ p + b) / np.abs(w).sum() == 2.0


# ----------------------------------------------------------------- laws (T5 and more)
@given(cross_inputs())
def test_t5_cross_identities(data):
    A, x = data
    tol = 1e-11 * scale(A, x)
    for method in ("minors", "svd"):
        c = gl.cross(A, method=method)
        assert_allclose(c @ x, np.linalg.det(np.vstack([x, A])), atol=tol)
        assert_allclose(A @ c, 0.0, atol=tol)
        assert_allclose(c @ c, np.linalg.det(A @ A.T), atol=tol * scale(A))


@given(blade_inputs(), st.data())
def test_wedge_antisymmetric(A, data):
    k = A.shape[0]
    if k < 2:
        return
    i, j = data.draw(st.lists(st.integers(0, k - 1), min_size=2, max_size=2, unique=True))
    B = A.copy()
    B[[i, j]] = B[[j, i]]
    assert_allclose(gl.wedge(B), -gl.wedge(A), atol=1e-12 * scale(A))


@given(blade_inputs(), st.data())
def test_wedge_repeated_vector_is_exactly_zero(A, data):
    k, d = A.shape
    if k < 2:
        return
    i, j = data.draw(st.lists(st.integers(0, k - 1), min_size=2, max_size=2, unique=True))
    A[j] = A[i]
    out = gl.wedge(A)
    assert_array_equal(out, np.zeros(math.comb(d, k)))


@given(blade_inputs(), st.data())
def test_wedge_multilinear(A, data):
    _k, d = A.shape
    a2 = data.draw(matrices(1, d))[0]
    s, t = data.draw(finite), data.draw(finite)
    B, C = A.copy(), A.copy()
    C[0] = a2
    B[0] = s * A[0] + t * a2
    expected = s * gl.wedge(A) + t * gl.wedge(C)
    assert_allclose(gl.wedge(B), expected, atol=1e-11 * scale(A, a2) * (abs(s) + abs(t) + 1))


@given(blade_inputs())
def test_wedge_matches_determinant_minors(A):
    assert_allclose(gl.wedge(A), det_minors(A), atol=1e-12 * scale(A))


@given(blade_inputs(max_dim=8))
def test_blade_norm_is_gram_volume(A):
    """Cauchy–Binet: |wedge|_2 = sqrt(det(A A^T)), for both methods."""
    gram = np.linalg.det(A @ A.T)
    tol = 1e-11 * scale(A) ** 2
    for method in ("minors", "svd"):
        vol = gl.blade_norm(A, method=method)
        assert vol >= 0.0
        assert_allclose(vol**2, max(gram, 0.0), atol=tol)
    if A.shape[1] <= algebra.MINORS_MAX_DIM:
        assert_allclose(np.linalg.norm(gl.wedge(A)), gl.blade_norm(A), rtol=1e-12, atol=1e-300)


@given(blade_inputs())
def test_signed_volume_of_square_blades(A):
    d = A.shape[1]
    B = np.vstack([A, np.eye(d)])[:d]
    for method in ("minors", "lu"):
        assert_allclose(gl.signed_volume(B, method=method), np.linalg.det(B), atol=1e-11 * scale(B))
    if d > 1:
        B[-1] = B[0]
        for method in ("minors", "lu"):
            assert gl.signed_volume(B, method=method) == 0.0


@given(st.integers(1, 6).flatmap(lambda d: matrices(d, d)))
def test_hyperplane_passes_through_its_points(P):
    w, b = gl.hyperplane(P)
    assert_allclose(P @ w + b, 0.0, atol=1e-10 * scale(P))


@given(st.integers(1, 6).flatmap(lambda d: matrices(3, d)), st.data())
def test_reflect_involution_and_isometry(Z, data):
    d = Z.shape[1]
    normal = data.draw(matrices(1, d))[0]
    if np.linalg.norm(normal) < 1e-3:
        normal[0] = 1.0
    offset = data.draw(finite)
    x, y = Z[0], Z[1]
    rx, ry = gl.reflect(x, normal, offset), gl.reflect(y, normal, offset)
    tol = 1e-9 * (1 + np.abs(Z).max() + abs(offset) / np.linalg.norm(normal))
    assert_allclose(gl.reflect(rx, normal, offset), x, atol=tol)
    assert_allclose(np.linalg.norm(rx - ry), np.linalg.norm(x - y), atol=tol)
    # the mirror is fixed pointwise and the normal component changes sign
    assert_allclose(rx @ normal - offset, -(x @ normal - offset), atol=tol * np.linalg.norm(normal))


def test_reflect_in_1d_is_the_mirror_point():
    # docs/mathematics.md §3.5: the reflection of x_j about x_i is 2 x_i - x_j.
    assert_array_equal(gl.reflect([[3.0], [5.0]], [1.0], [1.0, 4.0]), [[-1.0], [3.0]])
    # a non-unit normal describes the same mirror
    assert_allclose(gl.reflect([3.0, 1.0], [0.0, 2.0], 2.0), [3.0, 1.0])


# ----------------------------------------------------------------- exactness and degeneracy
@pytest.mark.parametrize("d", range(1, 9))
def test_integer_inputs_give_exact_integer_minors(rng, d):
    for k in range(1, d + 1):
        A = rng.integers(-6, 7, size=(20, k, d)).astype(float)
        expected = np.array([np.round(det_minors(a)) for a in A])
        assert_array_equal(gl.wedge(A), expected)


@pytest.mark.parametrize("d", range(2, 10))
def test_dependent_rows_give_zeros_not_nan(rng, d):
    A = rng.normal(size=(d - 1, d))
    A[-1] = 0.5 * A[0] if d > 2 else 0.0
    for method in ("minors", "svd"):
        c = gl.cross(A, method=method)
        assert np.isfinite(c).all()
        assert_allclose(c, 0.0, atol=1e-12 * scale(A))
    assert np.isfinite(gl.blade_norm(A)).all()
    A[-1] = A[0]
    for method in ("minors", "svd"):
        assert_array_equal(gl.cross(A, method=method), np.zeros(d))
        assert gl.blade_norm(A, method=method) == 0.0
    if d >= 3:
        X = np.vstack([A, rng.normal(size=(2, d))])
        # row 0 twice by index, and rows 0 and d - 2 (equal values) together
        S = np.array([[0, *range(1, d - 2), 0], [d - 2, *range(1, d - 2), 0]])
        assert_array_equal(gl.cross_all(X, S), np.zeros((2, d)))
        assert_array_equal(gl.wedge_all(X, S), np.zeros((2, d)))
    w, b = gl.hyperplane(np.vstack([A, A[:1]]))  # repeated point: no hyperplane
    assert np.isfinite(w).all()
    assert np.isfinite(b)


@pytest.mark.parametrize("d", range(2, 10))
def test_svd_and_minor_paths_agree(rng, d):
    A = rng.normal(size=(30, d - 1, d))
    assert_allclose(gl.cross(A, method="svd"), gl.cross(A, method="minors"), rtol=1e-9, atol=1e-12)
    B = rng.normal(size=(30, d, d))
    assert_allclose(
        gl.signed_volume(B, method="lu"),
        gl.signed_volume(B, method="minors"),
        rtol=1e-9,
        atol=1e-12,
    )
    assert_allclose(gl.blade_norm(A, method="svd"), gl.blade_norm(A, method="minors"), rtol=1e-9)


# ----------------------------------------------------------------- batching
def test_batched_equals_one_at_a_time(rng):
    A = rng.normal(size=(2, 3, 3, 5))
    W = gl.wedge(A)
    assert W.shape == (2, 3, math.comb(5, 3))
    for i, j in itertools.product(range(2), range(3)):
        assert_array_equal(W[i, j], gl.wedge(A[i, j]))
    C = rng.normal(size=(4, 2, 4, 5))
    assert_array_equal(gl.cross(C)[3, 1], gl.cross(C[3, 1]))
    P = rng.normal(size=(3, 2, 2))
    w, b = gl.hyperplane(P)
    assert w.shape == (3, 2)
    assert b.shape == (3,)
    assert_array_equal(w[2], gl.hyperplane(P[2])[0])


@pytest.mark.parametrize(
    ("d", "k"), [(2, 1), (3, 2), (4, 3), (4, 4), (5, 2), (6, 3), (7, 3), (8, 4)]
)
def test_wedge_all_matches_determinants(rng, d, k):
    X = rng.normal(size=(9, d))
    S = gl.subsets(9, k)
    expected = np.array([det_minors(X[s]) for s in S])
    assert_allclose(gl.wedge_all(X, S), expected, atol=1e-12 * scale(X))
    # unordered subsets, repeated indices and reversed orders (signs) too
    T = rng.integers(0, 9, size=(40, k))
    expected = np.array([det_minors(X[t]) for t in T])
    assert_allclose(gl.wedge_all(X, T), expected, atol=1e-12 * scale(X))
    assert_array_equal(gl.wedge_all(X, T), gl.wedge(X[T]))


@pytest.mark.parametrize("d", [2, 3, 4, 6, 7, 9])
def test_cross_all_matches_cross(rng, d):
    X = rng.normal(size=(8, d))
    S = gl.subsets(8, d - 1)
    for method in ("minors", "svd"):
        assert_allclose(
            gl.cross_all(X, S, method=method), gl.cross(X[S], method=method), rtol=1e-12, atol=1e-13
        )
    expected = np.array([[np.linalg.det(np.vstack([e, X[s]])) for e in np.eye(d)] for s in S])
    assert_allclose(gl.cross_all(X, S), expected, atol=1e-11 * scale(X))


@pytest.mark.parametrize(("n", "k"), [(0, 0), (3, 0), (5, 1), (6, 3), (7, 7), (12, 4)])
def test_subsets_are_all_combinations_in_order(n, k):
    expected = np.array(list(itertools.combinations(range(n), k)), dtype=np.int64)
    assert_array_equal(gl.subsets(n, k), expected.reshape(math.comb(n, k), k))


def test_blade_basis_order():
    assert gl.blade_basis(4, 2) == [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]
    assert gl.blade_basis(3, 0) == [()]


# ----------------------------------------------------------------- empty and bad input
def test_empty_batches_keep_their_shape():
    assert gl.wedge(np.zeros((0, 2, 3))).shape == (0, 3)
    assert gl.cross(np.zeros((0, 4, 5))).shape == (0, 5)
    assert gl.cross(np.zeros((0, 7, 8))).shape == (0, 8)
    assert gl.blade_norm(np.zeros((0, 2, 9))).shape == (0,)
    assert gl.signed_volume(np.zeros((2, 0, 3, 3))).shape == (2, 0)
    w, b = gl.hyperplane(np.zeros((0, 3, 3)))
    assert w.shape == (0, 3)
    assert b.shape == (0,)
    assert gl.wedge_all(np.ones((3, 3)), np.zeros((0, 2), dtype=int)).shape == (0, 3)
    assert gl.cross_all(np.ones((3, 3)), np.zeros((0, 2), dtype=int)).shape == (0, 3)
    assert gl.reflect(np.zeros((0, 2)), [1.0, 0.0]).shape == (0, 2)


def test_zero_vectors_and_the_empty_wedge():
    assert_array_equal(gl.wedge(np.zeros((2, 0, 3))), np.ones((2, 1)))
    assert_array_equal(gl.cross(np.zeros((0, 1))), [1.0])  # ×() in R^1 is det[x] = x


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: gl.wedge(np.ones((3, 2))), ValueError, r"k <= d; got k = 3 vectors in R\^2"),
        (lambda: gl.wedge([1.0, 2.0]), ValueError, r"vectors must have at least 2 dimension"),
        (lambda: gl.wedge([[1.0, np.nan]]), ValueError, r"vectors must be finite; it has 1 NaN"),
        (lambda: gl.wedge([[1.0, np.inf]]), ValueError, "vectors must be finite"),
        (lambda: gl.wedge([["a", "b"]]), TypeError, "vectors must contain real numbers"),
        (lambda: gl.wedge([[1j, 2]]), TypeError, "vectors must contain real numbers; got complex"),
        (lambda: gl.wedge([[1, 2], [3]]), ValueError, "rectangular array"),
        (
            lambda: gl.cross(np.ones((3, 3))),
            ValueError,
            r"d - 1 vectors; got 3 vector\(s\) in R\^3",
        ),
        (lambda: gl.cross(np.ones((1, 2)), method="qr"), ValueError, "method must be one of"),
        (lambda: gl.signed_volume(np.ones((2, 2)), method="svd"), ValueError, "method must be"),
        (lambda: gl.signed_volume(np.ones((2, 3))), ValueError, r"shape \(\.\.\., d, d\)"),
        (lambda: gl.simplex_volume(np.ones((2, 2))), ValueError, r"d \+ 1 vertices"),
        (lambda: gl.hyperplane(np.ones((3, 2))), ValueError, r"got 3 point\(s\) in R\^2"),
        (lambda: gl.blade_norm(np.ones((4, 3))), ValueError, "k <= d"),
        (lambda: gl.reflect([1.0, 2.0], [0.0, 0.0]), ValueError, "normal must be non-zero"),
        (lambda: gl.reflect([1.0, 2.0], [1.0, 0.0, 0.0]), ValueError, "same last dimension"),
        (lambda: gl.reflect([[1.0, 2.0]], [1.0, 0.0], [1.0, 2.0]), ValueError, "do not broadcast"),
        (lambda: gl.wedge_all(np.ones((3, 3)), [[0, 3]]), ValueError, r"indices in \[0, 3\)"),
        (lambda: gl.wedge_all(np.ones((3, 3)), [[0.0, 1.0]]), TypeError, "integer array"),
        (lambda: gl.wedge_all(np.ones((3, 3)), [0, 1]), ValueError, r"shape \(m, k\)"),
        (lambda: gl.wedge_all(np.ones(3), [[0]]), ValueError, r"X must have at least 2"),
        (lambda: gl.wedge_all(np.ones((5, 2)), [[0, 1, 2]]), ValueError, "at most d = 2 columns"),
        (lambda: gl.cross_all(np.ones((5, 3)), [[0, 1, 2]]), ValueError, r"shape \(m, 2\)"),
        (lambda: gl.subsets(3, 4), ValueError, "0 <= k <= n"),
        (lambda: gl.subsets(3.0, 1), TypeError, "n must be an integer"),
        (lambda: gl.blade_basis(3, 5), ValueError, "0 <= k <= d = 3"),
    ],
)
def test_bad_input_is_named(call, error, match):
    with pytest.raises(error, match=match):
        call()
