"""Score models trained as convex programs (geolasso.diffusion) against independent oracles.

Explicit score matching (1-D) is written out in cvxpy from its definition:
one column per ramp at each sample in both directions and both one-sided
derivative versions, the skip and the intercept as variables, none of the
module's reductions (merged atoms, detrending, cumulative sums). Denoising
score matching is checked level by level against the convex two-layer ReLU
program over enumerated patterns (tests/_oracles.py). Networks are evaluated
from their weights, in numpy and in torch (autograd for derivatives).
"""

import warnings

import cvxpy as cp
import numpy as np
import pytest
from _oracles import CLARABEL, crelu_value
from scipy.stats import wasserstein_distance

from geolasso.diffusion import (
    ConvexScoreModel,
    score_matching_alpha_range,
    score_matching_objective,
)
from geolasso.exceptions import ConvergenceWarning


def mixture(n, seed, *, centres=(-2.0, 2.0), spread=0.5):
    """Two equally weighted Gaussian modes."""
    rng = np.random.default_rng(seed)
    pick = rng.random(n) < 0.5
    return np.where(pick, rng.normal(centres[0], spread, n), rng.normal(centres[1], spread, n))


def sm_columns(x, knots=()):
    """Ramp values (n, p) and derivative sums (p,) of the explicit-SM dictionary.

    At every sample: ``(±(x - x_k))_+`` with ``x_k`` inactive and active
    (derivative sums differ by the multiplicity). At extra ``knots`` (not
    samples) the one version there is.
    """
    cols, ders = [], []
    for t in np.unique(x):
        for s in (1.0, -1.0):
            values = np.maximum(s * (x - t), 0.0)
            inactive = s * (x - t) > 0
            cols += [values, values]
            ders += [s * inactive.sum(), s * (inactive | (x == t)).sum()]
    for t in knots:
        for s in (1.0, -1.0):
            cols.append(np.maximum(s * (x - t), 0.0))
            ders.append(s * (s * (x - t) > 0).sum())
    return np.array(cols).T, np.array(ders, dtype=float)


def sm_oracle(x, alpha, *, skip=True, knots=()):
    """min over z, a, c of (1/2n)‖a x + c + A z‖² + (n a + bᵀz)/n + α‖z‖₁ (status, value)."""
    n = x.size
    A, b = sm_columns(x, knots)
    z, c = cp.Variable(A.shape[1]), cp.Variable()
    a = cp.Variable() if skip else 0.0
    objective = cp.sum_squares(a * x + c + A @ z) / (2 * n) + (n * a + b @ z) / n
    problem = cp.Problem(cp.Minimize(objective + alpha * cp.norm1(z)))
    problem.solve(**CLARABEL)
    return problem.status, problem.value


def network_derivative(model, x):
    """s'(x) of the fitted "sm" model from its network's weights (ReLU'(0) = 0)."""
    net = model.network_
    pre = x[:, None] @ net.W.T + net.b
    return (pre > 0) @ (net.v * net.W[:, 0]) + model.linear_


# --------------------------------------------------------------------------- explicit SM
@pytest.mark.parametrize("skip", [True, False], ids=["skip", "no-skip"])
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("where", [0.1, 0.5, 0.9])
def test_explicit_sm_is_the_cvxpy_optimum(seed, skip, where):
    rng = np.random.default_rng(seed)
    x = mixture(int(rng.integers(8, 16)), seed)
    lo, hi = score_matching_alpha_range(x[:, None], linear_skip=skip)
    alpha = lo * (hi / lo) ** where  # geometrically between the bounds: neurons are used
    status, value = sm_oracle(x, alpha, skip=skip)
    assert status == cp.OPTIMAL
    model = ConvexScoreModel(alpha, objective="sm", linear_skip=skip).fit(x[:, None])
    scale = max(abs(value), 0.5 / x.var())
    assert model.exact_
    assert model.network_.n_neurons >= 1
    assert abs(model.objective_ - value) <= 1e-6 * scale
    assert model.relative_gap_ <= 1e-6
    assert model.lower_bound_ <= value + 1e-8 * scale  # the certificate is a lower bound
    # the network itself, from its weights: the optimum reached in the limit of its kinks
    own = score_matching_objective(model.network_, x[:, None], alpha, linear=model.linear_)
    assert own == pytest.approx(model.network_objective_, rel=1e-12)
    assert abs(own - value) <= 1e-6 * scale
    assert own >= value - 1e-8 * scale
    kinks = -model.network_.b / model.network_.W[:, 0]
    assert np.min(np.abs(kinks[:, None] - x[None, :])) > 0  # no kink on a sample


def test_breakpoints_between_samples_do_not_help():
    """The samples' one-sided ramps already give the infimum: ramps at every midpoint and
    a hair off every sample added to the cvxpy program leave its optimum unchanged."""
    x = mixture(11, 5)
    u = np.unique(x)
    extra = np.concatenate([(u[1:] + u[:-1]) / 2, u + 1e-3, u - 1e-3, [u[0] - 1.0, u[-1] + 1.0]])
    for skip in (True, False):
        lo, hi = score_matching_alpha_range(x, linear_skip=skip)
        alpha = np.sqrt(lo * hi)
        _, data_only = sm_oracle(x, alpha, skip=skip)
        _, denser = sm_oracle(x, alpha, skip=skip, knots=extra)
        assert denser == pytest.approx(data_only, rel=1e-7, abs=1e-9)
        model = ConvexScoreModel(alpha, objective="sm", linear_skip=skip).fit(x[:, None])
        assert model.objective_ == pytest.approx(denser, rel=1e-6)


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        (np.array([0.0, 0.4, 1.3, 2.0, 2.2, 3.1]), 1 / 6),  # distinct: 1/n
        (np.array([0.0, 1.0, 1.0, 1.0, 1.0, 2.0]), 2 / 6),  # interior multiplicity 4: 4/2/n
        (np.array([0.0, 0.0, 0.0, 1.0, 2.5, 2.5]), 3 / 6),  # end multiplicity 3: 3/n
    ],
    ids=["distinct", "interior-4", "end-3"],
)
@pytest.mark.parametrize("skip", [True, False], ids=["skip", "no-skip"])
def test_unbounded_below_alpha_min(x, expected, skip):
    lo, _ = score_matching_alpha_range(x[:, None], linear_skip=skip)
    assert lo == pytest.approx(expected, rel=1e-15)
    # cvxpy (from the definition) agrees on both sides of the threshold
    below, _ = sm_oracle(x, 0.97 * lo, skip=skip)
    above, value = sm_oracle(x, 1.03 * lo, skip=skip)
    assert below in (cp.UNBOUNDED, cp.UNBOUNDED_INACCURATE)
    assert above == cp.OPTIMAL
    with pytest.raises(ValueError, match=f"alpha_min = {lo:.6g}"):
        ConvexScoreModel(0.97 * lo, objective="sm", linear_skip=skip).fit(x[:, None])
    model = ConvexScoreModel(1.03 * lo, objective="sm", linear_skip=skip).fit(x[:, None])
    assert model.objective_ == pytest.approx(value, rel=1e-6)


def test_alpha_max_is_the_largest_stein_discrepancy_and_gives_the_gaussian():
    """From alpha_max on the optimum has no neuron: with the skip the Gaussian fit
    ``−(x − x̄)/v`` (J = −1/(2v)); alpha_max is the largest |q_j| of the dictionary,
    ``q_j = (1/n) Σ_i [φ_j'(x_i) − φ_j(x_i)(x_i − x̄)/v]`` (the dual condition of z = 0)."""
    x = mixture(13, 3)
    n, v = x.size, x.var()
    A, b = sm_columns(x)
    q = (b - A.T @ ((x - x.mean()) / v)) / n
    _, hi = score_matching_alpha_range(x)
    assert hi == pytest.approx(np.abs(q).max(), rel=1e-12)
    model = ConvexScoreModel(1.01 * hi, objective="sm").fit(x[:, None])
    assert model.network_.n_neurons == 0
    assert model.linear_ == pytest.approx(-1 / v, rel=1e-12)
    assert model.intercept_ == pytest.approx(x.mean() / v, rel=1e-12)
    assert model.objective_ == pytest.approx(-0.5 / v, rel=1e-12)
    assert ConvexScoreModel(0.97 * hi, objective="sm").fit(x[:, None]).network_.n_neurons >= 1
    # without the skip: the zero score from alpha_max = 1 (the ramp below all samples is
    # the linear function, derivative sum n)
    _, hi_plain = score_matching_alpha_range(x, linear_skip=False)
    assert hi_plain == pytest.approx(np.abs(b).max() / n) == 1.0
    plain = ConvexScoreModel(1.01, objective="sm", linear_skip=False).fit(x[:, None])
    assert plain.network_.n_neurons == 0
    assert plain.objective_ == 0.0


def test_sm_is_invariant_under_rescaling():
    """J(c x) = J(x) / c² at the same alpha; 2^20 x goes through the internal standardisation."""
    x = mixture(12, 4)
    lo, hi = score_matching_alpha_range(x)
    alpha = np.sqrt(lo * hi)
    base = ConvexScoreModel(alpha, objective="sm").fit(x[:, None])
    for c in (3.0, 2.0**20, 2.0**-15):
        model = ConvexScoreModel(alpha, objective="sm").fit(c * x[:, None])
        assert model.exact_
        assert model.objective_ * c**2 == pytest.approx(base.objective_, rel=1e-8)
        probe = np.linspace(-3, 3, 7)[:, None]
        assert np.allclose(
            c * model.score_function(c * probe), base.score_function(probe), rtol=1e-6, atol=1e-6
        )


def test_sm_torch_module_and_autograd_derivative():
    torch = pytest.importorskip("torch")
    x = mixture(14, 6)
    lo, hi = score_matching_alpha_range(x)
    model = ConvexScoreModel(np.sqrt(lo * hi), objective="sm").fit(x[:, None])
    module = model.to_torch()
    kinks = -model.network_.b / model.network_.W[:, 0]
    grid = np.linspace(-4.0, 4.0, 801)
    grid = grid[np.min(np.abs(grid[:, None] - kinks[None, :]), axis=1) > 1e-6]
    grid = grid[np.abs(grid) > 1e-6]  # the skip's own pair of neurons kinks at 0
    t = torch.tensor(grid[:, None], requires_grad=True)
    out = module(t)
    (derivative,) = torch.autograd.grad(out.sum(), t)
    scores = model.score_function(grid[:, None])
    assert np.abs(out.detach().numpy() - scores).max() <= 1e-10 * (1 + np.abs(scores).max())
    assert np.allclose(derivative.numpy()[:, 0], network_derivative(model, grid), atol=1e-10)


def _adam_sm(x, alpha, width, seed, steps=1000, lr=1e-2):
    """Adam on J of a torch score network with the free skip and intercept.

    Returns J at the start and the least J seen. (The derivative term's gradient with
    respect to a kink's position is zero almost everywhere, so Adam moves kinks only
    through the values: it stalls far above the optimum, but never below it.)
    """
    import torch

    gen = torch.Generator().manual_seed(seed)
    t = torch.tensor(x[:, None])
    W = (torch.randn(width, 1, generator=gen, dtype=torch.float64)).requires_grad_()
    b = (torch.randn(width, generator=gen, dtype=torch.float64)).requires_grad_()
    v = (0.1 * torch.randn(width, generator=gen, dtype=torch.float64)).requires_grad_()
    a = torch.zeros((), dtype=torch.float64, requires_grad=True)
    c = torch.zeros((), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([W, b, v, a, c], lr=lr)
    values = []
    for _ in range(steps):
        inp = t.clone().requires_grad_()
        s = torch.relu(inp @ W.T + b) @ v + a * inp[:, 0] + c
        (ds,) = torch.autograd.grad(s.sum(), inp, create_graph=True)
        J = torch.mean(0.5 * s**2 + ds[:, 0]) + 0.5 * alpha * (W.pow(2).sum() + v.pow(2).sum())
        values.append(float(J.detach()))
        opt.zero_grad()
        J.backward()
        opt.step()
    return values[0], min(values)


@pytest.mark.parametrize("seed", [0, 1])
def test_adam_never_ends_below_the_convex_sm_optimum(seed):
    pytest.importorskip("torch")
    x = mixture(12, 7)
    lo, hi = score_matching_alpha_range(x)
    alpha = np.sqrt(lo * hi)
    model = ConvexScoreModel(alpha, objective="sm").fit(x[:, None])
    start, best = _adam_sm(x, alpha, max(16, model.network_.n_neurons), seed)
    assert best >= model.objective_ - 1e-9 * abs(model.objective_)
    assert best >= model.lower_bound_ - 1e-12
    assert best < start - 0.1 * abs(start)  # Adam did train


# --------------------------------------------------------------------------- DSM
def test_dsm_levels_in_1d_are_the_exact_programs():
    X = mixture(4, 8)[:, None]
    model = ConvexScoreModel(0.05, noise_levels=[1.0, 0.3], n_noise=2, random_state=0).fit(X)
    assert model.exact_
    assert model.noisy_samples_.shape == model.targets_.shape == (2, 8, 1)
    for level in range(2):
        noisy, targets = model.noisy_samples_[level], model.targets_[level][:, 0]
        value, _ = crelu_value(noisy, targets, 0.05, bias="free", norm="l2")
        assert model.objectives_[level] == pytest.approx(value, rel=1e-6)
        net = model.network(level)
        assert net.objective(noisy, targets, 0.05, norm="l2") == pytest.approx(
            model.objectives_[level], rel=1e-10
        )
        assert 0 <= model.optimality_gaps_[level] <= 1e-6 * value
    # the noise: x̃ = x + σ ε with target −ε/σ, each sample repeated n_noise times
    eps = -model.targets_ * model.noise_levels_[:, None, None]
    assert np.allclose(model.noisy_samples_, np.repeat(X, 2, axis=0) + eps * [[[1.0]], [[0.3]]])
    assert model.objective_ == pytest.approx(
        1.0 * model.objectives_[0] + 0.09 * model.objectives_[1]
    )


def test_dsm_in_2d_is_an_upper_bound_on_the_exact_program():
    rng = np.random.default_rng(9)
    X = rng.normal(size=(4, 2))
    model = ConvexScoreModel(
        0.05, noise_levels=[0.8, 0.3], n_noise=2, patterns=300, random_state=1
    ).fit(X)
    assert not model.exact_
    for level in range(2):
        noisy, targets = model.noisy_samples_[level], model.targets_[level]
        exact = sum(
            crelu_value(noisy, targets[:, k], 0.05, bias="free", norm="l2")[0] for k in range(2)
        )
        assert model.objectives_[level] >= exact - 1e-7 * exact
        nets = model.network(level)
        total = sum(
            net.objective(noisy, targets[:, k], 0.05, norm="l2") for k, net in enumerate(nets)
        )
        assert total == pytest.approx(model.objectives_[level], rel=1e-9)
        # the score is the per-coordinate networks side by side
        probe = rng.normal(size=(5, 2))
        scores = model.score_function(probe, level=level)
        for k, net in enumerate(nets):
            assert np.allclose(scores[:, k], net.predict(probe), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("d", [1, 2])
def test_dsm_torch_modules_reproduce_the_scores(d):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(10)
    X = rng.normal(size=(6, d))
    model = ConvexScoreModel(0.05, noise_levels=3, n_noise=2, patterns=60, random_state=0).fit(X)
    modules = model.to_torch()
    assert len(modules) == 3
    probe = rng.normal(size=(50, d)) * 2
    for level, module in enumerate(modules):
        out = module(torch.tensor(probe)).detach().numpy()
        scores = model.score_function(probe, level=level)
        assert out.shape == (50, d)
        assert np.abs(out - scores).max() <= 1e-10 * (1 + np.abs(scores).max())


@pytest.mark.parametrize("seed", [0, 1])
def test_adam_never_ends_below_a_dsm_level(seed):
    torch = pytest.importorskip("torch")
    X = mixture(10, 11)[:, None]
    model = ConvexScoreModel(0.02, noise_levels=[0.5], n_noise=3, random_state=0).fit(X)
    noisy, targets = (torch.tensor(a[0]) for a in (model.noisy_samples_, model.targets_))
    width = max(16, model.network(0).n_neurons)
    torch.manual_seed(seed)
    net = torch.nn.Sequential(
        torch.nn.Linear(1, width, dtype=torch.float64),
        torch.nn.ReLU(),
        torch.nn.Linear(width, 1, dtype=torch.float64),
    )
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    best = np.inf
    for _ in range(1000):
        r = net(noisy) - targets
        penalty = net[0].weight.pow(2).sum() + net[2].weight.pow(2).sum()
        J = 0.5 * r.pow(2).mean() + 0.01 * penalty
        best = min(best, float(J.detach()))
        opt.zero_grad()
        J.backward()
        opt.step()
    optimum = model.objectives_[0]
    assert best >= optimum * (1 - 1e-9)
    assert best <= 1.5 * optimum  # Adam did train (seed 1 stalls 9 % above the optimum)


# --------------------------------------------------------------------------- sampling
def test_annealed_langevin_beats_the_gaussian_fit_on_a_mixture():
    """Samples from the DSM model against held-out data, by Wasserstein-1.

    Baseline: the Gaussian with the data's mean and standard deviation, W1 ≈ 0.72
    here (it fills the gap between the modes). The model must halve it, and stay
    below 0.3, which with modes 4 apart of standard deviation 0.5 means both modes
    found with their widths roughly right (all mass in one mode costs about 2; modes
    of twice the width about 0.4). Measured: 0.12 (0.12–0.20 over five sampler seeds;
    a fresh sample of 2000 from the true mixture: 0.11).
    """
    x = mixture(300, 12)
    held = mixture(5000, 13)
    model = ConvexScoreModel(0.01, n_noise=4, random_state=0).fit(x[:, None])
    samples = model.sample(2000, random_state=1)
    assert np.array_equal(samples, model.sample(2000, random_state=1))  # seeded
    rng = np.random.default_rng(14)
    gaussian = held.mean() + held.std() * rng.standard_normal(2000)
    baseline = wasserstein_distance(gaussian, held)
    w1 = wasserstein_distance(samples[:, 0], held)
    assert w1 < 0.5 * baseline
    assert w1 < 0.3


def test_plain_langevin_with_the_gaussian_score_keeps_its_moments():
    """alpha >= alpha_max: the learned score is −(x − m)/v exactly, and plain Langevin
    with step ε has the stationary law N(m, v / (1 − ε / (4 v)))."""
    x = mixture(40, 15)
    _, hi = score_matching_alpha_range(x)
    model = ConvexScoreModel(1.5 * hi, objective="sm").fit(x[:, None])
    m, v = x.mean(), x.var()
    eps = 0.1 * v
    samples = model.sample(4000, n_steps=400, step_size=eps, random_state=2)[:, 0]
    expected = v / (1 - eps / (4 * v))
    # standard errors of 4000 independent draws: 0.016 sqrt(v) and 2.2 % of the variance
    assert abs(samples.mean() - m) < 0.06 * np.sqrt(v)
    assert samples.var() == pytest.approx(expected, rel=0.08)


def test_sklearn_score_is_minus_the_hyvarinen_loss():
    x = mixture(15, 16)
    lo, hi = score_matching_alpha_range(x)
    alpha = np.sqrt(lo * hi)
    model = ConvexScoreModel(alpha, objective="sm").fit(x[:, None])
    penalty = alpha * model.network_.penalty(norm="l2")
    assert -model.score(x[:, None]) + penalty == pytest.approx(model.network_objective_, rel=1e-12)


def test_sklearn_score_uses_the_divergence_of_the_2d_score():
    """−score = mean(½‖s‖² + div s) at the smallest level; div by central differences."""
    rng = np.random.default_rng(20)
    X = rng.normal(size=(6, 2))
    model = ConvexScoreModel(0.05, noise_levels=2, n_noise=2, patterns=60, random_state=0)
    model.fit(X)
    probe = rng.normal(size=(40, 2))
    h = 1e-6
    div = sum(
        (
            model.score_function(probe + h * np.eye(2)[k])[:, k]
            - model.score_function(probe - h * np.eye(2)[k])[:, k]
        )
        / (2 * h)
        for k in range(2)
    )
    s = model.score_function(probe)
    expected = -np.mean(0.5 * np.sum(s**2, axis=1) + div)
    assert model.score(probe) == pytest.approx(expected, rel=1e-6)


# --------------------------------------------------------------------------- errors
def test_bad_inputs_are_refused_by_name():
    from sklearn.utils._param_validation import InvalidParameterError

    X = mixture(10, 17)[:, None]
    with pytest.raises(ValueError, match="NaN"):
        ConvexScoreModel().fit(np.array([[0.0], [np.nan], [1.0]]))
    with pytest.raises(ValueError, match=r"infinity|inf"):
        ConvexScoreModel().fit(np.array([[0.0], [np.inf], [1.0]]))
    with pytest.raises(ValueError, match=r"2D array|dim"):
        ConvexScoreModel().fit(np.zeros((3, 2, 2)))
    with pytest.raises(ValueError, match="minimum of 2"):
        ConvexScoreModel().fit([[1.0]])
    for alpha in (0.0, -1.0):
        with pytest.raises(InvalidParameterError, match="alpha"):
            ConvexScoreModel(alpha).fit(X)
    with pytest.raises(ValueError, match="alpha"):
        ConvexScoreModel(np.inf).fit(X)
    with pytest.raises(ValueError, match="strictly decreasing"):
        ConvexScoreModel(noise_levels=[0.1, 0.5]).fit(X)
    with pytest.raises(ValueError, match="strictly decreasing"):
        ConvexScoreModel(noise_levels=[0.5, 0.5]).fit(X)
    with pytest.raises(ValueError, match="positive"):
        ConvexScoreModel(noise_levels=[1.0, -0.5]).fit(X)
    with pytest.raises(ValueError, match="noise_levels must be finite"):
        ConvexScoreModel(noise_levels=[np.nan, 0.5]).fit(X)
    with pytest.raises(InvalidParameterError, match="noise_levels"):
        ConvexScoreModel(noise_levels=0).fit(X)
    with pytest.raises(InvalidParameterError, match="objective"):
        ConvexScoreModel(objective="ssm").fit(X)
    with pytest.raises(ValueError, match="zero variance"):
        ConvexScoreModel().fit(np.ones((5, 1)))
    with pytest.raises(ValueError, match="two distinct samples"):
        ConvexScoreModel(objective="sm").fit(np.ones((5, 1)))
    with pytest.raises(ValueError, match="1-D data"):
        ConvexScoreModel(objective="sm").fit(np.zeros((5, 2)))
    with pytest.raises(ValueError, match="must have one input"):
        score_matching_objective(
            ConvexScoreModel(0.05, noise_levels=1, random_state=0)
            .fit(np.random.default_rng(0).normal(size=(4, 2)))
            .network(0, output=0),
            X,
            0.1,
        )


def test_a_fitted_model_refuses_bad_queries():
    from sklearn.exceptions import NotFittedError

    X = mixture(10, 18)[:, None]
    with pytest.raises(NotFittedError):
        ConvexScoreModel().score_function(X)
    model = ConvexScoreModel(0.05, noise_levels=2, random_state=0).fit(X)
    with pytest.raises(IndexError, match=r"level must lie in \[-2, 2\)"):
        model.score_function(X, level=2)
    with pytest.raises(TypeError, match="level must be an int"):
        model.score_function(X, level=0.5)
    with pytest.raises(ValueError, match="1 features"):
        model.score_function(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="n_samples must be an int"):
        model.sample(0)
    with pytest.raises(ValueError, match="n_steps must be an int"):
        model.sample(5, n_steps=0)
    with pytest.raises(ValueError, match="step_size must be a finite number > 0"):
        model.sample(5, step_size=-1.0)
    assert np.array_equal(model.score_function(X, level=-1), model.score_function(X))


def test_near_alpha_min_the_certificate_says_it_is_rounding_limited():
    """1.01 alpha_min on 300 samples: slopes of about 1e6, a certified gap of about 1e-4,
    exact_ False with a ConvergenceWarning; the bound is still below cvxpy's optimum."""
    x = mixture(300, 0)
    lo, _ = score_matching_alpha_range(x)
    with pytest.warns(ConvergenceWarning, match="certified relative gap"):
        model = ConvexScoreModel(1.01 * lo, objective="sm").fit(x[:, None])
    assert not model.exact_
    assert 0 < model.relative_gap_ < 1e-2
    assert model.lower_bound_ <= model.objective_


@pytest.mark.slow
def test_scikit_learn_estimator_checks():
    from sklearn.exceptions import SkipTestWarning
    from sklearn.utils.estimator_checks import check_estimator

    estimator = ConvexScoreModel(noise_levels=1, n_noise=1, patterns=8, max_iter=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SkipTestWarning)
        warnings.simplefilter("ignore", UserWarning)
        results = check_estimator(estimator, on_fail=None)
    failed = [
        (r["check_name"], str(r["exception"])[:300]) for r in results if r["status"] == "failed"
    ]
    assert failed == []
    assert sum(r["status"] == "passed" for r in results) >= 35


def test_the_solver_matches_a_dense_reference_on_a_larger_sample():
    """n = 60, both settings: against cvxpy (240 atoms) at a mid penalty."""
    x = mixture(60, 19)
    for skip in (True, False):
        lo, hi = score_matching_alpha_range(x, linear_skip=skip)
        alpha = lo * (hi / lo) ** 0.3
        _, value = sm_oracle(x, alpha, skip=skip)
        model = ConvexScoreModel(alpha, objective="sm", linear_skip=skip).fit(x[:, None])
        assert model.exact_
        assert model.objective_ == pytest.approx(value, rel=1e-6)
