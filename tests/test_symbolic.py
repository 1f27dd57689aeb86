"""Exact agreement between the float kernels and sympy (geolasso.symbolic).

The symbolic module is itself checked against sympy's own determinant of the
assembled matrices (an independent definition) and against the mathematics page's worked values.
"""

import itertools

import numpy as np
import pytest
import sympy
from _strategies import matrices, small_int
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal

import geolasso as gl
from geolasso import symbolic


def as_float(matrix):
    return np.array([float(v) for v in matrix], dtype=float)


@settings(max_examples=25)
@given(
    st.integers(1, 6).flatmap(
        lambda d: st.integers(1, d).flatmap(lambda k: matrices(k, d, small_int.map(float)))
    )
)
def test_wedge_is_exact_on_integers(A):
    assert_array_equal(gl.wedge(A), as_float(symbolic.wedge(A.astype(int).tolist())))


@settings(max_examples=25)
@given(st.integers(2, 6).flatmap(lambda d: matrices(d - 1, d, small_int.map(float))))
def test_cross_is_exact_on_integers(A):
    exact = symbolic.cross(A.astype(int).tolist())
    assert_array_equal(gl.cross(A), as_float(exact))
    # independent definition: <e_k, cross(A)> = det[e_k; A]
    d = A.shape[1]
    rows = A.astype(int).tolist()
    for k in range(d):
        e = [int(i == k) for i in range(d)]
        assert exact[k] == sympy.Matrix([e, *rows]).det()


@settings(max_examples=25)
@given(st.integers(1, 5).flatmap(lambda d: matrices(d, d, small_int.map(float))))
def test_volumes_and_hyperplanes_are_exact_on_integers(P):
    d = P.shape[1]
    ints = P.astype(int).tolist()
    assert gl.signed_volume(P) == float(symbolic.signed_volume(ints))
    w, b = gl.hyperplane(P)
    w_exact, b_exact = symbolic.hyperplane(ints)
    assert_array_equal(w, as_float(w_exact))
    assert b == float(b_exact)
    for p in ints:  # the exact hyperplane passes through its points
        assert sum(wi * pi for wi, pi in zip(w_exact, p, strict=True)) + b_exact == 0
    x = [1] * d
    simplex = symbolic.simplex_volume([x, *ints])
    assert gl.simplex_volume(np.vstack([np.ones(d), P])) == pytest.approx(float(simplex), abs=1e-12)


def test_blade_norm_and_spec_values():
    assert symbolic.blade_norm([[1, 2, 3], [4, 5, 6]]) == sympy.sqrt(54)
    assert list(symbolic.cross([[1, 2, 3], [4, 5, 6]])) == [-3, 6, -3]
    w, b = symbolic.hyperplane([[4, 0], [1, 3]])  # docs/mathematics.md T8
    assert list(w) == [-3, -3]
    assert b == 12
    assert symbolic.simplex_volume([[0, 0], [4, 0], [1, 3]]) == 6
    assert symbolic.signed_volume([[0.5, 0], [0, 0.25]]) == sympy.Rational(1, 8)


def test_symbols_and_latex():
    a1, a2, b1, b2 = sympy.symbols("a1 a2 b1 b2")
    w = symbolic.wedge([[a1, a2], [b1, b2]])
    assert sympy.expand(w[0] - (a1 * b2 - a2 * b1)) == 0
    expr = symbolic.blade_expression(symbolic.wedge([[1, 2, 3], [4, 5, 6]]), 3, 2)
    assert symbolic.latex(expr) == "- 3 e_{12} - 6 e_{13} - 3 e_{23}"
    assert "e_{1,10}" in str(symbolic.blade_expression([0] * 8 + [1] + [0] * 36, 10, 2))


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: symbolic.wedge([[1, 2], [3, 4], [5, 6]]), ValueError, "k <= d"),
        (lambda: symbolic.cross([[1, 2, 3]]), ValueError, "d - 1 vectors"),
        (lambda: symbolic.wedge([[1, 2], [3]]), ValueError, "rectangular"),
        (lambda: symbolic.wedge([[1, float("nan")]]), ValueError, "finite"),
        (lambda: symbolic.wedge([["x+", 1]]), TypeError, "numbers or sympy expressions"),
        (lambda: symbolic.wedge(5), TypeError, "sequence of vectors"),
        (lambda: symbolic.hyperplane([[1, 2]]), ValueError, "d points"),
        (lambda: symbolic.blade_expression([1, 2], 3, 2), ValueError, "C\\(3, 2\\) = 3"),
    ],
)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_symbolic_wedge_matches_all_minors():
    A = [[1, -2, 0, 3], [2, 1, 1, -1], [0, 4, -3, 2]]
    expected = [
        sympy.Matrix(A).extract([0, 1, 2], list(S)).det()
        for S in itertools.combinations(range(4), 3)
    ]
    assert list(symbolic.wedge(A)) == expected
