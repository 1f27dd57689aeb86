"""Interpret a trained ReLU network: which wedge features each neuron uses.

Overview
--------
A neuron ``(w, b)`` of a two-layer ReLU network is a hyperplane ``w·x + b = 0``
with an active side. The neurons of a globally optimal network (ℓ1 first-layer
norm, docs/mathematics.md §4.3) are *wedge atoms*: hyperplanes through ``d`` training samples
(``d - 1`` without biases; coordinate axes may replace samples), whose feature
on a sample ``x`` is the ReLU of the signed volume ``det[x̃; x̃_i1; …]`` of the
parallelotope spanned by ``x`` and the generators. With weight decay, the
atoms are an approximation of the optimum (docs/mathematics.md §4.4). :func:`explain` matches
every neuron of *any* network to its nearest atom:

1. the candidate generators are the samples nearest to the neuron's
   hyperplane (and, with ``generators="data+basis"``, the coordinate axes the
   hyperplane is closest to being parallel to, their distance measured across
   the data's extent);
2. every ``k``-subset of the ``k + candidates`` nearest candidates spans a
   hyperplane (their generalized cross product, docs/mathematics.md §3.3–3.4); the ones
   whose normals make the smallest angles with the neuron's are compared on
   the training data;
3. they are ranked by the *similarity* of their features with the neuron's,
   the cosine between ``(X w + b)_+`` and the atom's feature on the samples:
   one number that combines the normal (angle) and the offset (activation
   pattern).

Each match reports the generator samples, the angle between the normals,
the distance of each generator sample to the neuron's hyperplane, the
fraction of training samples on which the neuron and the atom are active
together (*agreement*), the similarity and the neuron's contribution
``|v|·‖w‖``. Given the targets and the penalty, the explanation also holds
the network's certificate of optimality (:func:`geolasso.certify`) and the
wedge atoms it is *missing*: those whose dual constraint the network's
residual violates most, the features a global optimum would use.

Deeper networks (a torch ``Sequential`` of ``Linear`` and ``ReLU`` layers)
are explained at their last hidden layer, on the representations that the
layers before it compute (docs/mathematics.md §4.6: at a global optimum the last two layers
solve the two-layer problem on those representations); samples are still
indexed as rows of ``X``.

:func:`snap` replaces each neuron by its matched atom and refits the output
layer (a Lasso over the snapped features), reporting the objective before and
after.

The work is done in :mod:`geolasso.explanation` (matching, :func:`explain`),
:mod:`geolasso.snapping` (:func:`snap`) and :mod:`geolasso.readers` (reading
the model); this module gathers the public names.
"""

from .explanation import Explanation, explain
from .snapping import SnapResult, snap

__all__ = ["Explanation", "SnapResult", "explain", "snap"]
