"""What the numbered dictionaries share: the reductions of one pass over every atom.

:class:`~geolasso.planar.PlanarDictionary` (2-D) and
:class:`~geolasso.spatial.SpatialDictionary` (3-D) never store their atoms;
each has a ``_pass`` kernel that reduces ``Kᵀ r`` as it sweeps (and a
``_check_samples`` for sample indices). Turning that pass into the answers of
``top_correlations`` and ``rmatvec`` is the same for both and lives in their
base class :class:`NumberedDictionary` (internal).
"""

from __future__ import annotations

import numpy as np

from .exceptions import DictionaryTooLargeError
from .memory import format_bytes


class NumberedDictionary:
    """Base of the numbered dictionaries: the bodies of their ``top_correlations``
    and ``rmatvec`` over their own ``_pass`` (subclasses define ``_pass``,
    ``_check_samples``, ``columns``, ``n_atoms`` and ``memory_limit``)."""

    def _top_correlations(self, r, k, threshold, spread, through):
        """The body of ``top_correlations`` (same arguments and returns)."""
        k = int(k)
        if k < 0:
            raise ValueError(f"k must be >= 0; got {k}")
        pivots = None
        if through is not None:
            pivots = np.unique(self._check_samples(through, "through"))
            if pivots.size == 0:
                raise ValueError("through must name at least one sample")
        top, n_above, mags, idx, piv_val, piv_idx = self._pass(
            r, threshold, min(k, self.n_atoms), np.empty(0), best=spread, pivots=pivots
        )
        if spread:  # and the k largest of the best atoms swept from each sample
            ok = np.flatnonzero(piv_idx >= 0)
            best = ok[np.lexsort((piv_idx[ok], -piv_val[ok]))[:k]]
            mags = np.concatenate([piv_val[best], mags])
            idx = np.concatenate([piv_idx[best], idx])
            idx, first = np.unique(idx, return_index=True)
            mags = mags[first]
        idx = idx[np.lexsort((idx, -mags))]
        r = np.asarray(r, dtype=float)
        values = np.empty(idx.size)
        for start in range(0, idx.size, 256):  # dense columns, a block at a time
            block = idx[start : start + 256]
            values[start : start + block.size] = self.columns(block).T @ r
        return top, n_above, idx, values

    def _rmatvec(self, r, plan_bytes):
        """``Kᵀ r`` in full, refused by name when it and the pass's ``plan_bytes``
        exceed ``memory_limit``."""
        need = 8 * self.n_atoms + plan_bytes
        if need > self.memory_limit:
            raise DictionaryTooLargeError(
                f"Kᵀ r over all {self.n_atoms:,} atoms needs {format_bytes(need)}, above "
                f"memory_limit = {format_bytes(self.memory_limit)}; use top_correlations(r, k) "
                "for its maximum and its largest entries",
                n_atoms=self.n_atoms,
                required_bytes=int(need),
                limit_bytes=int(self.memory_limit),
            )
        out = np.zeros(self.n_atoms)
        self._pass(r, np.inf, 0, out)
        return out
