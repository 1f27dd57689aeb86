"""Input validation at the public boundary (internal).

Public functions validate once, here, and hand float64 C-ordered arrays to the
kernels, which trust their input. Every error names the argument, what was
expected and what was received.
"""

from __future__ import annotations

import math

import numpy as np

from .exceptions import ComplexDataError

__all__ = [
    "SAFE_EXPONENT",
    "as_float_array",
    "as_generator",
    "as_index_array",
    "as_nonnegative_float",
    "as_positive_int",
    "check_option",
    "forget_fit",
    "refuse_complex",
    "scale_exponent",
]

#: Largest magnitudes in [2**-SCALE_BAND, 2**SCALE_BAND] are used as given; outside it the
#: data are standardised by a power of two (exact: only exponents change).
SCALE_BAND = 10
#: Largest magnitudes geolasso accepts: [2**-SAFE_EXPONENT, 2**SAFE_EXPONENT] (about
#: 3e-154 to 3e153). Squares, products of a few entries and their sums then stay finite
#: and normal in float64 once the data are standardised.
SAFE_EXPONENT = 510


def scale_exponent(values, name: str, *, even: bool = True, check_range: bool = True) -> int:
    """The power of two ``k`` that brings the largest magnitude of ``values`` near 1.

    ``values * 2**k`` is exact (only exponents change). ``k = 0`` when the
    largest magnitude lies in ``[2**-SCALE_BAND, 2**SCALE_BAND]`` (ordinary
    data are used as given) or all values are zero; otherwise ``k`` is the
    (even, when ``even``) integer with ``max|values| * 2**k`` in ``[1/2, 2)``.

    Parameters
    ----------
    values : ndarray of float64
        Finite values (validated by the caller).
    name : str
        Argument name used in error messages.
    even : bool, default=True
        Return an even ``k`` (so that ``2**(k/2)`` is exact too).
    check_range : bool, default=True
        Refuse magnitudes outside the safe range (for computations that square
        or multiply the values after rescaling them back); without it any
        finite scale is standardised.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        When ``check_range`` and the largest non-zero magnitude lies outside
        float64's safe range ``[2**-SAFE_EXPONENT, 2**SAFE_EXPONENT]``.
    """
    top = float(np.max(np.abs(values))) if np.size(values) else 0.0
    if top == 0.0:
        return 0
    e = math.frexp(top)[1]  # top = f * 2**e with f in [1/2, 1)
    if check_range and (e - 1 >= SAFE_EXPONENT or e <= -SAFE_EXPONENT):
        raise ValueError(
            f"{name} has largest magnitude {top:.3g}, outside the range geolasso computes in "
            f"safely: [2**-{SAFE_EXPONENT}, 2**{SAFE_EXPONENT}] (about "
            f"{2.0**-SAFE_EXPONENT:.1e} to {2.0**SAFE_EXPONENT:.1e}); squares and products of "
            f"its entries would leave float64's normal range. Rescale {name}"
        )
    if -SCALE_BAND <= e - 1 <= SCALE_BAND:
        return 0
    k = -e
    if even and k % 2:
        k += 1
    return k


def _describe(value) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of dtype {value.dtype} and shape {value.shape}"
    return f"{type(value).__name__}"


def as_float_array(
    value, name: str, *, min_ndim: int = 0, shape_doc: str = "", order: str = "C"
) -> np.ndarray:
    """Convert ``value`` to a finite float64 C-ordered array or raise.

    Parameters
    ----------
    value : array_like
        Real numbers (bool, integer or floating dtype).
    name : str
        Argument name used in error messages.
    min_ndim : int, default=0
        Minimum number of dimensions.
    shape_doc : str, default=""
        Expected shape, quoted in error messages, e.g. ``"(..., k, d)"``.
    order : {"C", "F"}, default="C"
        Memory layout of the result (a view when ``value`` already has it).

    Returns
    -------
    ndarray of float64
        A contiguous copy or view of ``value`` in the requested order.

    Raises
    ------
    TypeError
        If ``value`` is not numeric (strings, objects); complex numbers raise
        :class:`~geolasso.exceptions.ComplexDataError`, a TypeError.
    ValueError
        If it has fewer than ``min_ndim`` dimensions or non-finite entries.
    """
    expected = f" of shape {shape_doc}" if shape_doc else ""
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as exc:  # ragged nested sequences
        raise ValueError(
            f"{name} must be a rectangular array of real numbers{expected}; "
            f"could not build an array from it ({exc})"
        ) from exc
    refuse_complex(arr, name)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must contain real numbers{expected}; got {_describe(arr)}")
    if arr.ndim < min_ndim:
        raise ValueError(
            f"{name} must have at least {min_ndim} dimension(s){expected}; got shape {arr.shape}"
        )
    arr = np.asarray(arr, dtype=np.float64, order=order)
    if not np.isfinite(arr).all():
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name} must be finite; it has {bad} NaN or infinite value(s)")
    return arr


def refuse_complex(value, name: str) -> None:
    """Raise :class:`~geolasso.exceptions.ComplexDataError` if ``value`` holds complex numbers.

    The check every estimator runs on its inputs before converting them to
    float64: a cast would drop the imaginary parts with only a ComplexWarning.

    Parameters
    ----------
    value : array_like
        The input (an array, a nested sequence, a pandas object).
    name : str
        Argument name used in error messages.

    Raises
    ------
    ComplexDataError
        A TypeError and a ValueError, naming ``name``.
    """
    dtype = getattr(value, "dtype", None)
    try:
        kind = np.dtype(dtype).kind if dtype is not None else np.asarray(value).dtype.kind
    except (TypeError, ValueError):  # a foreign dtype or ragged input: left to the converter
        return
    if kind == "c":
        shape = np.shape(value) if dtype is not None else np.asarray(value).shape
        raise ComplexDataError(
            f"{name} must contain real numbers; got complex values (shape {shape}). "
            f"Complex data not supported: pass {name}.real, or the real and imaginary parts "
            "as separate features"
        )


def forget_fit(estimator, keep=()) -> None:
    """Delete the learned attributes (``name_``) of an estimator's previous fit.

    A fit starts from nothing: an attribute that only some settings set (the
    arrangement method's ``patterns_``, a path's ``path_``) must not survive a
    refit with other settings and describe a model it does not belong to.

    Parameters
    ----------
    estimator : object
        The estimator about to be fitted.
    keep : iterable of str, default=()
        Attributes already set by the current fit (e.g. ``n_features_in_``,
        ``classes_``), left in place.
    """
    keep = set(keep)
    for name in [k for k in vars(estimator) if k.endswith("_") and not k.startswith("_")]:
        if name not in keep:
            delattr(estimator, name)


def as_index_array(value, name: str, *, upper: int) -> np.ndarray:
    """Convert ``value`` to a 2-D int64 array of row indices in ``[0, upper)``.

    Parameters
    ----------
    value : array_like of int, shape (m, k)
        Index sets, one per row.
    name : str
        Argument name used in error messages.
    upper : int
        Exclusive upper bound of valid indices (the number of rows indexed).

    Returns
    -------
    ndarray of int64, shape (m, k)
        C-contiguous.

    Raises
    ------
    TypeError
        If the entries are not integers.
    ValueError
        If the array is not 2-D or an index is out of range.
    """
    arr = np.asarray(value)
    if arr.size == 0 and arr.dtype.kind == "f":
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must be an integer array of shape (m, k); got {_describe(arr)}")
    if arr.ndim != 2:
        raise ValueError(f"{name} must have shape (m, k), one index set per row; got {arr.shape}")
    if arr.size and (arr.min() < 0 or arr.max() >= upper):
        raise ValueError(
            f"{name} must hold row indices in [0, {upper}); got values in "
            f"[{arr.min()}, {arr.max()}]"
        )
    return np.ascontiguousarray(arr, dtype=np.int64)


def as_generator(random_state, name: str = "random_state") -> np.random.Generator:
    """A :class:`numpy.random.Generator` from a seed, a generator or None.

    Parameters
    ----------
    random_state : int, numpy.random.Generator or None
        A seed (non-negative int), an existing generator (used as is) or None
        (fresh entropy: not reproducible).
    name : str, default="random_state"
        Argument name used in error messages.

    Returns
    -------
    numpy.random.Generator
    """
    if random_state is None or isinstance(random_state, np.random.Generator):
        return np.random.default_rng(random_state)
    if isinstance(random_state, (bool, np.bool_)) or not isinstance(
        random_state, (int, np.integer)
    ):
        raise TypeError(
            f"{name} must be None, a non-negative int or a numpy.random.Generator; "
            f"got {type(random_state).__name__}"
        )
    if random_state < 0:
        raise ValueError(f"{name} must be a non-negative int; got {random_state}")
    return np.random.default_rng(int(random_state))


def as_positive_int(value, name: str, *, minimum: int = 1) -> int:
    """Check that ``value`` is an integer ``>= minimum`` and return it as int.

    Parameters
    ----------
    value : int
        The value to check.
    name : str
        Argument name used in error messages.
    minimum : int, default=1
        Smallest allowed value.

    Returns
    -------
    int
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer >= {minimum}; got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value}")
    return int(value)


def _real_scalar(value, name: str, expected: str) -> float:
    """``value`` (a real scalar or a 0-d array, not a bool) as float, else a TypeError
    saying ``name`` must be ``expected``."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]  # a 0-d array reads as its scalar
    if isinstance(value, (bool, np.bool_)) or not isinstance(
        value, (int, float, np.integer, np.floating)
    ):
        raise TypeError(f"{name} must be {expected}; got {type(value).__name__}")
    return float(value)


def as_nonnegative_float(value, name: str) -> float:
    """Check that ``value`` is a finite real number ``>= 0`` and return it as float.

    Parameters
    ----------
    value : float
        The value to check (a Python or numpy real scalar; not a bool).
    name : str
        Argument name used in error messages.

    Returns
    -------
    float

    Raises
    ------
    TypeError
        If ``value`` is not a real number.
    ValueError
        If it is negative, NaN or infinite.
    """
    value = _real_scalar(value, name, "a real number >= 0")
    if not (value >= 0.0 and np.isfinite(value)):
        raise ValueError(f"{name} must be a finite number >= 0; got {value!r}")
    return value


def check_positive(value, name: str) -> float:
    """Check that ``value`` is a finite real number ``> 0`` and return it as float.

    Parameters
    ----------
    value : float
        The value to check (a Python or numpy real scalar; not a bool).
    name : str
        Argument name used in error messages.

    Returns
    -------
    float

    Raises
    ------
    TypeError
        If ``value`` is not a real number.
    ValueError
        If it is not above zero, NaN or infinite.
    """
    value = _real_scalar(value, name, "a real number")
    if not (value > 0.0 and np.isfinite(value)):
        raise ValueError(f"{name} must be a finite number > 0; got {value!r}")
    return value


def check_option(value, name: str, valid) -> None:
    """Raise a ValueError listing the valid options unless ``value`` is one of them.

    Parameters
    ----------
    value : object
        The option received.
    name : str
        Argument name used in error messages.
    valid : sequence
        The accepted values.
    """
    if not any(value is v or (type(value) is type(v) and value == v) for v in valid):
        options = ", ".join(repr(v) for v in valid)
        raise ValueError(f"{name} must be one of {options}; got {value!r}")


def as_indices(idx, name: str, upper: int, what: str) -> np.ndarray:
    """``idx`` as a flat int64 array of indices in ``[0, upper)``, or a named error."""
    idx = np.asarray(idx)
    if idx.size == 0:
        return np.empty(0, dtype=np.int64)
    if idx.dtype == bool or not np.issubdtype(idx.dtype, np.integer):
        raise TypeError(f"{name} must be integer {what} indices; got dtype {idx.dtype}")
    idx = idx.astype(np.int64).ravel()
    if idx.min() < 0 or idx.max() >= upper:
        raise IndexError(f"{name} must lie in [0, {upper}); got {idx.min()}..{idx.max()}")
    return idx
