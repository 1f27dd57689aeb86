"""Hypothesis strategies: bounded real and integer matrices of small size."""

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

# No subnormals: the numpy oracles divide by tiny pivots and warn (or overflow).
finite = st.floats(
    min_value=-10.0, max_value=10.0, allow_nan=False, allow_infinity=False, allow_subnormal=False
)
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
