"""Certificates of global optimality for two-layer ReLU networks.

Overview
--------
For the network objective of docs/mathematics.md §0.1,

.. math::

    J = \\frac{1}{2n} \\lVert f(X) - y \\rVert^2
        + \\frac{\\alpha}{2} \\sum_j \\left(\\lVert w_j \\rVert_p^2 + v_j^2\\right),

the convex dual (docs/mathematics.md §2.3, in code scale) gives, for any residual vector
``r`` (centred when the intercept is free), the lower bound

.. math::

    J^\\star \\ge D(t r) = \\frac{1}{2n}
    \\left(\\lVert \\tilde y \\rVert^2 - \\lVert \\tilde y - t r \\rVert^2\\right)
    \\quad\\text{whenever}\\quad
    t \\max_{\\lVert u^{(w)} \\rVert_p \\le 1} |r^T (Z u)_+| \\le n \\alpha .

With the ℓ1 norm (``p = 1``) the maximum is attained at an atom of the exact
wedge dictionary (data and basis generators, docs/mathematics.md §4.3), so it is a finite,
matrix-free pass over the atoms: :func:`certify` evaluates it at the network's
own residual, with the best step ``t``, and reports ``gap = J - D ≥ J - J*``.
At a global optimum the gap is zero (up to rounding): the residual satisfies
every dual constraint, with equality on the network's neurons.

With weight decay (``p = 2``, ``d ≥ 2``) the maximum over the Euclidean ball
is not attained on finitely many wedge atoms (docs/mathematics.md §4.4). For 2-D data (with
a free bias or none) it is still computed exactly, by a sweep: for a fixed
``w`` the best bias puts the hyperplane through a sample, and around each
sample the value is linear in ``w`` on arcs of the unit circle between the
angles where a sample enters or leaves the active side. In higher dimension
(or with a regularized bias), since the Euclidean unit ball lies inside the ℓ1
ball of radius ``√k`` (``k`` penalised coordinates), ``√k`` times the ℓ1
maximum bounds it: the lower bound stays valid but is loose, and the
certificate says so (``exact = False``). The violations it lists are
nevertheless real: each is a unit-norm neuron whose dual constraint the
residual breaks, a proof that the network is not optimal.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np

from ._dual import ray_bound as _ray_bound  # its home is the shared module since the crelu split
from ._validation import as_float_array, as_positive_int, check_positive, scale_exponent
from .dictionary import DEFAULT_MEMORY_LIMIT, WedgeDictionary
from .exceptions import DictionaryTooLargeError
from .readers import as_network
from .wedge_build import bias_name

__all__ = ["Certificate", "certify"]

#: A dual constraint counts as violated above 1 + _VIOLATION_RTOL (rounding of
#: the residual at an optimum is far below this).
_VIOLATION_RTOL = 1e-6
#: Relative gap within which a certificate calls a network optimal (by default).
DEFAULT_RTOL = 1e-6


@dataclass
class Certificate:
    """How far a two-layer ReLU network is from the global optimum.

    Attributes
    ----------
    objective : float
        The network objective ``J`` (docs/mathematics.md §0.1).
    lower_bound : float
        A lower bound on the global optimum ``J*`` from a dual-feasible point.
    gap : float
        ``objective - lower_bound`` (≥ 0): an upper bound on ``J - J*``.
    relative_gap : float
        ``gap / objective``.
    max_violation : float
        The largest dual-constraint ratio ``|rᵀ(Z u)_+| / (n α)`` over the
        checked unit-norm neurons ``u`` (≤ 1 at an optimum; the network's own
        neurons attain 1).
    n_violations : int
        Atoms whose ratio exceeds ``1 + 1e-6``.
    violations : list of dict
        The worst of those (at most ``top``), largest first: ``atom`` (index in
        :attr:`dictionary`), ``ratio``, ``samples`` and ``axes`` (generators,
        see :meth:`WedgeDictionary.generators_of`), ``weight`` and ``bias``
        (the unit-norm neuron), ``sign`` (+1 when adding it with a positive
        output weight would lower the objective). These are the features a
        global optimum would use that the network lacks.
    exact : bool
        True when the lower bound is the exact dual bound (ℓ1 norm, a single
        penalised coordinate, or ℓ2 on 2-D data with a free bias or none);
        False for the relaxed ℓ2 bound.
    norm : {"l1", "l2"}
        First-layer norm of the objective.
    bias : {"free", "none", "regularized"}
        Bias setting of the objective.
    alpha : float
        Penalty.
    n_atoms : int
        Atoms checked (the exact wedge dictionary: ℓ1-normalised, or the ℓ2
        fit's own ℓ2-normalised one for an estimator's ℓ2 certificate).
    dictionary : WedgeDictionary
        The dictionary checked (not shown in the repr).
    rtol : float
        The relative gap within which :attr:`optimal` is claimed.
    rebalanced_objective : float
        The objective of the same function with every neuron rescaled to
        ``|v_j| = ‖w_j‖`` (:meth:`ReLUNetwork.rebalanced`), the least any
        rescaling of these neurons reaches; the lower bound holds for it too
        (the function, hence the residual, is the same).
    """

    objective: float
    lower_bound: float
    gap: float
    relative_gap: float
    max_violation: float
    n_violations: int
    violations: list
    exact: bool
    norm: str
    bias: str
    alpha: float
    n_atoms: int
    dictionary: WedgeDictionary = field(repr=False)
    rtol: float = DEFAULT_RTOL
    rebalanced_objective: float = math.nan

    @property
    def dual_feasible(self) -> bool:
        """bool: True when the exact check finds no violated dual constraint (the
        network's residual, as it is, is a dual-feasible point). A relaxed (ℓ2,
        ``d >= 3``) check never is."""
        return bool(self.exact and self.max_violation <= 1.0 + _VIOLATION_RTOL)

    @property
    def optimal(self) -> bool:
        """bool: True when this network is a global optimum up to :attr:`rtol`: the
        exact check holds (:attr:`dual_feasible`) *and* the certified relative gap is
        at most ``rtol``. A NaN never certifies."""
        return self.dual_feasible and _within(self.relative_gap, self.rtol)

    @property
    def rebalanced_gap(self) -> float:
        """float: ``rebalanced_objective - lower_bound`` (≥ 0)."""
        return max(self.rebalanced_objective - self.lower_bound, 0.0)

    @property
    def rebalanced_relative_gap(self) -> float:
        """float: ``rebalanced_gap / rebalanced_objective``."""
        top = self.rebalanced_objective
        return self.rebalanced_gap / top if top > 0 else (0.0 if top == 0 else math.nan)

    @property
    def optimal_after_rebalancing(self) -> bool:
        """bool: True when the rebalanced network (the same function) is a global
        optimum up to :attr:`rtol` (the exact check holds and its gap is within
        ``rtol``): the function is optimal even when these weights are not."""
        return self.dual_feasible and _within(self.rebalanced_relative_gap, self.rtol)

    def __str__(self) -> str:
        kind = "exact dual bound" if self.exact else "relaxed dual bound (ℓ2 ball in √k·ℓ1 ball)"
        lines = [
            f"objective {self.objective:.10g}, lower bound {self.lower_bound:.10g} ({kind})",
            f"optimality gap {self.gap:.3e} (relative {self.relative_gap:.3e}); "
            f"largest dual ratio {self.max_violation:.6f} over {self.n_atoms} atoms",
        ]
        if self.optimal:
            lines.append(
                "no dual constraint is violated and the relative gap is within "
                f"{self.rtol:g}: the network is a global optimum"
            )
        elif self.optimal_after_rebalancing:
            lines.append(
                "no dual constraint is violated, but the weights are not balanced: rescaling "
                f"each neuron to |v| = ‖w‖ lowers the objective to {self.rebalanced_objective:.10g}"
                f" (relative gap {self.rebalanced_relative_gap:.3e}), a global optimum; "
                "the network as given is not (ReLUNetwork.rebalanced)"
            )
        elif self.dual_feasible:
            lines.append(
                f"no dual constraint is violated, but the relative gap {self.relative_gap:.3e} "
                f"(rebalanced: {self.rebalanced_relative_gap:.3e}) is above {self.rtol:g}: "
                "optimality is not proven (a neuron dead on every sample, or a bound from the "
                "network's own residual far from an optimum; certify(..., solve=True) "
                "tightens it)"
            )
        elif self.n_violations == 0:
            lines.append(
                "no wedge atom violates its dual constraint"
                + (
                    ", but the ℓ2 check is relaxed: optimality is not proven"
                    if not self.exact
                    else f", but a neuron off the atoms does (ratio {self.max_violation:.4f})"
                )
            )
        else:
            lines.append(f"{self.n_violations} atoms violate their dual constraint; the worst:")
            for v in self.violations:
                lines.append(f"  atom {v['atom']}: ratio {v['ratio']:.4f}, {_where(v)}")
        return "\n".join(lines)


def _within(value, tol) -> bool:
    return bool(math.isfinite(value) and value <= tol)


def _where(record) -> str:
    samples, axes = record["samples"], record["axes"]
    parts = []
    if samples:
        parts.append("through sample" + ("s " if len(samples) > 1 else " ") + str(list(samples)))
    if axes:
        parts.append("parallel to axes " + str(list(axes)))
    return " and ".join(parts) or "through the origin"


def certify(
    model,
    X,
    y,
    alpha,
    *,
    norm: str = "l1",
    bias=True,
    dictionary: WedgeDictionary | None = None,
    top: int = 5,
    solve: bool = False,
    tol: float = 1e-9,
    memory_limit: int = DEFAULT_MEMORY_LIMIT,
    patterns=None,
    rtol: float = DEFAULT_RTOL,
) -> Certificate:
    """Bound how far a two-layer ReLU network is from the global optimum.

    Works for any network: one fitted by geolasso, or trained elsewhere.

    Parameters
    ----------
    model : ReLUNetwork, fitted ConvexReLU, tuple or torch module
        The network: a :class:`~geolasso.network.ReLUNetwork`, an estimator
        with a ``network_`` attribute, arrays ``(W, b, v[, c])``, or a torch
        ``Sequential(Linear, ReLU, Linear)``.
    X : array_like, shape (n_samples, n_features)
        Training samples.
    y : array_like, shape (n_samples,)
        Targets.
    alpha : float
        Penalty of the objective (the mathematics page's scaling: the papers' β is ``n α``).
    norm : {"l1", "l2"}, default="l1"
        First-layer norm of the objective: ℓ1 (exact certificate) or ℓ2
        (weight decay: exact for 1-D and 2-D data with a free bias or none,
        a valid but relaxed bound otherwise).
    bias : {True, False, "free", "none", "regularized"}, default=True
        Free biases and intercept (``True``), no biases and no intercept
        (``False``), or biases inside the penalised norm and no intercept.
    dictionary : WedgeDictionary, optional
        The exhaustive ℓ1 dictionary with data and basis generators of ``X``
        in the same setting, if already built; built otherwise.
    top : int, default=5
        Violations to list.
    solve : bool, default=False
        Also solve the convex program (geolasso's Lasso over the exact
        dictionary) and use its dual point. Without it the bound comes from
        the network's own residual alone, which is tight at an optimum but
        weak far from one; with it the bound is within ``tol`` of the optimum
        (ℓ1), so ``gap`` is the network's true excess objective.
    tol : float, default=1e-9
        Relative duality gap of that solve.
    memory_limit : int, default=2 GiB
        Budget for building the dictionary.
    patterns : ActivationPatterns, optional
        For ``norm="l2"`` beyond the 2-D sweep: the activation patterns over
        which the dual constraint is maximised (docs/mathematics.md §2.3: per pattern, the
        largest ``±λᵀD_iZu`` over its cone and the unit ball, bounded from
        above by one non-negative least-squares problem). Exact when they were
        enumerated; when sampled, the maximum misses the other cells, so the
        result is labelled ``exact = False`` and is not a proof. By default
        they are enumerated when at most 200,000 can exist and fit
        ``memory_limit``, and the relaxed ``√k`` bound is used otherwise.
    rtol : float, default=1e-6
        :attr:`Certificate.optimal` needs the certified relative gap within
        it (besides the exact dual check).

    Returns
    -------
    Certificate

    Raises
    ------
    DictionaryTooLargeError
        When the exact dictionary does not fit ``memory_limit``: the exact
        dual check needs every atom.

    Examples
    --------
    docs/mathematics.md T10: ``X = (0, 1)``, ``y = (0, 1)``, ``β = 0.1`` (``α = 0.05``); the
    global optimum is ``f(x) = 0.8 (x)_+ + 0.1`` with objective ``0.045``.

    >>> from geolasso.network import ReLUNetwork
    >>> s = 0.8 ** 0.5
    >>> net = ReLUNetwork([[s]], [0.0], [s], c=0.1)
    >>> cert = certify(net, [[0.0], [1.0]], [0.0, 1.0], alpha=0.05)
    >>> round(cert.objective, 12), cert.gap < 1e-12, cert.optimal
    (0.045, True, True)
    """
    rtol = _check_rtol(rtol)
    network = as_network(model)
    cert = _certify(
        network, X, y, alpha, norm, bias, dictionary, top, solve, tol, memory_limit, patterns
    )
    setting = bias_name(bias)
    X = np.asarray(X, dtype=np.float64)
    balanced = network.rebalanced(norm=norm, bias=setting).objective(
        X, y, cert.alpha, norm=norm, bias=setting
    )
    return dataclasses.replace(cert, rtol=rtol, rebalanced_objective=balanced)


def certify_checked(
    network, X, y, alpha, *, norm, bias, memory_limit, dictionary=None, patterns=None
):
    """:func:`certify` (default ``top``, ``solve``, ``tol`` and ``rtol``) for an
    estimator's fit, whose ``X``, ``y`` and ``alpha`` are already validated:
    float64 and finite (``sklearn.utils.validation.validate_data``), in float64's
    safe range, ``alpha > 0``. They are not converted and checked again."""
    checked = True
    top, solve, tol = 5, False, 1e-9  # certify's defaults
    cert = _certify(
        network,
        X,
        y,
        alpha,
        norm,
        bias,
        dictionary,
        top,
        solve,
        tol,
        memory_limit,
        patterns,
        checked,
    )
    setting = bias_name(bias)
    balanced = network.rebalanced(norm=norm, bias=setting).objective(
        X, y, cert.alpha, norm=norm, bias=setting, check_input=False
    )
    return dataclasses.replace(cert, rtol=DEFAULT_RTOL, rebalanced_objective=balanced)


def _check_rtol(rtol):
    if isinstance(rtol, (bool, np.bool_)) or not isinstance(
        rtol, (int, float, np.integer, np.floating)
    ):
        raise TypeError(f"rtol must be a real number; got {type(rtol).__name__}")
    if not (math.isfinite(rtol) and rtol >= 0):
        raise ValueError(f"rtol must be a finite number >= 0; got {rtol!r}")
    return float(rtol)


def _checked(network, X, y, alpha, norm, bias, checked=False):
    """``X``, ``y``, ``alpha`` and the bias setting of :func:`certify`, checked by name
    (their values not again when ``checked``: an estimator's, already validated)."""
    if not checked:
        X = as_float_array(X, "X", shape_doc="(n_samples, n_features)")
    if X.ndim != 2 or X.shape[1] != network.n_features:
        raise ValueError(
            f"X must have shape (n_samples, {network.n_features}) to match the network; "
            f"got {X.shape}"
        )
    n = X.shape[0]
    if not checked:
        y = as_float_array(y, "y", shape_doc=f"({n},)")
    if y.shape != (n,):
        raise ValueError(f"y must have shape ({n},), one target per sample; got {y.shape}")
    if not checked:
        # the objective squares residuals and first-layer norms: outside float64's safe
        # range it overflows (a bound of inf would say nothing): such scales refused by name
        scale_exponent(X, "X")
        scale_exponent(y, "y")
        alpha = check_positive(alpha, "alpha")
    if norm not in ("l1", "l2"):
        raise ValueError(f"norm must be 'l1' or 'l2'; got {norm!r}")
    setting = bias_name(bias)
    # the bound is for the network class of the setting: no intercept in A and C, and no
    # hidden biases in A; a network outside it could sit below the bound
    if setting != "free" and network.c != 0.0:
        raise ValueError(
            f"the network has an output intercept c = {network.c:g}, but with bias={bias!r} "
            "the objective has none; certify it with bias=True (free biases and intercept)"
        )
    if setting == "none" and np.any(network.b != 0.0):
        raise ValueError(
            "the network has non-zero hidden biases, but with bias=False the objective has "
            "none; certify it with bias=True or bias='regularized'"
        )
    return X, y, alpha, setting


def _certify(
    network,
    X,
    y,
    alpha,
    norm,
    bias,
    dictionary,
    top,
    solve,
    tol,
    memory_limit,
    patterns,
    checked=False,
):
    """The body of :func:`certify` (without ``rtol`` and the rebalanced objective);
    ``checked``: ``X``, ``y`` and ``alpha`` already validated (:func:`certify_checked`)."""
    X, y, alpha, setting = _checked(network, X, y, alpha, norm, bias, checked)
    n, d = X.shape
    top = as_positive_int(top, "top", minimum=0)
    if dictionary is None:
        dictionary = WedgeDictionary(
            X,
            bias=setting,
            generators="data+basis",
            norm="l1",
            memory_limit=memory_limit,
            check_input=False,
        )
    else:  # an estimator's ℓ2 fit passes its own exhaustive ℓ2 dictionary: the same atoms
        _check_dictionary(dictionary, X, setting, own_l2=checked and norm == "l2")

    objective = network.objective(X, y, alpha, norm=norm, bias=setting, check_input=False)
    intercept = setting == "free"
    y_t = y - y.mean() if intercept else y
    r = y - network.predict(X, check_input=False)
    if intercept:
        r = r - r.mean()
    # the largest dual ratio over the checked unit-norm neurons, and the bound's scale
    k = d + (setting == "regularized")
    if hasattr(dictionary, "top_correlations"):  # numbered: one reduced pass, never Kᵀ r
        if norm != "l1":
            raise ValueError(
                f"a {type(dictionary).__name__} certifies the l1 objective only; certify the "
                "l2 objective with norm='l2' and no dictionary (the exact 2-D sweep)"
            )
        from .distributed import distributed_passes

        with distributed_passes(dictionary):  # on joblib's dask backend when one is active
            return _certify_reduced(
                network, X, y, alpha, dictionary, objective, y_t, r, top, solve, tol, setting
            )
    corr = dictionary.rmatvec(r)
    l2_sweep = norm == "l2" and d == 2 and setting != "regularized"
    if norm == "l2" and k > 1 and not l2_sweep:
        patterns = _l2_patterns(patterns, X, setting, memory_limit)
    if norm == "l1" or k == 1:
        ratios = np.abs(corr) / (n * alpha)
        exact, l2 = True, None
    else:
        # an ℓ1-normalised atom divided by its ℓ2 norm is a unit ℓ2 neuron: a true witness
        hyper = dictionary.hyperplanes
        part = hyper if setting == "regularized" else hyper[:, :-1]
        l2 = np.repeat(np.linalg.norm(part, axis=1), 2)
        # the atoms' ℓ1 norms: 1, unless the dictionary is an ℓ2 fit's own (ℓ2-normalised)
        l1 = 1.0 if dictionary.norm == "l1" else np.repeat(np.linalg.norm(part, 1, axis=1), 2)
        ratios = np.abs(corr) / l2 / (n * alpha)
        # 2-D: the exact ℓ2 maximum by a sweep; enumerated patterns: exact; else not a proof
        exact = l2_sweep or (patterns is not None and bool(patterns.exact))

    def top_ratio(resid, corr_):
        """The dual constraint's maximum (or a bound on it) over n α, for a residual."""
        if norm == "l1" or k == 1:
            return float(np.max(np.abs(corr_))) / (n * alpha)
        if l2_sweep:
            return _l2_dual_max_2d(X, resid, setting) / (n * alpha)
        if patterns is not None:
            return _l2_pattern_max(X, resid, setting, patterns, n * alpha) / (n * alpha)
        # ℓ2 ball ⊂ √k ℓ1 ball: the correlations of the ℓ1-normalised atoms
        return float(np.max(np.abs(corr_) / l1)) / (n * alpha) * np.sqrt(k)

    max_ratio = top_ratio(r, corr)
    lower = _ray_bound(y_t, r, max_ratio)
    if solve:
        from .lasso import lasso

        res = lasso(dictionary, y, alpha, fit_intercept=intercept, tol=tol)
        r_opt = y - _fitted(dictionary, res) - res.intercept
        if intercept:
            r_opt = r_opt - r_opt.mean()
        lower = max(lower, _ray_bound(y_t, r_opt, top_ratio(r_opt, dictionary.rmatvec(r_opt))))
    gap = max(objective - lower, 0.0)

    violated = np.flatnonzero(ratios > 1.0 + _VIOLATION_RTOL)
    records = _violations(dictionary, ratios, corr, violated, top, l2)
    return Certificate(
        objective=objective,
        lower_bound=lower,
        gap=gap,
        relative_gap=gap / objective if objective > 0 else 0.0,
        max_violation=max(float(ratios.max(initial=0.0)), max_ratio if exact else 0.0),
        n_violations=int(violated.size),
        violations=records,
        exact=exact,
        norm=norm,
        bias=setting,
        alpha=alpha,
        n_atoms=dictionary.n_atoms,
        dictionary=dictionary,
    )


def _violations(dictionary, ratios, corr, violated, top, l2):
    """Records of the ``top`` atoms that violate their dual constraint most, worst first.

    ``l2`` holds the atoms' ℓ2 norms when the objective is the ℓ2 one (the
    atoms are then scaled to unit ℓ2 neurons), else None.
    """
    worst = violated[np.argsort(-ratios[violated], kind="stable")[:top]]
    records = []
    for j in worst:
        samples, axes = dictionary.generators_of(int(j))
        sign = 1.0 if j % 2 == 0 else -1.0
        u = dictionary.hyperplanes[j // 2] * sign
        if l2 is not None:
            u = u / l2[j]
        records.append(
            {
                "atom": int(j),
                "ratio": float(ratios[j]),
                "samples": samples,
                "axes": axes,
                "weight": u[:-1].copy(),
                "bias": float(u[-1]),
                "sign": 1 if corr[j] > 0 else -1,
            }
        )
    return records


def _certify_reduced(network, X, y, alpha, dictionary, objective, y_t, r, top, solve, tol, setting):
    """The ℓ1 certificate over a numbered dictionary (``top_correlations``)."""
    n = X.shape[0]
    lam = n * alpha
    threshold = (1.0 + _VIOLATION_RTOL) * lam
    largest, n_violated, atoms, values = dictionary.top_correlations(r, top, threshold=threshold)
    lower = _ray_bound(y_t, r, largest / lam)
    if solve:
        from .lasso import lasso

        res = lasso(dictionary, y, alpha, fit_intercept=setting == "free", tol=tol)
        r_opt = y - _fitted(dictionary, res) - res.intercept
        if setting == "free":
            r_opt = r_opt - r_opt.mean()
        lower = max(lower, _ray_bound(y_t, r_opt, dictionary.top_correlations(r_opt)[0] / lam))
    gap = max(objective - lower, 0.0)
    records = []
    for j, value in zip(atoms, values, strict=True):
        if abs(value) <= threshold:
            break
        samples, axes = dictionary.generators_of(int(j))
        u = dictionary.hyperplanes_of([j // 2])[0] * (1.0 if j % 2 == 0 else -1.0)
        records.append(
            {
                "atom": int(j),
                "ratio": float(abs(value) / lam),
                "samples": samples,
                "axes": axes,
                "weight": u[:-1].copy(),
                "bias": float(u[-1]),
                "sign": 1 if value > 0 else -1,
            }
        )
    return Certificate(
        objective=objective,
        lower_bound=lower,
        gap=gap,
        relative_gap=gap / objective if objective > 0 else 0.0,
        max_violation=float(largest / lam),
        n_violations=n_violated,
        violations=records,
        exact=True,
        norm="l1",
        bias=setting,
        alpha=alpha,
        n_atoms=dictionary.n_atoms,
        dictionary=dictionary,
    )


def _check_dictionary(dictionary, X, setting, own_l2=False):
    """Refuse a dictionary that cannot certify the problem; ``own_l2``: an estimator's
    exhaustive ℓ2 wedge dictionary is accepted too (its atoms are the ℓ1 one's, scaled)."""
    from .planar import PlanarDictionary
    from .spatial import SpatialDictionary

    if not isinstance(dictionary, (WedgeDictionary, PlanarDictionary, SpatialDictionary)):
        raise TypeError(
            "dictionary must be a WedgeDictionary, a PlanarDictionary or a SpatialDictionary; got "
            f"{type(dictionary).__name__}"
        )
    problems = []
    if dictionary.X.shape != X.shape or not np.array_equal(dictionary.X, X):
        problems.append("it was built on other samples than X")
    if dictionary.bias != setting:
        problems.append(f"its bias setting is {dictionary.bias!r}, not {setting!r}")
    l2_ok = own_l2 and isinstance(dictionary, WedgeDictionary)
    if (
        dictionary.sampled
        or (dictionary.norm != "l1" and not l2_ok)
        or dictionary.generators != "data+basis"
    ):
        problems.append("it is not the exhaustive l1 dictionary with data+basis generators")
    if problems:
        raise ValueError("dictionary cannot certify this problem: " + "; ".join(problems))


def _l2_dual_max_2d(X, lam, bias):
    """``max |λᵀ(X w + b)_+|`` over ``‖w‖₂ <= 1`` (``b`` free, or ``b = 0``) for 2-D data.

    Exact, by a sweep. With a free bias and ``Σ λ_i = 0``, for a fixed ``w``
    the piecewise-linear ``b ↦ λᵀ(Xw + b)_+`` is constant for large ``b``
    (value ``λᵀXw``) and zero for small ``b``, so its maximum is there or at
    a breakpoint ``b = -x_jᵀw``: a line through sample ``j``. Around each
    centre ``x_j`` (the origin without a bias) the value is linear in ``w`` on
    the arcs between the angles where a sample enters or leaves the active
    side (``_l2_dual_max_2d`` in ``geolasso._dictionary_kernels``).
    ``O(n² log n)``.
    """
    from ._dictionary_kernels import _l2_dual_max_2d as sweep

    X = np.ascontiguousarray(X)
    centres = X if bias == "free" else np.zeros((1, 2))
    out = np.empty(centres.shape[0])
    sweep(X, np.ascontiguousarray(lam, dtype=np.float64), centres, out)
    best = float(out.max())
    if bias == "free":
        best = max(best, float(np.linalg.norm(X.T @ lam)))  # b → +∞: every sample active
    return best


#: certify enumerates the activation patterns for an ℓ2 bound when at most this many exist.
CERTIFY_MAX_PATTERNS = 200_000


def _l2_patterns(patterns, X, setting, memory_limit):
    """The patterns for an ℓ2 certificate: given, enumerated when few enough, or None."""
    from .arrangements import check_patterns, enumerate_design, pattern_design

    if patterns is not None:
        check_patterns(patterns, X.shape[0], setting)
        return patterns
    try:  # enumerate_patterns of X, validated by certify
        return enumerate_design(
            pattern_design(X, setting, checked=True), False, CERTIFY_MAX_PATTERNS, memory_limit
        )
    except DictionaryTooLargeError:
        return None


def _l2_pattern_max(X, lam, setting, patterns, floor):
    """Upper bound on ``max |λᵀ(Z u)_+|`` over ``‖u_pen‖₂ <= 1`` from the pattern cones.

    Values at or below ``floor`` may be reported loosely (the certificate only
    needs the maximum when it exceeds ``n α``).
    """
    from ._crelu_kernels import _price_groups

    n, d = X.shape
    Z = X if setting == "none" else np.column_stack([X, np.ones(n)])
    n_pen = d if setting == "free" else Z.shape[1]
    out = np.empty((patterns.n_patterns, 2))
    masks = np.ascontiguousarray(patterns.patterns, dtype=np.bool_)
    lam = np.ascontiguousarray(lam, dtype=np.float64)
    none = np.zeros((0, 0), dtype=np.bool_)  # cold starts; empty signs: both signs
    _price_groups(
        Z,
        masks,
        np.empty(0),
        lam,
        n_pen,
        setting == "free",
        False,
        float(floor),
        out,
        none,
        np.empty((0, 0)),
    )
    return float(out.max(initial=0.0))


def _fitted(dictionary, res):
    """``K z`` of a Lasso solution, from its support (never the dense ``z``)."""
    if res.support.size == 0:
        return np.zeros(dictionary.n_samples)
    return dictionary.columns(res.support) @ res.values
