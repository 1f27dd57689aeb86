"""Robustness: every public call gives a correct result or a named error.

Hypothesis draws inputs a careless or hostile caller could pass — wrong
shapes and dtypes, NaN and infinities, empty arrays, magnitudes from 1e-300 to
1e300, bad penalties and counts — to the public API and to the command line.
The property: the call returns (and what it returns is finite and of the
promised shape), or it raises ``ValueError``/``TypeError`` (memory budgets
included: :class:`geolasso.MemoryLimitError` is a ``ValueError``) whose
message names what was wrong. Any other exception (``ZeroDivisionError``,
``IndexError``, ``LinAlgError``, a raw ``MemoryError``, ...), a traceback from
the CLI, or a call running past its time limit fails the test.
"""

from __future__ import annotations

import contextlib
import io
import signal
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from hypothesis.extra import numpy as hnp

#: Seconds a single call may take (a hang is a failure, not a wait).
_CALL_SECONDS = 60

#: Examples per property (each may fit a model).
_EXAMPLES = 30

_robust = settings(
    max_examples=_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def _record(label):
    """A Hypothesis event (its statistics show the share of results and of errors)."""
    if currently_in_test_context():
        event(label)


class _TimedOut(BaseException):
    """Raised by the alarm: deliberately not an Exception, so nothing swallows it."""


@contextlib.contextmanager
def _time_limit(seconds=_CALL_SECONDS):
    def alarm(signum, frame):
        raise _TimedOut(f"the call ran past {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _outcome(call):
    """``("ok", value)`` or ``("error", exc)`` for a named ValueError/TypeError.

    Any other exception propagates (and fails the test). An error's message
    must say something (at least a few words).
    """
    with _time_limit(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.seterr(all="ignore")
        try:
            value = call()
            _record("ok")
            return "ok", value
        except (ValueError, TypeError) as exc:
            _record(type(exc).__name__)
            error = exc
    message = str(error)
    assert len(message.split()) >= 3, f"{type(error).__name__} without a message: {error!r}"
    assert "Traceback" not in message
    return "error", error


# ------------------------------------------------------------------ strategies
_special = st.sampled_from([0.0, -0.0, 1.0, -1.0, np.nan, np.inf, -np.inf, 1e-300, 1e300, 5e-324])
_ordinary = st.floats(min_value=-10, max_value=10, allow_nan=False, allow_infinity=False)
_elements = st.one_of(_ordinary, _ordinary, _ordinary, _special)


@st.composite
def _arrays(draw, min_rows=0, max_rows=12, max_cols=4, ndims=(1, 2, 3)):
    """Float arrays of awkward shapes, entries mostly ordinary, sometimes special."""
    ndim = draw(st.sampled_from(ndims))
    shape = tuple(
        draw(st.integers(min_rows if i == 0 else 0, max_rows if i == 0 else max_cols))
        for i in range(ndim)
    )
    A = draw(hnp.arrays(np.float64, shape, elements=_elements))
    scale = draw(st.sampled_from([1.0, 1.0, 1.0, 1e-150, 1e150, 1e-300, 1e300]))
    with np.errstate(all="ignore"):
        A = A * scale
    kind = draw(st.sampled_from(["float", "float", "float", "int", "bool", "complex", "str"]))
    if kind == "int":
        return np.nan_to_num(A).clip(-100, 100).astype(np.int64)
    if kind == "bool":
        return A > 0
    if kind == "complex":
        return A + 1j
    if kind == "str":
        return A.astype(str)
    return A


@st.composite
def _data(draw, max_rows=10, dims=(1, 2, 3)):
    """(X, y): X mostly a proper (n, d) float matrix, y mostly matching, both sometimes not."""
    if draw(st.integers(0, 4)) == 0:
        return draw(_arrays()), draw(_arrays(ndims=(1,)))
    if draw(st.booleans()):  # clean data: the property's "correct result" half
        n = draw(st.integers(4, max_rows))
        d = draw(st.sampled_from(dims))
        X = draw(hnp.arrays(np.float64, (n, d), elements=_ordinary, unique=True))
        y = draw(hnp.arrays(np.float64, (n,), elements=_ordinary))
        return X, y
    n = draw(st.integers(0, max_rows))
    d = draw(st.sampled_from(dims))
    X = draw(hnp.arrays(np.float64, (n, d), elements=_elements))
    m = n if draw(st.integers(0, 5)) else draw(st.integers(0, max_rows))
    y = draw(hnp.arrays(np.float64, (m,), elements=_elements))
    scale = draw(st.sampled_from([1.0, 1.0, 1.0, 1e-150, 1e150]))
    return X * scale, y


_alphas = st.one_of(
    st.floats(min_value=1e-3, max_value=1.0),
    st.floats(min_value=1e-3, max_value=1.0),
    st.sampled_from([1e-3, 1e-2, 0.1, 1.0, 0.0, -1.0, np.nan, np.inf, 1e-300, 1e300]),
    st.sampled_from(["0.1", None, True, [0.1]]),
)


def _finite(value):
    return np.all(np.isfinite(np.asarray(value, dtype=float)))


# -------------------------------------------------------------- the algebra
@_robust
@given(A=_arrays(max_rows=5, max_cols=5))
def test_wedge_cross_and_volume(A):
    from geolasso import cross, signed_volume, wedge

    for fn in (wedge, cross, signed_volume):
        status, value = _outcome(lambda fn=fn: fn(A))
        if status == "ok":
            assert _finite(value), (fn.__name__, A, value)


# ---------------------------------------------------------- patterns, dictionaries
@_robust
@given(X=_arrays(max_rows=9), n_gates=st.sampled_from([1, 5, 0, -3, 2.5, 10**15, "7"]))
def test_patterns(X, n_gates):
    from geolasso import enumerate_patterns, sample_patterns

    status, P = _outcome(lambda: enumerate_patterns(X))
    if status == "ok":
        Xf = np.asarray(X, dtype=float)
        Z = np.column_stack([Xf, np.ones(len(Xf))])
        assert np.array_equal((Z @ P.gates.T > 0).T, P.patterns)  # every gate realises its cell
    status, P = _outcome(lambda: sample_patterns(X, n_gates, random_state=0))
    if status == "ok":
        assert P.n_patterns <= n_gates


@_robust
@given(data=_data(), alpha=_alphas)
def test_dictionary_and_lasso(data, alpha):
    from geolasso import WedgeDictionary, alpha_max
    from geolasso.lasso import lasso

    X, y = data
    status, D = _outcome(lambda: WedgeDictionary(X))
    if status != "ok":
        return
    status, top = _outcome(lambda: alpha_max(D, y))
    if status == "ok":
        assert np.isfinite(top)
        assert top >= 0
    status, res = _outcome(lambda: lasso(D, y, alpha, max_iter=50))
    if status == "ok":
        assert np.isfinite(res.objective)
        assert res.dual_gap >= -1e-9 * max(1.0, abs(res.objective))


@_robust
@given(K=_arrays(ndims=(2,)), y=_arrays(ndims=(1,)), alpha=_alphas)
def test_lasso_on_matrices(K, y, alpha):
    from geolasso.lasso import lasso

    status, res = _outcome(lambda: lasso(K, y, alpha, max_iter=50))
    if status == "ok":
        assert np.isfinite(res.objective)


# ------------------------------------------------------------------ estimators
@_robust
@given(
    data=_data(dims=(1, 2)),
    alpha=_alphas,
    method=st.sampled_from(["wedge", "arrangement"]),
    norm=st.sampled_from(["l1", "l2", "l3"]),
)
def test_convex_relu_fit(data, alpha, method, norm):
    from geolasso.convex import ConvexReLU

    X, y = data
    model = ConvexReLU(alpha=alpha, method=method, norm=norm, max_atoms=20_000)
    status, fitted = _outcome(lambda: model.fit(X, y))
    if status == "ok":
        assert np.isfinite(fitted.objective_)
        status, pred = _outcome(lambda: fitted.predict(X))
        assert status == "ok"
        assert pred.shape == (len(X),)
        if np.all(np.isfinite(np.asarray(X, dtype=float))) and np.abs(X).max(initial=0) < 1e100:
            assert _finite(pred)


@_robust
@given(
    shapes=st.tuples(st.integers(0, 4), st.integers(1, 3)),
    data=_data(dims=(1, 2, 3)),
    alpha=_alphas,
    bad=st.sampled_from(["none", "W", "b", "v", "c"]),
)
def test_network_objective_certify_explain(shapes, data, alpha, bad):
    from geolasso import ReLUNetwork, certify, explain

    m, d = shapes
    rng = np.random.default_rng(m * 10 + d)
    parts = {
        "W": rng.normal(size=(m, d)),
        "b": rng.normal(size=m),
        "v": rng.normal(size=m),
        "c": 0.0,
    }
    if bad != "none":
        parts[bad] = np.full(np.shape(parts[bad]) or (), np.nan)
    status, net = _outcome(lambda: ReLUNetwork(parts["W"], parts["b"], parts["v"], parts["c"]))
    if status != "ok":
        return
    X, y = data
    status, value = _outcome(lambda: net.objective(X, y, alpha))
    if status == "ok":
        assert value >= 0
    status, cert = _outcome(lambda: certify(net, X, y, alpha, memory_limit=2**28))
    if status == "ok" and cert.optimal:
        assert np.isfinite(cert.relative_gap)
        assert cert.relative_gap <= cert.rtol
    _outcome(lambda: explain(net, X, y, alpha=alpha, memory_limit=2**28))


# -------------------------------------------------------------------- the CLI
def _csv(rows, header):
    return header + "\n" + "\n".join(",".join(map(str, r)) for r in rows) + "\n"


_cells = st.one_of(
    _ordinary.map(lambda v: f"{v:.6g}"),
    st.sampled_from(["", "nan", "inf", "-inf", "1e400", "abc", "1", "1.0", '"x,y"', "\ufeff1"]),
)


@st.composite
def _csv_files(draw):
    if draw(st.booleans()):  # a clean file: two features and a ±1 target
        n_rows = draw(st.integers(5, 14))
        rows = [
            [draw(_ordinary), draw(_ordinary), draw(st.sampled_from(["1", "-1"]))]
            for _ in range(n_rows)
        ]
        return _csv(rows, "a,b,y")
    n_cols = draw(st.integers(1, 4))
    header = draw(
        st.sampled_from(
            [",".join(["a", "b", "c", "y"][:n_cols]), "\ufeffa,b,y", "", "a,a,y", "a;b;y"]
        )
    )
    n_rows = draw(st.integers(0, 12))
    rows = [[draw(_cells) for _ in range(n_cols)] for _ in range(n_rows)]
    return _csv(rows, header)


@_robust
@given(
    text=_csv_files(),
    extra=st.lists(
        st.sampled_from(
            [
                "--alpha=1e-2",
                "--alpha=1e-3",
                "--norm=l1",
                "--alpha=0",
                "--alpha=-1",
                "--alpha=nan",
                "--alpha=1e-2",
                "--norm=l2",
                "--method=arrangement",
                "--max-atoms=0",
                "--max-atoms=-5",
                "--max-atoms=100",
                "--target=zzz",
                "--task=classification",
                "--seed=-1",
            ]
        ),
        max_size=3,
    ),
)
def test_cli_fit_predict_inspect_never_print_a_traceback(tmp_path_factory, text, extra):
    from geolasso.cli import main

    tmp = tmp_path_factory.mktemp("cli")
    data = tmp / "data.csv"
    data.write_text(text, encoding="utf-8")
    model = tmp / "model.npz"
    target = [] if any(a.startswith("--target") for a in extra) else ["--target", "y"]
    runs = [
        ["fit", str(data), *target, "--quiet", "--out", str(model), *extra],
        ["predict", str(model), str(data)],
        ["inspect", str(model), str(data), "--rows", "3"],
    ]
    for argv in runs:
        err = io.StringIO()
        with (
            contextlib.redirect_stderr(err),
            contextlib.redirect_stdout(io.StringIO()),
            _time_limit(),
            warnings.catch_warnings(),
        ):
            warnings.simplefilter("ignore")
            try:
                code = main(argv)
            except SystemExit as exc:  # argparse's usage errors
                code = exc.code
        message = err.getvalue()
        event(f"{argv[0]} exit {code}")
        assert "Traceback" not in message, (argv, text, message)
        assert code in (0, 1, 2), (argv, code, message)
        if code:
            lines = [line for line in message.splitlines() if line.strip()]
            assert lines, (argv, "failed without a message")
            assert lines[-1].startswith(("geolasso", "usage:")) or "error" in lines[-1], (
                argv,
                message,
            )


@pytest.mark.parametrize("scale", [1e-300, 1e300])
def test_enumerate_patterns_at_extreme_scales_is_named_or_equal(scale):
    """Regression (scale): tiny or huge data give the patterns of the data at scale 1,
    or a named error; never a silent single pattern."""
    from geolasso import enumerate_patterns

    X = np.random.default_rng(5).normal(size=(8, 2))
    status, P = _outcome(lambda: enumerate_patterns(X * scale))
    if status == "ok":
        assert np.array_equal(P.patterns, enumerate_patterns(X).patterns)
