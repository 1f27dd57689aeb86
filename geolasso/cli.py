"""The ``geolasso`` command line.

``geolasso demo`` runs the main worked example; ``geolasso --version`` prints
the version.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from . import algebra
from ._version import __version__

__all__ = ["main"]


def _fmt(values) -> str:
    arr = np.atleast_1d(np.asarray(values, dtype=float))
    return "(" + ", ".join(f"{v:g}" for v in arr) + ")"


def _linear_form(w, b) -> str:
    text = ""
    for i, c in enumerate(w, start=1):
        if c == 0:
            continue
        sign = "-" if c < 0 else "+"
        mag = "" if abs(c) == 1 else f"{abs(c):g}·"
        text += f" {sign} {mag}u{i}" if text else f"{'-' if c < 0 else ''}{mag}u{i}"
    if b:
        text += f" {'-' if b < 0 else '+'} {abs(b):g}"
    return f"{text} = 0"


def _blade_names(d: int, k: int) -> str:
    return ", ".join("e" + "".join(str(i + 1) for i in S) for S in algebra.blade_basis(d, k))


def demo(out=None) -> None:
    """Print the worked example: wedges, volumes, cross product and hyperplane of 3 samples.

    Parameters
    ----------
    out : file-like, optional
        Where to print; standard output by default.
    """
    from . import symbolic

    out = sys.stdout if out is None else out

    def say(text=""):
        print(text, file=out)

    X = np.array([[1.0, 0.0, 2.0], [0.0, 3.0, 1.0], [2.0, 1.0, 0.0]])
    say(f"geolasso {__version__}: the algebra behind wedge-product features")
    say()
    say("Three samples in R^3:")
    for i, x in enumerate(X, start=1):
        say(f"  x{i} = {_fmt(x)}")
    say()
    say(f"Wedges of pairs, coefficients on ({_blade_names(3, 2)}), and parallelogram areas:")
    pairs = algebra.subsets(3, 2)
    wedges = algebra.wedge_all(X, pairs)
    areas = algebra.blade_norm(X[pairs])
    for (i, j), w, a in zip(pairs, wedges, areas, strict=True):
        say(f"  x{i + 1}∧x{j + 1} = {_fmt(w)}   area |x{i + 1}∧x{j + 1}| = {a:.4f}")
    vol = float(algebra.signed_volume(X))
    exact = symbolic.signed_volume(X.astype(int).tolist())
    say()
    say(f"Trivector x1∧x2∧x3 = {vol:g} e123: the signed volume of the parallelepiped")
    say(f"  (sympy, exactly: det = {exact})")
    n = algebra.cross(X[:2])
    say()
    say(f"Cross product ×(x1, x2) = {_fmt(n)} (the Hodge dual of x1∧x2)")
    say(f"  ⟨×(x1, x2), x1⟩ = {n @ X[0]:g}, ⟨×(x1, x2), x2⟩ = {n @ X[1]:g}  (orthogonal)")
    say(f"  ⟨x3, ×(x1, x2)⟩ = {n @ X[2]:g} = det[x3; x1; x2]  (a signed volume)")
    w, b = algebra.hyperplane(X)
    b = float(b)
    say()
    say("Hyperplane through x1, x2, x3 (cross product of the points with a 1 appended):")
    say(f"  w = {_fmt(w)}, b = {b:g}:  {_linear_form(w, b)}")
    say(f"  w·x_i + b = {_fmt(X @ w + b)} at the three samples")
    x = np.array([0.0, 0.0, 0.0])
    value = float(w @ x + b)
    simplex = float(algebra.simplex_volume(np.vstack([x, X])))
    say()
    say(f"A new sample x = {_fmt(x)}:")
    say(f"  w·x + b = {value:g} = (-1)^3 · 3! · vol(simplex x, x1, x2, x3) = -6 · ({simplex:g})")
    say(f"  signed distance to the plane (w·x + b)/|w| = {value / np.linalg.norm(w):.4f}")
    say(
        f"  ReLU features of the two orientations: ({value:g})_+ = {max(value, 0.0):g}, "
        f"({-value:g})_+ = {max(-value, 0.0):g}"
    )
    say()
    say("A ReLU neuron whose hyperplane passes through training samples computes exactly")
    say("such a feature: the ReLU of a signed volume spanned by the sample and the data.")
    _dictionary_demo(say)


def _dictionary_demo(say) -> None:
    """The wedge dictionary of the 2-D spiral and the first atom a Lasso selects."""
    from .datasets import spiral
    from .dictionary import WedgeDictionary, alpha_max

    X, y = spiral()
    D = WedgeDictionary(X)
    say()
    say(
        f"The wedge-product Lasso dictionary of the two-arm spiral "
        f"({X.shape[0]} samples, labels ±1):"
    )
    for line in D.summary().splitlines():
        say(f"  {line}")
    scores = np.abs(D.rmatvec(y - y.mean()))
    first = int(np.argmax(scores))
    say()
    say(
        f"alpha_max = {alpha_max(D, y):.4g}: below it the Lasso's first atom is the one most "
        "correlated with the centred labels,"
    )
    for line in D.describe(first).splitlines():
        say(f"  {line}")
    _lasso_demo(say, D, y, 1e-3 / len(y))


def _lasso_demo(say, D, y, alpha) -> None:
    """Solve the spiral's Lasso with a certificate and say what it found."""
    import time

    from .lasso import lasso

    start = time.perf_counter()
    res = lasso(D, y, alpha, tol=1e-8)
    seconds = time.perf_counter() - start
    say()
    say(
        f"The Lasso over all {D.n_atoms} atoms at alpha = {alpha:.4g} (β = nα = "
        f"{alpha * len(y):g} in the papers' scaling, the setting of SPEC §8.2):"
    )
    say(
        f"  objective {res.objective:.10f}, certified relative duality gap {res.dual_gap:.1e}, "
        f"{res.support.size} atoms selected, {seconds:.2f} s"
    )
    pred = np.sign(D.matvec(res.coef) + res.intercept)
    say(f"  training accuracy of sign(prediction): {np.mean(pred == y):.3f}")


def main(argv=None) -> int:
    """Entry point of the ``geolasso`` console script.

    Parameters
    ----------
    argv : list of str, optional
        Arguments; ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        Exit status.
    """
    parser = argparse.ArgumentParser(
        prog="geolasso",
        description="ReLU networks seen through geometry: wedge-product Lasso dictionaries.",
    )
    parser.add_argument("--version", action="version", version=f"geolasso {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("demo", help="run the worked example on built-in data")
    args = parser.parse_args(argv)
    if args.command == "demo":
        demo()
        return 0
    parser.print_help()
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
