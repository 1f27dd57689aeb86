"""The numba shim: defaults, NUMBA_DISABLE_JIT, and the read-only cache fallback."""

import os
import subprocess
import sys

import numba
import numpy as np
import pytest

from geolasso import _numba
from geolasso.exceptions import NumbaCacheWarning


def test_defaults_cache_on_fastmath_off():
    @_numba.njit
    def add(a, b):
        return a + b

    assert add(1.0, 2.0) == 3.0
    assert add.targetoptions.get("fastmath", False) is False
    assert add._cache.__class__.__name__ == "FunctionCache"


def test_kernels_use_the_shim_defaults():
    from geolasso import _algebra_kernels, _wedge_kernels

    kernels = (
        _algebra_kernels._combinations,
        _wedge_kernels._wedge_subsets,
        _wedge_kernels._wedge_d4_k3,
    )
    for kernel in kernels:
        assert isinstance(kernel, numba.core.registry.CPUDispatcher)
        assert kernel._cache.__class__.__name__ == "FunctionCache"
        assert not kernel.targetoptions.get("fastmath", False)


def test_uncachable_function_falls_back_with_one_warning(monkeypatch):
    """Functions numba cannot cache (no writable locator) compile uncached and warn."""
    monkeypatch.setattr(_numba, "_cache_warning_issued", False)
    namespace = {}
    # Source without a file: numba finds no cache locator, as on a read-only install.
    exec("def twice(x):\n    return 2.0 * x\n", namespace)
    with pytest.warns(NumbaCacheWarning, match="NUMBA_CACHE_DIR"):
        twice = _numba.njit(namespace["twice"])
    assert twice(np.float64(3.0)) == 6.0
    exec("def thrice(x):\n    return 3.0 * x\n", namespace)
    thrice = _numba.njit(namespace["thrice"])  # no second warning (pytest errors on warnings)
    assert thrice(1.0) == 3.0


def test_disable_jit_runs_plain_python():
    code = (
        "import geolasso as gl, geolasso._wedge_kernels as k, numpy as np;"
        "print(type(k._wedge_subsets).__name__, gl.wedge([[1, 2], [3, 4]])[0],"
        " gl.cross_all(np.eye(3), [[0, 1]])[0].tolist())"
    )
    env = dict(os.environ, NUMBA_DISABLE_JIT="1")
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["function", "-2.0", "[0.0,", "0.0,", "1.0]"]


def test_jit_disabled_parsing(monkeypatch):
    for value, expected in [("1", True), ("0", False), ("", False), ("yes", False)]:
        monkeypatch.setenv("NUMBA_DISABLE_JIT", value)
        assert _numba.jit_disabled() is expected
