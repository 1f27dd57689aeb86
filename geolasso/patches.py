"""Patch extraction: the patches of signals and images, their positions and pattern bounds.

The rows a two-layer convolutional ReLU network sees: :func:`patches` cuts
1-D signals and 2-D (multi-channel) images into flattened patches in the
column order of ``torch.nn.functional.unfold``; :func:`patch_pattern_bound`
bounds the activation patterns of the stacked patch matrix
(docs/mathematics.md §6). Used by :mod:`geolasso.cnn` and
:mod:`geolasso.convnet`.
"""

from __future__ import annotations

import math

import numpy as np

from ._validation import as_float_array, as_positive_int

__all__ = ["patch_pattern_bound", "patches"]


def pair(value, name, minimum):
    if np.ndim(value) == 0:
        value = (value, value)
    value = tuple(int(v) for v in value)
    if len(value) != 2 or any(v < minimum for v in value):
        raise ValueError(f"{name} must be an int or a pair of ints >= {minimum}; got {value}")
    return value


def as_images(images):
    """(n, C, H, W) float64 and whether the input was 1-D signals."""
    try:  # no dtype here: a cast would drop the imaginary part of complex images
        arr = np.asarray(images)
    except ValueError as exc:
        raise ValueError(
            f"images must all have the same shape (a rectangular array); got ragged input ({exc})"
        ) from None
    arr = as_float_array(arr, "images")
    if arr.ndim == 2:  # (n, L) signals
        return arr[:, None, None, :], True
    if arr.ndim == 3:  # (n, H, W) single-channel images
        return arr[:, None, :, :], False
    if arr.ndim == 4:
        return arr, False
    raise ValueError(
        f"images must have shape (n, L) (signals), (n, H, W) or (n, C, H, W); got {arr.shape}"
    )


def patches(images, kernel_size, *, stride=1, padding=0):
    """Patches of 1-D signals or 2-D images, one row per position.

    Parameters
    ----------
    images : array_like
        ``(n, L)`` signals, ``(n, H, W)`` images or ``(n, C, H, W)``
        multi-channel images.
    kernel_size : int or (int, int)
        Filter size (for signals, an int).
    stride : int or (int, int), default=1
        Step between patches.
    padding : int or (int, int), default=0
        Zeros added on each side.

    Returns
    -------
    ndarray of float64, shape (n, K, h)
        ``K`` patches per image, each flattened channel first, then rows,
        then columns (the order of ``torch.nn.functional.unfold``);
        positions in row-major order.

    Raises
    ------
    ValueError
        For ragged input, a filter larger than the (padded) image, or a
        stride or kernel size below 1.

    Examples
    --------
    >>> patches([[1.0, 2.0, 3.0, 4.0]], 2).tolist()
    [[[1.0, 2.0], [2.0, 3.0], [3.0, 4.0]]]
    """
    X, signal = as_images(images)
    return patches_of(X, signal, kernel_size, stride, padding)


def patches_of(X, signal, kernel_size, stride, padding):
    """:func:`patches` of images already converted by :func:`as_images` (4-D, and
    whether they were signals)."""
    if signal:
        k = as_positive_int(kernel_size, "kernel_size")
        s = as_positive_int(stride, "stride")
        pad = as_positive_int(padding, "padding", minimum=0)
        kh, kw, sh, sw, ph, pw = 1, k, 1, s, 0, pad
    else:
        kh, kw = pair(kernel_size, "kernel_size", 1)
        sh, sw = pair(stride, "stride", 1)
        ph, pw = pair(padding, "padding", 0)
    n, C = X.shape[:2]
    if ph or pw:
        X = np.pad(X, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    Hp, Wp = X.shape[2:]
    if kh > Hp or kw > Wp:
        raise ValueError(
            f"kernel_size {(kh, kw) if not signal else kw} is larger than the "
            f"{'signal' if signal else 'image'} ({Hp} x {Wp} with padding)"
        )
    win = np.lib.stride_tricks.sliding_window_view(X, (kh, kw), axis=(2, 3))
    win = win[:, :, ::sh, ::sw]  # (n, C, Ho, Wo, kh, kw)
    Ho, Wo = win.shape[2:4]
    out = win.transpose(0, 2, 3, 1, 4, 5).reshape(n, Ho * Wo, C * kh * kw)
    return np.ascontiguousarray(out)


def patch_pattern_bound(n_rows: int, rank: int) -> int:
    """Upper bound on the activation patterns of a stacked patch matrix (docs/mathematics.md §6).

    ``P ≤ 2 Σ_{l < r} C(N − 1, l)`` for ``N`` stacked rows of rank ``r``
    (``r ≤ h``, plus one with a bias column): polynomial in the number of
    images and patches for a fixed filter size.

    Parameters
    ----------
    n_rows : int
        Rows of the stacked patch matrix (images × patches).
    rank : int
        Its rank.

    Returns
    -------
    int

    Examples
    --------
    >>> patch_pattern_bound(18, 3)
    308
    """
    n_rows = as_positive_int(n_rows, "n_rows")
    rank = as_positive_int(rank, "rank")
    return 2 * sum(math.comb(n_rows - 1, k) for k in range(rank))


def patch_positions(shape4, kernel, stride, padding):
    """Top-left corner (row, column) of every patch, in unpadded image coordinates."""
    _, _, H, W = shape4
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    rows = np.arange(0, H + 2 * ph - kh + 1, sh) - ph
    cols = np.arange(0, W + 2 * pw - kw + 1, sw) - pw
    return [(int(r), int(c)) for r in rows for c in cols]
