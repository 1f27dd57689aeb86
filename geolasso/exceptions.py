"""Exceptions and warnings raised by geolasso.

Hierarchy::

    ValueError
     ├── MemoryLimitError           an allocation that grows with the data exceeds memory_limit
     │    └── DictionaryTooLargeError   a dictionary (or its dense matrix) does
     └── ModelFileError             a model file that cannot be read (geolasso.readers)

    TypeError, ValueError
     └── ComplexDataError           complex input where real numbers are needed

    UserWarning
     └── GeolassoWarning
          ├── ConvergenceWarning    a solver stopped at max_iter above its tolerance
          └── NumbaCacheWarning     compiled kernels cannot be cached

Wrong types raise the built-in :class:`TypeError`, wrong shapes and values the
built-in :class:`ValueError`; every message names the argument, what was
expected and what was received.
"""

from __future__ import annotations

__all__ = [
    "ComplexDataError",
    "ConvergenceWarning",
    "DictionaryTooLargeError",
    "GeolassoWarning",
    "MemoryLimitError",
    "ModelFileError",
    "NumbaCacheWarning",
]


class GeolassoWarning(UserWarning):
    """Base class of geolasso's warnings."""


class ConvergenceWarning(GeolassoWarning):
    """A solver reached ``max_iter`` above its tolerance; the message names the gap reached."""


class NumbaCacheWarning(GeolassoWarning):
    """numba found no writable cache location; kernels are compiled per process."""


class MemoryLimitError(ValueError):
    """Something that grows with the data would need more than ``memory_limit`` bytes.

    Raised before the allocation (see :mod:`geolasso.memory`); the message
    names what, how large, the budget and the way out.

    Parameters
    ----------
    message : str
        The explanation shown to the user.
    required_bytes : int
        Memory the request would need.
    limit_bytes : int
        The budget.

    Attributes
    ----------
    required_bytes : int
        Memory the request would need.
    limit_bytes : int
        The budget (the ``memory_limit`` argument, or the named one).
    """

    def __init__(self, message: str, *, required_bytes: int, limit_bytes: int):
        super().__init__(message)
        self.required_bytes = required_bytes
        self.limit_bytes = limit_bytes


class DictionaryTooLargeError(MemoryLimitError):
    """A wedge dictionary, or its dense matrix, would exceed the memory budget.

    Raised before anything is allocated. The message states the number of
    atoms, the memory they would need, the budget, and how to sample instead.

    Parameters
    ----------
    message : str
        The explanation shown to the user.
    n_atoms : int
        Number of atoms (columns) requested.
    required_bytes : int
        Memory the request would need.
    limit_bytes : int
        The budget.

    Attributes
    ----------
    n_atoms : int
        Number of atoms (columns) requested.
    required_bytes : int
        Memory the request would need.
    limit_bytes : int
        The budget (the ``memory_limit`` argument).
    """

    def __init__(self, message: str, *, n_atoms: int, required_bytes: int, limit_bytes: int):
        super().__init__(message, required_bytes=required_bytes, limit_bytes=limit_bytes)
        self.n_atoms = n_atoms


class ComplexDataError(TypeError, ValueError):
    """Complex numbers given where real numbers are needed.

    A :class:`TypeError` (the wrong kind of number) and, for scikit-learn's
    estimator contract, a :class:`ValueError`; the message names the argument
    and contains scikit-learn's phrase "Complex data not supported". Nothing
    is cast: casting would silently drop the imaginary parts.
    """


class ModelFileError(ValueError):
    """A model file that cannot be read: missing, foreign, or not to be loaded.

    Raised by :func:`geolasso.readers.read_model_file`; the message names the
    file and the way out (the command line prints it as its one-line error).
    """
