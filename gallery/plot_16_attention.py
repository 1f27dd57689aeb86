"""
Convex self-attention: which rows of a digit the optimal heads compare
======================================================================

A self-attention block with a linear score, ``f(X) = Σ_j (X W_j Xᵀ) X V_j``,
read out by the mean over tokens, and trained with weight decay on every
``W_j`` and ``V_j``, is a convex program: its output is linear in the lifted
variable ``Z = Σ_j vec(W_j) vec(V_j)ᵀ``, and the weight decay, minimised over
the heads, is the nuclear norm of ``Z`` (Sahiner et al., ICML 2022;
docs/mathematics.md §7.3). The program is solved to a certified global
optimum (``geolasso.attention``) and the SVD of ``Z`` gives the heads: as
many as its rank, no more.

Here each 8×8 image of scikit-learn's digits is a sequence of 8 tokens, its
rows, each of dimension 8.
"""

# %%
# The certified fit
# -----------------
# 500 digits, ten classes (one-hot targets ±1), a penalty a hundredth of the
# smallest one at which the block is zero.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits

from geolasso.attention import ConvexAttentionClassifier

digits = load_digits()
X = digits.images[:500] / 16.0  # (n, 8 tokens, 8 dimensions)
labels = digits.target[:500]
top = ConvexAttentionClassifier(alpha=1.0).fit(X, labels).alpha_max_
model = ConvexAttentionClassifier(alpha=top / 100).fit(X, labels)
print(
    f"{model.n_heads_} heads, objective {model.objective_:.6g}, certified relative gap "
    f"{model.relative_gap_:.1e} (exact_ = {model.exact_}), training accuracy "
    f"{model.score(X, labels):.3f}"
)
Y = np.where(labels[:, None] == model.classes_, 1.0, -1.0)  # the targets it fitted
print(f"the rebuilt heads' own objective: {model.network().objective(X, Y, model.alpha):.6g}")

# %%
# Which token pairs each head uses
# --------------------------------
# ``interactions()`` measures, for every head, how much each (query row ``a``,
# key row ``b``) pair adds to the head's output, averaged over the digits. The
# heads are the rank-one terms of ``Z``, the four largest shown. The maps are
# measurements of this fit, not a claim about digits in general: here the
# contributions are far from uniform, several heads lean on a few key rows
# (the second row, where the top stroke is, in the largest head), and a row
# compared with itself (the diagonal) contributes little.
maps = model.interactions(X)
strength = np.array([h.singular_value for h in model.heads_])
order = np.argsort(-strength)[:4]
fig, axes = plt.subplots(2, 2, figsize=(8, 7.2), constrained_layout=True)
vmax = maps[order].max()
for ax, j in zip(axes.ravel(), order, strict=False):
    im = ax.imshow(maps[j], cmap="Purples", vmin=0, vmax=vmax)
    ax.set_title(f"head {j}: σ = {strength[j]:.3g}", fontsize="medium")
    ax.set_xlabel("key row b", fontsize="small")
    ax.set_ylabel("query row a", fontsize="small")
    ax.set_xticks(range(0, 8, 2))
    ax.set_yticks(range(0, 8, 2))
fig.colorbar(im, ax=axes, shrink=0.8, label="mean contribution")
plt.show()

# %%
# All heads together, and a digit
# -------------------------------
# Summed over the heads, the interactions form the block's token-to-token map
# (left), beside the mean digit (right), to read the rows against. The same
# maps can be drawn for any fitted block, gated ones included
# (``activation="gated"``: a fixed mask ``1[x_aᵀ G x_b ≥ 0]`` on each score).
fig, (left, right) = plt.subplots(1, 2, figsize=(9, 4.4), constrained_layout=True)
im = left.imshow(maps.sum(axis=0), cmap="Purples")
left.set_title("all heads: token pairs", fontsize="medium")
left.set_xlabel("key row b", fontsize="small")
left.set_ylabel("query row a", fontsize="small")
fig.colorbar(im, ax=left, shrink=0.8, label="mean contribution")
ink = right.imshow(X.mean(axis=0), cmap="Greys")
right.set_title("the mean digit", fontsize="medium")
right.set_xlabel("column", fontsize="small")
right.set_ylabel("row (token)", fontsize="small")
fig.colorbar(ink, ax=right, shrink=0.8, label="mean ink")
plt.show()
