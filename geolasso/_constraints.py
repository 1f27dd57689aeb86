"""The estimators' parameter constraints (internal).

scikit-learn's parameter validation: each estimator lists its parameters'
constraints in ``_parameter_constraints`` and ``BaseEstimator._validate_params``
checks them at the start of ``fit``, with errors that name the parameter, what
was expected and what was given. The constraint classes live in a private
scikit-learn module: this module is the one place geolasso imports them from
(the estimators' modules import scikit-learn anyway; ``import geolasso`` does not).
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Hidden, Interval, StrOptions

__all__ = [
    "BIAS",
    "COUNT",
    "FRACTION",
    "NONNEGATIVE",
    "POSITIVE",
    "RANDOM_STATE",
    "at_least",
    "deprecated",
    "options",
]

#: A penalty or a budget: a real number > 0 (finiteness is checked by the estimator).
POSITIVE = Interval(Real, 0, None, closed="neither")
#: A tolerance: a real number >= 0.
NONNEGATIVE = Interval(Real, 0, None, closed="left")
#: A count of iterations or rounds: an int >= 1.
COUNT = Interval(Integral, 1, None, closed="left")
#: A fraction in [0, 1) (a leaky ReLU's slope).
FRACTION = Interval(Real, 0, 1, closed="left")
#: The bias settings (``True`` / ``False`` or their names).
BIAS = ["boolean", StrOptions({"free", "none", "regularized"})]
#: A seed: None, an int >= 0 or a numpy Generator (:func:`as_generator`).
RANDOM_STATE = [None, Interval(Integral, 0, None, closed="left"), np.random.Generator]


def options(*values) -> StrOptions:
    """The string options constraint of ``values``."""
    return StrOptions(set(values))


def deprecated(*values) -> Hidden:
    """Former spellings: accepted, left out of the error messages' lists."""
    return Hidden(StrOptions(set(values)))


def at_least(minimum: int) -> Interval:
    """An int ``>= minimum``."""
    return Interval(Integral, minimum, None, closed="left")
