"""viz: every function draws on a supplied Axes, returns it, and leaves no global state.

Drawn quantities are checked against geolasso (algebra values, neuron counts)
and numpy (determinants).
"""

import subprocess
import sys

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.collections import PolyCollection

import geolasso as gl
import viz
from geolasso.deep import DeepConvexRegressor
from geolasso.mirror import mirror_dictionary
from geolasso.reflection import reflection_dictionary


@pytest.fixture(autouse=True)
def no_global_state():
    before = dict(matplotlib.rcParams)
    yield
    after = dict(matplotlib.rcParams)
    changed = [k for k in before if str(before[k]) != str(after[k])]
    plt.close("all")
    assert not changed, f"rcParams changed: {changed}"


@pytest.fixture
def fitted(rng):
    X = rng.standard_normal((30, 2))
    y = np.sin(2 * X[:, 0]) + X[:, 1]
    return X, y, gl.ConvexReLU(alpha=3e-2).fit(X, y)


def test_plot_wedge_2d_annotates_the_algebra(rng):
    V = rng.standard_normal((2, 2))
    x = rng.standard_normal(2)
    _fig, ax = plt.subplots()
    assert viz.plot_wedge(V, x=x, ax=ax) is ax
    title = ax.get_title()
    assert f"{float(gl.wedge(V)[0]):g}" in title
    det = np.linalg.det(np.column_stack([np.vstack([x, V]), np.ones(3)]))
    assert f"{det:g}" in title
    assert ax.get_aspect() == 1.0


def test_plot_wedge_3d_needs_a_3d_axes(rng):
    V = rng.standard_normal((3, 3))
    fig = plt.figure()
    ax = fig.add_subplot(projection="3d")
    assert viz.plot_wedge(V, x=[0.1, 0.2, 0.3], ax=ax) is ax
    assert f"{float(gl.wedge(V)[0]):g}" in ax.get_title()
    with pytest.raises(ValueError, match="projection='3d'"):
        viz.plot_wedge(V, ax=plt.subplots()[1])
    with pytest.raises(ValueError, match=r"shape \(2, 2\), \(3, 3\) or \(2, 3\)"):
        viz.plot_wedge(np.ones((4, 4)))


def test_plot_wedge_draws_a_bivector_of_3d_vectors_with_its_dual(rng):
    """a ∧ b of two vectors of R³: its parallelogram, and a × b normal to it with the
    parallelogram's area as its length (the title's numbers, checked with numpy)."""
    a, b = rng.standard_normal((2, 3))
    ax = viz.plot_wedge([a, b])
    n = np.cross(a, b)
    title = ax.get_title()
    assert f"area {np.linalg.norm(n):.3g}" in title
    assert f"({n[0]:.2f}, {n[1]:.2f}, {n[2]:.2f})" in title  # geolasso's dual is numpy's a × b
    assert ax.get_legend() is not None


def test_plot_atoms_draws_one_line_per_atom(rng):
    X = rng.standard_normal((8, 2))
    D = gl.WedgeDictionary(X)
    _fig, ax = plt.subplots()
    cols = [0, 3, 10, 21]
    assert viz.plot_atoms(D, columns=cols, ax=ax) is ax
    assert len(ax.lines) == len(cols)
    # each line passes through its generator samples
    for line, j in zip(ax.lines, cols, strict=True):
        (i1, i2), _ = D.generators_of(j)
        P = np.column_stack(line.get_data())
        for s in (i1, i2):
            v = P[1] - P[0]
            cross = v[0] * (X[s] - P[0])[1] - v[1] * (X[s] - P[0])[0]
            assert abs(cross) < 1e-9 * np.linalg.norm(v) * (1 + np.abs(X).max())
    labels = [t.get_text() for t in ax.texts]
    assert any("∧" in t for t in labels)


def test_plot_neurons_2d_and_3d(rng, fitted):
    X, y, model = fitted
    _, ax = plt.subplots()
    assert viz.plot_neurons(model, X, y, ax=ax) is ax
    assert len(ax.lines) == min(model.n_neurons_, 30)
    X3 = rng.standard_normal((20, 3))
    m3 = gl.ConvexReLU(alpha=5e-2).fit(X3, np.abs(X3[:, 0]))
    fig = plt.figure()
    ax3 = fig.add_subplot(projection="3d")
    viz.plot_neurons(m3, X3, ax=ax3, max_neurons=3)
    patches = [c for c in ax3.collections if isinstance(c, PolyCollection)]
    assert len(patches) == min(3, m3.n_neurons_)
    with pytest.raises(ValueError, match=r"2-D/3-D data; X has 4 columns\. Project it first"):
        viz.plot_neurons(model, rng.standard_normal((5, 4)))
    with pytest.raises(ValueError, match="not fitted"):
        viz.plot_neurons(gl.ConvexReLU(), X)


def test_plot_regions(fitted, rng):
    X, y, model = fitted
    _fig, ax = plt.subplots()
    assert viz.plot_regions(model, X, y, ax=ax) is ax
    assert len(ax.lines) >= 1  # the arrangement
    with pytest.raises(ValueError, match="PCA"):
        viz.plot_regions(model, rng.standard_normal((5, 3)))
    with pytest.raises(ValueError, match="not fitted"):
        viz.plot_regions(gl.ConvexReLU(), X)


def test_plot_path_and_frames(rng):
    X = rng.standard_normal((10, 2))
    y = X[:, 0] ** 2
    D = gl.WedgeDictionary(X)
    path = gl.lasso_path(D, y, n_alphas=8)
    _fig, ax = plt.subplots()
    assert viz.plot_path(path, D, ax=ax) is ax
    active = np.count_nonzero(np.any(path.coefs.toarray() != 0, axis=1))
    entries = min(active, 8)  # a marker per labelled entry
    assert len(ax.lines) == active + entries + 1  # and the zero line
    frames = viz.path_frames(path, D, every=3)
    assert len(frames) == 3
    for k, f in zip(range(0, 8, 3), frames, strict=True):
        assert len(f.axes[0].lines) == min(path.supports[k].size, 12)


@pytest.mark.parametrize("bad", [None, "path", np.zeros((3, 4))], ids=["None", "str", "array"])
def test_plot_path_names_what_it_expects(bad, rng):
    D = gl.WedgeDictionary(rng.standard_normal((5, 2)))
    with pytest.raises(TypeError, match=r"path must be a geolasso\.LassoPath.*lasso_path"):
        viz.plot_path(bad)
    with pytest.raises(TypeError, match=r"path must be a geolasso\.LassoPath"):
        viz.path_frames(bad, D)


def test_plot_reflections(rng):
    x = np.array([[0.0], [6], [7], [8], [9], [12], [14]])
    y = np.array([0.1, 0.1, 3.0, 2.0, 0.7, 1.3, 2.9])
    model = DeepConvexRegressor(depth=4, alpha=1e-3).fit(x, y)
    _, ax = plt.subplots()
    assert viz.plot_reflections(model, ax=ax, max_features=3) is ax
    texts = [t.get_text() for t in ax.texts]
    assert "2·8 − 6 = 10" in texts  # the reflection of 6 about 8 is labelled
    D = mirror_dictionary(x[:, 0], 3, "abs")
    _, ax = plt.subplots()
    viz.plot_reflections(D, columns=[0, 1], ax=ax)
    R = reflection_dictionary(rng.standard_normal((5, 2)))
    _fig, ax = plt.subplots()
    assert viz.plot_reflections(R, columns=[0], ax=ax) is ax
    with pytest.raises(TypeError, match="MirrorDictionary"):
        viz.plot_reflections([1, 2, 3])


def test_plot_explanation_pairs_neurons_and_atoms(fitted):
    X, _y, model = fitted
    ex = gl.explain(model, X)
    _fig, ax = plt.subplots()
    assert viz.plot_explanation(ex, ax=ax) is ax
    assert len(ax.lines) == 2 * min(model.n_neurons_, 30)


def test_plot_comparison(rng):
    _fig, ax = plt.subplots()
    runs = {
        "geolasso": ([0.5], [1.0]),
        "Adam": [([0.1, 1.0], [1.5, 1.1]), ([0.1, 1.0], [1.4, 1.2])],
    }
    assert viz.plot_comparison(runs, optimum=1.0, ax=ax) is ax
    assert len(ax.lines) == 3
    with pytest.raises(ValueError, match="non-empty dict"):
        viz.plot_comparison({})


def _gallery(*args):
    return subprocess.run(
        [sys.executable, "-m", "geolasso", "gallery", "--quiet", *args],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def test_the_gallery_builds_every_script(tmp_path):
    import matplotlib.image as mpimg

    from viz._gallery import scripts_dir

    # pages end to end through the command line (tests/test_gallery.py renders them all)
    out = _gallery("--out", str(tmp_path), "--only", "_0")
    assert out.returncode == 0, out.stderr
    scripts = sorted(p.stem for p in scripts_dir().glob("plot_*.py") if "_0" in p.name)
    assert len(scripts) >= 8
    pngs = sorted(tmp_path.glob("*.png"))
    for stem in scripts:
        mine = [p for p in pngs if p.name.startswith(stem + "_")]
        assert mine, f"{stem} wrote no figure"
        for png in mine:
            img = mpimg.imread(png)
            assert img.shape[0] >= 300
            assert img.shape[1] >= 400
            assert img[..., :3].std() > 0.02, f"{png.name} is blank"
    index = (tmp_path / "index.html").read_text()
    assert index.count("<img") == len(pngs)
    # narrated pages: the reStructuredText rendered (no raw ``literals``), the code, the output
    import re

    paragraphs = re.findall(r"<(?:p|li)>(.*?)</(?:p|li)>", index, flags=re.S)
    assert len(paragraphs) >= len(scripts)
    assert not [p for p in paragraphs if "``" in p]
    assert index.count("<details><summary>code</summary>") == len(scripts)
    assert "neuron  generators" in index  # plot_06's printed explanation table


def test_a_gallery_out_that_cannot_be_written_is_one_line(tmp_path, monkeypatch, capsys):
    import errno
    import tempfile

    import geolasso.cli
    import viz._gallery

    def never(*args, **kwargs):
        raise AssertionError("a gallery script ran before --out was checked")

    monkeypatch.setattr(viz._gallery.subprocess, "run", never)
    a_file = tmp_path / "taken"
    a_file.write_text("keep me")
    for out, why in [
        (a_file, "is a file, not a directory"),
        (a_file / "sub", "cannot create the directory"),
    ]:
        assert geolasso.cli.main(["gallery", "--quiet", "--out", str(out)]) == 1
        err = capsys.readouterr().err
        assert err.startswith(f"geolasso gallery: error: --out {out}")
        assert why in err
        assert len(err.strip().splitlines()) == 1
    assert a_file.read_text() == "keep me"

    # a read-only directory (simulated: root may write anywhere)
    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", denied)
    readonly = tmp_path / "readonly"
    readonly.mkdir()
    assert geolasso.cli.main(["gallery", "--quiet", "--out", str(readonly)]) == 1
    err = capsys.readouterr().err
    assert err.strip() == (
        f"geolasso gallery: error: --out {readonly}: cannot write into the directory "
        "(Permission denied)"
    )
    assert list(readonly.iterdir()) == []


def test_a_failing_script_is_named(tmp_path):
    from viz._gallery import run

    src = tmp_path / "src"
    src.mkdir()
    (src / "plot_ok.py").write_text(
        '"""\nOK\n==\n"""\nimport matplotlib.pyplot as plt\nplt.plot([1, 2])\n'
    )
    (src / "plot_bad.py").write_text(
        '"""\nBad\n===\n"""\nraise RuntimeError("broken on purpose")\n'
    )
    assert run(tmp_path / "out", scripts=src, quiet=True) == 1
    assert (tmp_path / "out" / "plot_ok_1.png").exists()


def test_a_figure_made_for_you_is_a_pyplot_figure():
    """ax=None draws on a new pyplot figure: it shows in notebooks and with plt.show()."""
    import viz

    before = set(plt.get_fignums())
    ax = viz.plot_wedge([[3.0, 1.0], [1.0, 2.0]])
    new = set(plt.get_fignums()) - before
    assert len(new) == 1
    assert plt.figure(new.pop()) is ax.figure
    plt.close(ax.figure)


# ---------------------------------------------------------------------- the visual language
def _rgb(colour):
    return tuple(np.round(matplotlib.colors.to_rgb(colour), 3))


def test_classes_and_regions_share_one_palette_with_a_legend():
    """A sample of class +1 has the colour of the f > 0 side: a well-classified sample
    sits on its own colour (the defect was red +1 samples on a blue f > 0 region)."""
    from viz import style

    X, y = gl.datasets.spiral(60)
    model = gl.ConvexReLUClassifier(alpha=1e-3 / 60).fit(X, y)
    ax = viz.plot_regions(model, X, y)
    points = ax.collections[-1].get_facecolors()[:, :3]
    f = model.decision_function(X)
    positive, negative = np.array(_rgb(style.SIGN_POSITIVE)), np.array(_rgb(style.SIGN_NEGATIVE))
    assert np.allclose(points[y > 0], positive, atol=2e-3)
    assert np.allclose(points[y < 0], negative, atol=2e-3)
    assert np.mean(np.sign(f) == np.sign(y)) == 1.0  # fitted: every sample on its own side
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:2] == ["f(x) > 0", "f(x) < 0"]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x₁", "x₂")


def test_a_classifier_without_classify_shows_its_decision_function():
    X, y = gl.datasets.spiral(40)
    labels = np.where(y > 0, "up", "down")  # predict gives these strings, not numbers
    model = gl.ConvexReLUClassifier(alpha=1e-3 / 40).fit(X, labels)
    ax = viz.plot_regions(model, X, labels, classify=False)
    levels = ax.collections[0].levels
    assert levels.min() < -0.5
    assert levels.max() > 0.5  # the real-valued f on a scale centred at 0
    assert len(ax.figure.axes) == 2  # and its colour bar


@pytest.mark.parametrize("d", [2, 3])
def test_the_output_weight_sign_has_one_cue_in_2d_and_3d(rng, d):
    from mpl_toolkits.mplot3d.art3d import Poly3DCollection

    from viz import style

    X = rng.standard_normal((12, d))
    W = rng.standard_normal((4, d))
    net = gl.ReLUNetwork(W, rng.standard_normal(4), np.array([1.0, -2.0, 0.5, -0.7]), 0.0)
    fig = plt.figure()
    ax = fig.add_subplot(projection="3d" if d == 3 else None)
    viz.plot_neurons(net, X, ax=ax, labels=False)
    if d == 2:
        drawn = [(_rgb(line.get_color()), line.get_linestyle()) for line in ax.get_lines()]
    else:
        drawn = [
            (_rgb(c.get_edgecolor()[0]), "--" if c.get_linestyle()[0][1] is not None else "-")
            for c in ax.collections
            if isinstance(c, Poly3DCollection)
        ]
    assert set(drawn) <= {(_rgb(style.WEIGHT_POSITIVE), "-"), (_rgb(style.WEIGHT_NEGATIVE), "--")}
    assert {style for _, style in drawn} == {"-", "--"}
    assert ax.get_legend() is not None
    if d == 3:
        lo, hi = X.min(axis=0), X.max(axis=0)
        aspect = ax.get_box_aspect()
        assert np.allclose(aspect / aspect.max(), (hi - lo) / (hi - lo).max(), rtol=0.1)


def test_the_slides_style_has_no_text_below_11_points():
    from viz import style

    before = matplotlib.rcParams["font.size"]
    with style.slides():
        X, y = gl.datasets.spiral(30)
        ax = viz.plot_regions(gl.ConvexReLUClassifier(alpha=1e-3 / 30).fit(X, y), X, y)
        ax.figure.canvas.draw()
        sizes = [t.get_fontsize() for t in ax.figure.findobj(matplotlib.text.Text) if t.get_text()]
    assert min(sizes) >= 11
    assert matplotlib.rcParams["font.size"] == before


def test_the_path_animation_keeps_one_scale_and_saves_a_gif(tmp_path, rng):
    """Every frame's lines use one width scale (the largest |z| on the path) and the
    background one colour scale; the GIF has one frame per penalty."""
    from PIL import Image

    X = rng.uniform(-1, 1, (10, 2))
    y = np.sign(X[:, 0] * X[:, 1])
    D = gl.WedgeDictionary(X)
    path = gl.lasso_path(D, y, n_alphas=6, eps=1e-2)
    anim = viz.animate_path(path, D, y, grid=30)
    ax = anim._fig.axes[0]
    norm = ax.collections[0].norm
    z = np.abs(path.coefs.toarray())  # (atoms, penalties), from the path, not the drawing
    widest = []
    for f in range(6):
        anim._func(f)
        assert ax.collections[0].norm is norm  # one colour scale
        widths = [line.get_linewidth() for line in ax.get_lines()]
        widest.append(max(widths, default=0.0))
        if z[:, f].max() > 0:  # each frame's widest line on the path's scale, not its own
            assert widest[-1] == pytest.approx(0.8 + 4.0 * z[:, f].max() / z.max())
    assert min(w for w in widest if w > 0) < 0.8 + 4.0 - 0.5  # so a frame-wise scale would fail
    files = viz.save_animation(anim, tmp_path / "path.gif", fps=4, dpi=40)
    with Image.open(files[0]) as gif:
        assert gif.n_frames == 6


def test_plot_explanation_of_exact_matches_has_meaningful_axes(rng):
    """A network whose neurons are wedge atoms (a ConvexReLU fit) in 3-D: angles of
    rounding size sit at 0 on an axis at least a degree tall, agreement within 0–100 %."""
    X = rng.standard_normal((14, 3))
    y = np.maximum(X @ [1.0, -1.0, 0.5], 0)
    model = gl.ConvexReLU(alpha=2e-2).fit(X, y)
    ax = viz.plot_explanation(gl.explain(model, X, y, alpha=2e-2))
    low, high = ax.get_ylim()
    assert high - low >= 1.0
    assert low <= 0.0
    assert ax.get_xlim()[1] <= 100.5
    assert len(ax.figure.axes) == 2  # the colour bar
