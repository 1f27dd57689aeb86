"""Self-attention blocks trained to their global optimum through convex duality.

Overview
--------
Sahiner, Ergen, Ozturkler, Pauly, Mardani and Pilanci [1]_ show that a
self-attention block with weight decay is a convex program in disguise. This
module fits that program and maps its solution back to attention heads.

**The block.** An example is ``t`` tokens of dimension ``d``, the rows of
``X_i ∈ R^{t×d}``; its target ``Y_i ∈ R^c``. Head ``j`` has a combined
query-key matrix ``W_j ∈ R^{d×d}`` and a value-output matrix ``V_j ∈
R^{d×c}``. With linear activation the block computes
``f(X) = Σ_j (X W_j Xᵀ) X V_j ∈ R^{t×c}``, read out by the mean over tokens
and an unpenalised bias ``b ∈ R^c``:

.. math::

    \\hat y_i = \\frac1t \\mathbf 1^\\top f(X_i) + b,
    \\qquad
    J = \\frac{1}{2n} \\sum_i \\lVert \\hat y_i - Y_i \\rVert^2
        + \\frac{\\alpha}{2} \\sum_j \\left(\\lVert W_j \\rVert_F^2
        + \\lVert V_j \\rVert_F^2\\right)

(scikit-learn's scaling of the loss; ``α`` is ``alpha``).

**Lifting.** Writing out ``ŷ_i[k] = (1/t) Σ_{a,b} M[a,b] (x_aᵀ W_j x_b)
(x_bᵀ V_j[:, k])`` with the mask ``M`` (all ones for linear attention) gives

.. math::

    \\hat y_i[k] - b_k = \\sum_{p,q,e} A_i[p,q,e]\\, Z[(p,q),(e,k)],
    \\qquad
    A_i[p,q,e] = \\frac1t \\sum_{a,b} M[a,b]\\, X_i[a,p] X_i[b,q] X_i[b,e],

linear in the lifted variable ``Z = Σ_j vec(W_j) vec(V_j)ᵀ ∈ R^{d²×dc}``
(row ``p·d + q``, column ``e·c + k``). For linear attention
``A_i = (1/t) s_i ⊗ X_iᵀX_i`` with ``s_i = X_iᵀ1``. Stacking
``Φ_i = vec(A_i) ∈ R^{d³}`` (:func:`lifted_features`), the predictions are
``Ŷ = Φ Z₃ + 1bᵀ`` with ``Z₃`` the ``(d³, c)`` reshape of ``Z``.

**Weight decay becomes a nuclear norm.** Over all factorisations
``Z = Σ_j vec(W_j) vec(V_j)ᵀ``, ``min (1/2) Σ_j (‖W_j‖² + ‖V_j‖²) = ‖Z‖_*``
(the AM-GM inequality and the variational form of the nuclear norm), reached
by the SVD ``Z = Σ_j σ_j a_j b_jᵀ`` with ``W_j = √σ_j mat(a_j)``,
``V_j = √σ_j mat(b_j)``. Hence, for ``m >= rank(Z)`` heads, training the
block is the convex program

.. math::

    P^\\star = \\min_{Z, b}\\; \\frac{1}{2n} \\lVert Y - \\Phi Z_3 - \\mathbf 1 b^\\top
        \\rVert_F^2 + \\alpha \\lVert Z \\rVert_*,

and the heads read off its solution's SVD have non-convex objective ``J``
equal to ``P*``: a global minimum of ``J`` over blocks of any width ``m >=
rank``.

**Gated-ReLU attention.** Fixed gates ``G_k ∈ R^{d×d}`` (seeded standard
normal, ``n_gates`` of them; with ``linear_mask=True`` also ``G = 0``, whose
mask is all ones) give masks ``M_{ik}[a,b] = 1[x_aᵀ G_k x_b >= 0]``; head
``j`` belongs to one gate ``g(j)`` and ``f(X) = Σ_j (M_{i,g(j)} ∘ X W_j Xᵀ)
X V_j``. Each gate has its lifted block ``Z_k`` and features ``A_{ik}``; the
penalty becomes ``α Σ_k ‖Z_k‖_*``, exact for this gated architecture (the
gated relaxation of ReLU attention in [1]_).

**Solver.** The intercept is minimised out exactly (``Y`` and ``Φ`` are
centred; ``b = Ȳ − Φ̄ Z₃``). ``A_i[p, q, e]`` is symmetric in ``(q, e)``,
so the solver stores only the ``d(d + 1)/2`` distinct columns per ``p``
(``Φ_c = Φ̃ T̃`` with ``T̃`` of orthonormal rows): the passes over the
features, which bound the cost, read 56% of the columns for ``d = 8``.
With ``H = Φ_cᵀΦ_c / n`` and ``B = Φ_cᵀY_c / n``, ``∇ = H Z₃ − B`` and
``L = λ_max(H)`` (exact, from an eigendecomposition of ``Φ̃ᵀΦ̃ / n`` or
of the ``n × n`` Gram matrix, whichever is smaller):

1. ``FISTA_WARMUP`` steps of accelerated proximal gradient (FISTA with
   gradient-based adaptive restart, step ``1/L``, singular-value
   thresholding of each ``d² × dc`` block by ``α/L``);
2. then ADMM on ``Z₃ = W``: the ``Z₃``-step solves
   ``(H + ρI) Z₃ = B + ρ(W − U)`` exactly with the eigendecomposition, the
   ``W``-step thresholds the singular values of ``Z₃ + U`` by ``α/ρ``. It
   starts at ``ρ = 0.1 L α / α_max`` (scale-free: invariant when ``X`` or
   ``Y`` is rescaled) and balances the relative primal and dual residuals;
3. on small problems (at most ``POLISH_MAX_VARIABLES`` head parameters), at
   ADMM iterations 50, 100, 200, ... a Newton polish of the heads of the
   current ranks (:func:`_polish`: exact Hessian of ``J`` in ``(W, V)``),
   kept when its certificate is better. Near-singular features (tokens far
   from the origin, a few examples) slow ADMM's linear rate; Newton's
   quadratic rate does not mind.

This departs from plain FISTA on purpose: the lifted features are strongly
correlated (for 8×8 digit images the eigenvalues of ``H`` fall from 21 to
5e-4 within 100 of 512), and FISTA's linear rate is then too slow for a
1e-8 certificate (measured on the 1,797 digits at ``α = 10⁻³ α_max``: 5,000
FISTA steps reach a relative gap of 5e-4, ADMM reaches 1e-8 in about 200
steps). The returned ``Z`` is a thresholding output or a polished
factorisation, so its rank is exact. When the gap stops falling (no 10%
progress over ``STALL_CHECKS`` checks: in float64 the certificate of nearly
singular features cannot close) the fit stops with a
:class:`~geolasso.exceptions.ConvergenceWarning`.

**Certificate.** For the centred residual ``R = Y_c − Φ_c Z₃`` and
``G = Φ_cᵀ R / n`` (reshaped into blocks), any ``Λ = τ R`` with
``τ <= α / max_k ‖G_k‖₂`` (spectral norm) is dual feasible, and

.. math::

    D(\\Lambda) = \\frac{1}{2n} \\left(\\lVert Y_c \\rVert_F^2
        - \\lVert Y_c - \\Lambda \\rVert_F^2\\right) \\le P^\\star

(the dual norm of the nuclear norm is the spectral norm; ``1ᵀΛ = 0`` because
the intercept is free). ``τ`` is the best on the ray
(:func:`geolasso._dual.ray_bound`), with a relative margin of ``1e-10``
against the rounding of the spectral norms. During ADMM the residual at its
``Z₃``-iterate is tried as a second ray: its correlations are the scaled
dual variable (spectral norm ``<= α`` by construction) up to the dual
residual. The best bound met during the iterations is kept. The fit stops
when ``(P − D) / P <= tol``, checked every ``CHECK_EVERY`` iterations;
:func:`duality_gap` certifies any lifted variable.

**Scale.** ``Φ`` is cubic in ``X``: fitting ``(2^k X, α 2^{3k})`` is fitting
``(X, α)`` with ``Z`` divided by ``2^{3k}``, exactly (only exponents change).
Samples whose largest magnitude lies outside ``[2^-10, 2^10]`` are fitted
after such a power-of-two standardisation and mapped back.

The dense linear algebra runs on one BLAS thread (threadpoolctl): the
matrices are small and threaded BLAS on them stalls on a busy machine.

References
----------
.. [1] A. Sahiner, T. Ergen, B. Ozturkler, J. Pauly, M. Mardani and
   M. Pilanci, "Unraveling attention via convex duality: analysis and
   interpretations of Vision Transformers", ICML 2022.
"""

from __future__ import annotations

import functools
import math
import warnings
from typing import ClassVar, NamedTuple

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

from ._attention_solver import (
    AttentionCertificate,
    Program,
    as_gates,
    as_tokens,
    blas_controller,
    duality_gap,
    lifted_features,
    relative,
    solve,
    token_masks,
)
from ._constraints import COUNT, NONNEGATIVE, POSITIVE, RANDOM_STATE, options
from ._validation import (
    as_float_array,
    as_generator,
    check_positive,
    forget_fit,
    refuse_complex,
    scale_exponent,
)
from .exceptions import ConvergenceWarning
from .memory import DEFAULT_MEMORY_LIMIT, check_memory, format_bytes
from .network import import_torch

__all__ = [
    "AttentionCertificate",
    "AttentionHead",
    "AttentionNetwork",
    "ConvexAttention",
    "ConvexAttentionClassifier",
    "duality_gap",
    "lifted_features",
]

#: ``exact_`` needs a certified relative gap below ``max(tol, EXACT_RTOL)``.
EXACT_RTOL = 1e-6


# ------------------------------------------------------------------ networks
class AttentionHead(NamedTuple):
    """One fitted head: ``W`` (d, d), ``V`` (d, c), its gate (None: linear) and ``σ``.

    ``σ`` is the singular value of the lifted variable the head comes from:
    ``‖W‖_F² = ‖V‖_F² = σ``.
    """

    W: np.ndarray
    V: np.ndarray
    gate: int | None
    singular_value: float


class AttentionNetwork:
    """A self-attention block with mean pooling, in its non-convex parameters.

    ``ŷ = (1/t) 1ᵀ Σ_j (M_{g(j)} ∘ X W_j Xᵀ) X V_j + b`` with the masks
    ``M_k[a,b] = 1[x_aᵀ G_k x_b >= 0]`` of the gated block, or no mask (linear
    attention, ``gates=None``).

    Parameters
    ----------
    W : array_like, shape (m, d, d)
        Query-key matrices, one per head.
    V : array_like, shape (m, d, c)
        Value-output matrices.
    b : array_like, shape (c,)
        Output bias.
    gates : array_like of shape (K, d, d), optional
        Gate matrices; None for linear attention.
    head_gates : array_like of int, shape (m,), optional
        The gate of each head (required with ``gates``).

    Attributes
    ----------
    W, V, b, gates, head_gates
        As given, as float64 (int for ``head_gates``) copies.
    n_heads : int
        ``m``.

    Examples
    --------
    >>> import numpy as np
    >>> net = AttentionNetwork(np.eye(2)[None], np.ones((1, 2, 1)), [0.5])
    >>> X = np.array([[[1.0, 0.0], [0.0, 1.0]]])
    >>> net.predict(X)  # (1/2) Σ_{a,b} (x_a·x_b)(x_b·1) + 0.5
    array([[1.5]])
    """

    def __init__(self, W, V, b, gates=None, head_gates=None):
        W = as_float_array(W, "W", shape_doc="(m, d, d)")
        V = as_float_array(V, "V", shape_doc="(m, d, c)")
        b = as_float_array(b, "b", shape_doc="(c,)").reshape(-1)
        if W.ndim != 3 or W.shape[1] != W.shape[2]:
            raise ValueError(f"W must have shape (m, d, d); got {W.shape}")
        m, d = W.shape[:2]
        if V.ndim != 3 or V.shape[:2] != (m, d):
            raise ValueError(f"V must have shape ({m}, {d}, c); got {V.shape}")
        if b.shape != (V.shape[2],):
            raise ValueError(f"b must have shape ({V.shape[2]},); got {b.shape}")
        self.W, self.V, self.b = W.copy(), V.copy(), b.copy()
        self.gates = None if gates is None else as_gates(gates, d).copy()
        if self.gates is None:
            if head_gates is not None:
                raise ValueError("head_gates needs gates (linear attention has no gates)")
            self.head_gates = None
        else:
            hg = np.asarray(head_gates if head_gates is not None else [], dtype=np.int64)
            if hg.shape != (m,) or (m and (hg.min() < 0 or hg.max() >= len(self.gates))):
                raise ValueError(
                    f"head_gates must be {m} gate indices in [0, {len(self.gates)}); got "
                    f"{None if head_gates is None else np.asarray(head_gates).tolist()}"
                )
            self.head_gates = hg

    @property
    def n_heads(self) -> int:
        return self.W.shape[0]

    def _tokens(self, X):
        X = as_tokens(X)
        d = self.W.shape[1]
        if X.shape[2] != d:
            raise ValueError(f"X must have tokens of dimension {d}; got shape {X.shape}")
        return X

    def block(self, X):
        """The block outputs before pooling.

        Parameters
        ----------
        X : array_like, shape (n_samples, t, d)

        Returns
        -------
        ndarray of float64, shape (n_samples, t, c)
        """
        X = self._tokens(X)
        masks = None if self.gates is None else token_masks(X, self.gates)
        XT = X.transpose(0, 2, 1)
        out = np.zeros((*X.shape[:2], self.b.size))
        for j in range(self.n_heads):
            S = (X @ self.W[j]) @ XT
            if masks is not None:
                S = S * masks[self.head_gates[j]]
            out += S @ (X @ self.V[j])
        return out

    def predict(self, X):
        """Pooled outputs ``ŷ = mean over tokens of block(X) + b``.

        Parameters
        ----------
        X : array_like, shape (n_samples, t, d)

        Returns
        -------
        ndarray of float64, shape (n_samples, c)
        """
        return self.block(X).mean(axis=1) + self.b

    def objective(self, X, Y, alpha):
        """``J = (1/2n) Σ_i ‖ŷ_i − Y_i‖² + (α/2) Σ_j (‖W_j‖² + ‖V_j‖²)``.

        Computed in the network's own (non-convex) parameters.

        Parameters
        ----------
        X : array_like, shape (n_samples, t, d)
        Y : array_like, shape (n_samples,) or (n_samples, c)
        alpha : float
            Penalty, ``>= 0``.

        Returns
        -------
        float
        """
        pred = self.predict(X)
        Y = as_float_array(Y, "Y").reshape(pred.shape[0], -1)
        if Y.shape != pred.shape:
            raise ValueError(f"Y must have shape {pred.shape}; got {Y.shape}")
        alpha = float(alpha)
        loss = float(np.sum((pred - Y) ** 2)) / (2 * pred.shape[0])
        return loss + alpha / 2 * float(np.sum(self.W**2) + np.sum(self.V**2))

    def to_torch(self, dtype=None):
        """The same block as a ``torch.nn.Module`` (parameters ``W``, ``V``, ``b``).

        Parameters
        ----------
        dtype : torch.dtype, default=torch.float64

        Returns
        -------
        torch.nn.Module
            ``forward(X)`` maps a (n, t, d) tensor to (n, c); ``block(X)`` gives
            the (n, t, c) outputs before pooling. Gates and head gates are
            buffers.
        """
        torch = import_torch()
        dtype = torch.float64 if dtype is None else dtype
        return _torch_class()(self.W, self.V, self.b, self.gates, self.head_gates, dtype)


@functools.cache
def _torch_class():
    torch = import_torch()

    class AttentionModule(torch.nn.Module):
        """Mean-pooled (gated) linear self-attention: ``(1/t) 1ᵀ Σ_j (M ∘ XW_jXᵀ) X V_j + b``."""

        def __init__(self, W, V, b, gates, head_gates, dtype):
            super().__init__()
            self.W = torch.nn.Parameter(torch.as_tensor(W, dtype=dtype).clone())
            self.V = torch.nn.Parameter(torch.as_tensor(V, dtype=dtype).clone())
            self.b = torch.nn.Parameter(torch.as_tensor(b, dtype=dtype).clone())
            if gates is None:
                self.gates = self.head_gates = None
            else:
                self.register_buffer("gates", torch.as_tensor(gates, dtype=dtype).clone())
                self.register_buffer("head_gates", torch.as_tensor(head_gates).long())

        def block(self, X):
            S = torch.einsum("nap,mpq,nbq->mnab", X, self.W, X)
            if self.gates is not None:
                masks = torch.einsum("nap,kpq,nbq->knab", X, self.gates, X) >= 0
                S = S * masks[self.head_gates].to(S.dtype)
            return torch.einsum("mnab,nbe,mek->nak", S, X, self.V)

        def forward(self, X):
            return self.block(X).mean(dim=1) + self.b

    return AttentionModule


# ------------------------------------------------------------------ estimators
class ConvexAttention(RegressorMixin, BaseEstimator):
    """A self-attention block trained to its certified global optimum (regression).

    Fits the mean-pooled attention block of the module docstring by solving
    its convex form, a nuclear-norm-penalised least squares over the lifted
    variable, and reads the heads off its SVD: the fitted heads minimise the
    weight-decay objective ``J`` over blocks of any width ``>= n_heads_``,
    and a duality gap proves it.

    Parameters
    ----------
    alpha : float, default=1e-3
        Weight decay, ``> 0``.
    activation : {"linear", "gated"}, default="linear"
        Linear attention, or gated-ReLU attention with ``n_gates`` seeded
        Gaussian gate matrices.
    n_gates : int, default=8
        Number of random gates (``activation="gated"``).
    linear_mask : bool, default=False
        With ``activation="gated"``, add the zero gate, whose mask is all
        ones (linear attention heads beside the gated ones).
    n_tokens : int or None, default=None
        For 2-D ``X`` (n_samples, n_features): split each row into this many
        tokens of ``n_features / n_tokens`` consecutive entries. None: one
        token per example. With 3-D ``X`` it must be None or ``X.shape[1]``.
    tol : float, default=1e-8
        Stop when the certified relative gap ``(P − D) / P`` is at most ``tol``.
    max_iter : int, default=10000
        Maximum number of iterations (FISTA and ADMM together; the Newton
        polish of small problems runs at most 30 steps at ADMM iterations 50,
        100, 200, ... and is not counted).
    random_state : int, numpy.random.Generator or None, default=None
        Seed of the gates.
    memory_limit : float, default=2 GiB
        Budget in bytes for the lifted features and their eigendecomposition.
    verbose : bool, default=False
        Print the objective and gap at each check.

    Attributes
    ----------
    heads_ : list of AttentionHead
        The heads, by gate and decreasing singular value.
    n_heads_ : int
        Number of heads (the summed ranks of the lifted blocks).
    rank_ : ndarray of int, shape (n_blocks,)
        Rank of each lifted block (one block for linear attention).
    lifted_ : ndarray, shape (n_blocks, d², d·c)
        The lifted variable ``Z``: ``lifted_[k, p·d + q, e·c + j] = Σ_h W_h[p, q]
        V_h[e, j]`` over the heads ``h`` of gate ``k``.
    intercept_ : float or ndarray of shape (n_outputs,)
        The bias ``b`` (a float for 1-D targets).
    objective_ : float
        ``J`` at the fitted block (= the convex objective at ``lifted_``).
    lower_bound_ : float
        The certified lower bound ``D`` on the optimum.
    optimality_gap_ : float
        ``objective_ − lower_bound_`` (absolute).
    relative_gap_ : float
        ``optimality_gap_ / objective_``.
    exact_ : bool
        True when ``relative_gap_ <= max(tol, 1e-6)``: the fitted block is a
        certified global optimum to that accuracy.
    dual_coef_ : ndarray, shape (n_samples, n_outputs)
        The dual point ``Λ`` of the certificate.
    alpha_max_ : float
        The smallest ``alpha`` at which no head is fitted:
        ``max_k ‖mat_k(Φ_cᵀ Y_c)‖₂ / n``.
    n_iter_ : int
        Iterations run.
    gates_ : ndarray of shape (n_blocks, d, d) or None
        The gates (``activation="gated"``; the zero gate first with
        ``linear_mask=True``).
    n_tokens_ : int
        Tokens per example, ``t``.
    token_dim_ : int
        Token dimension, ``d``.
    n_outputs_ : int
        ``c``.
    n_features_in_ : int
        ``t · d``.

    See Also
    --------
    ConvexAttentionClassifier : The same on class labels.

    Notes
    -----
    Objective, convex program, solver and certificate are in the module
    docstring (:mod:`geolasso.attention`). Costs: the lifted features take
    ``4 n K d²(d + 1)`` bytes (their symmetric part) and the eigendecomposition
    ``16 p̃²`` (``p̃ = K d²(d + 1)/2 <= n``) or ``16 n² + 8 n p̃``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(40, 3, 2))  # 40 examples of 3 tokens in R^2
    >>> y = X[:, :, 0].sum(axis=1) * X[:, 0, 1] ** 2
    >>> model = ConvexAttention(alpha=1e-2).fit(X, y)
    >>> model.exact_, model.relative_gap_ <= 1e-8
    (True, True)
    >>> net = model.network()  # the heads, in their non-convex parameters
    >>> bool(np.isclose(net.objective(X, y, 1e-2), model.objective_, rtol=1e-10))
    True
    >>> bool(np.allclose(net.predict(X)[:, 0], model.predict(X)))
    True
    """

    _parameter_constraints: ClassVar[dict] = {
        "alpha": [POSITIVE],
        "activation": [options("linear", "gated")],
        "n_gates": [COUNT],
        "linear_mask": ["boolean"],
        "n_tokens": [None, COUNT],
        "tol": [NONNEGATIVE],
        "max_iter": [COUNT],
        "random_state": RANDOM_STATE,
        "memory_limit": [POSITIVE],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        alpha=1e-3,
        *,
        activation="linear",
        n_gates=8,
        linear_mask=False,
        n_tokens=None,
        tol=1e-8,
        max_iter=10000,
        random_state=None,
        memory_limit=DEFAULT_MEMORY_LIMIT,
        verbose=False,
    ):
        self.alpha = alpha
        self.activation = activation
        self.n_gates = n_gates
        self.linear_mask = linear_mask
        self.n_tokens = n_tokens
        self.tol = tol
        self.max_iter = max_iter
        self.random_state = random_state
        self.memory_limit = memory_limit
        self.verbose = verbose

    # ------------------------------------------------------------------ input
    def _validated_fit(self, X, y, *, y_numeric):
        """Validate ``X`` (2-D or 3-D) and ``y`` once; returns tokens (n, t, d) and y."""
        from sklearn.utils.validation import validate_data

        self._validate_params()
        refuse_complex(X, "X")
        refuse_complex(y, "y")
        X, y = validate_data(
            self,
            X,
            y,
            dtype=np.float64,
            order="C",
            allow_nd=True,
            y_numeric=y_numeric,
            multi_output=y_numeric,
        )
        if X.ndim == 3:
            if self.n_tokens is not None and self.n_tokens != X.shape[1]:
                raise ValueError(
                    f"n_tokens = {self.n_tokens} does not match X of shape {X.shape}: 3-D X "
                    "already holds (n_samples, n_tokens, token_dim); leave n_tokens=None"
                )
            self.n_features_in_ = X.shape[1] * X.shape[2]
            tokens = X
        elif X.ndim == 2:
            t = 1 if self.n_tokens is None else self.n_tokens
            if X.shape[1] % t:
                raise ValueError(
                    f"n_tokens = {t} does not divide the {X.shape[1]} features of X: each "
                    "row is split into n_tokens tokens of equal dimension"
                )
            tokens = X.reshape(X.shape[0], t, X.shape[1] // t)
        else:
            raise ValueError(
                "X must be 2-D (n_samples, n_features) or 3-D (n_samples, n_tokens, "
                f"token_dim); got {X.ndim}-D input of shape {X.shape}"
            )
        self.n_tokens_, self.token_dim_ = tokens.shape[1:]
        return tokens, y

    def _tokens(self, X):
        """Validated tokens for prediction, shaped like the training tokens."""
        from sklearn.utils.validation import check_array, check_is_fitted, validate_data

        check_is_fitted(self)
        refuse_complex(X, "X")
        if not hasattr(X, "iloc"):  # a DataFrame goes to validate_data for its feature names
            X = check_array(X, dtype=np.float64, allow_nd=True)
            if X.ndim == 3:
                if X.shape[1:] != (self.n_tokens_, self.token_dim_):
                    raise ValueError(
                        f"X has tokens of shape {X.shape[1:]}, but {type(self).__name__} was "
                        f"fitted on ({self.n_tokens_}, {self.token_dim_}) (n_tokens, token_dim)"
                    )
                return X
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return X.reshape(X.shape[0], self.n_tokens_, self.token_dim_)

    # ------------------------------------------------------------------ fitting
    def _gates(self, d):
        if self.activation == "linear":
            return None
        gates = as_generator(self.random_state).standard_normal((self.n_gates, d, d))
        if self.linear_mask:
            gates = np.concatenate([np.zeros((1, d, d)), gates])
        return gates

    def _check_memory(self, n, t, d, c, K):
        p, pr = K * d**3, K * d * d * (d + 1) // 2  # lifted features, reduced (pairs)
        factor = 2 * pr * pr if pr <= n else 2 * n * n + n * pr  # H, Q or Gram, Ug, Φ̃ᵀUg
        need = 8.0 * (n * pr + factor + 10 * p * c + 6 * n * c + n * t * (t + d * d))
        check_memory(
            need,
            self.memory_limit,
            what=(
                f"{type(self).__name__} on {n} examples of {t} tokens in R^{d} ({K} block(s) "
                f"of {d}³ = {d**3} lifted features, {format_bytes(8.0 * n * pr)} for their "
                "symmetric part alone)"
            ),
            remedy=(
                "use fewer gates (n_gates), fewer examples, or shorter tokens (n_tokens), or "
                "raise memory_limit"
            ),
        )

    def _fit(self, X, Y):
        """Fit on validated tokens ``X`` (n, t, d) and targets ``Y`` (n, c)."""
        alpha = check_positive(self.alpha, "alpha")
        forget_fit(
            self,
            keep=("n_features_in_", "feature_names_in_", "classes_", "n_tokens_", "token_dim_"),
        )
        n, t, d = X.shape
        c = Y.shape[1]
        scale_exponent(Y, "y")  # refuses targets outside float64's safe range
        k = scale_exponent(X, "X")
        scaled_alpha = math.ldexp(alpha, 3 * k)
        if not (math.isfinite(scaled_alpha) and scaled_alpha >= np.finfo(np.float64).tiny):
            raise ValueError(
                f"alpha = {alpha!r} with X of largest magnitude {np.abs(X).max():.3g}: the "
                f"penalty of the standardised problem, alpha * 2**{3 * k}, leaves float64's "
                "normal range; rescale X and alpha together"
            )
        gates = self._gates(d)
        K = 1 if gates is None else len(gates)
        self._check_memory(n, t, d, c, K)
        Xs = np.ldexp(X, k) if k else X
        with blas_controller().limit(limits=1, user_api="blas"):
            prog = Program(Xs, gates, Y)
            name = type(self).__name__
            sol = solve(prog, scaled_alpha, self.tol, self.max_iter, self.verbose, name)
        # back to the units of X: Z = 2^{3k} Z', σ = 2^{3k} σ', √σ = 2^{3k/2} √σ' (k even)
        U, s, Vt = sol.factors
        Z3 = np.ldexp(sol.Z3, 3 * k)
        if not np.isfinite(Z3).all():
            raise ValueError(
                f"X of largest magnitude {np.abs(X).max():.3g} needs a lifted variable beyond "
                "float64's range; rescale X"
            )
        heads = []
        for g in range(K):
            for j in np.flatnonzero(s[g] > 0):
                root = math.sqrt(s[g, j])
                W = np.ldexp(root * U[g, :, j].reshape(d, d), 3 * k // 2)
                V = np.ldexp(root * Vt[g, j].reshape(d, c), 3 * k // 2)
                if W.flat[np.argmax(np.abs(W))] < 0:  # a sign convention (Wj, Vj) ~ (−Wj, −Vj)
                    W, V = -W, -V
                sigma = math.ldexp(float(s[g, j]), 3 * k)
                heads.append(AttentionHead(W, V, None if gates is None else g, sigma))
        self.lifted_ = Z3.reshape(K, d * d, d * c)
        self.heads_ = heads
        self.rank_ = np.count_nonzero(s > 0, axis=1)
        self.n_heads_ = len(heads)
        self.gates_ = gates
        self.n_outputs_ = c
        intercept = prog.intercept(sol.Z3)  # b = Ȳ − Φ̄ Z₃ (scale-free)
        self._b = intercept
        self.intercept_ = float(intercept[0]) if self._y_1d else intercept
        self.objective_ = sol.objective
        self.lower_bound_ = sol.lower_bound
        self.optimality_gap_ = max(sol.objective - sol.lower_bound, 0.0)
        self.relative_gap_ = relative(sol.objective - sol.lower_bound, sol.objective)
        self.exact_ = bool(self.relative_gap_ <= max(self.tol, EXACT_RTOL))
        self.dual_coef_ = sol.dual
        self.alpha_max_ = math.ldexp(sol.alpha_max, -3 * k)
        self.n_iter_ = sol.n_iter
        self._train_interactions = self._interactions(X)
        if not self.relative_gap_ <= self.tol:
            why = (
                f"stalled after {sol.n_iter} iterations (rounding limits the certificate; "
                "the features are ill-conditioned at this alpha)"
                if sol.stalled
                else f"did not converge in max_iter = {self.max_iter} iterations"
            )
            warnings.warn(
                f"{type(self).__name__} {why}: relative duality gap {self.relative_gap_:.3e} > "
                f"tol = {self.tol:.1e}. Increase max_iter, tol or alpha.",
                ConvergenceWarning,
                stacklevel=3,
            )
        return self

    def fit(self, X, y):
        """Train the block to its certified global optimum.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_tokens, token_dim) or (n_samples, n_features)
            Token arrays, or rows split into ``n_tokens`` tokens.
        y : array_like, shape (n_samples,) or (n_samples, n_outputs)
            Targets.

        Returns
        -------
        self : ConvexAttention
            The fitted estimator.
        """
        X, y = self._validated_fit(X, y, y_numeric=True)
        self._y_1d = y.ndim == 1
        return self._fit(X, y.reshape(len(y), -1))

    # ------------------------------------------------------------------ outputs
    def network(self) -> AttentionNetwork:
        """The fitted block as an :class:`AttentionNetwork` (numpy).

        Returns
        -------
        AttentionNetwork
        """
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        d, c = self.token_dim_, self.n_outputs_
        W = np.array([h.W for h in self.heads_]).reshape(-1, d, d)
        V = np.array([h.V for h in self.heads_]).reshape(-1, d, c)
        if self.gates_ is None:
            return AttentionNetwork(W, V, self._b)
        return AttentionNetwork(W, V, self._b, self.gates_, [h.gate for h in self.heads_])

    def to_torch(self, dtype=None):
        """The fitted block as a ``torch.nn.Module`` (see :meth:`AttentionNetwork.to_torch`).

        Parameters
        ----------
        dtype : torch.dtype, default=torch.float64

        Returns
        -------
        torch.nn.Module
        """
        return self.network().to_torch(dtype)

    def block(self, X):
        """The block outputs before pooling (without the intercept).

        Parameters
        ----------
        X : array_like, shape (n_samples, n_tokens, token_dim) or (n_samples, n_features)

        Returns
        -------
        ndarray of float64, shape (n_samples, n_tokens, n_outputs)
        """
        return self.network().block(self._tokens(X))

    def _outputs(self, X):
        return self.network().predict(self._tokens(X))

    def predict(self, X):
        """Pooled block outputs plus the intercept.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_tokens, token_dim) or (n_samples, n_features)

        Returns
        -------
        ndarray of float64, shape (n_samples,) or (n_samples, n_outputs)
            1-D when ``y`` was.
        """
        out = self._outputs(X)
        return out[:, 0] if self._y_1d else out

    def interactions(self, X=None):
        """Per-head token-to-token interaction maps.

        ``I[j, a, b]`` is the mean over examples of the size of what the pair
        (query ``a``, key ``b``) adds to head ``j``'s pooled output,
        ``‖M[a,b] (x_aᵀ W_j x_b) V_jᵀ x_b‖₂ / t``; the pooled prediction is
        the sum of these contributions (as vectors) over heads and pairs.

        Parameters
        ----------
        X : array_like, optional
            Examples, as for :meth:`predict`; None: the training examples
            (computed during ``fit``).

        Returns
        -------
        ndarray of float64, shape (n_heads, n_tokens, n_tokens)
        """
        if X is None:
            from sklearn.utils.validation import check_is_fitted

            check_is_fitted(self)
            return self._train_interactions.copy()
        return self._interactions(self._tokens(X))

    def _interactions(self, X):
        t = X.shape[1]
        masks = None if self.gates_ is None else token_masks(X, self.gates_)
        out = np.zeros((len(self.heads_), t, t))
        XT = X.transpose(0, 2, 1)
        for j, h in enumerate(self.heads_):
            S = np.abs((X @ h.W) @ XT)
            if masks is not None:
                S = S * masks[h.gate]
            value = np.linalg.norm(X @ h.V, axis=2)  # (n, t): ‖V_jᵀ x_b‖
            out[j] = (S * value[:, None, :]).mean(axis=0) / t
        return out

    def describe(self, top: int | None = 10) -> str:
        """The fitted heads in words: sizes, gates and strongest token pairs.

        Parameters
        ----------
        top : int or None, default=10
            Heads to list, by decreasing singular value; all when None.

        Returns
        -------
        str
        """
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        kind = "certified global optimum" if self.exact_ else "not certified"
        lines = [
            f"{type(self).__name__} ({self.activation}): {self.n_heads_} head(s) on "
            f"{self.n_tokens_} token(s) in R^{self.token_dim_}, objective "
            f"{self.objective_:.10g} ({kind}; relative gap {self.relative_gap_:.2e}), "
            f"alpha / alpha_max = {self.alpha / self.alpha_max_:.3g}"
            if self.alpha_max_ > 0
            else f"{type(self).__name__}: constant fit (no head can lower the objective)"
        ]
        order = sorted(range(self.n_heads_), key=lambda j: -self.heads_[j].singular_value)
        for j in order if top is None else order[:top]:
            h = self.heads_[j]
            a, b = np.unravel_index(np.argmax(self._train_interactions[j]), (self.n_tokens_,) * 2)
            gate = "" if h.gate is None else f", gate {h.gate}"
            lines.append(
                f"  head {j}{gate}: sigma = ‖W‖² = ‖V‖² = {h.singular_value:.4g}, strongest "
                f"pair: query token {a} -> key token {b}"
            )
        return "\n".join(lines)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.input_tags.three_d_array = True
        return tags


class ConvexAttentionClassifier(ClassifierMixin, ConvexAttention):
    """A self-attention block trained to its certified global optimum on class labels.

    The labels are coded as in :class:`sklearn.linear_model.RidgeClassifier`:
    ``+1`` for the class, ``−1`` otherwise, one output per class (a single
    output, ``+1`` for ``classes_[1]``, with two classes), and fitted with the
    squared loss exactly as :class:`ConvexAttention`. ``predict`` returns the
    class of the largest output (of the output's sign with two classes).

    Parameters
    ----------
    alpha : float, default=1e-3
        See :class:`ConvexAttention`.
    activation : {"linear", "gated"}, default="linear"
        See :class:`ConvexAttention`.
    n_gates : int, default=8
        See :class:`ConvexAttention`.
    linear_mask : bool, default=False
        See :class:`ConvexAttention`.
    n_tokens : int or None, default=None
        See :class:`ConvexAttention`.
    tol : float, default=1e-8
        See :class:`ConvexAttention`.
    max_iter : int, default=10000
        See :class:`ConvexAttention`.
    random_state : int, numpy.random.Generator or None, default=None
        See :class:`ConvexAttention`.
    memory_limit : float, default=2 GiB
        See :class:`ConvexAttention`.
    verbose : bool, default=False
        See :class:`ConvexAttention`.

    Attributes
    ----------
    classes_ : ndarray, shape (n_classes,)
        The labels, sorted.
    heads_ : list of AttentionHead
        See :class:`ConvexAttention` (and its other attributes).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(60, 2, 2))
    >>> y = np.where(X[:, :, 0].sum(axis=1) > 0, "up", "down")
    >>> model = ConvexAttentionClassifier(alpha=1e-3).fit(X, y)
    >>> model.exact_, model.score(X, y) > 0.8
    (True, True)
    """

    def fit(self, X, y):
        """Train on class labels.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_tokens, token_dim) or (n_samples, n_features)
            Token arrays, or rows split into ``n_tokens`` tokens.
        y : array_like, shape (n_samples,)
            Labels, at least two classes (any type scikit-learn accepts).

        Returns
        -------
        self : ConvexAttentionClassifier
            The fitted estimator.
        """
        from sklearn.preprocessing import LabelBinarizer
        from sklearn.utils.multiclass import check_classification_targets

        X, y = self._validated_fit(X, y, y_numeric=False)
        check_classification_targets(y)
        binarizer = LabelBinarizer(neg_label=-1, pos_label=1).fit(y)
        if binarizer.classes_.size < 2:
            raise ValueError(
                f"y has only 1 class ({binarizer.classes_.tolist()}): a classifier needs at "
                "least two classes"
            )
        self.classes_ = binarizer.classes_
        self._y_1d = False
        return self._fit(X, binarizer.transform(y).astype(np.float64))

    def decision_function(self, X):
        """Block outputs: one per class, or one (positive means ``classes_[1]``) for two.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_tokens, token_dim) or (n_samples, n_features)

        Returns
        -------
        ndarray of float64, shape (n_samples,) or (n_samples, n_classes)
        """
        out = self._outputs(X)
        return out[:, 0] if self.classes_.size == 2 else out

    def predict(self, X):
        """Predicted labels.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_tokens, token_dim) or (n_samples, n_features)

        Returns
        -------
        ndarray, shape (n_samples,)
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = False
        return tags
