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


def test_demo_solves_the_spiral_lasso_with_a_certificate():
    text = run("demo").stdout
    match = re.search(
        r"objective ([\d.]+), certified relative duality gap ([\d.e+-]+), (\d+) atoms", text
    )
    assert match is not None
    assert float(match.group(2)) <= 1e-8
    assert int(match.group(3)) > 0
    assert "training accuracy of sign(prediction): " in text
