"""Interpret a trained ReLU network: which wedge features each neuron uses.

Overview
--------
:func:`explain` matches every neuron of any two-layer ReLU network (or the
last hidden layer of a deeper one) to its nearest wedge atom, a hyperplane
through training samples, and reports the match, the neuron's contribution,
the network's certificate and the atoms a global optimum would use; see
:mod:`geolasso.explanation` for the method. :func:`snap` replaces each neuron
by its matched atom and refits the output layer (:mod:`geolasso.snapping`).
Models are read by :mod:`geolasso.readers`; this module gathers the public
names.
"""

from .explanation import Explanation, explain
from .snapping import SnapResult, snap

__all__ = ["Explanation", "SnapResult", "explain", "snap"]
