"""Two-layer ReLU networks and the network of a wedge Lasso solution."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from geolasso.dictionary import WedgeDictionary, alpha_max
from geolasso.lasso import lasso
from geolasso.network import ReLUNetwork


def test_predict_and_objective_by_hand():
    net = ReLUNetwork([[1.0, -2.0], [0.5, 0.5]], [0.0, -1.0], [3.0, -1.0], c=0.25)
    X = np.array([[1.0, 0.0], [2.0, 2.0], [-1.0, 1.0]])
    # neuron 1: (x1 - 2 x2)_+ = 1, 0, 0; neuron 2: (0.5 x1 + 0.5 x2 - 1)_+ = 0, 1, 0
    assert_allclose(net.predict(X), [3.25, -0.75, 0.25])
    y = np.array([3.0, 0.0, 0.0])
    mse = (0.25**2 + 0.75**2 + 0.25**2) / 6
    # ℓ1: ½((1 + 2)² + 1² + 3² + 1²) = 10; ℓ2: ½(5 + 0.5 + 9 + 1) = 7.75
    assert_allclose(net.objective(X, y, 0.1), mse + 0.1 * 10.0)
    assert_allclose(net.objective(X, y, 0.1, norm="l2"), mse + 0.1 * 7.75)
    # regularized bias, ℓ1: ½((3)² + (0.5 + 0.5 + 1)² + 9 + 1) = 11.5
    assert_allclose(net.penalty(bias="regularized"), 11.5)


@pytest.mark.parametrize(
    ("bias", "generators", "norm"),
    [
        (True, "data+basis", "l1"),
        (True, "data", "l2"),
        (False, "data+basis", "l1"),
        ("regularized", "data+basis", "l1"),
    ],
)
def test_network_of_a_lasso_solution_has_the_lasso_objective(bias, generators, norm):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(25, 2))
    y = np.sign(X[:, 0] * X[:, 1]) + 0.1 * rng.normal(size=25)
    D = WedgeDictionary(X, bias=bias, generators=generators, norm=norm)
    alpha = alpha_max(D, y) / 50
    res = lasso(D, y, alpha, fit_intercept=D.fit_intercept, tol=1e-10)
    net = ReLUNetwork.from_lasso(D, res.coef, res.intercept)
    assert net.n_neurons == res.support.size
    K = D.matrix()
    assert_allclose(net.predict(X), K @ res.coef + res.intercept, atol=1e-12)
    setting = {True: "free", False: "none", "regularized": "regularized"}[bias]
    assert_allclose(net.objective(X, y, alpha, norm=norm, bias=setting), res.objective, rtol=1e-12)


def test_save_and_load_round_trip(tmp_path):
    net = ReLUNetwork(np.arange(6.0).reshape(3, 2), [1.0, 2.0, 3.0], [-1.0, 0.5, 2.0], c=-0.5)
    net.save(tmp_path / "net.npz")
    back = ReLUNetwork.load(tmp_path / "net.npz")
    for name in ("W", "b", "v"):
        assert_allclose(getattr(back, name), getattr(net, name))
    assert back.c == -0.5
    np.savez(tmp_path / "other.npz", W=np.ones((1, 1)))
    with pytest.raises(ValueError, match="missing"):
        ReLUNetwork.load(tmp_path / "other.npz")


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (([1.0, 2.0], [0.0], [1.0]), r"W must have shape"),
        (([[1.0, 2.0]], [0.0, 1.0], [1.0]), r"b must have shape \(1,\)"),
        (([[1.0, 2.0]], [0.0], [1.0, 2.0]), r"v must have shape \(1,\)"),
        (([[np.nan, 2.0]], [0.0], [1.0]), "W must be finite"),
    ],
)
def test_bad_weights_are_named(args, match):
    with pytest.raises(ValueError, match=match):
        ReLUNetwork(*args)


def test_bad_inputs_and_options_are_named():
    net = ReLUNetwork([[1.0, 2.0]], [0.0], [1.0])
    with pytest.raises(ValueError, match=r"X must have shape \(n_samples, 2\)"):
        net.predict(np.ones((3, 3)))
    with pytest.raises(ValueError, match="norm must be one of"):
        net.penalty(norm="l3")
    with pytest.raises(ValueError, match="bias must be one of"):
        net.penalty(bias="yes")
    with pytest.raises(ValueError, match=r"y must have shape \(2,\)"):
        net.objective(np.ones((2, 2)), np.ones(3), 0.1)
    with pytest.raises(ValueError, match="X needs at least one sample"):
        net.objective(np.ones((0, 2)), np.ones(0), 0.1)


@pytest.mark.parametrize("alpha", [-1.0, -1e-12, np.nan, np.inf])
def test_objective_refuses_a_negative_or_non_finite_alpha(alpha):
    net = ReLUNetwork([[1.0, 2.0]], [0.0], [1.0])
    X, y = np.ones((2, 2)), np.zeros(2)
    with pytest.raises(ValueError, match="alpha must be a finite number >= 0"):
        net.objective(X, y, alpha)
    with pytest.raises(TypeError, match="alpha must be a real number"):
        net.objective(X, y, "0.1")
    # alpha = 0 is the plain data-fitting term: (1/(2n)) Σ (3 - 0)²
    assert net.objective(X, y, 0.0) == pytest.approx(9.0 / 2)


def test_a_file_with_malformed_metadata_or_arrays_is_named(tmp_path):
    arrays = {"W": np.ones((1, 2)), "b": [0.0], "v": [1.0], "c": 0.0}
    for name, extra, message in [
        ("text", {"metadata": np.str_("{oops")}, "its metadata is not valid JSON"),
        ("list", {"metadata": np.str_("[1, 2]")}, "must be a JSON object.*got a JSON list"),
        ("shape", {"b": [0.0, 1.0]}, r"not a valid ReLUNetwork file: b must have shape \(1,\)"),
    ]:
        np.savez(tmp_path / f"{name}.npz", **{**arrays, **extra})
        with pytest.raises(ValueError, match=rf"{name}\.npz.*{message}"):
            ReLUNetwork.load(tmp_path / f"{name}.npz")


def test_saved_file_keeps_metadata_and_rejects_bad_files(tmp_path):
    net = ReLUNetwork([[1.0, 2.0]], [0.5], [-1.0], c=0.25, metadata={"columns": ["a", "b"]})
    written = net.save(tmp_path / "model")
    assert written.name == "model.npz"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz"]
    assert ReLUNetwork.load(written).metadata == {"columns": ["a", "b"]}
    (tmp_path / "corrupt.npz").write_bytes(written.read_bytes()[:100])
    with pytest.raises(ValueError, match=r"corrupt\.npz"):
        ReLUNetwork.load(tmp_path / "corrupt.npz")
    np.savez(tmp_path / "future.npz", W=np.ones((1, 1)), b=[0.0], v=[1.0], c=0.0, version=99)
    with pytest.raises(ValueError, match="format version 99"):
        ReLUNetwork.load(tmp_path / "future.npz")
    np.save(tmp_path / "single.npy", np.ones(3))
    with pytest.raises(ValueError, match="single array"):
        ReLUNetwork.load(tmp_path / "single.npy")
    with pytest.raises(FileNotFoundError):
        ReLUNetwork.load(tmp_path / "absent.npz")
    with pytest.raises(ValueError, match="JSON"):
        ReLUNetwork([[1.0]], [0.0], [1.0], metadata={"x": object()}).save(tmp_path / "bad")
    assert not (tmp_path / "bad.npz").exists()
    assert not [p for p in tmp_path.iterdir() if p.suffix == ".part"]


def test_from_arrays_accepts_layer_shapes():
    net = ReLUNetwork.from_arrays(np.ones((3, 2)), None, np.ones((1, 3)), np.array([0.5]))
    assert_allclose(net.b, 0.0)
    assert net.v.shape == (3,)
    assert net.c == 0.5
    with pytest.raises(ValueError, match="v must have shape"):
        ReLUNetwork.from_arrays(np.ones((3, 2)), None, np.ones((2, 2)))


def test_torch_round_trip_and_architecture_errors():
    torch = pytest.importorskip("torch", reason="the torch extra is not installed")
    rng = np.random.default_rng(0)
    net = ReLUNetwork(rng.normal(size=(4, 3)), rng.normal(size=4), rng.normal(size=4), c=0.3)
    model = net.to_torch()
    X = rng.normal(size=(10, 3))
    out = model(torch.as_tensor(X)).detach().numpy()[:, 0]
    assert_allclose(out, net.predict(X), rtol=1e-12, atol=1e-14)
    back = ReLUNetwork.from_torch(model)
    for name in ("W", "b", "v"):
        assert_allclose(getattr(back, name), getattr(net, name))
    assert back.c == pytest.approx(0.3)
    nn = torch.nn
    with pytest.raises(TypeError, match="layer 1 of the module must be ReLU"):
        ReLUNetwork.from_torch(nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1)))
    with pytest.raises(TypeError, match="with 5 layers"):
        ReLUNetwork.from_torch(
            nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 1))
        )
    with pytest.raises(TypeError, match="one output"):
        ReLUNetwork.from_torch(nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)))
    no_bias = nn.Sequential(nn.Linear(3, 4, bias=False), nn.ReLU(), nn.Linear(4, 1, bias=False))
    read = ReLUNetwork.from_torch(no_bias)
    assert_allclose(read.b, 0.0)
    assert read.c == 0.0


@pytest.mark.parametrize("activation", ["Tanh", "GELU", "LeakyReLU", "Sigmoid", "ReLU6"])
def test_a_torch_module_with_another_activation_is_refused_by_name(activation):
    torch = pytest.importorskip("torch", reason="the torch extra is not installed")
    nn = torch.nn
    module = nn.Sequential(nn.Linear(3, 4), getattr(nn, activation)(), nn.Linear(4, 1))
    with pytest.raises(TypeError, match=rf"layer 1 of the module must be ReLU; got {activation}"):
        ReLUNetwork.from_torch(module)


def test_torch_module_certified_like_its_numpy_twin():
    pytest.importorskip("torch", reason="the torch extra is not installed")
    from geolasso import certify

    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(9, 2)), rng.normal(size=9)
    net = ReLUNetwork(rng.normal(size=(5, 2)), rng.normal(size=5), rng.normal(size=5), c=0.1)
    a = certify(net, X, y, 0.01)
    b = certify(net.to_torch(), X, y, 0.01)
    assert_allclose([a.objective, a.lower_bound], [b.objective, b.lower_bound], rtol=1e-12)


def test_save_never_writes_a_sibling_of_a_directory(tmp_path):
    net = ReLUNetwork([[1.0, 0.0]], [0.5], [2.0], 0.1)
    out = tmp_path / "out"
    out.mkdir()
    sibling = tmp_path / "out.npz"
    sibling.write_bytes(b"keep me")
    assert net.save(str(out) + "/") == out / "model.npz"
    assert net.save(out) == out / "model.npz"
    assert sibling.read_bytes() == b"keep me"
    assert ReLUNetwork.load(out / "model.npz").v.tolist() == [2.0]
    # a suffix in another case is the suffix
    assert net.save(tmp_path / "UP.NPZ") == tmp_path / "UP.NPZ"
    # a missing directory is named, not a temporary file
    with pytest.raises(FileNotFoundError, match=r"directory .*missing does not exist"):
        net.save(tmp_path / "missing" / "m.npz")
    with pytest.raises(FileNotFoundError, match="no such directory"):
        net.save(str(tmp_path / "nodir") + "/")
    assert not list(tmp_path.glob("**/*.part"))
