"""Memory budgets: what grows with the data is counted before it is allocated.

Every allocation in geolasso whose size grows with the data (dictionaries and
their dense matrices, activation patterns, mirror and reflection dictionaries,
blade bases, the CLI's fits, plotting grids) is first counted and compared with
a budget, ``memory_limit`` (bytes; 2 GiB by default). Above it the call raises
:class:`~geolasso.exceptions.MemoryLimitError` (for dictionaries its subclass
:class:`~geolasso.exceptions.DictionaryTooLargeError`) naming the size, the
budget and the way out, before anything large exists: no raw ``MemoryError``,
no swap storm.

The budget bounds the arrays an algorithm holds at its peak (counted from
their shapes), not the interpreter around them: a process using geolasso needs
its own few hundred MiB (numpy, numba, the caller's data) on top.

Examples
--------
>>> from geolasso.memory import check_memory, format_bytes
>>> format_bytes(3 * 1024**3)
'3 GiB'
>>> check_memory(10**6, 2**30, what="a 1,000 x 125 float64 matrix")
>>> check_memory(10**10, 2**30, what="a matrix")
Traceback (most recent call last):
...
geolasso.exceptions.MemoryLimitError: a matrix needs about 9.31 GiB, above memory_limit = 1 GiB
"""

from __future__ import annotations

import math
import numbers

from .exceptions import MemoryLimitError

__all__ = ["DEFAULT_MEMORY_LIMIT", "as_memory_limit", "check_memory", "chunk_rows", "format_bytes"]

#: The default budget of every ``memory_limit`` argument (bytes).
DEFAULT_MEMORY_LIMIT = 2 * 1024**3

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")


def format_bytes(n_bytes: float) -> str:
    """A byte count with a binary unit and three significant digits: ``'1.31 GiB'``."""
    value = float(n_bytes)
    unit = 0
    while abs(value) >= 1024 and unit < len(_UNITS) - 1:
        value /= 1024
        unit += 1
    return f"{value:.3g} {_UNITS[unit]}"


def as_memory_limit(value, name: str = "memory_limit") -> int:
    """``value`` as a positive number of bytes (an int), or a named error.

    Raises
    ------
    TypeError
        When ``value`` is not a real number (booleans included).
    ValueError
        When it is not finite or not positive.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number of bytes; got {type(value).__name__}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive, finite number of bytes; got {value!r}")
    return int(value)


def check_memory(
    required_bytes: float,
    memory_limit: float,
    *,
    what: str,
    remedy: str = "",
    name: str = "memory_limit",
    error=MemoryLimitError,
    **fields,
) -> None:
    """Refuse, before allocating, what would need more than ``memory_limit`` bytes.

    Parameters
    ----------
    required_bytes : float
        The peak the request would hold (counted from its shapes).
    memory_limit : float
        The budget, bytes.
    what : str
        What is being allocated, as the start of the message ("the 4,000
        activation patterns of ...").
    remedy : str, optional
        How to do without it (sample, raise the budget, ...), appended.
    name : str, default="memory_limit"
        The argument that holds the budget, as the message names it.
    error : type, default=MemoryLimitError
        The exception class; :class:`~geolasso.exceptions.DictionaryTooLargeError`
        takes ``n_atoms`` in ``fields``.
    **fields
        Extra keyword arguments of ``error``.

    Raises
    ------
    MemoryLimitError
        When ``required_bytes > memory_limit``.
    """
    if required_bytes <= memory_limit:
        return
    message = (
        f"{what} needs about {format_bytes(required_bytes)}, above {name} = "
        f"{format_bytes(memory_limit)}"
    )
    if remedy:
        message += f"; {remedy}"
    raise error(
        message,
        required_bytes=int(min(required_bytes, 2**63 - 1)),
        limit_bytes=int(memory_limit),
        **fields,
    )


def chunk_rows(bytes_per_row: float, memory_limit: float, *, share: float = 0.25, cap=2**27) -> int:
    """Rows of a working block: ``share`` of the budget (at most ``cap`` bytes), at least 1.

    For algorithms that stream their work in blocks: the block's working
    arrays then stay within a fixed part of ``memory_limit`` whatever the
    data's size.
    """
    budget = min(share * float(memory_limit), float(cap))
    return max(1, int(budget // max(float(bytes_per_row), 1.0)))
