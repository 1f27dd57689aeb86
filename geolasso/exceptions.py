"""Exceptions and warnings raised by geolasso.

Hierarchy::

    UserWarning
     └── GeolassoWarning
          └── NumbaCacheWarning     compiled kernels cannot be cached

Wrong types raise the built-in :class:`TypeError`, wrong shapes and values the
built-in :class:`ValueError`; every message names the argument, what was
expected and what was received.
"""

from __future__ import annotations

__all__ = ["GeolassoWarning", "NumbaCacheWarning"]


class GeolassoWarning(UserWarning):
    """Base class of geolasso's warnings."""


class NumbaCacheWarning(GeolassoWarning):
    """numba found no writable cache location; kernels are compiled per process."""
