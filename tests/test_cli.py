"""The console script, run as a user would run it."""

import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

import geolasso
import geolasso.cli
from geolasso.network import ReLUNetwork


def run(*args):
    exe = shutil.which("geolasso")
    cmd = [exe, *args] if exe else [sys.executable, "-m", "geolasso", *args]
    return subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=300)


def test_version():
    out = run("--version")
    assert out.returncode == 0
    assert out.stdout.strip() == f"geolasso {geolasso.__version__}"


def test_demo_prints_the_worked_example():
    out = run("demo")
    assert out.returncode == 0, out.stderr
    text = out.stdout
    X = np.array([[1.0, 0.0, 2.0], [0.0, 3.0, 1.0], [2.0, 1.0, 0.0]])
    det = round(np.linalg.det(X))  # independent: numpy's LU determinant
    assert f"Trivector x1∧x2∧x3 = {det} e123" in text
    assert f"det = {det}" in text
    normal = np.cross(X[0], X[1]).astype(int)
    assert f"×(x1, x2) = ({', '.join(map(str, normal))})" in text
    assert "w·x_i + b = (0, 0, 0) at the three samples" in text
    # the hyperplane printed passes through the samples
    w = [float(v) for v in re.search(r"w = \(([^)]*)\), b", text).group(1).split(",")]
    b = float(re.search(r"b = (-?[\d.]+):", text).group(1))
    np.testing.assert_allclose(X @ np.array(w) + b, 0.0, atol=1e-12)


def test_demo_describes_the_spiral_dictionary():
    from geolasso.datasets import spiral
    from geolasso.dictionary import WedgeDictionary

    text = run("demo").stdout
    X, y = spiral()
    D = WedgeDictionary(X)
    K = D.matrix()
    scores = np.abs(K.T @ (y - y.mean()))  # dense product, not rmatvec
    assert f"= {D.n_atoms} atoms; exact: " in text
    shown = int(re.search(r"^  atom (\d+): ", text, re.M).group(1))
    np.testing.assert_allclose(scores[shown], scores.max(), rtol=1e-12)  # ties are possible
    amax = scores.max() / len(y)
    assert f"alpha_max = {amax:.4g}" in text


def test_no_command_prints_help():
    out = run()
    assert out.returncode == 2
    assert "demo" in out.stdout


@pytest.mark.parametrize("argv", [["demo"], ["--version"]])
def test_main_in_process(argv, capsys):
    from geolasso.cli import main

    if argv == ["--version"]:
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 0
    else:
        assert main(argv) == 0
    assert "geolasso" in capsys.readouterr().out


def test_demo_trains_the_spiral_to_a_certified_global_optimum():
    from geolasso.datasets import spiral

    text = run("demo", "--quiet").stdout
    match = re.search(r"(\d+) neurons, objective ([\d.]+), Lasso relative duality gap", text)
    assert match is not None
    objective = float(match.group(2))
    cert = re.search(r"objective ([\d.e+-]+), lower bound ([\d.e+-]+) \(exact dual bound\)", text)
    assert cert is not None
    lower = float(cert.group(2))
    assert lower <= objective + 1e-10
    assert objective - lower <= 1e-8 * objective
    assert "the network is a global optimum" in text
    assert "training accuracy 1.000" in text
    # each listed neuron's line passes through the samples it names
    X, _ = spiral()
    pairs = re.findall(r"line through samples (\d+), (\d+) ", text)
    assert pairs
    for i, j in pairs:
        assert int(i) != int(j)
        assert 0 <= int(i) < len(X)
        assert 0 <= int(j) < len(X)


def _write_csv(path, header, rows):
    path.write_text(",".join(header) + "\n" + "\n".join(",".join(map(str, r)) for r in rows))
    return path


def test_fit_and_predict_end_to_end(tmp_path):
    from geolasso.convex import ConvexReLUClassifier
    from geolasso.datasets import spiral
    from geolasso.network import ReLUNetwork

    X, y = spiral(40)
    labels = np.where(y > 0, "up", "down")
    data = _write_csv(
        tmp_path / "train.csv",
        ["x1", "x2", "label"],
        [(*(float(v) for v in x), t) for x, t in zip(X, labels, strict=True)],
    )
    out = run(
        "fit",
        str(data),
        "--target",
        "label",
        "--alpha",
        "1e-4",
        "--out",
        str(tmp_path / "model"),
        "--quiet",
    )
    assert out.returncode == 0, out.stderr
    assert "classification on 40 rows x 2 features (x1, x2)" in out.stdout
    net = ReLUNetwork.load(tmp_path / "model.npz")
    assert net.metadata["columns"] == ["x1", "x2"]
    assert net.metadata["classes"] == ["down", "up"]
    reference = ConvexReLUClassifier(alpha=1e-4).fit(X, labels)
    assert np.isclose(
        net.objective(X, np.where(labels == "up", 1.0, -1.0), 1e-4),
        reference.objective_,
        rtol=1e-10,
    )
    # predict on a file whose columns come in another order, with the target absent
    new = _write_csv(tmp_path / "new.csv", ["x2", "x1"], [(float(x[1]), float(x[0])) for x in X])
    pred = run("predict", str(tmp_path / "model.npz"), str(new), "--out", str(tmp_path / "p.csv"))
    assert pred.returncode == 0, pred.stderr
    lines = (tmp_path / "p.csv").read_text().splitlines()
    assert lines[0] == "prediction,score"
    assert [line.split(",")[0] for line in lines[1:]] == reference.predict(X).tolist()
    # regression on a numeric target, predictions to standard output
    reg = _write_csv(tmp_path / "reg.csv", ["x1", "x2", "t"], [(*x, x[0] ** 2) for x in X])
    out = run(
        "fit", str(reg), "--target", "t", "--alpha", "1e-3", "--out", str(tmp_path / "r"), "--quiet"
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("regression")
    pred = run("predict", str(tmp_path / "r.npz"), str(reg))
    values = np.array([float(v) for v in pred.stdout.split()[1:]])
    np.testing.assert_allclose(values, ReLUNetwork.load(tmp_path / "r.npz").predict(X))


def test_fit_and_predict_errors_name_the_problem(tmp_path):
    bad = _write_csv(tmp_path / "bad.csv", ["a", "b", "y"], [(1, 2, 1), (3, "", 0), (5, 6, 1)])
    out = run("fit", str(bad), "--target", "y", "--out", str(tmp_path / "m"))
    assert out.returncode == 1
    assert "line 3 (data row 2), column 'b': missing value" in out.stderr
    assert not list(tmp_path.glob("m*"))
    text = _write_csv(tmp_path / "text.csv", ["a", "y"], [(1, 1), ("x7", 0)])
    out = run("fit", str(text), "--target", "y", "--out", str(tmp_path / "m"))
    assert "column 'a': 'x7' is not a number" in out.stderr
    out = run("fit", str(text), "--target", "nope", "--out", str(tmp_path / "m"))
    assert "no column named 'nope'" in out.stderr
    three = _write_csv(tmp_path / "three.csv", ["a", "y"], [(1, "p"), (2, "q"), (3, "r")])
    out = run(
        "fit", str(three), "--target", "y", "--task", "classification", "--out", str(tmp_path / "m")
    )
    assert "Only binary classification is supported" in out.stderr
    (tmp_path / "corrupt.npz").write_bytes(b"PK\x03\x04 not a zip")
    out = run("predict", str(tmp_path / "corrupt.npz"), str(text))
    assert out.returncode == 1
    assert "corrupt.npz" in out.stderr
    assert "Traceback" not in out.stderr
    good = _write_csv(tmp_path / "good.csv", ["a", "y"], [(1, 1), (2, 0), (3, 1)])
    out = run("fit", str(good), "--target", "y", "--alpha", "-1", "--out", str(tmp_path / "m"))
    assert out.returncode == 2  # a usage error, named
    assert "--alpha: expected a finite number > 0" in out.stderr
    assert not list(tmp_path.glob("m*"))


def _regression_csv(path, rng, n=30):
    X = rng.standard_normal((n, 2))
    y = np.sin(2 * X[:, 0]) + X[:, 1]
    return _write_csv(path, ["a", "b", "y"], [(*x, t) for x, t in zip(X, y, strict=True)]), X, y


def test_inspect_a_fitted_model_end_to_end(tmp_path, rng):
    import json

    from geolasso.interpret import explain

    data, X, y = _regression_csv(tmp_path / "d.csv", rng)
    out = run("fit", str(data), "--target", "y", "--alpha", "1e-2", "--out", str(tmp_path / "m"))
    assert out.returncode == 0, out.stderr
    out = run(
        "inspect",
        str(tmp_path / "m.npz"),
        str(data),
        "--json",
        str(tmp_path / "e.json"),
        "--plot",
        str(tmp_path / "e.png"),
    )
    assert out.returncode == 0, out.stderr
    assert "optimality gap" in out.stdout  # target and penalty read from the model file
    assert "the network is a global optimum" not in out.stdout  # the table shows two lines
    record = json.loads((tmp_path / "e.json").read_text())
    net = ReLUNetwork.load(tmp_path / "m.npz")
    ex = explain(net, X, y, alpha=1e-2, norm="l1")
    assert [n["samples"] for n in record["neurons"]] == [list(r["samples"]) for r in ex.records()]
    assert record["certificate"]["relative_gap"] < 1e-8
    assert all(n["angle"] < 1e-6 and n["agreement"] == 1.0 for n in record["neurons"])
    assert (tmp_path / "e.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _torchscript(torch, module, path):
    import warnings

    with warnings.catch_warnings():  # torch deprecates TorchScript; its files are still read
        warnings.simplefilter("ignore", FutureWarning)  # the category depends on the version
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.trace(module, torch.zeros(1, 2)).save(str(path))


def test_inspect_torch_files(tmp_path, rng, capsys):
    import json

    torch = pytest.importorskip("torch", reason="the torch extra is not installed")
    data, _X, _y = _regression_csv(tmp_path / "d.csv", rng)
    torch.manual_seed(0)
    nn = torch.nn
    net = nn.Sequential(nn.Linear(2, 5), nn.ReLU(), nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 1))
    torch.save(net.state_dict(), tmp_path / "sd.pt")
    a = run(
        "inspect",
        str(tmp_path / "sd.pt"),
        str(data),
        "--target",
        "y",
        "--json",
        str(tmp_path / "a.json"),
    )
    assert a.returncode == 0, a.stderr
    assert "representations" in a.stdout
    assert "pass alpha" in a.stdout  # no penalty given: no certificate, and it says so
    # the activation is not in a state dict: the output says how the file was read
    assert "a state dict stores no activation functions" in a.stdout
    assert "Linear → ReLU → … → Linear" in a.stdout
    _torchscript(torch, net, tmp_path / "ts.pt")
    b = run(
        "inspect",
        str(tmp_path / "ts.pt"),
        str(data),
        "--target",
        "y",
        "--json",
        str(tmp_path / "b.json"),
        "--trust-torchscript",
    )
    assert b.returncode == 0, b.stderr
    ra = json.loads((tmp_path / "a.json").read_text())["neurons"]
    rb = json.loads((tmp_path / "b.json").read_text())["neurons"]
    assert [r["samples"] for r in ra] == [r["samples"] for r in rb]
    # torch computes in float32: the recovered weights agree to its precision
    np.testing.assert_allclose([r["angle"] for r in ra], [r["angle"] for r in rb], atol=1e-4)
    # errors, in process (each subprocess would import torch again)
    main = geolasso.cli.main
    assert main(["inspect", str(tmp_path / "sd.pt"), str(data), "--widths", "2,5,3,1"]) == 1
    assert "does not match the state dict's layers [2, 5, 4, 1]" in capsys.readouterr().err
    wide = _write_csv(tmp_path / "w.csv", ["a", "b", "c"], [(1, 2, 3), (4, 5, 6), (7, 8, 0)])
    assert main(["inspect", str(tmp_path / "sd.pt"), str(wide)]) == 1
    err = capsys.readouterr().err
    assert "3 feature columns (a, b, c), but the first layer takes 2 inputs" in err
    assert "if one of them is the target, name it with --target NAME" in err  # one too many
    assert len(err.strip().splitlines()) == 1
    wider = _write_csv(tmp_path / "w4.csv", ["a", "b", "c", "d"], [(1, 2, 3, 4), (5, 6, 7, 8)])
    assert main(["inspect", str(tmp_path / "sd.pt"), str(wider)]) == 1
    err = capsys.readouterr().err
    assert "4 feature columns" in err
    assert "--target" not in err  # two too many: not a forgotten target
    _torchscript(
        torch, nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)), tmp_path / "tanh.pt"
    )
    assert main(["inspect", str(tmp_path / "tanh.pt"), str(data), "--trust-torchscript"]) == 1
    err = capsys.readouterr().err
    assert "layer 1" in err
    assert "Tanh" in err


def test_a_torchscript_file_is_not_loaded_without_trust(tmp_path, rng, monkeypatch, capsys):
    # loading TorchScript runs code from the file: refused by default, before torch.jit.load
    torch = pytest.importorskip("torch", reason="the torch extra is not installed")
    data, _X, _y = _regression_csv(tmp_path / "d.csv", rng)
    nn = torch.nn
    _torchscript(
        torch, nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)), tmp_path / "t.pt"
    )

    def never(*args, **kwargs):
        raise AssertionError("torch.jit.load called without --trust-torchscript")

    monkeypatch.setattr(torch.jit, "load", never)
    assert geolasso.cli.main(["inspect", str(tmp_path / "t.pt"), str(data)]) == 1
    err = capsys.readouterr().err
    assert "runs code from the file" in err
    assert "--trust-torchscript" in err
    assert "Traceback" not in err


def test_inspect_a_torch_file_without_torch_names_the_extra(tmp_path, rng, monkeypatch, capsys):
    data, _, _ = _regression_csv(tmp_path / "d.csv", rng)
    (tmp_path / "m.pt").write_bytes(b"not read")
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch fails
    assert geolasso.cli.main(["inspect", str(tmp_path / "m.pt"), str(data)]) == 1
    assert 'pip install "geolasso[torch]"' in capsys.readouterr().err


def test_demo_writes_its_figure_through_viz(tmp_path, capsys):
    import matplotlib.image as mpimg

    assert geolasso.cli.main(["demo", "--quiet", "--plot", str(tmp_path / "demo.png")]) == 0
    assert "Figure written to" in capsys.readouterr().out
    img = mpimg.imread(tmp_path / "demo.png")
    assert img[..., :3].std() > 0.02


def test_output_paths_are_checked_before_the_fit_and_errors_are_one_line(tmp_path, rng, capsys):
    data, _X, _y = _regression_csv(tmp_path / "d.csv", rng)
    main = geolasso.cli.main
    base = ["fit", str(data), "--target", "y", "--alpha", "1e-2", "--quiet"]
    # a missing directory: refused before any work, one line naming it
    assert main([*base, "--out", str(tmp_path / "missing" / "m.npz")]) == 1
    err = capsys.readouterr().err
    assert "--out" in err
    assert "missing does not exist" in err
    assert ".part" not in err
    assert len(err.strip().splitlines()) == 1
    # a directory: model.npz inside it, the sibling file untouched
    (tmp_path / "outdir").mkdir()
    sibling = tmp_path / "outdir.npz"
    sibling.write_bytes(b"keep me")
    assert main([*base, "--out", str(tmp_path / "outdir") + "/"]) == 0
    capsys.readouterr()
    assert (tmp_path / "outdir" / "model.npz").exists()
    assert sibling.read_bytes() == b"keep me"
    # predict --out a directory, or into a missing one: one line each
    model = str(tmp_path / "outdir" / "model.npz")
    assert main(["predict", model, str(data), "--out", str(tmp_path / "outdir")]) == 1
    assert "is a directory" in capsys.readouterr().err
    assert main(["predict", model, str(data), "--out", str(tmp_path / "no" / "p.csv")]) == 1
    err = capsys.readouterr().err
    assert "does not exist" in err
    assert "Traceback" not in err


def test_bad_numbers_are_usage_errors(tmp_path, rng, capsys):
    data, _X, _y = _regression_csv(tmp_path / "d.csv", rng)
    main = geolasso.cli.main
    for args, message in [
        (["inspect", "m.npz", str(data), "--rows", "-1"], "expected an integer >= 0"),
        (["inspect", "m.npz", str(data), "--top", "x"], "expected an integer >= 0"),
        (["fit", str(data), "--target", "y", "--out", "m", "--alpha", "0"], "number > 0"),
        (["fit", str(data), "--target", "y", "--out", "m", "--alpha", "nan"], "number > 0"),
    ]:
        with pytest.raises(SystemExit) as stop:
            main(args)
        assert stop.value.code == 2
        err = capsys.readouterr().err
        assert message in err
        assert "Traceback" not in err
    # a directory given as the model: one line naming it
    assert main(["inspect", str(tmp_path), str(data)]) == 1
    err = capsys.readouterr().err
    assert str(tmp_path) in err
    assert len(err.strip().splitlines()) == 1


def _one_line_error(capsys, *names):
    captured = capsys.readouterr()
    err = captured.err
    assert err.startswith("geolasso ")
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    for name in names:
        assert name in err, (name, err)
    return captured


def test_malformed_model_metadata_is_named(tmp_path, rng, capsys):
    import json

    data, _X, _y = _regression_csv(tmp_path / "d.csv", rng)
    main = geolasso.cli.main
    good = {"task": "regression", "target": "y", "columns": ["a", "b"], "alpha": 0.01}
    arrays = {"W": np.ones((3, 2)), "b": np.zeros(3), "v": np.ones(3), "c": 0.0}
    cases = [
        ("{not json", "its metadata is not valid JSON"),
        ("[1, 2]", "its metadata must be a JSON object"),
        (json.dumps({"columns": ["a", "b"]}), "its metadata has no 'task' field"),
        (json.dumps({**good, "task": "maybe"}), "metadata field 'task' must be"),
        (json.dumps({**good, "columns": "ab"}), "metadata field 'columns' must be a list"),
        (json.dumps({**good, "columns": ["a"]}), "names 1 columns, but the network takes 2"),
        (json.dumps({**good, "task": "classification"}), "has no 'classes' field"),
        (
            json.dumps({**good, "task": "classification", "classes": ["x", "y", "z"]}),
            "metadata field 'classes' must be a list of the two class labels",
        ),
        (json.dumps({**good, "alpha": -1}), "metadata field 'alpha' must be a finite number > 0"),
        (json.dumps({**good, "norm": 2}), "metadata field 'norm' must be 'l1' or 'l2'"),
        (json.dumps({**good, "target": 7}), "metadata field 'target' must be a column name"),
    ]
    for k, (text, message) in enumerate(cases):
        model = tmp_path / f"m{k}.npz"
        np.savez(model, **arrays, metadata=np.str_(text))
        commands = [["predict", str(model), str(data)]]
        if "'task' field" not in message:  # inspect needs no task
            commands.append(["inspect", str(model), str(data)])
        for argv in commands:
            assert main(argv) == 1, (argv, text)
            out = _one_line_error(capsys, str(model), message)
            assert out.out == ""
    np.savez(tmp_path / "ok.npz", **arrays, metadata=np.str_(json.dumps(good)))
    assert main(["predict", str(tmp_path / "ok.npz"), str(data)]) == 0


def test_inspect_builds_everything_before_printing(tmp_path, rng, capsys, monkeypatch):
    data, _X, _y = _regression_csv(tmp_path / "d.csv", rng)
    main = geolasso.cli.main
    model = str(tmp_path / "m.npz")
    assert (
        main(["fit", str(data), "--target", "y", "--alpha", "1e-2", "--out", model, "--quiet"]) == 0
    )
    capsys.readouterr()
    for flag, name in [("--json", "e.json"), ("--plot", "e.png")]:
        out = str(tmp_path / "missing" / name)
        assert main(["inspect", model, str(data), flag, out]) == 1
        captured = _one_line_error(capsys, flag, "missing does not exist")
        assert captured.out == ""  # not a line of the table
    # the picture fails after the explanation: still nothing printed, no records written
    monkeypatch.setattr(
        geolasso.cli, "_plugin", lambda name: lambda ex: (_ for _ in ()).throw(ValueError("no"))
    )
    json_out = tmp_path / "e.json"
    argv = ["inspect", model, str(data), "--json", str(json_out), "--plot", str(tmp_path / "p.png")]
    assert main(argv) == 1
    assert _one_line_error(capsys, "--plot: no").out == ""
    assert not json_out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv", "m.npz"]
    monkeypatch.undo()
    argv = ["inspect", model, str(data), "--json", str(json_out), "--plot", str(tmp_path / "p.xyz")]
    assert main(argv) == 1
    assert _one_line_error(capsys, "--plot", "p.xyz", "not supported").out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv", "m.npz"]
    # --rows 0 lists no neuron (it used to print the header, then fail)
    assert main(["inspect", model, str(data), "--rows", "0"]) == 0
    text = capsys.readouterr().out
    n = ReLUNetwork.load(model).n_neurons
    assert f"... {n} more neurons" in text
    assert "optimality gap" in text


def test_inspect_a_classifier_trained_on_text_labels(tmp_path, rng, capsys):
    import json

    from geolasso.interpret import explain

    X = rng.standard_normal((24, 2))
    labels = np.where(X[:, 0] * X[:, 1] > 0, "dog", "cat")
    data = _write_csv(
        tmp_path / "pets.csv", ["a", "b", "kind"], [(*x, t) for x, t in zip(X, labels, strict=True)]
    )
    main = geolasso.cli.main
    model = str(tmp_path / "pets.npz")
    argv = ["fit", str(data), "--target", "kind", "--alpha", "1e-2", "--out", model, "--quiet"]
    assert main(argv) == 0
    capsys.readouterr()
    js = tmp_path / "e.json"
    assert main(["inspect", model, str(data), "--json", str(js)]) == 0
    assert "optimality gap" in capsys.readouterr().out
    record = json.loads(js.read_text())
    assert record["certificate"]["relative_gap"] < 1e-8  # certified on the labels as fitted
    signed = np.where(labels == "dog", 1.0, -1.0)  # classes sorted: cat -> -1, dog -> +1
    reference = explain(ReLUNetwork.load(model), X, signed, alpha=1e-2, norm="l1")
    assert record["certificate"]["objective"] == pytest.approx(
        reference.certificate.objective, rel=1e-12
    )
    other = _write_csv(
        tmp_path / "zoo.csv", ["a", "b", "kind"], [(0.1, 0.2, "dog"), (0.3, -1.0, "bird")]
    )
    assert main(["inspect", model, str(other)]) == 1
    _one_line_error(capsys, "zoo.csv", "'kind'", "outside the model's classes", "bird")


def test_numeric_labels_are_parsed_once(tmp_path, rng, capsys):
    X = rng.standard_normal((20, 2))
    labels = np.where(X[:, 0] > 0, "1", "0").astype(object)
    labels[np.flatnonzero(X[:, 0] > 0)[:3]] = "1.0"  # the same class, written differently
    data = _write_csv(
        tmp_path / "n.csv", ["a", "b", "y"], [(*x, t) for x, t in zip(X, labels, strict=True)]
    )
    main = geolasso.cli.main
    model = str(tmp_path / "n.npz")
    assert (
        main(["fit", str(data), "--target", "y", "--alpha", "1e-2", "--out", model, "--quiet"]) == 0
    )
    assert capsys.readouterr().out.startswith("classification on 20 rows")
    assert ReLUNetwork.load(model).metadata["classes"] == [0, 1]
    assert main(["predict", model, str(data)]) == 0
    predicted = [line.split(",")[0] for line in capsys.readouterr().out.splitlines()[1:]]
    assert set(predicted) <= {"0", "1"}
    assert main(["inspect", model, str(data)]) == 0
    assert "optimality gap" in capsys.readouterr().out
    # a model file that stored the classes as text (as files written before did) still reads
    old = ReLUNetwork.load(model)
    old.metadata["classes"] = ["0", "1"]
    plain = np.where(labels == "1.0", "1", labels)
    _write_csv(
        tmp_path / "p.csv", ["a", "b", "y"], [(*x, t) for x, t in zip(X, plain, strict=True)]
    )
    assert main(["inspect", str(old.save(tmp_path / "old.npz")), str(tmp_path / "p.csv")]) == 0
    assert "optimality gap" in capsys.readouterr().out


def test_a_byte_order_mark_is_not_part_of_a_column_name(tmp_path, rng, capsys):
    data, X, y = _regression_csv(tmp_path / "plain.csv", rng)
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + data.read_bytes())
    Xb, yb, columns = geolasso.cli.read_csv(bom, target="y")
    assert columns == ["a", "b"]
    np.testing.assert_array_equal(Xb, X)  # the first column's values too
    np.testing.assert_array_equal(yb, y)
    model = str(tmp_path / "m.npz")
    main = geolasso.cli.main
    assert (
        main(["fit", str(bom), "--target", "y", "--alpha", "1e-2", "--out", model, "--quiet"]) == 0
    )
    assert ReLUNetwork.load(model).metadata["columns"] == ["a", "b"]
    capsys.readouterr()
    assert main(["predict", model, str(data)]) == 0  # a file without the mark reads the same


def test_an_unexpected_error_is_one_line_unless_debug(tmp_path, monkeypatch, capsys):
    """A failure no check anticipated: one line naming it, exit 1; --debug re-raises it."""

    def broken(args):
        raise RuntimeError("something no check anticipated")

    monkeypatch.setattr(geolasso.cli, "_fit_command", broken)
    argv = ["fit", str(tmp_path / "d.csv"), "--target", "y", "--out", str(tmp_path / "m.npz")]
    assert geolasso.cli.main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "unexpected error: RuntimeError: something no check anticipated" in err
    assert "--debug" in err
    assert "Traceback" not in err
    with pytest.raises(RuntimeError, match="no check anticipated"):
        geolasso.cli.main(["--debug", *argv])
