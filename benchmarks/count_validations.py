"""Count how often one fit re-validates its samples X (not collected by pytest).

Wraps scikit-learn's ``validate_data`` and geolasso's validators
(``as_float_array``, ``scale_exponent``, ``check_positive``,
``as_nonnegative_float``) in every geolasso module that imports them, fits each
route once and prints, per route, the calls whose argument is the fit's X (or
a copy of it: same shape, same values up to a power of two) and the checks of
alpha. Run as ``python benchmarks/count_validations.py``.
"""

from __future__ import annotations

import contextlib
import sys
import traceback
from collections import Counter

import numpy as np

import geolasso
from geolasso import _validation
from geolasso.cnn import ConvexCNN, patches
from geolasso.datasets import spiral
from geolasso.deep import DeepConvexRegressor

VALIDATORS = ("as_float_array", "scale_exponent", "check_positive", "as_nonnegative_float")


def _same_data(a, X):
    """Whether ``a`` is ``X`` or a copy of it (possibly rescaled by a power of two)."""
    if not isinstance(a, np.ndarray) or a.shape != X.shape or a.dtype.kind != "f":
        return False
    if np.shares_memory(a, X):
        return True
    top_a, top_x = np.abs(a).max(initial=0.0), np.abs(X).max(initial=0.0)
    if top_a == 0.0 or top_x == 0.0:
        return top_a == top_x
    return np.array_equal(a / top_a, X / top_x)


@contextlib.contextmanager
def counting(X, alpha, also=()):
    """Yield a Counter of validations of ``X`` (and of the arrays ``also`` derived
    from it, e.g. a CNN's stacked patches) and checks of ``alpha``, keyed ``(what,
    validator, caller)``."""
    import sklearn.utils.validation as skv

    counts = Counter()
    data = [np.asarray(X, dtype=np.float64), *also]

    def caller():
        for frame in reversed(traceback.extract_stack()[:-2]):
            if "/geolasso/" in frame.filename and "_validation" not in frame.filename:
                return f"{frame.filename.rsplit('/', 1)[-1]}:{frame.name}"
        return "estimator"

    def wrap(name, fn):
        def wrapper(value, *args, **kwargs):
            if name in ("check_positive", "as_nonnegative_float"):
                if args and args[0] == "alpha":
                    counts[("alpha", name, caller())] += 1
            elif any(_same_data(value, Y) for Y in data):
                # scale_exponent(..., check_range=False) computes an exponent, checks nothing
                what = "X" if kwargs.get("check_range", True) else "X (exponent only)"
                counts[(what, name, caller())] += 1
            return fn(value, *args, **kwargs)

        wrapper.__wrapped_validator__ = fn
        return wrapper

    originals = {name: getattr(_validation, name) for name in VALIDATORS}
    patched = []
    for mod in list(sys.modules.values()):
        if mod is None or not getattr(mod, "__name__", "").startswith("geolasso"):
            continue
        for name, fn in originals.items():
            for attr, value in list(vars(mod).items()):
                if value is fn:
                    patched.append((mod, attr, value))
                    setattr(mod, attr, wrap(name, fn))
    validate_data = skv.validate_data

    def counted_validate_data(*args, **kwargs):
        out = validate_data(*args, **kwargs)
        counts[("X", "validate_data", caller())] += 1
        return out

    skv.validate_data = counted_validate_data
    try:
        yield counts
    finally:
        skv.validate_data = validate_data
        for mod, attr, value in patched:
            setattr(mod, attr, value)


def routes():
    X, y = spiral(60)
    yield "wedge l1", geolasso.ConvexReLU(1e-2), X, y
    yield "wedge l2", geolasso.ConvexReLU(1e-2, norm="l2"), X, y
    yield "arrangement l2", geolasso.ConvexReLU(1e-2, method="arrangement", norm="l2"), X, y
    yield "classifier", geolasso.ConvexReLUClassifier(1e-2), X, y
    images = np.random.default_rng(0).standard_normal((8, 6))
    yield "cnn wedge", ConvexCNN(3, 1e-2), images, images.sum(axis=1)
    cnn = ConvexCNN(3, 1e-2, method="arrangement", norm="l2")
    yield "cnn arrangement", cnn, images, images.sum(axis=1)
    x = np.linspace(-1.0, 1.0, 30)[:, None]
    yield "deep", DeepConvexRegressor(alpha=1e-3), x, np.sin(4 * x[:, 0])


def main():
    import geolasso.arrangements
    import geolasso.certificate
    import geolasso.cnn
    import geolasso.crelu  # noqa: F401

    for route, est, X, y in routes():
        also = [patches(X, 3).reshape(-1, 3)] if route.startswith("cnn") else []
        also = [X[:, 0]] if route == "deep" else also
        with counting(X, est.alpha, also) as counts:
            est.fit(X, y)
        n_x = sum(v for k, v in counts.items() if k[0] == "X")
        n_e = sum(v for k, v in counts.items() if k[0] == "X (exponent only)")
        n_a = sum(v for k, v in counts.items() if k[0] == "alpha")
        print(
            f"{route}: X validated {n_x} times (and its scale exponent recomputed, "
            f"unchecked, {n_e} times), alpha checked {n_a} times"
        )
        for key, v in sorted(counts.items()):
            print(f"    {v} x {key[1]:<22} {key[0]:<18} from {key[2]}")


if __name__ == "__main__":
    main()
