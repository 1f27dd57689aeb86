"""Shared fixtures: seeded generators and the Hypothesis profile."""

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

# The first example of a property test may pay a numba compilation: no deadline.
settings.register_profile(
    "geolasso",
    deadline=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("geolasso")


@pytest.fixture
def rng():
    """A fresh, seeded generator per test (never the global RNG)."""
    return np.random.default_rng(20261127)
