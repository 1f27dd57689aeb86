"""geolasso.interpret: neurons matched to wedge atoms, snapping, the certificate wired in.

Planted atoms come from scipy null spaces (not from geolasso's cross
products); exact volumes from sympy; refits from cvxpy + Clarabel.
"""

import itertools
import math
import sys

import numpy as np
import pytest
import sympy
from _oracles import lasso_value
from scipy.linalg import null_space

from geolasso.convex import ConvexReLU
from geolasso.interpret import explain, snap
from geolasso.network import ReLUNetwork


def planted(rng, n, d, m, noise, bias=True):
    """A network whose neurons are hyperplanes through random generator subsets."""
    X = rng.standard_normal((n, d))
    k = d if bias else d - 1
    Z = np.column_stack([X, np.ones(n)]) if bias else X
    subsets, U = [], []
    for _ in range(m):
        S = np.sort(rng.choice(n, k, replace=False))
        u = null_space(Z[S])[:, 0]
        u /= np.linalg.norm(u[:d])
        subsets.append(tuple(int(i) for i in S))
        U.append(u + noise * rng.standard_normal(u.shape))
    U = np.array(U)
    W, b = U[:, :d], (U[:, d] if bias else np.zeros(m))
    return X, (W, b, rng.standard_normal(m)), subsets


@pytest.mark.parametrize(("d", "bias"), [(2, True), (3, True), (3, False)])
def test_planted_atoms_are_recovered_exactly(rng, d, bias):
    X, model, subsets = planted(rng, 80, d, 40, 0.0, bias)
    ex = explain(model, X, bias=bias, generators="data")
    for rec, S in zip(ex.records(), subsets, strict=True):
        assert rec["samples"] == S
        assert rec["angle"] < 1e-6
        assert rec["agreement"] == 1.0
        assert max(rec["distances"]) < 1e-9
        assert rec["similarity"] == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize("d", [2, 3])
def test_slightly_perturbed_planted_atoms_are_recovered(rng, d):
    X, model, subsets = planted(rng, 150, d, 60, 1e-5)
    ex = explain(model, X, generators="data")
    hits = [rec["samples"] == S for rec, S in zip(ex.records(), subsets, strict=True)]
    assert np.mean(hits) >= 0.95
    # the true atom is then among the listed alternatives when it is not the best
    for rec, S, hit in zip(ex.records(), subsets, hits, strict=True):
        if not hit:
            assert S in [a["samples"] for a in rec["alternatives"]]


def test_a_convex_relu_network_is_made_of_its_atoms(rng):
    X = rng.standard_normal((25, 2))
    y = np.sin(2 * X[:, 0]) + X[:, 1] ** 2
    model = ConvexReLU(alpha=1e-2).fit(X, y)
    ex = explain(model, X, y)  # alpha and norm from the model
    by_neuron = {f["neuron"]: f for f in model.features_}
    assert len(ex.records()) == model.n_neurons_
    for rec in ex.records():
        truth = by_neuron[rec["neuron"]]
        assert (rec["samples"], rec["axes"]) == (tuple(truth["samples"]), tuple(truth["axes"]))
        assert rec["angle"] < 1e-6
        assert rec["agreement"] == 1.0
        assert rec["similarity"] == pytest.approx(1.0, abs=1e-9)
    assert ex.certificate is not None
    assert ex.certificate.exact
    assert ex.certificate.relative_gap < 1e-8
    assert ex.missing == []


def test_a_perturbed_network_lists_the_atoms_it_misses(rng):
    X = rng.standard_normal((20, 2))
    y = np.abs(X[:, 0]) + 0.5 * X[:, 1]
    model = ConvexReLU(alpha=1e-2).fit(X, y)
    net = model.network_
    worse = ReLUNetwork(net.W[:-2], net.b[:-2], net.v[:-2], net.c)  # drop two neurons
    ex = explain(worse, X, y, alpha=1e-2, norm="l1")
    assert ex.certificate.gap > 1e-6
    assert ex.missing, "a network off the optimum violates a dual constraint"
    # each listed atom is a real violation: its unit neuron's dual ratio exceeds 1
    r = y - worse.predict(X)
    r -= r.mean()
    for miss in ex.missing:
        feature = np.maximum(X @ miss["weight"] + miss["bias"], 0.0)
        ratio = abs(feature @ r) / (len(y) * 1e-2) / np.abs(miss["weight"]).sum()
        assert ratio == pytest.approx(miss["ratio"], rel=1e-9)
        assert ratio > 1.0


def test_volumes_are_the_exact_determinants():
    X = np.array([[0, 0], [3, 1], [1, 2], [-2, 4], [2, -3], [5, 5]], dtype=float)
    # a neuron near the line through samples 1 and 3
    w, b = np.array([-3.0, -5.0]) + 1e-7, 14.0
    ex = explain(([w], [b], [1.0]), X, generators="data")
    rec = ex.records()[0]
    assert rec["samples"] == (1, 3)
    vols = ex.volumes(0)
    exact = [sympy.Matrix([[*X[i], 1], [*X[1], 1], [*X[3], 1]]).det() for i in range(len(X))]
    exact = np.array([float(v) for v in exact])
    sign = np.sign(exact @ vols)
    np.testing.assert_allclose(vols, sign * exact, atol=1e-12)
    # oriented like the neuron: positive where the neuron is active
    active = X @ w + b > 1e-6
    assert np.all(vols[active] > 0)


def _train_torch(torch, X, y, widths, steps, seed):
    torch.manual_seed(seed)
    layers = []
    for a, b in itertools.pairwise(widths):
        layers += [torch.nn.Linear(a, b, dtype=torch.float64), torch.nn.ReLU()]
    net = torch.nn.Sequential(*layers[:-1])
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    Xt, yt = torch.as_tensor(X), torch.as_tensor(y)
    for _ in range(steps):
        opt.zero_grad()
        loss = ((net(Xt)[:, 0] - yt) ** 2).mean() / 2
        loss.backward()
        opt.step()
    return net


def test_explaining_an_adam_trained_torch_network(rng):
    torch = pytest.importorskip("torch", reason="the torch extra is not installed")
    X = rng.standard_normal((40, 2))
    y = np.sin(2 * X[:, 0]) + X[:, 1]
    net = _train_torch(torch, X, y, [2, 12, 1], 300, seed=0)
    ex = explain(net, X)
    W = net[0].weight.detach().numpy()
    b = net[0].bias.detach().numpy()
    scale = np.sqrt(np.mean(np.sum((X - X.mean(axis=0)) ** 2, axis=1)))
    for rec in ex.records():
        j = rec["neuron"]
        w, bj = W[j], b[j]
        # distances and angle recomputed directly
        direct = np.abs(X[list(rec["samples"])] @ w + bj) / np.linalg.norm(w)
        np.testing.assert_allclose(rec["distances"], direct, rtol=1e-12, atol=1e-15)
        atom = rec["atom"]
        cos = atom[:2] @ w / np.linalg.norm(atom[:2]) / np.linalg.norm(w)
        assert rec["angle"] == pytest.approx(math.degrees(math.acos(min(1.0, cos))), abs=1e-5)
        # agreement recomputed from the atom
        own = (X @ w + bj) / np.linalg.norm(w)
        its = (X @ atom[:2] + atom[2]) / np.linalg.norm(atom[:2])
        tie = 1e-9 * scale
        agree = ((own > 0) == (its > 0)) | (np.abs(own) <= tie) | (np.abs(its) <= tie)
        assert rec["agreement"] == pytest.approx(agree.mean(), abs=1e-15)
        # the atom passes through its generator samples
        np.testing.assert_allclose(X[list(rec["samples"])] @ atom[:2] + atom[2], 0.0, atol=1e-12)
    alpha = 1e-3
    res = snap(net, X, y, alpha, norm="l2")
    assert res.objective_after <= res.objective_snapped * (1 + 1e-12)
    # the refit is the Lasso optimum over the snapped features (cvxpy + Clarabel)
    atoms = np.array([r["atom"] for r in res.explanation.records()])
    F = np.maximum(X @ atoms[:, :2].T + atoms[:, 2], 0.0) / np.linalg.norm(atoms[:, :2], axis=1)
    assert res.objective_after == pytest.approx(
        lasso_value(F, y, alpha, fit_intercept=True), rel=1e-7
    )
    assert res.network.objective(X, y, alpha, norm="l2") == pytest.approx(
        res.objective_after, rel=1e-12
    )


def test_a_three_layer_torch_network_is_explained_on_its_representations(rng):
    torch = pytest.importorskip("torch", reason="the torch extra is not installed")
    X = rng.standard_normal((50, 2))
    y = X[:, 0] * X[:, 1]
    net = _train_torch(torch, X, y, [2, 6, 3, 1], 200, seed=1)
    ex = explain(net, X)
    W1, b1 = net[0].weight.detach().numpy(), net[0].bias.detach().numpy()
    H = np.maximum(X @ W1.T + b1, 0.0)
    np.testing.assert_allclose(ex.inputs, H, rtol=1e-15)
    assert any("representations" in note for note in ex.notes)
    assert "hidden layer 2" in ex.layer
    W2, b2 = net[2].weight.detach().numpy(), net[2].bias.detach().numpy()
    assert len(ex.records()) == 3
    matched = [rec for rec in ex.records() if rec["atom"] is not None]
    assert len(matched) + sum("no atom" in note for note in ex.notes) >= 1
    assert matched, "a ReLU representation of 2-D data still spans hyperplanes"
    for rec in matched:
        j = rec["neuron"]
        direct = np.abs(H[list(rec["samples"])] @ W2[j] + b2[j]) / np.linalg.norm(W2[j])
        np.testing.assert_allclose(rec["distances"], direct, rtol=1e-12, atol=1e-15)


def test_records_table_and_json(rng):
    X, model, _ = planted(rng, 30, 2, 5, 0.0)
    ex = explain(model, X, top=2)
    rec = ex.records()[0]
    for key in ("neuron", "samples", "angle", "distance", "agreement", "contribution"):
        assert key in rec
    assert len(rec["alternatives"]) <= 2
    W, _b, v = model
    np.testing.assert_allclose(
        [r["contribution"] for r in ex.records()],
        np.abs(v) * np.linalg.norm(W, axis=1),
        rtol=1e-14,
    )
    text = str(ex)
    assert text.count("\n") >= 7
    assert "x" in text
    import json

    data = json.loads(ex.to_json())
    assert [n["samples"] for n in data["neurons"]] == [list(r["samples"]) for r in ex.records()]
    try:
        import pandas  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="pandas"):
            ex.frame()
    else:
        assert list(ex.frame()["neuron"]) == list(range(5))


def test_frame_without_pandas_says_so(rng, monkeypatch):
    X, model, _ = planted(rng, 20, 2, 3, 0.0)
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="pip install pandas"):
        explain(model, X).frame()


def test_bad_input_is_refused_clearly(rng):
    X, model, _ = planted(rng, 20, 2, 3, 0.0)
    with pytest.raises(ValueError, match=r"X must have shape \(n_samples, 2\)"):
        explain(model, X[:, :1])
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="X"):
        explain(model, bad)
    with pytest.raises(ValueError, match="at least 2 samples"):
        explain(model, X[:1])
    with pytest.raises(TypeError, match="model must be"):
        explain("not a model", X)
    with pytest.raises(ValueError, match="not fitted"):
        explain(ConvexReLU(), X)
    W, b, _v = model
    with pytest.raises(ValueError, match="one output"):
        snap((W, b, np.ones((3, 2))), X, np.zeros(20), 1e-3)


def test_a_wrong_y_or_a_bad_alpha_is_named(rng):
    from geolasso.convex import ConvexReLUClassifier

    X, model, _ = planted(rng, 20, 2, 3, 0.0)
    y = X[:, 0] ** 2
    with pytest.raises(ValueError, match=r"y must have shape \(20,\), one target per row of X"):
        explain(model, X, y[:-1], alpha=1e-2)
    with pytest.raises(ValueError, match=r"y must have shape \(20,\).*got \(20, 2\)"):
        explain(model, X, np.column_stack([y, y]))
    for alpha in (-1.0, 0.0, np.inf):
        with pytest.raises(ValueError, match="alpha must be a finite number > 0"):
            explain(model, X, y, alpha=alpha)
    labels = np.where(X[:, 0] > 0, "a", "b")
    clf = ConvexReLUClassifier(alpha=1e-2).fit(X, labels)
    with pytest.raises(ValueError, match=r"y must have shape \(20,\)"):
        explain(clf, X, labels[:-2])


def test_a_dead_neuron_contributes_nothing_and_is_listed_last(rng):
    X = rng.standard_normal((30, 2))
    W = np.array([[1.0, 0.5], [100.0, 100.0], [-0.3, 1.0]])  # neuron 1: huge weights ...
    b = np.array([0.1, -1000.0, -0.2])  # ... and never active on these samples
    v = np.array([1.0, 50.0, -1.0])
    pre = X @ W.T + b
    assert pre[:, 1].max() < 0
    assert (pre[:, [0, 2]] > 0).any(axis=0).all()
    ex = explain((W, b, v), X, top=1)
    recs = ex.records()
    assert [r["dead"] for r in recs] == [False, True, False]
    assert recs[1]["contribution"] == 0.0
    live = [0, 2]
    np.testing.assert_allclose(
        [recs[j]["contribution"] for j in live],
        np.abs(v[live]) * np.linalg.norm(W[live], axis=1),
        rtol=1e-14,
    )
    assert any(note.startswith("1 neuron is dead") for note in ex.notes)
    rows = [line for line in ex.table().splitlines() if line[:6].strip().isdigit()]
    assert len(rows) == 3
    assert rows[-1].split()[0] == "1"  # ranked last ...
    assert "(dead)" in rows[-1]  # ... and marked
    assert not any("(dead)" in row for row in rows[:-1])
    import json

    assert [n["dead"] for n in json.loads(ex.to_json())["neurons"]] == [False, True, False]


def test_unsupported_torch_layers_are_named(rng):
    torch = pytest.importorskip("torch", reason="the torch extra is not installed")
    nn = torch.nn
    X = rng.standard_normal((10, 2))
    with pytest.raises(TypeError, match=r"layer 1 \(Tanh\(\)\) is not supported"):
        explain(nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)), X)
    with pytest.raises(TypeError, match=r"layer 0 .*Conv1d"):
        explain(nn.Sequential(nn.Conv1d(1, 2, 2), nn.ReLU(), nn.Linear(2, 1)), X)
    with pytest.raises(TypeError, match="must alternate"):
        explain(nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1)), X)


def test_a_classifier_is_certified_on_its_encoded_labels(rng):
    from geolasso.convex import ConvexReLUClassifier

    X = rng.standard_normal((20, 2))
    labels = np.where(X[:, 0] * X[:, 1] > 0, "same", "differ")
    model = ConvexReLUClassifier(alpha=1e-2).fit(X, labels)
    ex = explain(model, X, labels)
    assert ex.certificate.relative_gap < 1e-8  # certified on ±1 targets, as fitted
    assert any("mapped to -1" in note for note in ex.notes)
    with pytest.raises(ValueError, match="outside the classifier's classes"):
        explain(model, X, np.where(labels == "same", "same", "other"))


def test_a_zero_neuron_has_no_atom_and_is_counted(rng):
    X = rng.standard_normal((15, 2))
    y = X[:, 0] ** 2
    W = np.array([[1.0, 0.5], [0.0, 0.0], [-0.3, 1.0]])
    model = (W, np.array([0.1, 0.2, -0.4]), np.array([1.0, 2.0, -1.0]))
    ex = explain(model, X)
    assert ex.records()[1]["atom"] is None
    assert ex.records()[0]["atom"] is not None
    assert any(note.startswith("1 neuron has no atom") for note in ex.notes)
    with pytest.warns(UserWarning, match="1 neuron has no atom"):
        res = snap(model, X, y, 1e-3)
    assert res.n_unmatched == 1
    assert res.objective_after <= res.objective_snapped * (1 + 1e-12)
