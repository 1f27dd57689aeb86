"""
What batch normalisation changes: lines priced in whitened coordinates
======================================================================

A two-layer ReLU network with batch normalisation (BN) before the ReLU,
``f(x) = c + Σ_j v_j (γ_j (x·w_j − mean_j) / ‖·‖ + β_j)_+`` (mean and norm over
the training batch), trained with weight decay on ``(γ, β, v)``, is a plain
two-layer ReLU network on the **whitened** samples ``U`` (centred data
``= U Σ Vᵀ``) whose hidden biases ``β`` are penalised with the weights. Its
training is a convex program, solved here to its certified global optimum
(``geolasso.batchnorm``), beside the plain network's (``ConvexReLUClassifier``:
weight decay on ``(w, v)``, free biases). A BN neuron is still a line in the
original coordinates; what BN changes is which lines are cheap.
"""

# %%
# Data with a wide and a thin direction
# -------------------------------------
# Two interleaved half-moons, stretched five times more along one axis than
# the other and rotated: the classes are separated across the **thin**
# direction. Both networks are fitted by the exact arrangement program (every
# activation pattern of the 80 samples enumerated), each with a penalty that
# gives six neurons. The two penalties are not comparable: the plain
# network's carries the units of ``x``, BN's does not.
import time

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from sklearn.datasets import make_moons

import geolasso as gl
import viz
from geolasso.batchnorm import ConvexBatchNormReLUClassifier
from viz import style

moons, y = make_moons(n_samples=80, noise=0.12, random_state=0)
angle = np.deg2rad(40)
rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
X = (moons - moons.mean(axis=0)) @ np.diag([2.0, 0.4]) @ rotation.T
y_pm = np.where(y == 1, 1.0, -1.0)  # the ±1 targets both classifiers fit (squared loss)

alpha_plain, alpha_bn = 0.055, 0.004
start = time.perf_counter()
plain = gl.ConvexReLUClassifier(
    alpha=alpha_plain, method="arrangement", norm="l2", random_state=0
).fit(X, y)
plain_time = time.perf_counter() - start
start = time.perf_counter()
bn = ConvexBatchNormReLUClassifier(alpha=alpha_bn, random_state=0).fit(X, y)
bn_time = time.perf_counter() - start
for name, model, seconds in (("plain", plain, plain_time), ("BN", bn, bn_time)):
    print(
        f"{name:>5}: {model.n_neurons_} neurons, J = {model.objective_:.6f}, exact: "
        f"{model.exact_} (certified gap {model.optimality_gap_:.1e}), "
        f"training accuracy {model.score(X, y):.3f}, {seconds:.1f} s"
    )


def draw_lines(ax, weights, biases, output_weights, lo, hi, *, numbers=False):
    """Each neuron's line ``w·x + b = 0`` in the box, by the sign cue of its output weight;
    with ``numbers``, each labelled by its index in ``features_``."""
    biggest = max(np.abs(output_weights).max(initial=0.0), 1e-300)
    scale = np.asarray(hi) - np.asarray(lo)
    placed = []
    for j, (w, b, v) in enumerate(zip(weights, biases, output_weights, strict=True)):
        normal = np.asarray(w, dtype=float)
        x0 = -b * normal / (normal @ normal)  # the line: x0 + s·along
        along = np.array([-normal[1], normal[0]]) / np.linalg.norm(normal)
        s = []
        for k in (0, 1):
            if abs(along[k]) > 1e-12:
                s += [(lo[k] - x0[k]) / along[k], (hi[k] - x0[k]) / along[k]]
        s = np.sort(s)[len(s) // 2 - 1 : len(s) // 2 + 1]  # the part inside the box
        if s[0] >= s[1]:
            continue  # the line misses the box
        ends = x0 + np.outer(s, along)
        colour = style.weight_color(v)
        ax.plot(
            *ends.T,
            color=colour,
            ls=style.weight_linestyle(v),
            lw=1.0 + 2.5 * abs(v) / biggest,
            zorder=2,
        )
        if numbers:  # at the point of the segment farthest from the labels placed so far
            points = ends[0] + np.linspace(0.1, 0.9, 17)[:, None] * (ends[1] - ends[0])
            gaps = [min([np.linalg.norm((p - q) / scale) for q in placed] + [9.0]) for p in points]
            where = points[int(np.argmax(gaps))]
            placed.append(where)
            ax.annotate(
                str(j),
                where,
                fontsize="small",
                color=colour,
                weight="bold",
                ha="center",
                va="center",
                bbox={"boxstyle": "circle,pad=0.2", "fc": "white", "ec": colour, "lw": 1},
                zorder=5,
            )


def legend_below(fig):
    """One legend for the figure, under the panels: classes, regions, the neurons' cue."""
    handles = [
        Line2D([], [], ls="", marker="o", color=style.SIGN_POSITIVE, mec="k", label="class 1"),
        Line2D([], [], ls="", marker="o", color=style.SIGN_NEGATIVE, mec="k", label="class 0"),
        Patch(facecolor=style.REGION_POSITIVE, edgecolor="0.5", label="f > 0"),
        Patch(facecolor=style.REGION_NEGATIVE, edgecolor="0.5", label="f < 0"),
        Line2D([], [], color=style.WEIGHT_POSITIVE, ls="-", lw=2, label="neuron, v > 0"),
        Line2D([], [], color=style.WEIGHT_NEGATIVE, ls="--", lw=2, label="neuron, v < 0"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize="medium")


def panel(ax, model, points, weights, biases, output_weights, *, numbers=False):
    """Decision regions of ``model`` over ``points``' box, the samples, the neurons' lines."""
    viz.plot_regions(model, points, y, ax=ax, classify=True, neurons=False, legend=False)
    lo, hi = np.array(ax.get_xlim()), np.array(ax.get_ylim())
    lo, hi = np.array([lo[0], hi[0]]), np.array([lo[1], hi[1]])
    draw_lines(ax, weights, biases, np.asarray(output_weights), lo, hi, numbers=numbers)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])


def lines_of(model):
    """(weights, biases, output weights) of the neurons' lines in the original coordinates."""
    return tuple([f[key] for f in model.features_] for key in ("weight", "bias", "output_weight"))


# %%
# The neurons as lines, in the original coordinates
# -------------------------------------------------
# Each neuron is drawn as the line where its ReLU switches on (solid purple:
# output weight ``v > 0``; dashed green: ``v < 0``; width by ``|v|``) over the
# decision regions. A BN neuron's line is ``features_[j]["weight"]·x +
# features_[j]["bias"] = 0``: BN shifts and scales the pre-activation
# ``x·w_j``, so each BN neuron is still a line.
#
# Weight decay prices a neuron by its slope: a plain neuron's output rises by
# ``|v| ‖w‖`` per unit distance across its line and costs at least ``α |v| ‖w‖``,
# so the same rise across a short distance (the thin direction) costs more
# than across a long one. BN divides each pre-activation by its spread over
# the batch, so a BN neuron's ``γ`` is ``√n`` times its slope per standard
# deviation of the data along its normal: a rise across one standard
# deviation costs the same in every direction. Here every line of the plain
# network crosses the data's long axis at a clear angle, while most of the BN
# network's run nearly along it and split the classes across the thin
# direction (the angles are printed below).
fig, axes = plt.subplots(1, 2, figsize=(13, 6.4), layout="constrained")
panel(axes[0], plain, X, *lines_of(plain))
axes[0].set_title(f"plain: {plain.n_neurons_} neurons", fontsize="medium")
panel(axes[1], bn, X, *lines_of(bn))
axes[1].set_title(f"with batch norm: {bn.n_neurons_} neurons", fontsize="medium")
legend_below(fig)
plt.show()

long_axis = bn.whitening_.components[:, 0]
for name, model in (("plain", plain), ("BN", bn)):
    normals = np.array(lines_of(model)[0])
    cosines = np.abs(normals @ long_axis) / np.linalg.norm(normals, axis=1)
    angles = np.sort(np.degrees(np.arcsin(np.minimum(cosines, 1.0))))
    print(f"{name:>5}: angles of the lines to the long axis (degrees): {np.round(angles, 0)}")

# %%
# The same BN network on the whitened samples
# -------------------------------------------
# Whitening is the affine map ``x ↦ (x − x̄) V Σ⁻¹`` (``whitening_.transform``):
# centre, turn the principal axes ``V`` onto the coordinate axes, divide each
# coordinate by its singular value. It takes the training samples to the rows
# of ``U``, equally spread in every direction. Left: the BN network in the
# original coordinates, with the principal axes (arrows of one standard
# deviation, ``σ_k = Σ_k / √n``) and the ellipses of one and two standard
# deviations. Right: the images under whitening, circles, and the network on
# ``U`` (``inner_network_``: weights ``γ_j q_j``, biases ``β_j``), an ordinary
# ReLU network whose every neuron costs ``γ_j² + β_j² + v_j²``. The map is
# affine, so lines go to lines, neuron ``j`` to neuron ``j``, and the regions
# correspond exactly.
white = bn.whitening_
U = white.transform(X)
n = len(X)
sigma = white.singular_values / np.sqrt(n)
inner = bn.inner_network_
theta = np.linspace(0, 2 * np.pi, 200)
circle = np.column_stack([np.cos(theta), np.sin(theta)])

# the panels' widths in proportion to their boxes' aspects: equal heights
aspects = [np.ptp(P[:, 0]) / np.ptp(P[:, 1]) for P in (X, U)]
fig, axes = plt.subplots(
    1, 2, figsize=(13, 6.4), layout="constrained", gridspec_kw={"width_ratios": aspects}
)
ax = axes[0]
panel(ax, bn, X, *lines_of(bn), numbers=True)
for radius in (1, 2):
    ellipse = white.mean + (radius * circle * sigma) @ white.components.T
    ax.plot(*ellipse.T, color="0.2", lw=1.3, ls=":", zorder=1)
for k in range(2):
    tip = sigma[k] * white.components[:, k]
    ax.annotate(
        "",
        xy=white.mean + tip,
        xytext=white.mean,
        arrowprops={"arrowstyle": "-|>", "color": "k", "lw": 1.8, "shrinkA": 0, "shrinkB": 0},
        zorder=4,
    )
    ax.annotate(
        f"σ{'₁₂'[k]}",
        white.mean + tip,
        xytext=18 * white.components[:, k] / np.linalg.norm(white.components[:, k]),
        textcoords="offset points",
        fontsize="medium",
        ha="center",
        va="center",
        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85},
        zorder=5,
    )
ax.set_title(f"original: σ₁ / σ₂ = {sigma[0] / sigma[1]:.1f}", fontsize="medium")

ax = axes[1]
panel(ax, inner, U, inner.W, inner.b, inner.v, numbers=True)
for radius in (1, 2):
    ax.plot(*(radius * circle / np.sqrt(n)).T, color="0.2", lw=1.3, ls=":", zorder=1)
ax.set_xlabel("u₁")
ax.set_ylabel("u₂")
ax.set_title("whitened: U", fontsize="medium")
legend_below(fig)
plt.show()

# %%
# The numbers
# -----------
# The convex program's value is the BN network's training objective with BN in
# training mode (batch statistics), on the ±1 targets the classifier fits.
# The program sees the data only through ``U``, and an invertible affine map
# of the inputs only turns ``U`` by an orthogonal matrix, which the penalty
# does not see: BN's optimum is the same on the unstretched moons. (The plain
# network's is invariant only under rigid motions, and under uniform scalings
# with ``α`` scaled alike.) Exported to torch
# (``Linear → BatchNorm1d → ReLU → Linear``), the network gives the same
# outputs in ``train()`` mode on the training batch and in ``eval()`` mode
# (stored batch statistics) on new points.
print(bn.describe())
j_bn = bn.network_.objective(X, y_pm, alpha_bn)
print(f"objective_ = {bn.objective_:.10f}; network_.objective(X, ±1, α) = {j_bn:.10f}")
unstretched = ConvexBatchNormReLUClassifier(alpha=alpha_bn, random_state=0).fit(moons, y)
print(
    f"BN on the unstretched moons: J = {unstretched.objective_:.10f}, "
    f"{unstretched.n_neurons_} neurons (exact: {unstretched.exact_})"
)
try:
    import torch
except ImportError:
    print("torch is optional (pip install torch): the export check is skipped")
else:
    module = bn.to_torch()
    P = np.random.default_rng(1).uniform(X.min(axis=0), X.max(axis=0), (500, 2))
    with torch.no_grad():
        train_out = module.train()(torch.as_tensor(X)).numpy().ravel()
        eval_out = module.eval()(torch.as_tensor(P)).numpy().ravel()
    print(
        "torch, max |difference|: train() on the batch "
        f"{np.abs(train_out - bn.network_.forward(X)).max():.1e}, eval() on 500 new points "
        f"{np.abs(eval_out - bn.decision_function(P)).max():.1e}"
    )
