"""geolasso.deep: mirror dictionaries, deep narrow networks, reflection features.

Oracles: the mathematics page's closed forms (T17–T19, §5.3, §5.4), cvxpy + Clarabel over
the same dictionaries, piecewise linearity checked by evaluation, and the
geometric distance to a hyperplane and its mirror image.
"""

import itertools

import cvxpy as cp
import numpy as np
import pytest
from _oracles import lasso_value, solve

from geolasso.deep import DeepConvexRegressor, DeepNarrowNetwork
from geolasso.exceptions import DictionaryTooLargeError
from geolasso.lasso import lasso
from geolasso.mirror import mirror_dictionary
from geolasso.reflection import reflection_dictionary


def chains(D, anchors, signs):
    return [
        j
        for j in range(D.n_columns)
        if np.allclose(D.anchors[j], anchors) and np.array_equal(D.signs[j], signs)
    ]


def test_spec_t17_reflection_feature():
    D = mirror_dictionary([0.0, 4.0, 5.0], 4, deduplicate=False)
    (j,) = chains(D, [8.0, 4.0, 5.0], [-1, -1, 1])  # a_1 = 2·4 − 0 (k = 1)
    grid = [0.0, 4.0, 5.0, 6.5, 8.0, 10.0]
    np.testing.assert_allclose(D.matrix(grid)[:, j], [0, 0, 0, 1.5, 3, 3], atol=1e-12)
    np.testing.assert_allclose(D.breakpoints(j), [5.0, 8.0])
    assert D.reflections(j) == [{"point": 8.0, "of": 0.0, "about": 4.0}]


def test_spec_t18_capped_ramp_and_its_network():
    D = mirror_dictionary([2.0, 7.0, 9.0], 3, deduplicate=False)
    (j,) = chains(D, [7.0, 2.0], [-1, -1])
    grid = [0.0, 2.0, 4.5, 7.0, 9.0]
    np.testing.assert_allclose(D.matrix(grid)[:, j], [0, 0, 2.5, 5, 5], atol=1e-12)
    coef = np.zeros(D.n_columns)
    coef[j] = 1.0
    net = DeepNarrowNetwork.from_lasso(D, coef)
    np.testing.assert_allclose(net.predict(grid), [0, 0, 2.5, 5, 5], atol=1e-12)


def test_spec_t19_absolute_value_kinks():
    D = mirror_dictionary([1.0, 4.0, 6.0], 3, "abs", deduplicate=False)
    (j,) = chains(D, [1.0, 4.0], [1, 1])  # g(x) = | |x − 1| − 3 |
    np.testing.assert_allclose(D.matrix([-2.0, 0.0, 1.0, 4.0])[:, j], [0, 2, 3, 0], atol=1e-12)
    np.testing.assert_allclose(D.breakpoints(j), [-2.0, 1.0, 4.0])
    assert D.reflections(j) == [{"point": -2.0, "of": 4.0, "about": 1.0}]


def test_depth_three_relu_closed_forms(rng):
    x = rng.uniform(-3, 3, 6)
    D = mirror_dictionary(x, 3, deduplicate=False)
    grid = np.linspace(-5, 5, 201)
    F = D.matrix(grid)
    checked = 0
    for j in range(D.n_columns):
        (a, b), s = D.anchors[j], tuple(D.signs[j])
        if s == (1, 1):
            ref = np.maximum(grid - max(a, b), 0)
        elif s == (-1, 1):
            ref = np.maximum(min(a, b) - grid, 0)
        elif s == (1, -1):
            ref = np.minimum(b - a, np.maximum(b - grid, 0)) if b > a else 0 * grid
        else:
            ref = np.minimum(np.maximum(grid - b, 0), a - b) if a > b else 0 * grid
        np.testing.assert_allclose(F[:, j], ref, atol=1e-12)
        checked += 1
    assert checked == (2 * 6) ** 2


def _linear_between(D, j, knots):
    """Feature j is linear between consecutive knots and beyond them."""
    knots = np.unique(knots)
    mids = (knots[:-1] + knots[1:]) / 2
    f = D.matrix(np.concatenate([knots, mids]))[:, j]
    at, mid = f[: knots.size], f[knots.size :]
    interior = np.allclose(mid, (at[:-1] + at[1:]) / 2, atol=1e-9)
    span = knots[-1] - knots[0] + 1.0
    out = D.matrix([knots[0] - span, knots[0] - 2 * span, knots[-1] + span, knots[-1] + 2 * span])
    left = np.isclose(out[1, j] - out[0, j], out[0, j] - at[0], atol=1e-9)
    right = np.isclose(out[3, j] - out[2, j], out[2, j] - at[-1], atol=1e-9)
    return interior and left and right


@pytest.mark.parametrize(("depth", "activation"), [(4, "relu"), (3, "abs")])
def test_breakpoints_are_data_points_or_reflections(rng, depth, activation):
    x = np.round(rng.uniform(0, 10, 5), 3)
    D = mirror_dictionary(x, depth, activation)
    knots = np.unique(np.concatenate([x, (2 * x[:, None] - x[None, :]).ravel()]))
    mirrors = np.setdiff1d(knots, x)
    reflected = 0
    for j in range(D.n_columns):
        assert _linear_between(D, j, knots), D.describe(j)
        # and the reported breakpoints are exactly where the slope changes
        for b in D.breakpoints(j):
            assert np.min(np.abs(knots - b)) < 1e-9
        eps = 1e-3
        f = D.matrix(np.concatenate([mirrors - eps, mirrors, mirrors + eps]))[:, j].reshape(3, -1)
        reflected += np.any(np.abs(f[0] + f[2] - 2 * f[1]) > 1e-9)
    assert reflected > 0, "reflections 2x_i − x_j must occur as breakpoints"


@pytest.mark.parametrize(
    ("depth", "activation"), [(2, "relu"), (3, "relu"), (4, "relu"), (3, "abs"), (2, "leaky_relu")]
)
def test_lasso_over_the_dictionary_matches_cvxpy_and_the_network(rng, depth, activation):
    x = np.sort(rng.uniform(-2, 2, 7))
    y = np.sin(2 * x) + 0.2 * rng.standard_normal(7)
    alpha = 2e-3
    D = mirror_dictionary(x, depth, activation)
    K = D.matrix()
    res = lasso(K, y, alpha, tol=1e-12)
    assert res.objective == pytest.approx(lasso_value(K, y, alpha, fit_intercept=True), rel=1e-7)
    model = DeepConvexRegressor(depth=depth, activation=activation, alpha=alpha, tol=1e-12)
    model.fit(x[:, None], y)
    assert model.objective_ == pytest.approx(res.objective, rel=1e-9)
    net = model.network_
    assert net.objective(x, y, alpha) == pytest.approx(model.objective_, rel=1e-8)
    np.testing.assert_allclose(net.predict(x), model.predict(x[:, None]), atol=1e-10)


def test_two_point_closed_form():
    # docs/mathematics.md §5.4: X = (0, 1), y = (0, 1), depth 2: β − β² for β < ½, ¼ beyond
    # (sum form)
    for beta in (0.1, 0.3, 0.7):
        model = DeepConvexRegressor(depth=2, alpha=beta / 2, tol=1e-12).fit([[0.0], [1.0]], [0, 1])
        expected = (beta - beta**2 if beta < 0.5 else 0.25) / 2
        assert model.objective_ == pytest.approx(expected, rel=1e-9)


def _columns_up_to_constants(D):
    K = D.matrix()
    return {tuple(np.round(c - c[0], 9)) for c in K.T}


@pytest.mark.parametrize("activation", ["relu", "abs"])
def test_deeper_never_hurts(rng, activation):
    x = np.sort(rng.uniform(-1, 1, 6))
    y = np.abs(x) - 0.3 * x + 0.1 * rng.standard_normal(6)
    alpha = 1e-2
    depths = (2, 3, 4) if activation == "relu" else (2, 3, 4, 5)
    values, previous = [], None
    for depth in depths:
        D = mirror_dictionary(x, depth, activation)
        cols = _columns_up_to_constants(D)
        if previous is not None:
            assert previous <= cols, "the depth-L columns are depth-(L+1) columns"
        previous = cols
        values.append(lasso(D.matrix(), y, alpha, tol=1e-12).objective)
    assert all(b <= a * (1 + 1e-9) for a, b in itertools.pairwise(values))


def test_adam_never_beats_the_convex_optimum(rng):
    torch = pytest.importorskip("torch", reason="the torch extra is not installed")
    x = np.sort(rng.uniform(-1, 1, 8))
    y = np.sin(3 * x)
    alpha, depth, chains_ = 1e-2, 3, 6
    best = DeepConvexRegressor(depth=depth, alpha=alpha, tol=1e-12).fit(x[:, None], y).objective_
    xt, yt = torch.as_tensor(x), torch.as_tensor(y)
    for seed in range(3):
        torch.manual_seed(seed)
        t = torch.randn(chains_, depth - 1, dtype=torch.float64, requires_grad=True)
        c = torch.randn(chains_, depth - 1, dtype=torch.float64, requires_grad=True)
        u = torch.randn(chains_, dtype=torch.float64, requires_grad=True)
        xi = torch.zeros((), dtype=torch.float64, requires_grad=True)
        opt = torch.optim.Adam([t, c, u, xi], lr=1e-2)

        def objective(t=t, c=c, u=u, xi=xi):
            h = xt[:, None].expand(-1, chains_)
            for layer in range(depth - 1):
                h = torch.relu(h * t[:, layer] + c[:, layer])
            r = h @ u + xi - yt
            pen = (t.abs() ** depth).sum() + (u.abs() ** depth).sum()
            return (r @ r) / (2 * len(x)) + alpha * pen / depth

        for _ in range(1500):
            opt.zero_grad()
            loss = objective()
            loss.backward()
            opt.step()
        net = DeepNarrowNetwork(
            t.detach().numpy(), c.detach().numpy(), u.detach().numpy(), float(xi.detach())
        )
        assert net.objective(x, y, alpha) == pytest.approx(float(objective().detach()), rel=1e-12)
        assert net.objective(x, y, alpha) >= best * (1 - 1e-9)


def test_repeated_values_are_merged(rng):
    x = np.array([0.0, 1.0, 1.0, 3.0, 0.0])
    D = mirror_dictionary(x, 3)
    assert D.n_merged == 2
    K = D.matrix()
    assert K.shape[0] == 5
    np.testing.assert_array_equal(K[1], K[2])
    np.testing.assert_array_equal(K[0], K[4])
    assert D.matrix().shape[1] == mirror_dictionary([0.0, 1.0, 3.0], 3).n_columns


def test_bad_input_is_refused_clearly(rng):
    with pytest.raises(ValueError, match="reflection_dictionary"):
        mirror_dictionary(rng.standard_normal((5, 2)), 2)
    with pytest.raises(ValueError, match="supported: relu: 2, 3, 4"):
        mirror_dictionary([0.0, 1.0, 2.0], 5)
    with pytest.raises(ValueError, match="leaky_relu: 2"):
        mirror_dictionary([0.0, 1.0, 2.0], 3, "leaky_relu")
    with pytest.raises(ValueError, match="two distinct values"):
        mirror_dictionary([1.0, 1.0], 2)
    with pytest.raises(ValueError, match="one column"):
        DeepConvexRegressor().fit(rng.standard_normal((5, 2)), np.zeros(5))
    with pytest.raises(DictionaryTooLargeError, match="max_features"):
        mirror_dictionary(np.arange(40.0), 4, memory_limit=10_000)
    with pytest.raises(DictionaryTooLargeError, match="max_features"):
        reflection_dictionary(rng.standard_normal((60, 3)))


def test_the_network_objective_needs_a_non_negative_alpha():
    net = DeepNarrowNetwork([[1.0, 2.0]], [[0.0, 0.0]], [1.0])
    x, y = np.array([0.0, 1.0]), np.array([0.0, 1.0])
    with pytest.raises(ValueError, match="alpha must be a finite number >= 0"):
        net.objective(x, y, -0.5)
    r = net.predict(x) - y
    assert net.objective(x, y, 0.0) == pytest.approx(r @ r / 4, rel=1e-12)


def test_sampled_dictionary_is_seeded(rng):
    x = rng.uniform(0, 1, 30)
    a = mirror_dictionary(x, 4, max_features=500, random_state=3)
    b = mirror_dictionary(x, 4, max_features=500, random_state=3)
    assert not a.exact
    np.testing.assert_array_equal(a.matrix(), b.matrix())
    assert 0 < a.n_columns <= 500


def test_sign_chains_step_at_data_points_only(rng):
    x = np.sort(rng.uniform(0, 5, 6))
    D = mirror_dictionary(x, 3, "sign")
    for j in range(D.n_columns):
        assert np.all(np.isin(D.breakpoints(j), x))
    model = DeepConvexRegressor(depth=3, activation="sign", alpha=1e-3).fit(x[:, None], x**2)
    assert model.network_ is None
    assert model.objective_ == pytest.approx(
        lasso_value(D.matrix(), x**2, 1e-3, fit_intercept=True), rel=1e-6
    )


def test_reflection_features_are_distances_to_a_plane_and_its_mirror(rng):
    X = rng.standard_normal((7, 2))
    D = reflection_dictionary(X)
    P = rng.standard_normal((50, 2)) * 3
    F = D.matrix(P)
    for k in rng.choice(D.n_columns, 40, replace=False):
        h = D.hyperplanes(k)
        (w, b1), (_, b2) = h["plane"], h["image"]
        assert np.linalg.norm(w) == pytest.approx(1.0)
        dist = np.minimum(np.abs(P @ w + b1), np.abs(P @ w + b2))
        np.testing.assert_allclose(F[:, k], dist, atol=1e-12)
        i, j = h["samples"]
        assert X[j] @ w + b1 == pytest.approx(0.0, abs=1e-12)  # the plane passes through x_j
        mid = h["mirror"][1]
        assert X[i] @ w + mid == pytest.approx(0.0, abs=1e-12)
        # the normal is that of the hyperplane through its generator samples
        g = X[list(h["generators"])]
        assert (g[1] - g[0]) @ w == pytest.approx(0.0, abs=1e-12)


def test_reflection_dictionary_in_one_dimension_is_the_depth_three_abs_dictionary(rng):
    x = np.sort(rng.uniform(0, 5, 6))
    R = reflection_dictionary(x[:, None])
    M = mirror_dictionary(x, 3, "abs")
    assert _columns_up_to_constants(R) == _columns_up_to_constants(M)


def test_cvxpy_program_over_reflection_features(rng):
    X = rng.standard_normal((6, 2))
    y = np.linalg.norm(X, axis=1)
    D = reflection_dictionary(X)
    K = D.matrix()
    z = cp.Variable(K.shape[1])
    c = cp.Variable()
    alpha = 1e-2
    ref = solve(cp.Problem(cp.Minimize(cp.sum_squares(y - K @ z - c) / 12 + alpha * cp.norm1(z))))
    assert lasso(K, y, alpha, tol=1e-12).objective == pytest.approx(ref, rel=1e-7)
