"""The one numba shim of geolasso.

Every kernel in geolasso is compiled through :func:`njit` from this module, so
the compilation policy lives in one place:

* ``cache=True`` by default: the first call of a kernel compiles it (about a
  second) and stores the machine code next to the source, in ``__pycache__``;
  later processes load it in milliseconds.
* ``fastmath=False`` by default: the kernels make sign decisions and compare
  with exact zeros, which reassociation and "no NaN" assumptions would break.
* ``NUMBA_DISABLE_JIT=1`` is honoured (numba then returns the plain Python
  function): the kernels are valid Python, so the same tests run without the
  JIT and coverage can see the kernel bodies.
* Read-only installs: when numba finds no writable place for its cache (a
  read-only site-packages with no usable user cache directory, a zipped
  install, a docs builder), the kernel is compiled without caching and one
  :class:`~geolasso.exceptions.NumbaCacheWarning` is issued, instead of an
  error at import time. Point ``NUMBA_CACHE_DIR`` at a writable directory to
  keep the compiled code across processes in that case.

numba itself is imported only when the first kernel module is imported, and
the kernel modules are imported only when a function that needs them is first
called, so ``import geolasso`` stays fast.
"""

from __future__ import annotations

import os
import warnings

from .exceptions import NumbaCacheWarning

__all__ = ["jit_disabled", "njit"]

_cache_warning_issued = False


def jit_disabled() -> bool:
    """Whether the JIT is switched off by ``NUMBA_DISABLE_JIT``.

    Returns
    -------
    bool
        True when the environment variable ``NUMBA_DISABLE_JIT`` is set to a
        non-zero integer, in which case kernels run as plain Python.
    """
    value = os.environ.get("NUMBA_DISABLE_JIT", "0").strip()
    try:
        return int(value) != 0
    except ValueError:
        return False


def njit(func=None, **options):
    """Compile ``func`` with numba's ``njit`` and geolasso's defaults.

    Usable as ``@njit`` or ``@njit(parallel=False, ...)``.

    Parameters
    ----------
    func : callable, optional
        The kernel. When omitted, a decorator is returned.
    **options
        Passed to :func:`numba.njit`. ``cache`` defaults to True and
        ``fastmath`` to False.

    Returns
    -------
    callable
        The numba dispatcher, or ``func`` itself when the JIT is disabled.
    """
    if func is None:
        return lambda f: njit(f, **options)
    if jit_disabled():
        return func

    import numba

    options.setdefault("cache", True)
    options.setdefault("fastmath", False)
    if not options["cache"]:
        return numba.njit(**options)(func)
    try:
        return numba.njit(**options)(func)
    except RuntimeError as exc:  # numba: "cannot cache function ...: no locator available"
        if "cannot cache" not in str(exc):
            raise
        _warn_no_cache(func, exc)
        options["cache"] = False
        return numba.njit(**options)(func)


def _warn_no_cache(func, exc: Exception) -> None:
    global _cache_warning_issued
    if _cache_warning_issued:
        return
    _cache_warning_issued = True
    warnings.warn(
        f"numba cannot cache compiled kernels here ({exc}); geolasso compiles them "
        f"afresh in each process (first compiled: {func.__qualname__}). Set "
        "NUMBA_CACHE_DIR to a writable directory to keep them.",
        NumbaCacheWarning,
        stacklevel=3,
    )
