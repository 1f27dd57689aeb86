"""Exact wedge products, cross products, volumes and hyperplanes with sympy.

Overview
--------
The functions mirror :mod:`geolasso.algebra` with the same conventions
(lexicographic blade order, the cofactor sign of the generalized cross product,
the augmented hyperplane of docs/mathematics.md §3.4) but compute with sympy, exactly, on
integers, rationals or symbols. They serve two purposes: an independent oracle
for the floating-point kernels in the tests, and formulas for lectures
(:func:`blade_expression` and :func:`latex`).

Inputs are nested sequences (or sympy matrices) of numbers or sympy
expressions; floats are converted with :func:`sympy.nsimplify` so that
``0.5`` becomes ``1/2``. Results are immutable sympy matrices (row vectors) or
scalars.

Examples
--------
>>> from geolasso import symbolic
>>> symbolic.cross([[1, 2, 3], [4, 5, 6]])
Matrix([[-3, 6, -3]])
>>> import sympy
>>> a, b, c, d = sympy.symbols("a b c d")
>>> symbolic.latex(symbolic.blade_expression(symbolic.wedge([[a, b], [c, d]]), 2, 2))
'e_{12} \\\\left(a d - b c\\\\right)'
"""

from __future__ import annotations

import itertools
import math

import sympy

__all__ = [
    "blade_expression",
    "blade_norm",
    "cross",
    "hyperplane",
    "latex",
    "signed_volume",
    "simplex_volume",
    "wedge",
]


def _matrix(vectors, name: str) -> sympy.ImmutableMatrix:
    try:
        rows = [list(row) for row in vectors]
    except TypeError as exc:
        raise TypeError(f"{name} must be a sequence of vectors (rows); got {vectors!r}") from exc
    if not rows:
        raise ValueError(f"{name} must contain at least one vector")
    d = len(rows[0])
    if any(len(row) != d for row in rows):
        raise ValueError(f"{name} must be rectangular: rows of lengths {[len(r) for r in rows]}")
    if d == 0:
        raise ValueError(f"{name} must have vectors of length d >= 1")
    out = []
    for row in rows:
        converted = []
        for value in row:
            if isinstance(value, float):
                if not math.isfinite(value):
                    raise ValueError(f"{name} must be finite; got {value}")
                value = sympy.nsimplify(value, rational=True)
            try:
                expr = sympy.sympify(value, strict=True)
            except sympy.SympifyError as exc:
                raise TypeError(
                    f"{name} must contain numbers or sympy expressions; got {value!r}"
                ) from exc
            if expr.has(sympy.zoo, sympy.oo, -sympy.oo, sympy.nan):
                raise ValueError(f"{name} must be finite; got {expr}")
            converted.append(expr)
        out.append(converted)
    return sympy.ImmutableMatrix(out)


def wedge(vectors) -> sympy.ImmutableMatrix:
    """Exact wedge product of k vectors in R^d.

    Parameters
    ----------
    vectors : sequence of k sequences of length d
        The vectors as rows, ``1 <= k <= d``.

    Returns
    -------
    sympy.ImmutableMatrix, shape (1, C(d, k))
        The k×k minors in lexicographic order of column sets, as in
        :func:`geolasso.wedge`.
    """
    A = _matrix(vectors, "vectors")
    k, d = A.shape
    if k > d:
        raise ValueError(f"vectors must hold k <= d vectors; got {k} vectors in R^{d}")
    minors = [
        sympy.expand(A.extract(list(range(k)), list(S)).det(method="berkowitz"))
        for S in itertools.combinations(range(d), k)
    ]
    return sympy.ImmutableMatrix([minors])


def cross(vectors) -> sympy.ImmutableMatrix:
    """Exact generalized cross product of d-1 vectors in R^d.

    Component k (1-indexed) is ``(-1)^(k+1) det(A without column k)``.

    Parameters
    ----------
    vectors : sequence of d-1 sequences of length d
        The vectors as rows.

    Returns
    -------
    sympy.ImmutableMatrix, shape (1, d)
    """
    A = _matrix(vectors, "vectors")
    k, d = A.shape
    if k != d - 1:
        raise ValueError(f"vectors must hold d - 1 vectors in R^d; got {k} vector(s) in R^{d}")
    comps = []
    for c in range(d):
        cols = [j for j in range(d) if j != c]
        comps.append(sympy.expand((-1) ** c * A.extract(list(range(k)), cols).det()))
    return sympy.ImmutableMatrix([comps])


def blade_norm(vectors) -> sympy.Expr:
    """Exact k-volume ``sqrt(det(A A^T))`` of the parallelotope of k vectors.

    Parameters
    ----------
    vectors : sequence of k sequences of length d
        The vectors as rows.

    Returns
    -------
    sympy.Expr
        A non-negative exact number (or expression).
    """
    A = _matrix(vectors, "vectors")
    return sympy.sqrt(sympy.factor((A * A.T).det()))


def signed_volume(vectors) -> sympy.Expr:
    """Exact signed d-volume (determinant) of d vectors in R^d.

    Parameters
    ----------
    vectors : sequence of d sequences of length d
        The vectors as rows.

    Returns
    -------
    sympy.Expr
    """
    A = _matrix(vectors, "vectors")
    if A.shape[0] != A.shape[1]:
        raise ValueError(f"vectors must hold d vectors in R^d; got shape {A.shape}")
    return sympy.expand(A.det())


def simplex_volume(points) -> sympy.Expr:
    """Exact signed volume ``det[p_1 - p_0; ...; p_d - p_0] / d!`` of a simplex.

    Parameters
    ----------
    points : sequence of d + 1 sequences of length d
        The vertices.

    Returns
    -------
    sympy.Expr
    """
    P = _matrix(points, "points")
    k, d = P.shape
    if k != d + 1:
        raise ValueError(f"points must hold d + 1 points in R^d; got {k} point(s) in R^{d}")
    edges = sympy.ImmutableMatrix([[P[i, j] - P[0, j] for j in range(d)] for i in range(1, k)])
    return sympy.expand(edges.det()) / sympy.factorial(d)


def hyperplane(points) -> tuple[sympy.ImmutableMatrix, sympy.Expr]:
    """Exact hyperplane ``w·x + b = 0`` through d points of R^d.

    ``(w, b)`` is the cross product of the augmented points ``(p_i, 1)``, as
    in :func:`geolasso.hyperplane`.

    Parameters
    ----------
    points : sequence of d sequences of length d
        The points.

    Returns
    -------
    w : sympy.ImmutableMatrix, shape (1, d)
    b : sympy.Expr
    """
    P = _matrix(points, "points")
    k, d = P.shape
    if k != d:
        raise ValueError(f"points must hold d points in R^d; got {k} point(s) in R^{d}")
    u = cross([[*P.row(i), 1] for i in range(d)])
    return sympy.ImmutableMatrix([list(u)[:d]]), u[d]


def blade_expression(coefficients, d: int, k: int) -> sympy.Expr:
    """A k-vector as a readable sum ``Σ c_S e_S`` for display.

    The basis blades are commutative placeholder symbols named ``e_{12}``,
    ``e_{134}``, ... (1-based indices); the expression is meant for printing
    and LaTeX, not for geometric products.

    Parameters
    ----------
    coefficients : sequence or sympy matrix of length C(d, k)
        Coefficients in lexicographic blade order (as from :func:`wedge`).
    d : int
        Dimension.
    k : int
        Grade.

    Returns
    -------
    sympy.Expr
    """
    coeffs = list(coefficients)
    blades = list(itertools.combinations(range(1, d + 1), k))
    if len(coeffs) != len(blades):
        raise ValueError(
            f"coefficients must have C({d}, {k}) = {len(blades)} entries; got {len(coeffs)}"
        )
    sep = "," if d >= 10 else ""
    terms = [
        sympy.sympify(c) * sympy.Symbol("e_{" + sep.join(map(str, S)) + "}")
        for c, S in zip(coeffs, blades, strict=True)
    ]
    return sympy.Add(*terms, evaluate=True)


def latex(expr) -> str:
    """LaTeX source of a sympy expression or matrix from this module.

    Parameters
    ----------
    expr : sympy.Basic
        For example the result of :func:`cross` or :func:`blade_expression`.

    Returns
    -------
    str
    """
    return sympy.latex(expr)
