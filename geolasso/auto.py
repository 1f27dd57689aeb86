"""The automatic choices the estimators share: which dictionary, which activation patterns.

``ConvexReLU`` (and ``ConvexReLUClassifier``) solve over the exhaustive wedge
dictionary whenever it fits ``memory_limit`` — numbered instead of stored
for 2-D and 3-D data with free biases (:class:`~geolasso.planar.
PlanarDictionary`, :class:`~geolasso.spatial.SpatialDictionary`) — and over a
seeded sample of it, with a warning, otherwise (:func:`choose_dictionary`);
``method="arrangement"`` and ``ConvexCNN`` enumerate the activation patterns
when at most ``AUTO_MAX_PATTERNS`` can exist and sample Gaussian gates
otherwise (:func:`choose_patterns`). Both are public so that a user can see
(and reproduce) what an estimator will solve over before fitting.
"""

from __future__ import annotations

import warnings

import numpy as np

from ._validation import as_float_array
from .arrangements import (
    ActivationPatterns,
    check_patterns,
    enumerate_design,
    pattern_count,
    pattern_design,
    row_space,
    sample_design,
)
from .dictionary import DEFAULT_MEMORY_LIMIT, WedgeDictionary
from .distributed import active_client
from .exceptions import GeolassoWarning
from .planar import PlanarDictionary, planar_bytes
from .spatial import SpatialDictionary, spatial_bytes
from .wedge_build import bias_name, build_bytes, dictionary_size

__all__ = ["choose_dictionary", "choose_patterns"]

#: With max_atoms="auto": the largest exhaustive dictionary built when its correlation
#: pass costs O(n d) per atom, and the size of the seeded sample used instead of a larger
#: one. Exhaustive 2-D and 3-D dictionaries with a bias (whose pass is an angular sweep,
#: O(n^d) for all atoms at once, and whose atoms are never stored as columns) have no
#: atom cap: they are exhaustive whenever building them and their sweep fit memory_limit.
AUTO_MAX_ATOMS = 1_000_000
AUTO_SAMPLE_ATOMS = 100_000
#: Exhaustive 2-D dictionaries with free biases of at least this many atoms are numbered
#: (PlanarDictionary) rather than stored: 3.5-4.7x faster fits at n = 1,000-2,000, measured.
PLANAR_MIN_ATOMS = 100_000
#: Exhaustive 3-D dictionaries with free biases of at least this many atoms are numbered
#: (SpatialDictionary) rather than stored or sampled (no Dask client active).
SPATIAL_MIN_ATOMS = 100_000
#: ... and with max_atoms="auto" at most this many samples: a pass costs O(n³ log n)
#: (about 20-40 s at n = 1,000 on one core, measured; 8x that per doubling), so above it
#: "auto" samples as before; max_atoms=None stays exhaustive at any n.
SPATIAL_MAX_SAMPLES = 2_000
#: With patterns="auto": enumerate when at most this many activation patterns can exist,
#: otherwise sample this many Gaussian gates.
AUTO_MAX_PATTERNS = 100_000
AUTO_SAMPLE_GATES = 2_000


def _sweep_bytes(n, d, bias):
    """Memory of the angular-sweep plan of an exhaustive 2-D / 3-D dictionary, or None."""
    if bias == "none" or d not in (2, 3):
        return None
    return 32 * n * n if d == 2 else 16 * n**3


def choose_dictionary(
    X,
    *,
    norm: str = "l1",
    bias="free",
    generators: str = "data+basis",
    max_atoms="auto",
    memory_limit: int = DEFAULT_MEMORY_LIMIT,
    random_state=None,
    numbered: bool = True,
    checked: bool = False,
    stacklevel: int = 2,
):
    """The wedge dictionary ``ConvexReLU`` solves over: exhaustive, or sampled with a warning.

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
        Training samples.
    norm : {"l1", "l2"}, default="l1"
        Atom normalisation (as for :class:`~geolasso.dictionary.WedgeDictionary`).
    bias : bool or {"free", "regularized", "none"}, default="free"
        The hidden biases.
    generators : {"data+basis", "data"}, default="data+basis"
        The generators of the atoms.
    max_atoms : "auto", int or None, default="auto"
        ``"auto"``: the exhaustive dictionary when it fits ``memory_limit`` (numbered in
        2-D and, up to ``SPATIAL_MAX_SAMPLES`` samples, in 3-D with free biases; stored
        in any dimension up to ``AUTO_MAX_ATOMS`` atoms, or beyond when its sweep fits),
        else a seeded sample of ``AUTO_SAMPLE_ATOMS`` atoms (at most what fits), with a
        :class:`~geolasso.exceptions.GeolassoWarning`. An int: a sample of that many
        atoms. None: exhaustive (numbered where it can be), or refused by memory.
    memory_limit : int, default=2 GiB
        Budget of the dictionary (and of the choice between its forms).
    random_state : int, Generator or None, default=None
        Seed of a sample.
    numbered : bool, default=True
        Allow the numbered 2-D / 3-D dictionaries (``ConvexReLU`` with a regularization
        ``path`` passes False: paths need stored columns).
    checked : bool, default=False
        ``X`` was validated by the caller (float64, finite, within float64's safe
        range): it is not checked again (the estimators' single validation).
    stacklevel : int, default=2
        Of the sampling warning (2: the caller of this function).

    Returns
    -------
    WedgeDictionary, PlanarDictionary or SpatialDictionary

    Examples
    --------
    >>> from geolasso.datasets import spiral
    >>> X, _ = spiral(1000)
    >>> type(choose_dictionary(X)).__name__
    'PlanarDictionary'
    """
    if not checked:
        X = as_float_array(X, "X", shape_doc="(n_samples, n_features)")
        if X.ndim != 2:
            raise ValueError(f"X must have shape (n_samples, n_features); got {X.shape}")
    n, d = X.shape
    bias = bias_name(bias)
    kwargs = dict(
        bias=bias,
        generators=generators,
        norm=norm,
        random_state=random_state,
        memory_limit=memory_limit,
    )

    def stored(**extra):
        return WedgeDictionary(X, **kwargs, **extra, check_input=not checked)

    free = numbered and bias == "free" and generators == "data+basis"
    planar = (
        free and d == 2 and (active_client() is not None or planar_bytes(n) <= 0.875 * memory_limit)
    )
    spatial = (
        free
        and d == 3
        and active_client() is None
        and n >= 3
        and spatial_bytes(n) <= 0.875 * memory_limit
    )
    if isinstance(max_atoms, str):
        if max_atoms != "auto":
            raise ValueError(f"max_atoms must be 'auto', an int or None; got {max_atoms!r}")
        total = dictionary_size(n, d, bias=bias, generators=generators)
        spatial_auto = spatial and n <= SPATIAL_MAX_SAMPLES
        if total >= PLANAR_MIN_ATOMS and planar:
            return _planar(X, norm, memory_limit, checked)
        if total >= SPATIAL_MIN_ATOMS and spatial_auto:
            return _spatial(X, norm, memory_limit, checked)
        k = d - 1 if bias == "none" else d
        build = build_bytes(total // 2, k, d + 1)
        sweep = _sweep_bytes(n, d, bias)
        swept = sweep is not None and build + sweep <= memory_limit
        if build <= memory_limit and (swept or total <= AUTO_MAX_ATOMS):
            return stored()
        if planar:
            return _planar(X, norm, memory_limit, checked)
        if spatial_auto:
            return _spatial(X, norm, memory_limit, checked)
        per_atom = build_bytes(1, k, d + 1) / 2
        size = max(2, int(min(AUTO_SAMPLE_ATOMS, memory_limit / per_atom)) // 2 * 2)
        warnings.warn(
            f"the exhaustive wedge dictionary of {n} samples in R^{d} has {total:,} atoms; "
            f"fitting over a seeded random sample of {size:,} of them instead "
            f"(random_state={random_state!r}). The fit is an upper bound on the global "
            "optimum (exact_ = False; optimality_gap_ bounds the difference when the exact "
            "check fits memory_limit); pass max_atoms to choose the sample size.",
            GeolassoWarning,
            stacklevel=stacklevel,
        )
        return stored(max_atoms=size)
    if max_atoms is None and (planar or spatial):
        total = dictionary_size(n, d, bias=bias, generators=generators)
        floor = PLANAR_MIN_ATOMS if planar else SPATIAL_MIN_ATOMS
        if total >= floor or build_bytes(total // 2, d, d + 1) > memory_limit:
            return (_planar if planar else _spatial)(X, norm, memory_limit, checked)
    return stored(max_atoms=max_atoms)


def _planar(X, norm, memory_limit, checked):
    """The numbered 2-D dictionary, its sweep order on the active cluster if any (kept on
    the workers, or rebuilt every pass when it takes more than half their memory:
    :class:`geolasso.distributed.PlanarRunner`)."""
    plan = "here" if active_client() is None else "cluster"
    return PlanarDictionary(
        X, norm=norm, memory_limit=memory_limit, plan=plan, check_input=not checked
    )


def _spatial(X, norm, memory_limit, checked):
    """The numbered 3-D dictionary (its passes run here only: with a Dask client the
    stored or sampled dictionary is used; see :mod:`geolasso.spatial`, Measured)."""
    return SpatialDictionary(X, norm=norm, memory_limit=memory_limit, check_input=not checked)


def choose_patterns(
    X,
    patterns="auto",
    *,
    bias="regularized",
    scale: float = 1.0,
    random_state=None,
    memory_limit: int = DEFAULT_MEMORY_LIMIT,
    checked: bool = False,
    stacklevel: int = 2,
) -> ActivationPatterns:
    """The activation patterns the arrangement program solves over: enumerated, sampled, or given.

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
        Training samples (for ``ConvexCNN``, the stacked patches).
    patterns : "auto", "exact", int or ActivationPatterns, default="auto"
        ``"auto"``: enumerate when at most ``AUTO_MAX_PATTERNS`` patterns can exist,
        else sample ``AUTO_SAMPLE_GATES`` Gaussian gates with a
        :class:`~geolasso.exceptions.GeolassoWarning`; ``"exact"``: enumerate (or be
        refused by memory); an int: sample that many gates; ActivationPatterns: checked
        against ``X`` and ``bias`` and used.
    bias : bool or {"free", "regularized", "none"}, default="regularized"
        The hidden biases.
    scale : float, default=1.0
        ``X`` is the caller's samples times ``scale`` (the estimators' standardisation):
        given patterns' gates are mapped to it.
    random_state : int, Generator or None, default=None
        Seed of the sampled gates.
    memory_limit : int, default=2 GiB
        Budget of the enumeration or sampling.
    checked : bool, default=False
        ``X`` was validated by the caller (not checked again).
    stacklevel : int, default=2
        Of the sampling warning.

    Returns
    -------
    ActivationPatterns
    """
    if not checked:
        X = as_float_array(X, "X", shape_doc="(n_samples, n_features)")
    n = X.shape[0]
    bias = bias_name(bias)
    spec = patterns
    if isinstance(spec, ActivationPatterns):
        check_patterns(spec, n, bias)
        gates = spec.gates
        if scale != 1.0:
            # gates of X as gates of the standardised samples scale · X: the weight
            # columns divided by scale (exact), so that each stays inside its cell
            gates = gates.copy()
            gates[:, : X.shape[1]] = gates[:, : X.shape[1]] / scale
        if spec.bias != bias or gates is not spec.gates:
            spec = ActivationPatterns(
                spec.patterns, gates, spec.exact, spec.method, bias, spec.n_zero
            )
        return spec
    design = None
    if isinstance(spec, str):
        if spec not in ("auto", "exact"):
            raise ValueError(
                f"patterns must be 'auto', 'exact', an int or ActivationPatterns; got {spec!r}"
            )
        design = pattern_design(X, bias, checked=checked)
        bound = pattern_count(n, max(row_space(design[0]).shape[1], 1))
        if spec == "exact" or bound <= AUTO_MAX_PATTERNS:
            return enumerate_design(design, False, None, memory_limit)
        warnings.warn(
            f"the {n} samples may have up to {bound:,} activation patterns; solving over "
            f"{AUTO_SAMPLE_GATES:,} sampled Gaussian gates instead "
            f"(random_state={random_state!r}). The fit is an upper bound on the "
            "global optimum (exact_ = False); pass patterns=<int> to choose the number.",
            GeolassoWarning,
            stacklevel=stacklevel,
        )
        spec = AUTO_SAMPLE_GATES
    if isinstance(spec, (bool, np.bool_)) or not isinstance(spec, (int, np.integer)):
        raise ValueError(
            f"patterns must be 'auto', 'exact', an int or ActivationPatterns; got {spec!r}"
        )
    if design is None:
        design = pattern_design(X, bias, checked=checked)
    return sample_design(design, int(spec), "gaussian", None, False, random_state, memory_limit)
