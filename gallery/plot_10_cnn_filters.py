"""
A convolutional network's filters, read as wedges of image patches
===================================================================

A two-layer CNN (3×3 filters, ReLU, sum pooling) trained globally on
scikit-learn's 8×8 digits (3 against 8) by the wedge-patch Lasso: each filter
is a hyperplane through 3×3 patches of the training images, and its response
on an image is the sum over the image's patches of the ReLU of a signed
volume. Each row shows a filter and three of the nine patches its hyperplane
passes through, boxed in their images.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle
from sklearn.datasets import load_digits

from geolasso.cnn import ConvexCNNClassifier

digits = load_digits()
keep = np.isin(digits.target, [3, 8])
X, y = digits.images[keep][:120] / 16.0, digits.target[keep][:120]
clf = ConvexCNNClassifier(kernel_size=3, alpha=1e-3, max_atoms=20_000, random_state=0).fit(X, y)
strength = [abs(f["output_weight"]) * np.abs(f["weight"]).sum() for f in clf.filters_]
top = [clf.filters_[k] for k in np.argsort(strength)[::-1][:4]]

fig, axes = plt.subplots(len(top), 4, figsize=(14, 3.3 * len(top)), layout="constrained")
lim = max(np.abs(f["weight"]).max() for f in top)  # one colour scale for every filter
for row, f in zip(axes, top, strict=True):
    w = f["weight"].reshape(3, 3)
    shown = row[0].imshow(w, cmap="RdBu", vmin=-lim, vmax=lim)
    row[0].set_title(f"filter {f['filter']} (v = {f['output_weight']:+.2f})")
    gens = f["patches"][:3]
    for ax, (image, r, c) in zip(row[1:], gens, strict=False):
        ax.imshow(X[image], cmap="gray_r", vmin=0, vmax=1)
        ax.add_patch(Rectangle((c - 0.5, r - 0.5), 3, 3, fill=False, ec="crimson", lw=2))
        ax.set_title(f"image {image} (a {y[image]}), patch ({r}, {c})")
    for ax in row[1 + len(gens) :]:
        ax.text(
            0.5,
            0.5,
            "axes " + ", ".join(f"e{a}" for a in f["axes"]) if f["axes"] else "",
            ha="center",
            va="center",
        )
    for ax in row:
        ax.set_xticks([])
        ax.set_yticks([])
fig.colorbar(shown, ax=axes[:, 0], shrink=0.6, label="filter weight")
fig.suptitle(
    f"{len(clf.filters_)} filters; training accuracy {clf.score(X, y):.3f}, "
    f"objective {clf.objective_:.4f} (sampled dictionary: an upper bound)"
)
plt.show()
