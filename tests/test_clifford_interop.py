"""Cross-checks of geolasso.algebra against the clifford library (d = 2..5)."""

import clifford
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import geolasso as gl

LAYOUTS = {d: clifford.Cl(d) for d in range(2, 6)}


def as_vector(x, d):
    _layout, blades = LAYOUTS[d]
    return sum(float(c) * blades[f"e{i + 1}"] for i, c in enumerate(x))


def test_t1_geometric_product():
    """docs/mathematics.md T1: xy = x·y + x∧y = 11 - 2 e12, built from geolasso's wedge."""
    layout, _blades = LAYOUTS[2]
    x, y = [1.0, 2.0], [3.0, 4.0]
    product = as_vector(x, 2) * as_vector(y, 2)
    expected = 11.0 + gl.to_clifford(gl.wedge([x, y]), 2, layout)
    assert_array_equal(product.value, expected.value)
    assert_array_equal(gl.from_clifford(product(2), 2), [-2.0])


@pytest.mark.parametrize("d", range(2, 6))
@pytest.mark.parametrize("k", range(1, 6))
def test_wedge_equals_clifford_outer_product(rng, d, k):
    if k > d:
        return
    layout, _ = LAYOUTS[d]
    for A in rng.normal(size=(5, k, d)):
        blade = as_vector(A[0], d)
        for a in A[1:]:
            blade = blade ^ as_vector(a, d)
        assert_allclose(gl.wedge(A), gl.from_clifford(blade, k), rtol=1e-12, atol=1e-12)
        back = gl.to_clifford(gl.wedge(A), k, layout)
        assert_allclose(back.value, blade.value, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("d", range(2, 6))
def test_cross_is_clifford_dual_of_the_wedge(rng, d):
    """The documented sign mapping: cross(A) = (a_1 ∧ ... ∧ a_{d-1}).dual() = B I^{-1}."""
    layout, _blades = LAYOUTS[d]
    I_inv = layout.pseudoScalar.inv()
    for A in rng.normal(size=(5, d - 1, d)):
        blade = gl.to_clifford(gl.wedge(A), d - 1, layout)
        for method in ("minors", "svd"):
            c = gl.cross(A, method=method)
            assert_allclose(gl.from_clifford(blade.dual(), 1), c, rtol=1e-10, atol=1e-12)
            assert_allclose(gl.from_clifford(blade * I_inv, 1), c, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("d", range(2, 6))
def test_signed_volume_is_the_pseudoscalar_coefficient(rng, d):
    layout, _ = LAYOUTS[d]
    A = rng.normal(size=(d, d))
    blade = as_vector(A[0], d)
    for a in A[1:]:
        blade = blade ^ as_vector(a, d)
    assert_allclose(gl.signed_volume(A), (blade * layout.pseudoScalar.inv())[()], rtol=1e-12)


def test_reflect_is_the_sandwich_product(rng):
    _layout, _ = LAYOUTS[3]
    n = rng.normal(size=3)
    n /= np.linalg.norm(n)
    x = rng.normal(size=3)
    sandwich = -as_vector(n, 3) * as_vector(x, 3) * as_vector(n, 3)
    assert_allclose(gl.reflect(x, n), gl.from_clifford(sandwich, 1, atol=1e-12), atol=1e-12)


def test_batched_to_clifford_and_errors():
    layout, blades = LAYOUTS[3]
    mvs = gl.to_clifford(np.eye(3)[None].repeat(2, 0), 2, layout)
    assert mvs.shape == (2, 3)
    assert mvs[1, 2] == blades["e23"]
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 3\) for grade 2 in R\^3"):
        gl.to_clifford([1.0, 2.0], 2, layout)
    with pytest.raises(ValueError, match="components outside grade 2"):
        gl.from_clifford(1.0 + blades["e12"], 2)
    assert_array_equal(gl.from_clifford(1.0 + blades["e12"], 2, atol=np.inf), [1.0, 0.0, 0.0])
    with pytest.raises(TypeError, match=r"multivector must be a clifford\.MultiVector"):
        gl.from_clifford(np.ones(3), 1)
