"""Global training of two-layer ReLU networks through the wedge-product Lasso.

Overview
--------
:class:`ConvexReLU` fits ``f(x) = c + Σ_j v_j (w_j·x + b_j)_+`` by minimising
the network objective of docs/mathematics.md §0.1,

.. math::

    J = \\frac{1}{2n} \\sum_i (f(x_i) - y_i)^2
        + \\frac{\\alpha}{2} \\sum_j \\left(\\lVert w_j \\rVert_p^2 + v_j^2\\right),

not by local search but through its convex form (``method="wedge"``):

1. build the wedge dictionary of the data
   (:class:`~geolasso.dictionary.WedgeDictionary`): one atom per hyperplane
   through training samples (and coordinate directions), normalised to unit
   first-layer norm, in both orientations;
2. solve the Lasso over it with geolasso's certified solver
   (:func:`geolasso.lasso.lasso`);
3. map the solution back to a network (docs/mathematics.md §4.3): atom ``a`` with
   coefficient ``z`` becomes the neuron ``√|z| · a`` with output weight
   ``sign(z) √|z|``, so ``J`` at the network equals the Lasso optimum;
4. certify the network (:func:`geolasso.certificate.certify`).

**What is exact.** With ``norm="l1"`` (``p = 1``) and the exhaustive dictionary
with data and basis generators, the Lasso optimum *is* the global optimum of
``J`` over networks of any width (docs/mathematics.md §4.3), and the certificate proves it.
With ``norm="l2"`` (standard weight decay) and ``d >= 2`` the dictionary holds
only some of the possible neurons, so the fitted network is an upper bound on
the weight-decay optimum, often tight but not certified as optimal (docs/mathematics.md §4.4);
``exact_`` says which case a fit is. In 1-D both norms are exact. When the
exhaustive dictionary is too large, a seeded sample of it is used
(``exact_ = False``, with a warning that names the sample size).

The papers' regularization ``β`` equals ``n · alpha`` (docs/mathematics.md §0.1).

**Scale.** Fitting ``(c X, y)`` with penalty ``c · alpha`` is fitting ``(X, y)``
with ``alpha``: each neuron ``(w, b, v)`` becomes ``(w / √c, b √c, v √c)``,
the predictions on ``c X`` equal those on ``X`` and the objectives are
equal. Unless the penalised bias (``bias="regularized"``) breaks this,
samples whose largest magnitude lies outside ``[2^-10, 2^10]`` are fitted
after multiplying ``X`` by the power of four ``scale_`` (exact: only
exponents change) and ``alpha`` by the same factor, so that every rank and
degeneracy decision is made at the data's own scale; the network is mapped
back. Samples or targets whose largest magnitude lies outside ``[2^-510,
2^510]`` (about ``3e-154`` to ``3e153``) are refused with a ValueError.
"""

from __future__ import annotations

import math
from typing import ClassVar, NamedTuple

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

from ._constraints import BIAS, COUNT, NONNEGATIVE, POSITIVE, RANDOM_STATE, at_least, options
from ._validation import check_positive, forget_fit, refuse_complex, scale_exponent
from ._warnings import convergence_warnings_collected
from .arrangements import ActivationPatterns
from .auto import choose_dictionary, choose_patterns
from .certificate import certify_checked
from .dictionary import DEFAULT_MEMORY_LIMIT, WedgeDictionary
from .distributed import distributed_passes
from .exceptions import DictionaryTooLargeError
from .lasso import lasso, lasso_path
from .network import ReLUNetwork
from .progress import Progress
from .wedge_build import bias_name, dictionary_size

__all__ = ["ConvexReLU", "ConvexReLUClassifier"]

#: Largest wedge dictionary whose ℓ2 fit is used as the arrangement program's starting point.
WARM_START_ATOMS = 200_000
#: method="arrangement": ``exact_`` needs a certified relative gap below max(tol, EXACT_RTOL).
EXACT_RTOL = 1e-6


class ConvexReLU(RegressorMixin, BaseEstimator):
    """A two-layer ReLU network trained to its global optimum (regression).

    See the module overview for the method and for what is exact.

    Parameters
    ----------
    alpha : float, default=1e-3
        Penalty of the objective ``J`` (docs/mathematics.md §0.1; the papers' ``β = n α``).
        It carries the units of ``X``: scaling ``X`` by ``c`` and ``alpha``
        by ``c`` gives the same function (module overview, "Scale").
        ``method="arrangement"`` is designed for ``alpha >= 1e-6 ·
        alpha_max`` (``alpha_max``: the smallest penalty with the zero
        network). Measured on the enumerated 40-point spiral (ℓ2, free biases,
        ``alpha_max ≈ 0.083``): ``1.2e-6 · alpha_max`` is certified in 11
        pricing rounds (about 2 s), while ``1.2e-7 · alpha_max`` took 71 s and
        ``1.2e-11 · alpha_max`` over 110 s without certifying. Below that range
        the solver's work is bounded (at most 12 pricing rounds, with bounded
        restricted solves: :func:`geolasso.crelu.solve_crelu`; those two
        probes now stop in about 2 s and 6 s), with a
        :class:`~geolasso.exceptions.ConvergenceWarning` naming the certified
        relative gap reached when it is above ``max(tol, 1e-6)`` (``exact_``
        is then False).
    method : {"wedge", "arrangement"}, default="wedge"
        ``"wedge"``: the wedge-product Lasso (module overview).
        ``"arrangement"``: the convex program over activation patterns
        (C-ReLU, docs/mathematics.md §2.2; :mod:`geolasso.crelu`), exact for either norm
        when the patterns are enumerated — the way to the exact optimum of
        standard weight decay (``norm="l2"``) for ``d >= 2``. With enumerated
        patterns and ``norm="l2"`` the solver starts from the wedge-ℓ2 fit
        (an upper bound near the optimum) when its dictionary has at most
        ``WARM_START_ATOMS`` atoms.
    norm : {"l1", "l2"}, default="l1"
        First-layer norm ``p``: ``"l1"`` is geolasso's exact mode, ``"l2"``
        standard weight decay (with ``method="wedge"`` an upper bound for
        ``d >= 2``; with ``method="arrangement"`` exact over enumerated
        patterns).
    bias : {True, False, "regularized"}, default=True
        Free hidden biases and a free output intercept (True); no biases and
        no intercept (False); or biases penalised with the weights and no
        intercept ("regularized") — docs/mathematics.md §4.3 settings B, A and C.
    generators : {"data+basis", "data"}, default="data+basis"
        Generators of the dictionary's hyperplanes: samples and coordinate
        directions (needed for exactness with ``"l1"``, and a tighter bound
        with ``"l2"``), or samples only (hyperplanes through data points
        alone; the dictionary of earlier research code, an upper bound).
    max_atoms : "auto", int or None, default="auto"
        Dictionary size. ``"auto"``: exhaustive when building it fits
        ``memory_limit`` and, unless its correlation pass is an angular sweep
        (2-D and 3-D data with a bias: no atom cap), it has at most 1,000,000
        atoms. 2-D data with free biases and at least 100,000 atoms (or a
        stored dictionary too large for the budget) use the numbered
        exhaustive dictionary (:class:`~geolasso.planar.PlanarDictionary`,
        ``12 n²`` bytes with the solution, and an eighth of the budget for the
        solver: up to about ``n = 12,500`` in 2 GiB). 3-D data with free
        biases and at least 100,000 atoms (``n >= 65``; or a stored
        dictionary too large for the budget) use the numbered exhaustive
        :class:`~geolasso.spatial.SpatialDictionary` (a few ``n``-vectors;
        ``O(n³ log n)`` per pass) up to 2,000 samples, except on an active
        Dask cluster, where the stored or sampled dictionary is used as
        before. Otherwise a seeded
        sample of 100,000 atoms (fewer if the budget demands), with a
        :class:`~geolasso.exceptions.GeolassoWarning`.
        An int: sample that many atoms when the exhaustive dictionary is
        larger (no warning). None: always exhaustive (may raise
        :class:`~geolasso.exceptions.DictionaryTooLargeError`).
    patterns : "auto", "exact", int or ActivationPatterns, default="auto"
        ``method="arrangement"`` only: the activation patterns. ``"auto"``:
        enumerated when at most 100,000 can exist (:func:`geolasso.
        arrangements.pattern_count`), otherwise 2,000 seeded Gaussian gates
        with a :class:`~geolasso.exceptions.GeolassoWarning`; ``"exact"``:
        always enumerated (may raise
        :class:`~geolasso.exceptions.DictionaryTooLargeError`, which says how
        many and suggests a sample size); an int: that many sampled Gaussian
        gates; or patterns from :func:`~geolasso.arrangements.
        enumerate_patterns` / :func:`~geolasso.arrangements.sample_patterns`.
    gated : bool, default=False
        ``method="arrangement"`` only: fit the gated-ReLU relaxation
        (docs/mathematics.md §2.4; each neuron acts where its fixed gate is active) instead
        of the ReLU network. Refused with free biases (``bias=True``), where
        it is degenerate (T15); use ``bias="regularized"`` or ``False``.
        There is no ``network_`` then; ``gates_`` and ``solution_`` hold the
        model.
    path : int, array_like or None, default=None
        ``method="wedge"`` only. Fit along a regularization path ending at
        ``alpha``: an int ``k`` for ``k`` penalties spaced geometrically from ``alpha_max`` down to
        ``alpha`` (each solve warm-started from the previous one), or an
        array of penalties (``alpha`` is appended when missing). Sets
        ``path_``.
    tol : float, default=1e-8
        Relative duality gap at which the solver stops: ``(P - D) / P(0)``
        for the Lasso, ``(P - D) / P`` for the arrangement program.
    max_iter : int, default=500
        Working-set rounds of the Lasso or pricing rounds of the arrangement
        solver.
    certify : bool, default=True
        Compute the certificate of global optimality (needs the exhaustive
        ℓ1 dictionary, which ``norm="l1"`` fits reuse; with ``"l2"`` or a
        sampled dictionary it is built when it fits ``memory_limit``).
    random_state : int, numpy.random.Generator or None, default=None
        Seed of the dictionary sample (used only when sampling).
    memory_limit : int, default=2 GiB
        Budget in bytes for building dictionaries.
    verbose : bool, default=False
        Show progress over the Lasso rounds on standard error: a tqdm bar on a
        terminal, otherwise (logs, CI) a plain line every 30 s and one at the end.

    Attributes
    ----------
    network_ : ReLUNetwork
        The fitted network (one neuron per selected atom).
    objective_ : float
        ``J`` at ``network_`` (equal to the Lasso optimum reached).
    exact_ : bool
        True when ``objective_`` is the global optimum of ``J`` over networks
        of any width, up to ``optimality_gap_``: with ``method="wedge"``,
        ``norm="l1"`` or 1-D data and the exhaustive dictionary with data and
        basis generators; with ``method="arrangement"``, every activation
        pattern enumerated and a certified relative gap below
        ``max(tol, 1e-6)``. Always False for the gated model (a relaxation).
    optimality_gap_ : float
        Absolute gap from the certificate: ``objective_ - J* <=
        optimality_gap_``. For ``norm="l2"`` it is exact for 1-D and 2-D data
        (free bias or none) and a relaxed, loose bound otherwise; NaN when no
        certificate was computed. With ``method="arrangement"`` and sampled
        patterns it is the solver's duality gap over those patterns: the
        distance to the optimum over them, not a bound on the global ``J*``
        (``exact_`` is False).
    certificate_ : Certificate or None
        The certificate (see :func:`geolasso.certify`). With ``norm="l2"`` it
        checks the fit's own exhaustive ℓ2 wedge dictionary when there is one
        (``dictionary_``, or the arrangement method's warm start's): the ℓ1
        dictionary's atoms, ℓ2-normalised; no second dictionary is built.
    lasso_gap_ : float
        Relative duality gap of the Lasso over the dictionary used (of the
        arrangement program over its patterns with ``method="arrangement"``).
    n_neurons_ : int
        Number of neurons of ``network_``.
    features_ : list of dict
        One record per neuron: ``neuron``, ``atom`` (column of
        ``dictionary_``), ``coefficient`` (Lasso ``z``), ``weight``, ``bias``,
        ``output_weight``, ``samples`` (indices of the generator samples in
        ``X``), ``axes`` (coordinate-direction generators, 1-based),
        ``orientation`` (±1), ``normalizer`` (the norm the atom was divided
        by) and ``volumes`` (the signed volumes ``± det[x̃_i; generators]`` on
        the training samples, whose ReLU divided by ``normalizer`` is the
        atom's feature).
    dictionary_ : WedgeDictionary or None
        The dictionary solved over (None with ``method="arrangement"``).
    patterns_ : ActivationPatterns
        ``method="arrangement"``: the patterns solved over.
    solution_ : CReLUResult
        ``method="arrangement"``: the convex solution (variables per pattern,
        objective, dual bound, gap; :func:`geolasso.crelu.solve_crelu`).
    gates_ : ndarray, shape (n_neurons, r)
        ``gated=True``: the gate of each neuron (weights, then bias).
    intercept_ : float
        Output intercept ``c`` of ``network_``.
    n_iter_ : int
        Lasso rounds (at ``alpha``).
    path_ : LassoPath or None
        The regularization path when ``path`` was given.
    n_features_in_ : int
        Number of features seen in ``fit``.
    scale_ : float
        The power of four ``X`` was multiplied by before fitting (1.0 for
        samples of magnitude in ``[2^-10, 2^10]``, module overview). ``network_``,
        ``intercept_``, ``objective_``, the gaps, ``gates_`` and the neurons'
        ``weight``, ``bias`` and ``output_weight`` in ``features_`` are in the
        units of ``X``; ``dictionary_``, ``patterns_``, ``solution_``,
        ``certificate_`` and the other entries of ``features_`` refer to the
        standardised samples ``scale_ · X`` with penalty ``scale_ · alpha``.

    See Also
    --------
    ConvexReLUClassifier : The same for two-class labels.
    geolasso.certify : Certificates for any network.

    Examples
    --------
    docs/mathematics.md T10: two points, ``β = 0.1`` (``α = β / n = 0.05``); the global
    optimum is ``f(x) = 0.8 (x)_+ + 0.1`` with objective ``0.09 / 2``.

    >>> model = ConvexReLU(alpha=0.05).fit([[0.0], [1.0]], [0.0, 1.0])
    >>> round(model.objective_, 10), model.exact_, model.n_neurons_
    (0.045, True, 1)
    >>> model.predict([[0.0], [1.0], [2.0]]).round(6)
    array([0.1, 0.9, 1.7])
    """

    _parameter_constraints: ClassVar[dict] = {
        "alpha": [POSITIVE],
        "method": [options("wedge", "arrangement")],
        "norm": [options("l1", "l2")],
        "bias": BIAS,
        "generators": [options("data+basis", "data")],
        "max_atoms": [at_least(2), options("auto"), None],
        "patterns": [options("auto", "exact"), at_least(1), ActivationPatterns],
        "gated": ["boolean"],
        "path": [at_least(1), "array-like", None],
        "tol": [NONNEGATIVE],
        "max_iter": [COUNT],
        "certify": ["boolean"],
        "random_state": RANDOM_STATE,
        "memory_limit": [POSITIVE],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        alpha=1e-3,
        *,
        method="wedge",
        norm="l1",
        bias=True,
        generators="data+basis",
        max_atoms="auto",
        patterns="auto",
        gated=False,
        path=None,
        tol=1e-8,
        max_iter=500,
        certify=True,
        random_state=None,
        memory_limit=DEFAULT_MEMORY_LIMIT,
        verbose=False,
    ):
        self.alpha = alpha
        self.method = method
        self.norm = norm
        self.bias = bias
        self.generators = generators
        self.max_atoms = max_atoms
        self.patterns = patterns
        self.gated = gated
        self.path = path
        self.tol = tol
        self.max_iter = max_iter
        self.certify = certify
        self.random_state = random_state
        self.memory_limit = memory_limit
        self.verbose = verbose

    # ------------------------------------------------------------------ fitting
    def _validate_params_here(self):
        """The parameters, each by its ``_parameter_constraints`` (scikit-learn's
        validation), then together; returns ``alpha`` (finite)."""
        self._validate_params()
        alpha = check_positive(self.alpha, "alpha")
        if self.gated and self.method != "arrangement":
            raise ValueError(
                "gated=True is the gated-ReLU program: use it with method='arrangement'"
            )
        if self.gated and bias_name(self.bias) == "free":
            raise ValueError(
                "gated=True with free hidden biases (bias=True) is degenerate: a gated neuron "
                "with weights 0 and a free bias reproduces its gate's indicator at no cost, so "
                "the optimum fits any targets with zero penalty (docs/mathematics.md §2.4, "
                "T15). Use "
                "bias='regularized' (the gate biases' neurons penalised with their weights) or "
                "bias=False"
            )
        if self.method == "arrangement" and self.path is not None:
            raise ValueError("path is supported by method='wedge' only")
        return alpha

    def _dictionary(self, X):
        """The dictionary to solve over (:func:`geolasso.auto.choose_dictionary`)."""
        return choose_dictionary(
            X,
            norm=self.norm,
            bias=self.bias,
            generators=self.generators,
            max_atoms=self.max_atoms,
            memory_limit=self.memory_limit,
            random_state=self.random_state,
            numbered=self.path is None,
            checked=True,
            stacklevel=4,  # fit -> _fit -> _dictionary -> choose_dictionary
        )

    def _fit_wedge(self, X, y, alpha, D):
        progress = Progress(self.verbose, "geolasso fit")
        try:
            if self.path is None:
                res = lasso(
                    D,
                    y,
                    alpha,
                    fit_intercept=D.fit_intercept,
                    tol=self.tol,
                    max_iter=self.max_iter,
                    callback=progress,
                )
                self.path_ = None
                coef = (res.support, res.values)
                intercept, gap, n_iter = res.intercept, res.dual_gap, res.n_iter
            else:
                alphas = self._path_alphas(D, y, alpha)
                self.path_ = lasso_path(
                    D,
                    y,
                    alphas=alphas,
                    fit_intercept=D.fit_intercept,
                    tol=self.tol,
                    max_iter=self.max_iter,
                    callback=progress,
                )
                last = self.path_.alphas.size - 1
                column = self.path_.coefs[:, [last]].tocsc()
                column.sort_indices()
                coef = (column.indices.astype(np.int64), column.data.astype(np.float64))
                intercept = float(self.path_.intercepts[last])
                gap = float(self.path_.dual_gaps[last])
                n_iter = int(self.path_.n_iters[last])
        finally:
            progress.close()
        return D, coef, intercept, gap, n_iter

    def _path_alphas(self, D, y, alpha):
        from .dictionary import alpha_max

        if isinstance(self.path, (int, np.integer)) and not isinstance(self.path, bool):
            if self.path < 1:
                raise ValueError(
                    f"path must be an int >= 1 or an array of penalties; got {self.path}"
                )
            top = alpha_max(D, y)
            if top <= alpha:
                return np.array([alpha])
            return np.geomspace(top, alpha, int(self.path))
        alphas = np.asarray(self.path, dtype=float).ravel()
        if alphas.size == 0 or not np.all(np.isfinite(alphas)) or np.any(alphas <= 0):
            raise ValueError("path must be an int or a non-empty array of finite penalties > 0")
        alphas = alphas * self.scale_  # in the units of the standardised data (fit)
        alphas = np.unique(np.append(alphas, alpha))[::-1]
        return alphas[alphas >= alpha]

    def _patterns(self, X):
        """The activation patterns to solve over (:func:`geolasso.auto.choose_patterns`)."""
        return choose_patterns(
            X,
            self.patterns,
            bias=self.bias,
            scale=self.scale_,
            random_state=self.random_state,
            memory_limit=self.memory_limit,
            checked=True,
            stacklevel=5,  # fit -> _fit -> _fit_arrangement -> _patterns -> choose_patterns
        )

    def _fit_arrangement(self, X, y, alpha):
        from .crelu import solve_crelu, to_network

        patterns = self._patterns(X)
        start, start_dictionary = None, None
        if patterns.exact and not self.gated and self.norm == "l2":
            start, start_dictionary = self._wedge_start(X, y, alpha, patterns)
        progress = Progress(self.verbose, "geolasso fit")
        try:
            res = solve_crelu(
                X,
                y,
                alpha,
                patterns,
                norm=self.norm,
                gated=bool(self.gated),
                tol=self.tol,
                max_rounds=self.max_iter,
                start=start,
                callback=progress,
            )
        finally:
            progress.close()
        self.patterns_ = patterns
        self.solution_ = res
        self.dictionary_ = None
        self.path_ = None
        self.lasso_gap_ = res.relative_gap
        self.n_iter_ = res.n_rounds
        self.objective_ = res.objective
        if self.gated:
            self.network_ = None
            self.gates_ = patterns.gates[res.pattern]
            self._gated_coef = res.coef
            self.intercept_ = res.intercept
            self.n_neurons_ = int(res.coef.shape[0])
            self.exact_ = False
            self.certificate_ = None
            self.optimality_gap_ = res.gap
            self.features_ = [
                {"neuron": k, "pattern": int(p), "gate": self.gates_[k], "weights": row}
                for k, (p, row) in enumerate(zip(res.pattern, res.coef, strict=True))
            ]
            return self
        bias = bias_name(self.bias)
        network = to_network(res, patterns, self.norm)
        network.metadata = self._metadata(alpha, patterns=patterns.method)
        self.network_ = network
        self.intercept_ = network.c
        self.n_neurons_ = network.n_neurons
        self.objective_ = network.objective(
            X, y, alpha, norm=self.norm, bias=bias, check_input=False
        )
        # exact: every pattern enumerated, and the certified gap small (the interior-point
        # solves give relative gaps of about 1e-8, so a tighter tol is not always reached)
        self.exact_ = bool(patterns.exact) and res.relative_gap <= max(self.tol, EXACT_RTOL)
        self.features_ = _arrangement_features(res, patterns, network, X)
        self.certificate_ = None
        # the solver's certified duality gap over the patterns it solved over: it bounds
        # objective_ - J* when the patterns were enumerated (exact_), and the distance to
        # the optimum over these patterns when they were sampled (then not a bound on J*)
        self.optimality_gap_ = res.gap
        # the warm start's exhaustive ℓ2 dictionary, if built, is the certificate's too
        certify_with = {"patterns": patterns, "dictionary": start_dictionary}
        self._certify(network, X, y, alpha, **(certify_with if self.norm == "l2" else {}))
        return self

    def _wedge_start(self, X, y, alpha, patterns):
        """A starting point for the weight-decay program: the wedge-ℓ2 fit's neurons.

        The wedge fit is an upper bound close to the optimum (docs/mathematics.md §4.4) with
        few neurons, each on an enumerated pattern; it is cheap when the
        exhaustive dictionary is small (at most ``WARM_START_ATOMS`` atoms).
        Returns the start and that dictionary, or ``(None, None)`` when it is not.
        """
        from .crelu import start_from_network

        n, d = X.shape
        bias = bias_name(self.bias)
        if dictionary_size(n, d, bias=bias, generators="data+basis") > WARM_START_ATOMS:
            return None, None
        D = WedgeDictionary(
            X, bias=bias, norm="l2", memory_limit=self.memory_limit, check_input=False
        )
        # only a starting point: whether its Lasso converged does not matter (the solver
        # warns when it does not converge itself), so its warning is not passed on
        with convergence_warnings_collected():
            res = lasso(
                D, y, alpha, fit_intercept=D.fit_intercept, tol=1e-6, max_iter=self.max_iter
            )
        network = ReLUNetwork.from_lasso(D, res.coef, res.intercept)
        start, _ = start_from_network(network, patterns, X)
        return start, D

    def _metadata(self, alpha, **extra):
        return {
            "trained_by": "geolasso.ConvexReLU",
            "method": self.method,
            "alpha": alpha,
            "norm": self.norm,
            "bias": bias_name(self.bias),
            **extra,
        }

    def _certify(self, network, X, y, alpha, **kwargs):
        """Set certificate_ (and optimality_gap_ when the certificate is exact)."""
        if not self.certify:
            return
        try:
            self.certificate_ = certify_checked(
                network,
                X,
                y,
                alpha,
                norm=self.norm,
                bias=bias_name(self.bias),
                memory_limit=self.memory_limit,
                **kwargs,
            )
        except DictionaryTooLargeError:
            return  # no exact check fits: optimality_gap_ keeps its value (documented)
        if self.certificate_.exact or self.method == "wedge":
            self.optimality_gap_ = self.certificate_.gap

    def _fit(self, X, y):
        alpha = self._validate_params_here()
        # nothing of a previous fit survives (patterns_ of method="arrangement", path_, ...)
        forget_fit(self, keep=("n_features_in_", "feature_names_in_", "classes_"))
        scale_exponent(y, "y")  # refuses targets outside float64's safe range
        k = scale_exponent(X, "X")
        if bias_name(self.bias) == "regularized":
            k = 0  # the penalised bias makes the problem scale-dependent: used as given
        self.scale_ = math.ldexp(1.0, k)
        if k:
            # fit(2^k X, y, 2^k alpha) is fit(X, y, alpha) with neurons rescaled (class
            # docstring): decide on data of magnitude about 1, then map the network back
            X = np.ldexp(X, k)
            scaled = math.ldexp(alpha, k)
            if not (np.isfinite(scaled) and scaled >= np.finfo(np.float64).tiny):
                raise ValueError(
                    f"alpha = {alpha!r} with X of largest magnitude {np.abs(X).max() / 2.0**k:.3g}"
                    f": the penalty of the standardised problem, alpha * {2.0**k:.3g} = "
                    f"{scaled:.3g}, leaves float64's normal range; rescale X and alpha together"
                )
            alpha = scaled
        if self.method == "arrangement":
            self._fit_arrangement(X, y, alpha)
        else:
            D = self._dictionary(X)
            # every pass over the dictionary (the Lasso's, the certificate's) on a Dask
            # cluster when one is active (joblib.parallel_backend("dask")); in-process
            # otherwise
            with distributed_passes(D):
                self._fit_dictionary(X, y, alpha, D)
        if k:
            self._unscale(k)
        return self

    def _unscale(self, k):
        """Map a fit on ``2^k X`` (penalty ``2^k alpha``) back to the units of ``X``.

        A neuron ``(w, b, v)`` on ``2^k X`` is ``(2^(k/2) w, 2^(-k/2) b,
        2^(k/2) v)`` on ``X``: the same function of the samples and, balanced,
        the same objective. Only exponents change (``k`` is even).
        """
        h = k // 2
        net = self.network_
        if net is not None:
            net.W, net.b, net.v = np.ldexp(net.W, h), np.ldexp(net.b, -h), np.ldexp(net.v, h)
            net.metadata["alpha"] = float(self.alpha)
            self.intercept_ = net.c
        else:  # gated: gates and weights in the coordinates of Z = [X, 1] or X
            d = self.n_features_in_
            self.gates_ = self.gates_.copy()
            self.gates_[:, :d] = np.ldexp(self.gates_[:, :d], k)
            self._gated_coef = self._gated_coef.copy()
            self._gated_coef[:, :d] = np.ldexp(self._gated_coef[:, :d], k)
        for record in self.features_:
            if "output_weight" in record:
                record["weight"] = np.ldexp(record["weight"], h)
                record["bias"] = math.ldexp(record["bias"], -h)
                record["output_weight"] = math.ldexp(record["output_weight"], h)
            if "gate" in record:
                record["gate"] = self.gates_[record["neuron"]]
                record["weights"] = self._gated_coef[record["neuron"]]
        if self.path_ is not None:
            self.path_.alphas = np.ldexp(self.path_.alphas, -k)

    def _fit_dictionary(self, X, y, alpha, D):
        D, (support, values), intercept, gap, n_iter = self._fit_wedge(X, y, alpha, D)
        bias = bias_name(self.bias)
        network = ReLUNetwork.from_lasso(D, _Sparse(support, values, D.n_atoms), intercept)
        network.metadata = self._metadata(alpha)
        self.dictionary_ = D
        self.network_ = network
        self.intercept_ = network.c
        self.n_neurons_ = network.n_neurons
        self.lasso_gap_ = gap
        self.n_iter_ = n_iter
        self.objective_ = network.objective(
            X, y, alpha, norm=self.norm, bias=bias, check_input=False
        )
        self.exact_ = bool(D.exact) and gap <= self.tol
        self.features_ = _features(D, support, values, network)
        self.certificate_ = None
        self.optimality_gap_ = math.nan
        # the exhaustive dictionary with data and basis generators is the certificate's
        # (an ℓ2 one too, its atoms rescaled; the planar one certifies the ℓ1 objective)
        exhaustive = D.generators == "data+basis" and not D.sampled
        reuse = exhaustive and (D.norm == "l1" or isinstance(D, WedgeDictionary))
        self._certify(network, X, y, alpha, dictionary=D if reuse else None)
        return self

    def fit(self, X, y):
        """Train the network to the (certified) global optimum.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            Training samples.
        y : array_like, shape (n_samples,)
            Targets.

        Returns
        -------
        self : ConvexReLU
            The fitted estimator.
        """
        from sklearn.utils.validation import validate_data

        refuse_complex(X, "X")
        refuse_complex(y, "y")
        X, y = validate_data(
            self, X, y, dtype=np.float64, order="C", y_numeric=True, multi_output=False
        )
        return self._fit(X, y)

    def predict(self, X):
        """Outputs of the fitted network.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of float64, shape (n_samples,)
        """
        from sklearn.utils.validation import check_is_fitted, validate_data

        check_is_fitted(self)
        refuse_complex(X, "X")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        if self.network_ is None:  # gated ReLU: each neuron's gate decides where it acts
            Z = X if bias_name(self.bias) == "none" else np.column_stack([X, np.ones(len(X))])
            on = (Z @ self.gates_.T) > 0
            return (on * (Z @ self._gated_coef.T)).sum(axis=1) + self.intercept_
        return self.network_.predict(X)

    def describe(self, top: int | None = 10) -> str:
        """The fitted neurons in words: hyperplanes through training samples.

        Parameters
        ----------
        top : int or None, default=10
            Neurons to list, by decreasing contribution ``|z|``; all when None.

        Returns
        -------
        str
        """
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        order = sorted(
            self.features_,
            key=lambda f: -abs(f.get("coefficient", np.linalg.norm(f.get("weights", 0.0)))),
        )
        shown = order if top is None else order[:top]
        kind = "exact" if self.exact_ else "upper bound"
        gap = self.optimality_gap_
        lines = [
            f"{self.n_neurons_} neurons, objective {self.objective_:.10g} ({kind}; "
            f"certified gap {'n/a' if math.isnan(gap) else f'{gap:.2e}'}); samples are "
            "0-based rows of X"
        ]
        for f in shown:
            if "gate" in f:
                lines.append(f"  gated neuron {f['neuron']}: gate of pattern {f['pattern']}")
                continue
            where = _in_words(f) if "samples" in f else _pattern_in_words(f)
            weight = f["output_weight"]
            lines.append(f"  neuron {f['neuron']}: {where}, output weight {weight:+.4g}")
        if len(shown) < len(order):
            lines.append(f"  ... and {len(order) - len(shown)} more")
        return "\n".join(lines)


def _in_words(feature) -> str:
    samples, axes = feature["samples"], feature["axes"]
    d = feature["weight"].size
    kind = {1: "breakpoint", 2: "line", 3: "plane"}.get(d, "hyperplane")
    if d == 1:
        return f"breakpoint at sample {samples[0]}" if samples else "breakpoint at the origin"
    text = f"{kind} through sample" + ("s " if len(samples) != 1 else " ")
    text += ", ".join(map(str, samples)) if samples else "the origin"
    real_axes = [a for a in axes if a <= d]
    if real_axes:
        text += ", parallel to the " + ", ".join(f"x{a}" for a in real_axes) + " ax"
        text += "is" if len(real_axes) == 1 else "es"
    sign = "+" if feature["orientation"] > 0 else "-"
    return f"{text} ({sign} side)"


def _pattern_in_words(feature) -> str:
    on = feature["on_hyperplane"]
    text = f"active on {feature['active'].size} samples (pattern {feature['pattern']})"
    if on.size:
        text += "; hyperplane through sample" + ("s " if on.size > 1 else " ")
        text += ", ".join(map(str, on.tolist()))
    return text


def _arrangement_features(res, patterns, network, X):
    """One record per neuron of a C-ReLU solution, in the network's order."""
    from ._crelu_groups import pen_norms

    d = network.n_features
    n_pen = d if patterns.bias == "free" else res.coef.shape[1]
    sizes = pen_norms(res.coef, n_pen, "l2")
    records = []
    k = 0
    for _row, p, sign, size in zip(res.coef, res.pattern, res.sign, sizes, strict=True):
        if size == 0.0:
            continue  # a weightless group went into the intercept (as in to_network)
        active = np.flatnonzero(patterns.patterns[p])
        pre = X @ network.W[k] + network.b[k]
        records.append(
            {
                "neuron": k,
                "pattern": int(p),
                "coefficient": float(sign * size),
                "weight": network.W[k].copy(),
                "bias": float(network.b[k]),
                "output_weight": float(network.v[k]),
                "active": active,
                "on_hyperplane": np.flatnonzero(np.abs(pre) <= 1e-9 * (1 + np.abs(X).max())),
            }
        )
        k += 1
    return records


class _Sparse(NamedTuple):
    """A Lasso solution as :meth:`ReLUNetwork.from_lasso` reads it (support, values)."""

    support: np.ndarray
    values: np.ndarray
    n_atoms: int


def _features(D, support, values, network):
    """One record per neuron of ``ReLUNetwork.from_lasso(D, (support, values), c)``."""
    Xa = np.column_stack([D.X, np.ones(D.n_samples) if D.setting != "A" else np.zeros(D.n_samples)])
    records = []
    for k, j in enumerate(support):
        samples, axes = D.generators_of(int(j))
        sign = 1 if j % 2 == 0 else -1
        h = j // 2
        normalizer = float(D.normalizers_of([h])[0])
        volumes = sign * (Xa @ D.hyperplanes_of([h])[0]) * normalizer
        records.append(
            {
                "neuron": k,
                "atom": int(j),
                "coefficient": float(values[k]),
                "weight": network.W[k].copy(),
                "bias": float(network.b[k]),
                "output_weight": float(network.v[k]),
                "samples": samples,
                "axes": axes,
                "orientation": sign,
                "normalizer": normalizer,
                "volumes": volumes,
            }
        )
    return records


class ConvexReLUClassifier(ClassifierMixin, ConvexReLU):
    """A two-layer ReLU network trained to its global optimum on two-class labels.

    The labels are mapped to ``-1`` (``classes_[0]``) and ``+1``
    (``classes_[1]``) and fitted with the squared loss, exactly as
    :class:`ConvexReLU`; ``predict`` returns the class of the sign of the
    network output. All parameters and attributes are those of
    :class:`ConvexReLU`, plus ``classes_``.

    Parameters
    ----------
    alpha : float, default=1e-3
        See :class:`ConvexReLU`.
    method : {"wedge", "arrangement"}, default="wedge"
        See :class:`ConvexReLU`.
    norm : {"l1", "l2"}, default="l1"
        See :class:`ConvexReLU`.
    bias : {True, False, "regularized"}, default=True
        See :class:`ConvexReLU`.
    generators : {"data+basis", "data"}, default="data+basis"
        See :class:`ConvexReLU`.
    max_atoms : "auto", int or None, default="auto"
        See :class:`ConvexReLU`.
    patterns : "auto", "exact", int or ActivationPatterns, default="auto"
        See :class:`ConvexReLU`.
    gated : bool, default=False
        See :class:`ConvexReLU`.
    path : int, array_like or None, default=None
        See :class:`ConvexReLU`.
    tol : float, default=1e-8
        See :class:`ConvexReLU`.
    max_iter : int, default=500
        See :class:`ConvexReLU`.
    certify : bool, default=True
        See :class:`ConvexReLU`.
    random_state : int, numpy.random.Generator or None, default=None
        See :class:`ConvexReLU`.
    memory_limit : int, default=2 GiB
        See :class:`ConvexReLU`.
    verbose : bool, default=False
        See :class:`ConvexReLU`.

    Attributes
    ----------
    classes_ : ndarray, shape (2,)
        The two labels, sorted; ``classes_[1]`` is the positive class.
    network_ : ReLUNetwork
        See :class:`ConvexReLU` (and its other attributes).

    Examples
    --------
    >>> from geolasso.datasets import spiral
    >>> X, y = spiral(40)
    >>> model = ConvexReLUClassifier(alpha=1e-4).fit(X, y)
    >>> model.score(X, y), model.exact_
    (1.0, True)
    """

    def fit(self, X, y):
        """Train on two-class labels.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            Training samples.
        y : array_like, shape (n_samples,)
            Labels of exactly two classes (any type scikit-learn accepts).

        Returns
        -------
        self : ConvexReLUClassifier
            The fitted estimator.
        """
        from sklearn.utils.multiclass import check_classification_targets
        from sklearn.utils.validation import validate_data

        refuse_complex(X, "X")
        refuse_complex(y, "y")
        X, y = validate_data(self, X, y, dtype=np.float64, order="C", multi_output=False)
        check_classification_targets(y)
        classes, encoded = np.unique(y, return_inverse=True)
        if classes.size != 2:
            one = " (1 class)" if classes.size == 1 else ""
            raise ValueError(
                "Only binary classification is supported: ConvexReLUClassifier fits labels ±1 "
                f"with the squared loss, and y has {classes.size} classes{one}: "
                f"{classes.tolist()[:10]}. For more classes, fit one ConvexReLUClassifier per "
                "class (one-vs-rest)."
            )
        self.classes_ = classes
        return self._fit(X, np.where(encoded == 1, 1.0, -1.0))

    def decision_function(self, X):
        """Network outputs; positive means ``classes_[1]``.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of float64, shape (n_samples,)
        """
        return ConvexReLU.predict(self, X)

    def predict(self, X):
        """Predicted labels: ``classes_[1]`` where the network output is positive.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray, shape (n_samples,)
        """
        scores = self.decision_function(X)  # checks that the model is fitted
        return self.classes_[(scores > 0).astype(int)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags
