"""One non-convergence event, one warning (internal).

A caller that wraps a solver (snap's refit, a CNN's Lasso) collects the
solver's :class:`~geolasso.exceptions.ConvergenceWarning` and folds its reason
into its own warning, which names the stage and the remedy.
"""

from __future__ import annotations

import contextlib
import warnings

from .exceptions import ConvergenceWarning

__all__ = ["convergence_warnings_collected", "solver_reason"]


@contextlib.contextmanager
def convergence_warnings_collected():
    """Collect the :class:`ConvergenceWarning` messages issued inside (a lower solver's),
    for the caller to fold into its own warning about the same event: one event, one
    warning. Other warnings are re-issued unchanged.

    Yields
    ------
    list of str
        The collected messages, filled when the block ends.
    """
    collected = []
    caught = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield collected
    finally:
        for w in caught:
            if issubclass(w.category, ConvergenceWarning):
                collected.append(str(w.message))
            else:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)


def solver_reason(messages) -> str:
    """Why the lower solver stopped, from the first collected message (e.g. "did not
    converge in max_iter = 50 rounds"), without the gap and remedy the caller's own
    warning states; "" if nothing was collected."""
    if not messages:
        return ""
    head = messages[0].split(": relative duality gap")[0].split(". ")[0]
    return head.removeprefix("lasso ").rstrip(".")
