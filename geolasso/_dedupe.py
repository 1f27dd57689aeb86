"""Deduplication of feature columns equal on the data, by hashed rounded values.

The mirror and reflection dictionaries both evaluate many candidate features
on the data and keep one copy of each distinct one. :class:`RowDedupe`
remembers what it has seen across calls, so a dictionary built block by block
(or layer by layer) is deduplicated as a whole.
"""

from __future__ import annotations

import numpy as np

__all__ = ["RowDedupe"]


class RowDedupe:
    """Rows seen so far, compared by their values rounded to ``scale * 2**-40``.

    Rows are keyed by two independent 64-bit hashes of the rounded values
    (random odd multipliers, seeded): a false match needs a 128-bit
    collision.

    Parameters
    ----------
    scale : float
        The data's scale (rows closer than ``scale * 2**-40`` count as equal).
    active : bool, default=True
        With False, :meth:`new` keeps every row.
    """

    #: Bytes the set holds per distinct row (a tuple of two ints in a set).
    BYTES_PER_ROW = 200

    def __init__(self, scale, active=True):
        self.step = scale * 2.0**-40
        self.seen = set()
        self.active = active
        self.mult = None

    def new(self, V):
        """Indices of the rows of ``V`` not seen before (first occurrences), and remember them.

        Parameters
        ----------
        V : ndarray, shape (n_rows, n_values)
            Candidate rows.

        Returns
        -------
        ndarray of int64, shape (n_new,)
            Increasing row indices.
        """
        if not self.active:
            return np.arange(V.shape[0])
        keys = np.round(V / self.step).astype(np.int64).view(np.uint64)
        if self.mult is None:
            rng = np.random.default_rng(0x6E6F)
            self.mult = rng.integers(1, 2**63, size=(keys.shape[1], 2), dtype=np.uint64) | 1
        with np.errstate(over="ignore"):
            h = keys @ self.mult if keys.shape[0] else np.zeros((0, 2), np.uint64)
        _, first = np.unique(h, axis=0, return_index=True)
        keep = []
        for i in np.sort(first):
            key = (int(h[i, 0]), int(h[i, 1]))
            if key not in self.seen:
                self.seen.add(key)
                keep.append(i)
        return np.array(keep, dtype=np.int64)

    def held_bytes(self) -> int:
        """int: Bytes the remembered rows hold (about ``BYTES_PER_ROW`` each)."""
        return self.BYTES_PER_ROW * len(self.seen)
