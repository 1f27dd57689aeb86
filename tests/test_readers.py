"""geolasso.readers: every kind of model reads as the network built from its arrays by hand."""

import sys
import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from geolasso.convex import ConvexReLU
from geolasso.exceptions import ModelFileError
from geolasso.network import ReLUNetwork
from geolasso.readers import (
    as_network,
    is_torchscript,
    last_layer,
    read_layers,
    read_model_file,
    read_network_file,
)


@pytest.fixture
def arrays(rng):
    """(W, b, v, c) of a network with 4 neurons on 3 inputs."""
    return rng.standard_normal((4, 3)), rng.standard_normal(4), rng.standard_normal(4), 0.75


def _same(net, W, b, v, c):
    assert isinstance(net, ReLUNetwork)
    assert_array_equal(net.W, W)
    assert_array_equal(net.b, b)
    assert_array_equal(net.v, v)
    assert net.c == c


def _sequential(torch, W, b, v, c):
    nn = torch.nn
    module = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1)).double()
    with torch.no_grad():
        module[0].weight.copy_(torch.from_numpy(W))
        module[0].bias.copy_(torch.from_numpy(b))
        module[2].weight.copy_(torch.from_numpy(v[None, :]))
        module[2].bias.fill_(c)
    return module


def test_a_network_reads_as_itself(arrays):
    net = ReLUNetwork(*arrays)
    assert as_network(net) is net
    _same(as_network(arrays), *arrays)
    _same(as_network(list(arrays)), *arrays)


def test_a_fitted_estimator_reads_as_its_network(rng):
    X = rng.standard_normal((12, 2))
    model = ConvexReLU(alpha=1e-2).fit(X, X[:, 0] ** 2)
    net = model.network_
    _same(as_network(model), net.W, net.b, net.v, net.c)
    layers = read_layers(model)
    assert layers.source == "a fitted ConvexReLU"
    assert layers.metadata == net.metadata
    (W, b), (Vt, c) = layers.linears
    assert_array_equal(W, net.W)
    assert_array_equal(b, net.b)
    assert_array_equal(Vt[0], net.v)
    assert c[0] == net.c


def test_a_torch_sequential_reads_as_its_arrays(arrays):
    torch = pytest.importorskip("torch", reason="the torch extra is not installed")
    module = _sequential(torch, *arrays)
    _same(as_network(module), *arrays)
    layer = last_layer(module, np.zeros((2, 3)))
    assert_array_equal(layer.W, arrays[0])
    assert_array_equal(layer.V[:, 0], arrays[2])
    assert layer.depth == 1
    assert layer.source == "a torch Sequential"


def test_a_state_dict_file_reads_as_its_arrays(arrays, tmp_path):
    torch = pytest.importorskip("torch", reason="the torch extra is not installed")
    path = tmp_path / "m.pt"
    torch.save(_sequential(torch, *arrays).state_dict(), path)
    module = read_model_file(path)
    _same(as_network(module), *arrays)
    _same(as_network(read_model_file(path, "3,4,1")), *arrays)
    _same(as_network(read_model_file(path, [3, 4, 1])), *arrays)
    assert not is_torchscript(path)


def test_an_npz_file_reads_as_its_arrays(arrays, tmp_path):
    path = ReLUNetwork(*arrays, metadata={"alpha": 0.5}).save(tmp_path / "m.npz")
    for net in (read_model_file(path), read_network_file(path)):
        _same(net, *arrays)
        assert net.metadata["alpha"] == 0.5


def test_deeper_and_wider_models_are_read_by_layer(rng):
    W, b, V = rng.standard_normal((4, 3)), rng.standard_normal(4), rng.standard_normal((4, 2))
    layers = read_layers((W, None, V, [1.0, 2.0]))
    assert layers.depth == 1
    (W1, b1), (Vt, c) = layers.linears
    assert_array_equal(W1, W)
    assert_array_equal(b1, np.zeros(4))
    assert_array_equal(Vt, V.T)
    assert_array_equal(c, [1.0, 2.0])
    assert last_layer((W, b, V), np.ones((5, 3))).network is None  # two outputs


def test_bad_kinds_are_named(rng, arrays):
    with pytest.raises(TypeError, match=r"model must be a ReLUNetwork.*got str"):
        as_network("a model")
    with pytest.raises(TypeError, match=r"model must be a ReLUNetwork.*got ConvexReLU"):
        as_network(ConvexReLU())
    with pytest.raises(ValueError, match="ConvexReLU has no network_: it is not fitted"):
        read_layers(ConvexReLU())
    with pytest.raises(TypeError, match=r"model must be a ReLUNetwork.*got dict"):
        read_layers({"W": arrays[0]})
    with pytest.raises(ValueError, match=r"b must have shape \(4,\)"):
        read_layers((arrays[0], np.ones(3), arrays[2]))
    with pytest.raises(ValueError, match="X must have shape"):
        last_layer(arrays, np.ones((5, 2)))


def test_torch_modules_of_other_architectures_are_named(arrays):
    torch = pytest.importorskip("torch", reason="the torch extra is not installed")
    nn = torch.nn
    tanh = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    with pytest.raises(TypeError, match="layer 1 of the module must be ReLU"):
        as_network(tanh)
    with pytest.raises(TypeError, match=r"layer 1 \(Tanh\(\)\) is not supported"):
        read_layers(tanh)
    with pytest.raises(TypeError, match=r"must be an nn\.Sequential"):
        read_layers(nn.Linear(3, 1))


def test_unreadable_files_are_named(arrays, tmp_path, monkeypatch):
    torch = pytest.importorskip("torch", reason="the torch extra is not installed")
    with pytest.raises(ModelFileError, match="no such file"):
        read_model_file(tmp_path / "missing.npz")
    junk = tmp_path / "junk.pt"
    junk.write_text("not a torch file")
    with pytest.raises(ModelFileError, match="not a torch state dict"):
        read_model_file(junk)
    state = tmp_path / "m.pt"
    torch.save(_sequential(torch, *arrays).state_dict(), state)
    with pytest.raises(ModelFileError, match=r"does not match the state dict's layers \[3, 4, 1\]"):
        read_model_file(state, "3,5,1")
    with pytest.raises(ModelFileError, match="--widths must be integers"):
        read_model_file(state, "3,x,1")
    scripted = tmp_path / "t.pt"
    with warnings.catch_warnings():  # torch deprecates TorchScript; its files are still read
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.trace(_sequential(torch, *arrays), torch.zeros(1, 3).double()).save(str(scripted))
    assert is_torchscript(scripted)
    with pytest.raises(ModelFileError, match=r"runs code from the file.*--trust-torchscript"):
        read_model_file(scripted)
    layers = read_layers(read_model_file(scripted, trust_torchscript=True))
    (W, b), (Vt, c) = layers.linears
    for got, want in zip((W, b, Vt[0], c[0]), arrays, strict=True):
        assert_array_equal(got, want)
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch fails
    with pytest.raises(ModelFileError, match=r"torch is not installed.*geolasso\[torch\]"):
        read_model_file(state)


def test_the_reader_is_public_and_the_interpret_names_stay():
    import geolasso.interpret
    import geolasso.snapping

    assert geolasso.as_network is as_network
    assert issubclass(geolasso.ModelFileError, ValueError)
    assert geolasso.interpret.snap is geolasso.snapping.snap is geolasso.snap
    assert geolasso.interpret.SnapResult is geolasso.snapping.SnapResult is geolasso.SnapResult
    assert callable(geolasso.snap)  # the function, not a submodule of that name
    assert not hasattr(geolasso.lasso, "Lasso")  # the estimator is geolasso.Lasso
