"""Hypothesis strategies: bounded real and integer matrices of small size."""

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

# Zero or magnitudes in [1e-6, 10]: the numpy oracles (LU determinants) underflow and warn on
# products of tiny entries such as 1e-300, which says nothing about geolasso.
_magnitude = st.floats(min_value=1e-6, max_value=10.0, allow_nan=False, allow_infinity=False)
finite = st.one_of(st.just(0.0), _magnitude, _magnitude.map(lambda v: -v))
small_int = st.integers(min_value=-6, max_value=6)


@st.composite
def matrices(draw, rows, cols, elements=finite):
    """A float64 array of shape (rows, cols)."""
    return draw(hnp.arrays(np.float64, (rows, cols), elements=elements))


@st.composite
def cross_inputs(draw, min_dim=2, max_dim=6, elements=finite):
    """(A, x): A of shape (d - 1, d) and x of shape (d,)."""
    d = draw(st.integers(min_dim, max_dim))
    A = draw(matrices(d - 1, d, elements))
    x = draw(hnp.arrays(np.float64, (d,), elements=elements))
    return A, x


@st.composite
def blade_inputs(draw, max_dim=6, elements=finite):
    """A of shape (k, d) with 1 <= k <= d <= max_dim."""
    d = draw(st.integers(1, max_dim))
    k = draw(st.integers(1, d))
    return draw(matrices(k, d, elements))
