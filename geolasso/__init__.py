"""geolasso: ReLU networks seen through geometry.

Training a two-layer ReLU network with weight decay is a convex Lasso in
disguise, over a dictionary whose atoms are wedge products of training
samples: each optimal neuron is a hyperplane through data points, and its
feature on a sample is the ReLU of a signed volume (exactly so with an ℓ1
first-layer norm and basis generators; an approximation under plain weight
decay in d >= 2).

Public API
----------
Algebra (:mod:`geolasso.algebra`)
    :func:`wedge`, :func:`cross`, :func:`blade_basis`, :func:`blade_norm`,
    :func:`signed_volume`, :func:`simplex_volume`, :func:`hyperplane`,
    :func:`reflect`, :func:`subsets`, :func:`wedge_all`, :func:`cross_all`,
    :func:`to_clifford`, :func:`from_clifford`.
Exact arithmetic (:mod:`geolasso.symbolic`, imported on demand)
    sympy versions of the algebra, with LaTeX output.
Dictionaries (:mod:`geolasso.dictionary`)
    :class:`WedgeDictionary` (exhaustive, sampled and matrix-free wedge-product
    Lasso dictionaries), :func:`alpha_max`, :func:`dictionary_size`;
    :class:`SpatialDictionary` (:mod:`geolasso.spatial`: the exhaustive exact
    dictionary of 3-D data, numbered instead of stored);
    :func:`choose_dictionary` and :func:`choose_patterns` (:mod:`geolasso.auto`:
    what the estimators solve over, exhaustive or sampled).
Lasso (:mod:`geolasso.lasso`, :mod:`geolasso.estimators`)
    :func:`geolasso.lasso.lasso` (working sets, exact subproblems, certified
    duality gaps; dense or matrix-free; not re-exported here, where the name
    is the module's), :func:`lasso_path`, and the scikit-learn estimator
    :class:`Lasso` (imported on first use, with scikit-learn).
Networks (:mod:`geolasso.network`)
    :class:`ReLUNetwork`: a plain two-layer ReLU network, its docs/mathematics.md §0.1
    objective, torch conversion, ``.npz`` save/load, and the network of a
    wedge Lasso solution.
Activation patterns (:mod:`geolasso.arrangements`)
    :func:`enumerate_patterns` (every cell of the data's hyperplane
    arrangement, by extreme rays), :func:`sample_patterns`,
    :func:`pattern_count`, :class:`ActivationPatterns`.
Global training (:mod:`geolasso.convex`, :mod:`geolasso.certificate`)
    :class:`ConvexReLU` and :class:`ConvexReLUClassifier` (scikit-learn
    estimators, imported on first use) train a two-layer ReLU network to its
    certified global optimum; :func:`certify` bounds how far *any* network is
    from it (:class:`Certificate`).
Interpretation (:mod:`geolasso.interpret`)
    :func:`explain` matches every neuron of any trained ReLU network (numpy
    weights, a fitted estimator or a torch module) to its nearest wedge atom
    and reports its generator samples, the angle, the activation agreement,
    the optimality gap and the missing atoms (:class:`Explanation`);
    :func:`snap` replaces the neurons by their atoms and refits the output
    layer (:class:`SnapResult`).
Reading models (:mod:`geolasso.readers`)
    :func:`as_network` reads a network, a fitted estimator, weight arrays or
    a torch module as a :class:`ReLUNetwork`; the module also reads deeper
    networks layer by layer and loads model files (``.npz``, torch state
    dicts, TorchScript only when trusted).
Deeper networks (:mod:`~geolasso.mirror`, :mod:`~geolasso.deep`, :mod:`~geolasso.reflection`)
    :func:`~geolasso.mirror.mirror_dictionary` (1-D deep narrow chains:
    ramps, capped ramps, reflections 2x_i − x_j and reflections of
    reflections), :class:`~geolasso.deep.DeepNarrowNetwork`,
    :class:`~geolasso.deep.DeepConvexRegressor` (global training of deep
    narrow networks on 1-D data) and
    :func:`~geolasso.reflection.reflection_dictionary` (d-D depth-3
    reflection features); imported on demand.
Convolutional networks (:mod:`geolasso.cnn`, imported on demand)
    :func:`~geolasso.patches.patches`, :class:`~geolasso.cnn.ConvexCNN` (global
    training of a two-layer CNN over the wedge-patch dictionary) and
    :class:`~geolasso.convnet.ConvNetwork` (the recovered CNN, convertible to
    torch).
Extensions (imported on demand)
    :class:`ConvexBatchNormReLU` and :class:`ConvexBatchNormReLUClassifier`
    (:mod:`geolasso.batchnorm`: two-layer networks with batch normalisation,
    a convex program on the whitened samples);
    :class:`ConvexAttention` and :class:`ConvexAttentionClassifier`
    (:mod:`geolasso.attention`: a self-attention block with linear or
    gated-ReLU activation, a nuclear-norm program whose SVD gives the heads);
    :class:`ConvexWGAN` (:mod:`geolasso.gan`: Wasserstein GANs whose
    two-layer critic's inner maximum is a constraint on the generator);
    :class:`ConvexScoreModel` (:mod:`geolasso.diffusion`: two-layer ReLU
    score models by denoising or explicit score matching, and Langevin
    sampling).
Data (:mod:`geolasso.datasets`)
    :func:`~geolasso.datasets.spiral`, :func:`~geolasso.datasets.teacher`.
Exceptions and warnings (:mod:`geolasso.exceptions`)
    :class:`MemoryLimitError` (and its :class:`DictionaryTooLargeError`),
    :class:`ModelFileError`, :class:`ComplexDataError`, :class:`ConvergenceWarning`,
    :class:`GeolassoWarning`, :class:`NumbaCacheWarning`.
Memory budgets (:mod:`geolasso.memory`)
    Everything that grows with the data is counted against ``memory_limit``
    before it is allocated.

Compiled kernels are cached on disk (see :mod:`geolasso._numba` and the
``NUMBA_CACHE_DIR`` environment variable); ``import geolasso`` imports
neither numba nor sympy.
"""

from ._version import __version__
from .algebra import (
    blade_basis,
    blade_norm,
    cross,
    cross_all,
    from_clifford,
    hyperplane,
    reflect,
    signed_volume,
    simplex_volume,
    subsets,
    to_clifford,
    wedge,
    wedge_all,
)
from .arrangements import ActivationPatterns, enumerate_patterns, pattern_count, sample_patterns
from .auto import choose_dictionary, choose_patterns
from .certificate import Certificate, certify
from .dictionary import WedgeDictionary, alpha_max, dictionary_size
from .exceptions import (
    ComplexDataError,
    ConvergenceWarning,
    DictionaryTooLargeError,
    GeolassoWarning,
    MemoryLimitError,
    ModelFileError,
    NumbaCacheWarning,
)
from .interpret import Explanation, SnapResult, explain, snap
from .lasso import LassoPath, LassoResult, lasso_path
from .network import ReLUNetwork
from .readers import as_network
from .spatial import SpatialDictionary

__all__ = [
    "ActivationPatterns",
    "Certificate",
    "ComplexDataError",
    "ConvergenceWarning",
    "ConvexAttention",
    "ConvexAttentionClassifier",
    "ConvexBatchNormReLU",
    "ConvexBatchNormReLUClassifier",
    "ConvexReLU",
    "ConvexReLUClassifier",
    "ConvexScoreModel",
    "ConvexWGAN",
    "DictionaryTooLargeError",
    "Explanation",
    "GeolassoWarning",
    "Lasso",
    "LassoPath",
    "LassoResult",
    "MemoryLimitError",
    "ModelFileError",
    "NumbaCacheWarning",
    "ReLUNetwork",
    "SnapResult",
    "SpatialDictionary",
    "WedgeDictionary",
    "__version__",
    "alpha_max",
    "as_network",
    "blade_basis",
    "blade_norm",
    "certify",
    "choose_dictionary",
    "choose_patterns",
    "cross",
    "cross_all",
    "dictionary_size",
    "enumerate_patterns",
    "explain",
    "from_clifford",
    "hyperplane",
    "lasso_path",
    "pattern_count",
    "reflect",
    "sample_patterns",
    "signed_volume",
    "simplex_volume",
    "snap",
    "subsets",
    "to_clifford",
    "wedge",
    "wedge_all",
]


#: Submodules reachable as attributes (``geolasso.datasets.spiral()``), imported on first use.
_SUBMODULES = frozenset(
    {
        "algebra",
        "arrangements",
        "attention",
        "auto",
        "batchnorm",
        "bn_network",
        "certificate",
        "cli",
        "cnn",
        "convex",
        "convnet",
        "crelu",
        "datasets",
        "deep",
        "dictionary",
        "diffusion",
        "distributed",
        "estimators",
        "exceptions",
        "explanation",
        "gan",
        "interpret",
        "lasso",
        "memory",
        "mirror",
        "network",
        "patches",
        "planar",
        "progress",
        "readers",
        "reflection",
        "snapping",
        "spatial",
        "symbolic",
        "wedge_build",
    }
)


def __getattr__(name):
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    # the estimators import scikit-learn, which costs about a second: only on first use
    if name == "Lasso":
        from .estimators import Lasso

        return Lasso
    if name in ("ConvexReLU", "ConvexReLUClassifier"):
        from . import convex

        return getattr(convex, name)
    if name in ("ConvexBatchNormReLU", "ConvexBatchNormReLUClassifier"):
        from . import batchnorm

        return getattr(batchnorm, name)
    if name in ("ConvexAttention", "ConvexAttentionClassifier"):
        from . import attention

        return getattr(attention, name)
    if name == "ConvexScoreModel":
        from .diffusion import ConvexScoreModel

        return ConvexScoreModel
    if name == "ConvexWGAN":
        from .gan import ConvexWGAN

        return ConvexWGAN
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
