"""The console script, run as a user would run it."""

import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

import geolasso


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
    assert "alpha must be" in out.stderr
    assert not list(tmp_path.glob("m*"))
