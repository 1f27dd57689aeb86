"""The passes on a Dask LocalCluster (worker processes) equal the in-process passes."""

import joblib
import numpy as np
import pytest
from distributed import Client, LocalCluster
from numpy.testing import assert_allclose
from sklearn.datasets import make_moons

from geolasso.dictionary import alpha_max
from geolasso.distributed import active_client, distributed_passes
from geolasso.lasso import lasso
from geolasso.planar import PlanarDictionary


@pytest.fixture(scope="module")
def client():
    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    with Client(cluster) as c:
        yield c
    cluster.close()


def _moons(n):
    X, labels = make_moons(n, noise=0.2, random_state=0)
    return np.ascontiguousarray(X), np.where(labels == 1, 1.0, -1.0)


def test_client_comes_from_joblib_dask_backend(client):
    assert active_client() is None
    assert active_client(client) is client
    with joblib.parallel_backend("dask"):
        assert active_client() is client


@pytest.mark.parametrize(
    ("n_blocks", "keep_plans"), [(None, None), (3, True), (7, True), (None, False), (5, False)]
)
def test_distributed_passes_equal_the_in_process_ones(client, n_blocks, keep_plans):
    X = _moons(120)[0]
    D = PlanarDictionary(X)
    rng = np.random.default_rng(0)
    r = rng.normal(size=120)
    pivots = np.array([3, 40, 41, 119])
    local = [D.top_correlations(r, 30, threshold=1.0, spread=True)]
    local.append(D.top_correlations(r, 30, threshold=1.0, through=pivots))
    with distributed_passes(D, client, n_blocks=n_blocks, keep_plans=keep_plans):
        assert D.pass_runner is not None
        assert D.pass_runner.keep_plans == (keep_plans is not False)
        remote = [D.top_correlations(r, 30, threshold=1.0, spread=True)]
        remote.append(D.top_correlations(r, 30, threshold=1.0, through=pivots))
    assert D.pass_runner is None
    for a, b in zip(local, remote, strict=True):
        assert a[0] == b[0]
        assert a[1] == b[1]
        assert np.array_equal(a[2], b[2])
        assert np.array_equal(a[3], b[3])


def test_distributed_lasso_equals_the_in_process_lasso(client):
    X, y = _moons(300)
    D = PlanarDictionary(X)
    alpha = alpha_max(D, y) / 100
    here = lasso(D, y, alpha, tol=1e-10)
    with joblib.parallel_backend("dask"):
        there = lasso(D, y, alpha, tol=1e-10)
    assert np.array_equal(here.support, there.support)
    assert_allclose(there.objective, here.objective, rtol=1e-12)
    assert_allclose(there.coef[there.support], here.coef[here.support], rtol=1e-10, atol=1e-14)
    assert there.dual_gap <= 1e-10 * there.objective


def test_alpha_max_and_the_certificate_use_the_active_backend(client, monkeypatch):
    # the passes of alpha_max and of certify(dictionary=...) go to the cluster under
    # joblib's dask backend (counted), with the in-process values
    from geolasso import certify
    from geolasso.distributed import PlanarRunner
    from geolasso.network import ReLUNetwork

    X, y = _moons(200)
    D = PlanarDictionary(X)
    top = alpha_max(D, y)
    res = lasso(D, y, top / 50, tol=1e-10)
    net = ReLUNetwork.from_lasso(D, res, res.intercept)
    here = certify(net, X, y, top / 50, dictionary=D)
    calls = []
    original = PlanarRunner.__call__

    def counted(self, *args):
        calls.append(1)
        return original(self, *args)

    monkeypatch.setattr(PlanarRunner, "__call__", counted)
    with joblib.parallel_backend("dask"):
        assert alpha_max(D, y) == top
        assert calls
        before = len(calls)
        there = certify(net, X, y, top / 50, dictionary=D)
    assert len(calls) > before
    assert D.pass_runner is None
    assert there.max_violation == here.max_violation
    assert there.gap == here.gap
    assert there.lower_bound == here.lower_bound


def test_a_worker_killed_mid_fit_changes_nothing_but_the_time(client):
    # after the first round one worker process dies with the block plans it held; Dask
    # rebuilds them from the samples (scattered to every worker) on the other, and the fit
    # is the in-process fit
    import os
    import signal

    from geolasso.datasets import spiral

    X, y = spiral(240)
    D = PlanarDictionary(X)
    alpha = alpha_max(D, y) / 3000  # three full passes in process
    here = lasso(D, y, alpha, tol=1e-10)
    killed = []

    def kill_one(round_, objective, gap, size):
        if round_ == 1 and not killed:
            address, pid = sorted(client.run(os.getpid).items())[0]
            os.kill(pid, signal.SIGKILL)  # the process, not a polite close
            killed.append(address)

    there = lasso(D, y, alpha, tol=1e-10, client=client, callback=kill_one)
    assert killed
    assert there.n_iter >= 2  # passes ran after the worker was gone
    assert np.array_equal(here.support, there.support)
    assert_allclose(there.objective, here.objective, rtol=1e-12)
    client.wait_for_workers(2, timeout=60)  # the nanny restarts it for the next tests


@pytest.mark.parametrize(
    ("gated", "norm", "n_blocks"),
    [(True, "l2", None), (True, "l1", 5), (False, "l2", None), (False, "l2", 3)],
)
def test_distributed_pricing_equals_the_in_process_solve(
    client, monkeypatch, gated, norm, n_blocks
):
    # the patterns priced in blocks on two worker processes (small chunks on the client,
    # the default on the workers: a block's products must not depend on how they are cut)
    import geolasso._pattern_pricing as pricing
    import geolasso.crelu as crelu
    from geolasso.arrangements import sample_patterns
    from geolasso.datasets import teacher
    from geolasso.distributed import PatternRunner

    X, y = teacher(300, 4)
    patterns = sample_patterns(X, 120, bias="regularized", random_state=0)
    monkeypatch.setattr(pricing, "PRICE_PATTERNS", 7)
    here = crelu.solve_crelu(X, y, 0.01, patterns, norm=norm, gated=gated, tol=1e-10)
    with joblib.parallel_backend("dask"):
        there = crelu.solve_crelu(X, y, 0.01, patterns, norm=norm, gated=gated, tol=1e-10)
    assert np.array_equal(here.pattern, there.pattern)
    assert np.array_equal(here.sign, there.sign)
    assert_allclose(there.objective, here.objective, rtol=1e-12)
    assert there.gap <= 1e-10 * there.objective
    # the runner's blocks are multiples of the chunk and price every pattern once
    Z = np.column_stack([X, np.ones(300)])
    runner = PatternRunner(client, Z, patterns.patterns, n_blocks=n_blocks)
    try:
        starts = [lo for lo, _stop, _f in runner.blocks]
        assert all(lo % 7 == 0 for lo in starts)
        assert runner.n_patterns == patterns.n_patterns
        lam = np.random.default_rng(1).normal(size=300)
        remote = runner(lam, 5, False, norm, gated, 300 * 0.01)
        local = pricing.price_patterns(Z, patterns.patterns, lam, 5, False, norm, gated, 300 * 0.01)
        assert np.array_equal(remote, local)
    finally:
        runner.close()


def test_a_worker_killed_mid_solve_changes_nothing_in_the_pricing(client):
    # the masks are broadcast: the blocks of a dead worker are priced by the other
    import os
    import signal

    from geolasso.arrangements import sample_patterns
    from geolasso.crelu import solve_crelu
    from geolasso.datasets import teacher

    X, y = teacher(300, 4)
    patterns = sample_patterns(X, 120, bias="regularized", random_state=0)
    here = solve_crelu(X, y, 0.002, patterns, gated=True, tol=1e-10)
    killed = []

    def kill_one(round_, objective, gap, size):
        if round_ == 1 and not killed:
            address, pid = sorted(client.run(os.getpid).items())[0]
            os.kill(pid, signal.SIGKILL)
            killed.append(address)

    there = solve_crelu(
        X, y, 0.002, patterns, gated=True, tol=1e-10, client=client, callback=kill_one
    )
    assert killed
    assert there.n_rounds >= 2
    assert np.array_equal(here.pattern, there.pattern)
    assert_allclose(there.objective, here.objective, rtol=1e-12)
    client.wait_for_workers(2, timeout=60)


def test_a_fit_on_the_cluster_needs_here_only_what_stays_here(client):
    # memory_limit below the sweep order: in-process the fit samples (a warning, not exact);
    # on the cluster the order is built there, the solution is sparse, and the fit is the
    # exact in-process fit of a larger budget
    from geolasso.convex import ConvexReLUClassifier
    from geolasso.exceptions import GeolassoWarning
    from geolasso.planar import planar_bytes

    X, y = _moons(400)
    limit = planar_bytes(400) * 3 // 4
    ref = ConvexReLUClassifier(alpha=1e-3).fit(X, y)
    with pytest.warns(GeolassoWarning, match="seeded random sample"):
        sampled = ConvexReLUClassifier(alpha=1e-3, memory_limit=limit).fit(X, y)
    assert not sampled.exact_
    with joblib.parallel_backend("dask"):
        there = ConvexReLUClassifier(alpha=1e-3, memory_limit=limit).fit(X, y)
    assert there.dictionary_.plan == "cluster"
    assert there.exact_
    assert ref.exact_
    assert there.dictionary_.n_atoms == ref.dictionary_.n_atoms
    assert_allclose(there.objective_, ref.objective_, rtol=1e-12)
    assert there.optimality_gap_ <= 1e-8 * there.objective_
    assert_allclose(there.decision_function(X), ref.decision_function(X), rtol=1e-8, atol=1e-10)


def _cli(*args):
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "geolasso", *args]
    return subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=300)


def test_cli_fit_on_a_local_cluster_writes_the_in_process_model(tmp_path):
    # 400 samples in the plane: the fit uses the numbered dictionary, whose passes the
    # --scheduler option sends to two local worker processes
    from geolasso.network import ReLUNetwork

    X, y = _moons(400)
    rows = "\n".join(f"{float(a)!r},{float(b)!r},{int(t)}" for (a, b), t in zip(X, y, strict=True))
    data = tmp_path / "moons.csv"
    data.write_text("x1,x2,label\n" + rows)
    common = [str(data), "--target", "label", "--alpha", "1e-4", "--quiet"]
    here = _cli("fit", *common, "--out", str(tmp_path / "here"))
    there = _cli("fit", *common, "--out", str(tmp_path / "there"), "--scheduler", "local:2")
    assert here.returncode == 0, here.stderr
    assert there.returncode == 0, there.stderr
    a, b = ReLUNetwork.load(tmp_path / "here.npz"), ReLUNetwork.load(tmp_path / "there.npz")
    assert a.W.shape == b.W.shape
    assert_allclose(b.W, a.W, rtol=1e-10, atol=1e-12)
    assert_allclose(b.v, a.v, rtol=1e-10, atol=1e-12)
    assert_allclose(b.metadata["objective"], a.metadata["objective"], rtol=1e-12)
    bad = _cli("fit", *common, "--out", str(tmp_path / "bad"), "--scheduler", "local:0")
    assert bad.returncode != 0
    assert "scheduler must be an address or local:N" in bad.stderr
    assert "Traceback" not in bad.stderr
    assert not (tmp_path / "bad.npz").exists()


def test_a_round_whose_scattered_data_are_lost_is_priced_again(client):
    """Every copy of the scattered masks and samples gone (a worker restarted after
    the broadcast holds none): the round scatters them again and gives the same bounds."""
    from geolasso._pattern_pricing import price_patterns
    from geolasso.distributed import PatternRunner

    rng = np.random.default_rng(7)
    Z = np.column_stack([rng.normal(size=(200, 3)), np.ones(200)])
    masks = rng.random((300, 200)) < 0.5
    lam = rng.normal(size=200)
    runner = PatternRunner(client, Z, masks, n_blocks=2)
    try:
        first = runner(lam, 4, False, "l2", True, 0.1)
        # lose the data: the scheduler forgets every scattered key of the runner
        client.cancel([runner._Z, *[f for _, _, f in runner.blocks]], force=True)
        again = runner(lam, 4, False, "l2", True, 0.1)
    finally:
        runner.close()
    expected = price_patterns(Z, masks, lam, 4, False, "l2", True, 0.1)
    assert np.array_equal(first, expected)
    assert np.array_equal(again, expected)
