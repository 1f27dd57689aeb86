"""Memory budgets: sizes counted before they are allocated, refused by name.

The blow-up cases run in a subprocess under a hard address-space limit
(``resource.setrlimit(RLIMIT_AS)``): an allocation past the budget there is a
raw ``MemoryError`` (or the process is killed), so a case passes only when the
budget is checked before anything large exists.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from geolasso.exceptions import DictionaryTooLargeError, MemoryLimitError
from geolasso.memory import as_memory_limit, check_memory, chunk_rows, format_bytes

#: Address space of a case's process: the interpreter with numpy, numba and matplotlib
#: maps about 0.5 GiB; every case's budget is a few hundred MiB.
_ADDRESS_SPACE = 1280 * 1024**2


def _run_limited(body: str, timeout: float = 240.0) -> dict:
    """Run ``body`` (which sets ``result``) under the address-space limit; its report."""
    head = (
        "import json, resource, sys\n"
        f"resource.setrlimit(resource.RLIMIT_AS, ({_ADDRESS_SPACE}, {_ADDRESS_SPACE}))\n"
        "import numpy as np\n"
        "import matplotlib\n"
        "matplotlib.use('Agg')\n"
        "rng = np.random.default_rng(0)\n"
        "report = {}\n"
        "try:\n"
    )
    tail = textwrap.dedent(
        """
            report["result"] = "ok"
        except MemoryError as exc:  # MemoryLimitError is a ValueError, not a MemoryError
            report["result"] = "MemoryError"
            report["message"] = str(exc)
        except Exception as exc:
            report["result"] = type(exc).__name__
            report["message"] = str(exc)
            report["bases"] = [c.__name__ for c in type(exc).__mro__]
        print("@@" + json.dumps(report))
        """
    )
    script = head + textwrap.indent(textwrap.dedent(body), "    ") + tail
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=timeout
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("@@")]
    assert lines, f"the case died (exit {proc.returncode}): {proc.stderr[-2000:]}"
    return json.loads(lines[-1][2:])


# ----------------------------------------------------------------- the helpers
def test_format_bytes_uses_binary_units():
    assert format_bytes(512) == "512 B"
    assert format_bytes(1536) == "1.5 KiB"
    assert format_bytes(2 * 1024**3) == "2 GiB"
    assert format_bytes(1.5 * 1024**4) == "1.5 TiB"


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf")])
def test_memory_limit_must_be_positive_and_finite(bad):
    with pytest.raises(ValueError, match="memory_limit must be a positive"):
        as_memory_limit(bad)


@pytest.mark.parametrize("bad", [True, "2GiB", None])
def test_memory_limit_must_be_a_number(bad):
    with pytest.raises(TypeError, match="memory_limit must be a number of bytes"):
        as_memory_limit(bad)


def test_check_memory_names_size_budget_and_remedy():
    check_memory(100, 100, what="x")  # at the budget: allowed
    with pytest.raises(MemoryLimitError) as info:
        check_memory(3 * 1024**3, 1024**3, what="the thing", remedy="do less")
    assert str(info.value) == "the thing needs about 3 GiB, above memory_limit = 1 GiB; do less"
    assert info.value.required_bytes == 3 * 1024**3
    assert info.value.limit_bytes == 1024**3


def test_dictionary_errors_are_memory_limit_errors():
    assert issubclass(DictionaryTooLargeError, MemoryLimitError)
    assert issubclass(MemoryLimitError, ValueError)


def test_chunk_rows_keeps_a_share_of_the_budget():
    assert chunk_rows(1000, 4000) == 1  # at least one row
    assert chunk_rows(100, 10**6) == 2500  # a quarter of the budget
    assert chunk_rows(1, 10**12) == 2**27  # at most 128 MiB


# ---------------------------------------------------- allocations that are refused
# each: (code that would allocate far past the budget, the error class expected)
_REFUSED = {
    "enumerate_patterns, 200 x 3 (2.6 million cells)": (
        "from geolasso.arrangements import enumerate_patterns\n"
        "enumerate_patterns(rng.normal(size=(200, 3)))",
        "DictionaryTooLargeError",
    ),
    "enumerate_patterns, 120 x 3, memory_limit = 200 MB": (
        "from geolasso.arrangements import enumerate_patterns\n"
        "enumerate_patterns(rng.normal(size=(120, 3)), memory_limit=int(2e8))",
        "DictionaryTooLargeError",
    ),
    "sample_patterns, 10^12 gates": (
        "from geolasso.arrangements import sample_patterns\n"
        "sample_patterns(rng.normal(size=(50, 3)), 10**12)",
        "DictionaryTooLargeError",
    ),
    "mirror_dictionary, 400 points, depth 4, memory_limit = 100 MB": (
        "from geolasso.mirror import mirror_dictionary\n"
        "mirror_dictionary(np.sort(rng.normal(size=400)), depth=4, memory_limit=int(1e8))",
        "DictionaryTooLargeError",
    ),
    "blade_basis(60, 30)": (
        "from geolasso.algebra import blade_basis\nblade_basis(60, 30)",
        "MemoryLimitError",
    ),
    "wedge of 30 vectors in R^60": (
        "from geolasso.algebra import wedge\nwedge(rng.normal(size=(30, 60)))",
        "MemoryLimitError",
    ),
    "subsets(200, 100)": (
        "from geolasso.algebra import subsets\nsubsets(200, 100)",
        "MemoryLimitError",
    ),
    "plot_regions on a 100,000 x 100,000 grid": (
        "from geolasso import ReLUNetwork\nfrom viz import plot_regions\n"
        "net = ReLUNetwork(rng.normal(size=(5, 2)), rng.normal(size=5), rng.normal(size=5), 0.0)\n"
        "plot_regions(net, rng.normal(size=(20, 2)), grid=100_000)",
        "MemoryLimitError",
    ),
}


@pytest.mark.parametrize("case", list(_REFUSED))
def test_blow_up_is_refused_by_name_under_a_hard_limit(case):
    body, expected = _REFUSED[case]
    report = _run_limited(body)
    assert report["result"] == expected, report
    assert "MemoryLimitError" in report["bases"]
    assert "needs about" in report["message"] or "may have up to" in report["message"]
    assert "memory_limit" in report["message"]
    assert "GiB GiB" not in report["message"]
    assert "MiB MiB" not in report["message"]


# ------------------------------------------------ allocations that fit their budget
def test_enumeration_within_its_budget_stays_within_it():
    """90 points in R^3: 235,000 cells; the enumeration used to hold every ray's
    candidate cells at once (about 1.5 GiB here) and now holds a block of them."""
    report = _run_limited(
        "from geolasso.arrangements import enumerate_patterns, pattern_count\n"
        "P = enumerate_patterns(rng.normal(size=(90, 3)), memory_limit=300 * 1024**2)\n"
        "assert P.n_patterns == pattern_count(90, 4) - 1, P.n_patterns\n"
        "report['peak'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024\n"
    )
    assert report["result"] == "ok", report


@pytest.mark.parametrize("rows", [1, 7, 100])
def test_blocked_enumeration_equals_one_block(monkeypatch, rows):
    """The cells, their order and their gates do not depend on the block size."""
    from geolasso import arrangements

    X = np.random.default_rng(3).normal(size=(30, 3))
    X[5] = X[4] * 2.0  # degenerate rays among the general ones
    X[7] = X[6] + X[8] - X[9]
    one = arrangements.enumerate_patterns(X, include_zero=True)
    monkeypatch.setattr(arrangements, "chunk_rows", lambda *args, **kwargs: rows)
    small = arrangements.enumerate_patterns(X, include_zero=True)
    assert np.array_equal(one.patterns, small.patterns)
    np.testing.assert_allclose(one.gates, small.gates, rtol=0, atol=1e-12)
    # every gate realises its pattern
    Z = np.column_stack([X, np.ones(len(X))])
    assert np.array_equal((Z @ small.gates.T > 0).T, small.patterns)


def test_sampled_patterns_do_not_depend_on_the_block_size(monkeypatch):
    from geolasso import arrangements

    X = np.random.default_rng(4).normal(size=(300, 4))
    one = arrangements.sample_patterns(X, 500, random_state=1)
    two = arrangements.sample_patterns(X, 500, random_state=1, active_proportion=0.3)
    monkeypatch.setattr(arrangements, "chunk_rows", lambda *args, **kwargs: 9)
    assert np.array_equal(
        one.patterns, arrangements.sample_patterns(X, 500, random_state=1).patterns
    )
    again = arrangements.sample_patterns(X, 500, random_state=1, active_proportion=0.3)
    assert np.array_equal(two.patterns, again.patterns)
    # the bias that makes 30 % active is a quantile of products formed in other blocks
    np.testing.assert_allclose(two.gates, again.gates, rtol=1e-12, atol=1e-12)


def test_blade_basis_at_the_budget_edge():
    from geolasso.algebra import blade_basis

    count = math.comb(20, 10)
    assert len(blade_basis(20, 10, memory_limit=count * (64 + 80))) == count
    with pytest.raises(MemoryLimitError, match=r"C\(20, 10\) = 184,756"):
        blade_basis(20, 10, memory_limit=count * (64 + 80) - 1)
