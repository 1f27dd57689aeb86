"""The ``geolasso`` command line.

``geolasso demo`` runs the main worked example; ``geolasso fit`` and
``geolasso predict`` train and apply a network on a CSV file; ``geolasso
inspect`` explains which wedge features each neuron of a trained network uses
(a geolasso model or a torch file); ``geolasso --version`` prints the version.
"""

from __future__ import annotations

import argparse
import io
import sys

import numpy as np

from . import algebra
from ._version import __version__

__all__ = ["main"]


def _fmt(values) -> str:
    arr = np.atleast_1d(np.asarray(values, dtype=float))
    return "(" + ", ".join(f"{v:g}" for v in arr) + ")"


def _linear_form(w, b) -> str:
    text = ""
    for i, c in enumerate(w, start=1):
        if c == 0:
            continue
        sign = "-" if c < 0 else "+"
        mag = "" if abs(c) == 1 else f"{abs(c):g}·"
        text += f" {sign} {mag}u{i}" if text else f"{'-' if c < 0 else ''}{mag}u{i}"
    if b:
        text += f" {'-' if b < 0 else '+'} {abs(b):g}"
    return f"{text} = 0"


def _blade_names(d: int, k: int) -> str:
    return ", ".join("e" + "".join(str(i + 1) for i in S) for S in algebra.blade_basis(d, k))


def demo(out=None, *, quiet: bool = False, plot=None) -> None:
    """Print the worked example, then train a network on the spiral to its global optimum.

    The algebra (wedges, volumes, cross product and hyperplane of 3 samples),
    the spiral's wedge dictionary, and a certified global fit of a two-layer
    ReLU network with its neurons read as hyperplanes through samples.

    Parameters
    ----------
    out : file-like, optional
        Where to print; standard output by default.
    quiet : bool, default=False
        No progress bar.
    plot : str or path-like, optional
        Also draw the fitted spiral's regions and neurons to this image
        (through the ``viz`` plugin).
    """
    from . import symbolic

    out = sys.stdout if out is None else out

    def say(text=""):
        print(text, file=out)

    X = np.array([[1.0, 0.0, 2.0], [0.0, 3.0, 1.0], [2.0, 1.0, 0.0]])
    say(f"geolasso {__version__}: the algebra behind wedge-product features")
    say()
    say("Three samples in R^3:")
    for i, x in enumerate(X, start=1):
        say(f"  x{i} = {_fmt(x)}")
    say()
    say(f"Wedges of pairs, coefficients on ({_blade_names(3, 2)}), and parallelogram areas:")
    pairs = algebra.subsets(3, 2)
    wedges = algebra.wedge_all(X, pairs)
    areas = algebra.blade_norm(X[pairs])
    for (i, j), w, a in zip(pairs, wedges, areas, strict=True):
        say(f"  x{i + 1}∧x{j + 1} = {_fmt(w)}   area |x{i + 1}∧x{j + 1}| = {a:.4f}")
    vol = float(algebra.signed_volume(X))
    exact = symbolic.signed_volume(X.astype(int).tolist())
    say()
    say(f"Trivector x1∧x2∧x3 = {vol:g} e123: the signed volume of the parallelepiped")
    say(f"  (sympy, exactly: det = {exact})")
    n = algebra.cross(X[:2])
    say()
    say(f"Cross product ×(x1, x2) = {_fmt(n)} (the Hodge dual of x1∧x2)")
    say(f"  ⟨×(x1, x2), x1⟩ = {n @ X[0]:g}, ⟨×(x1, x2), x2⟩ = {n @ X[1]:g}  (orthogonal)")
    say(f"  ⟨x3, ×(x1, x2)⟩ = {n @ X[2]:g} = det[x3; x1; x2]  (a signed volume)")
    w, b = algebra.hyperplane(X)
    b = float(b)
    say()
    say("Hyperplane through x1, x2, x3 (cross product of the points with a 1 appended):")
    say(f"  w = {_fmt(w)}, b = {b:g}:  {_linear_form(w, b)}")
    say(f"  w·x_i + b = {_fmt(X @ w + b)} at the three samples")
    x = np.array([0.0, 0.0, 0.0])
    value = float(w @ x + b)
    simplex = float(algebra.simplex_volume(np.vstack([x, X])))
    say()
    say(f"A new sample x = {_fmt(x)}:")
    say(f"  w·x + b = {value:g} = (-1)^3 · 3! · vol(simplex x, x1, x2, x3) = -6 · ({simplex:g})")
    say(f"  signed distance to the plane (w·x + b)/|w| = {value / np.linalg.norm(w):.4f}")
    say(
        f"  ReLU features of the two orientations: ({value:g})_+ = {max(value, 0.0):g}, "
        f"({-value:g})_+ = {max(-value, 0.0):g}"
    )
    say()
    say("A ReLU neuron whose hyperplane passes through training samples computes exactly")
    say("such a feature: the ReLU of a signed volume spanned by the sample and the data.")
    _dictionary_demo(say, quiet, plot)


def _dictionary_demo(say, quiet, plot=None) -> None:
    """The wedge dictionary of the 2-D spiral and the first atom a Lasso selects."""
    from .datasets import spiral
    from .dictionary import WedgeDictionary, alpha_max

    X, y = spiral()
    D = WedgeDictionary(X)
    say()
    say(
        f"The wedge-product Lasso dictionary of the two-arm spiral "
        f"({X.shape[0]} samples, labels ±1):"
    )
    for line in D.summary().splitlines():
        say(f"  {line}")
    scores = np.abs(D.rmatvec(y - y.mean()))
    first = int(np.argmax(scores))
    say()
    say(
        f"alpha_max = {alpha_max(D, y):.4g}: below it the Lasso's first atom is the one most "
        "correlated with the centred labels,"
    )
    for line in D.describe(first).splitlines():
        say(f"  {line}")
    _training_demo(say, X, y, 1e-3 / len(y), quiet, plot)


def _training_demo(say, X, y, alpha, quiet, plot=None) -> None:
    """Train the spiral network to its global optimum and say what it found."""
    import time

    from .convex import ConvexReLUClassifier

    start = time.perf_counter()
    model = ConvexReLUClassifier(alpha=alpha, verbose=not quiet).fit(X, y)
    seconds = time.perf_counter() - start
    say()
    say(
        f"Global training of a two-layer ReLU network on the spiral at alpha = {alpha:.4g} "
        f"(β = nα = {alpha * len(y):g} in the papers' scaling, "
        "docs/mathematics.md §8.2), ℓ1 first-layer "
        "norm (the exact mode):"
    )
    say(
        f"  {model.n_neurons_} neurons, objective {model.objective_:.10f}, "
        f"Lasso relative duality gap {model.lasso_gap_:.1e}, {seconds:.2f} s"
    )
    say(f"  training accuracy {model.score(X, y):.3f}")
    say("Certificate (dual bound over every atom of the exact dictionary):")
    for line in str(model.certificate_).splitlines():
        say(f"  {line}")
    say("The neurons with the largest Lasso coefficients, as hyperplanes through samples:")
    for line in model.describe(top=8).splitlines()[1:]:
        say(f"  {line}")
    if plot is not None:
        ax = _plugin("regions")(model, X, y)
        cert = model.certificate_
        claim = (
            "certified global optimum"
            if cert is not None and cert.optimal
            else f"relative gap {model.optimality_gap_ / model.objective_:.1e}"
        )
        ax.set_title(f"spiral: {claim}, {model.n_neurons_} neurons")
        _save_figure(ax.figure, plot)
        say(f"Figure written to {plot}")


def _count(text):
    """An argparse type: an integer >= 0 (a usage error otherwise, exit status 2)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0; got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0; got {text!r}")
    return value


def _positive_float(text):
    """An argparse type: a finite number > 0 (a usage error otherwise, exit status 2)."""
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number > 0; got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a finite number > 0; got {text!r}")
    return value


class CLIError(Exception):
    """A user-facing error of the command line: printed without a traceback."""


_MISSING = {"", "na", "nan", "null", "none", "?"}


def read_csv(path, *, target=None, numeric_target=True, usecols=None):
    """Read a CSV file with a header row into a float64 feature matrix (and a target).

    Parameters
    ----------
    path : str or path-like
        The file; the first row names the columns.
    target : str, optional
        Column to return separately as the target.
    numeric_target : bool, default=True
        Parse the target as numbers; otherwise keep its values as strings
        (class labels).
    usecols : list of str, optional
        Read only these feature columns, in this order (others are ignored).

    Returns
    -------
    X : ndarray of float64, shape (n_rows, n_columns)
        Every column but the target.
    y : ndarray or None
        The target column (float64, or str when ``numeric_target=False``).
    columns : list of str
        Names of the columns of ``X``.

    Raises
    ------
    CLIError
        On a missing file or target column, a missing value or a non-numeric
        entry (naming the column and the row), ragged rows, or no data.
    """
    import csv
    from pathlib import Path

    path = Path(path)
    try:
        # utf-8-sig: a byte-order mark (spreadsheet exports) is not part of the first name
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.reader(fh))
    except FileNotFoundError:
        raise CLIError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CLIError(f"{path}: cannot read it as a CSV file ({exc})") from None
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if len(rows) < 2:
        raise CLIError(f"{path}: needs a header row and at least one data row")
    header = [h.strip() for h in rows[0]]
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        raise CLIError(f"{path}: the header repeats the column names {repeated}")
    if target is not None and target not in header:
        raise CLIError(f"{path}: no column named {target!r}; the columns are {header}")
    if usecols is not None:
        missing = [c for c in usecols if c not in header]
        if missing:
            raise CLIError(f"{path}: the columns {missing} are missing; the columns are {header}")
        columns = list(usecols)
    else:
        columns = [h for h in header if h != target]
    wanted = set(columns) | ({target} if target is not None else set())
    X = np.empty((len(rows) - 1, len(columns)))
    y = [] if target is not None else None
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise CLIError(
                f"{path}, line {line}: {len(row)} fields, but the header has {len(header)}"
            )
        for name, cell in zip(header, row, strict=True):
            if name not in wanted:
                continue
            text = cell.strip()
            if text.lower() in _MISSING:
                raise CLIError(
                    f"{path}, line {line} (data row {line - 1}), column {name!r}: missing value "
                    f"{cell!r}; remove or impute the row first"
                )
            if name == target and not numeric_target:
                y.append(text)
                continue
            try:
                value = float(text)
            except ValueError:
                raise CLIError(
                    f"{path}, line {line} (data row {line - 1}), column {name!r}: "
                    f"{cell!r} is not a number"
                ) from None
            if not np.isfinite(value):
                raise CLIError(
                    f"{path}, line {line} (data row {line - 1}), column {name!r}: {cell!r} is "
                    "not finite"
                )
            if name == target:
                y.append(value)
            else:
                X[line - 2, columns.index(name)] = value
    if y is not None:
        y = np.array(y, dtype=float if numeric_target else str)
    return X, y, columns


def _target_values(raw):
    """A target column read as text, parsed once for both the task detection and the fit.

    Numbers when every entry is one (integers when all are whole, so that "1" and
    "1.0" are one class, printed as 1), the text itself otherwise.

    Parameters
    ----------
    raw : ndarray of str, shape (n,)

    Returns
    -------
    ndarray of int64, float64 or str, shape (n,)
    """
    try:
        values = raw.astype(float)
    except ValueError:
        return raw
    if (
        np.isfinite(values).all()
        and np.all(values == np.round(values))
        and (np.all(np.abs(values) < 2.0**53))
    ):
        return values.astype(np.int64)
    return values


def _encode_labels(path, target, raw, classes):
    """Labels read as text, mapped to -1 (``classes[0]``) and +1 (``classes[1]``) as at fit.

    Numeric classes compare with the labels parsed by :func:`_target_values`; text
    classes (also those of files written before the labels were parsed) with the text.
    """
    known = np.asarray(classes)
    if known.dtype.kind in "iuf":
        labels = _target_values(raw)
        if labels.dtype.kind not in "iuf":
            raise CLIError(
                f"{path}, column {target!r}: the labels {labels[:3].tolist()} are not numbers, "
                f"but the model's classes are {list(classes)}"
            )
    else:
        labels, known = raw, known.astype(str)
    unknown = ~np.isin(labels, known)
    if unknown.any():
        raise CLIError(
            f"{path}, column {target!r}: labels outside the model's classes {list(classes)}: "
            f"{np.unique(labels[unknown])[:5].tolist()}"
        )
    return np.where(labels == known[1], 1.0, -1.0)


def _fit_command(args) -> int:
    from ._version import __version__
    from .convex import ConvexReLU, ConvexReLUClassifier
    from .network import output_file

    task = args.task
    X, raw, columns = read_csv(args.data, target=args.target, numeric_target=False)
    labels = _target_values(raw)  # parsed once: the detection and the fit see the same classes
    if task == "auto":
        # classification when the target is not numeric or has exactly two values
        numeric = labels.dtype.kind in "iuf"
        task = "classification" if not numeric or np.unique(labels).size == 2 else "regression"
    if task == "classification":
        y = labels
    else:  # numbers, or an error naming the row that is not one
        X, y, columns = read_csv(args.data, target=args.target)
    if not columns:
        raise CLIError(f"{args.data}: no feature columns besides the target {args.target!r}")
    bias = {"free": True, "none": False, "regularized": "regularized"}[args.bias]
    max_atoms = args.max_atoms if args.max_atoms in ("auto", None) else int(args.max_atoms)
    try:  # the output is checked before the work that feeds it
        out = output_file(args.out, ".npz")
    except OSError as exc:
        raise CLIError(f"--out: {exc}") from None
    Estimator = ConvexReLUClassifier if task == "classification" else ConvexReLU
    model = Estimator(
        alpha=args.alpha,
        method=args.method,
        norm=args.norm,
        bias=bias,
        max_atoms=max_atoms,
        random_state=args.seed,
        verbose=not args.quiet,
    )
    try:
        if args.scheduler:
            from .distributed import scheduler

            with scheduler(args.scheduler):
                model.fit(X, y)
        else:
            model.fit(X, y)
    except (ValueError, ImportError) as exc:  # bad data, parameters or scheduler
        raise CLIError(str(exc)) from None
    net = model.network_
    net.metadata.update(
        {
            "geolasso_version": __version__,
            "task": task,
            "target": args.target,
            "columns": columns,
            "classes": model.classes_.tolist() if task == "classification" else None,
            "objective": model.objective_,
            "optimality_gap": None
            if np.isnan(model.optimality_gap_)
            else float(model.optimality_gap_),
            "exact": model.exact_,
        }
    )
    written = net.save(out)
    print(f"{task} on {X.shape[0]} rows x {X.shape[1]} features ({', '.join(columns)})")
    print(model.describe(top=None if args.verbose else 10))
    if model.certificate_ is not None:
        print("\n".join(str(model.certificate_).splitlines()[:3]))
    print(f"training score {model.score(X, y):.4f}; model written to {written}")
    return 0


def _predict_command(args) -> int:
    import csv

    net = _load_network(args.model)
    meta = _model_metadata(args.model, net, fitted=True)
    columns = meta["columns"]
    X, _, _ = read_csv(args.data, usecols=columns)
    scores = net.predict(X)
    if meta["task"] == "classification":
        classes = meta["classes"]
        labels = [classes[1] if s > 0 else classes[0] for s in scores]
    else:
        labels = [repr(float(s)) for s in scores]
    classify = meta["task"] == "classification"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["prediction", "score"] if classify else ["prediction"])
    for label, score in zip(labels, scores, strict=True):
        writer.writerow([label, repr(float(score))] if classify else [label])
    if args.out:
        _write_atomically(args.out, buffer.getvalue())
    else:
        sys.stdout.write(buffer.getvalue())
    return 0


def _load_network(path):
    """A geolasso model file, or a one-line error naming it."""
    from .exceptions import ModelFileError
    from .readers import read_network_file

    try:
        return read_network_file(path)
    except ModelFileError as exc:
        raise CLIError(str(exc)) from None


def _model_metadata(path, net, *, fitted):
    """The metadata of a model file, checked field by field before any is used.

    Parameters
    ----------
    path : path-like
        The file, named in errors.
    net : ReLUNetwork
        The network read from it.
    fitted : bool
        Require the fields 'geolasso fit' writes (``task``, ``columns``).

    Returns
    -------
    dict

    Raises
    ------
    CLIError
        Naming the file, the field and what it must be.
    """
    import math

    meta = net.metadata
    if fitted:
        missing = [key for key in ("task", "columns") if key not in meta]
        if missing:
            raise CLIError(
                f"{path} was not written by 'geolasso fit': its metadata has no "
                f"{' or '.join(map(repr, missing))} field"
            )

    def bad(key, expected):
        raise CLIError(f"{path}: metadata field {key!r} must be {expected}; got {meta[key]!r}")

    def label(v):
        return isinstance(v, (str, int, float)) and not isinstance(v, bool)

    task = meta.get("task")
    if "task" in meta and task not in ("classification", "regression"):
        bad("task", "'classification' or 'regression'")
    if "columns" in meta:
        cols = meta["columns"]
        if not (
            isinstance(cols, list)
            and cols
            and all(isinstance(c, str) and c for c in cols)
            and len(set(cols)) == len(cols)
        ):
            bad("columns", "a list of distinct column names")
        if len(cols) != net.n_features:
            raise CLIError(
                f"{path}: metadata field 'columns' names {len(cols)} columns, but the network "
                f"takes {net.n_features} inputs"
            )
    if task == "classification":
        if "classes" not in meta:
            raise CLIError(f"{path}: a classifier, but its metadata has no 'classes' field")
        classes = meta["classes"]
        if not (
            isinstance(classes, list)
            and len(classes) == 2
            and all(map(label, classes))
            and classes[0] != classes[1]
        ):
            bad("classes", "a list of the two class labels")
    if meta.get("target") is not None and not isinstance(meta["target"], str):
        bad("target", "a column name")
    if meta.get("alpha") is not None:
        a = meta["alpha"]
        if not (label(a) and not isinstance(a, str) and math.isfinite(a) and a > 0):
            bad("alpha", "a finite number > 0")
    if meta.get("norm") is not None and meta["norm"] not in ("l1", "l2"):
        bad("norm", "'l1' or 'l2'")
    if meta.get("bias") is not None and meta["bias"] not in ("free", "none", "regularized"):
        bad("bias", "'free', 'none' or 'regularized'")
    return meta


def _inspect_command(args) -> int:
    from pathlib import Path

    from .exceptions import ModelFileError
    from .interpret import explain
    from .readers import is_torchscript, read_model_file

    path = Path(args.model)
    if not path.exists():
        raise CLIError(f"{path}: no such file")
    # the outputs are checked first: nothing is computed, printed or written before
    for flag, out in (("--json", args.json), ("--plot", args.plot)):
        if out:
            _output_path(out, flag)
    meta, note = {}, None
    try:
        model = read_model_file(path, args.widths, trust_torchscript=args.trust_torchscript)
    except ModelFileError as exc:
        raise CLIError(str(exc)) from None
    if path.suffix.lower() == ".npz":
        meta = _model_metadata(path, model, fitted=False)
    elif not is_torchscript(path):
        note = (
            "note: a state dict stores no activation functions: it is read as Linear → "
            "ReLU → … → Linear. If the network used another activation (Tanh, GELU, ...), "
            "this reading does not describe it"
        )
    width = _input_width(path, model)  # the architecture, checked before the data is read
    target = args.target if args.target is not None else meta.get("target")
    columns = meta.get("columns")
    if meta.get("task") == "classification" and target is not None and target == meta.get("target"):
        # the labels, read as at fit time and mapped to -1 and +1 as the fit did
        X, raw, names = read_csv(args.data, target=target, numeric_target=False, usecols=columns)
        y = _encode_labels(args.data, target, raw, meta["classes"])
    else:
        X, y, names = read_csv(args.data, target=target, usecols=columns)
    if X.shape[1] != width:
        hint = ""
        if target is None and X.shape[1] == width + 1:
            hint = "; if one of them is the target, name it with --target NAME"
        raise CLIError(
            f"{args.data}: {X.shape[1]} feature columns ({', '.join(names)}), but the first "
            f"layer takes {width} inputs{hint}"
        )
    alpha = args.alpha if args.alpha is not None else meta.get("alpha")
    bias = args.bias or meta.get("bias") or "free"
    try:
        ex = explain(
            model, X, y, alpha=alpha, norm=args.norm or meta.get("norm"), bias=bias, top=args.top
        )
        # everything is built before anything is printed or written
        lines = [f"{args.data}: {X.shape[0]} rows x {X.shape[1]} features ({', '.join(names)})"]
        lines.append(ex.table(max_rows=args.rows))
        json_text = ex.to_json() + "\n" if args.json else None
    except (TypeError, ValueError) as exc:
        raise CLIError(str(exc)) from None
    if note:
        lines.append(note)
    if y is None:
        lines.append("(no target column: pass --target and --alpha for the optimality gap)")
    if args.plot:
        try:
            figure = _plugin("explanation")(ex).figure
        except (TypeError, ValueError) as exc:
            raise CLIError(f"--plot: {exc}") from None
        _save_figure(figure, args.plot)
        lines.append(f"plot written to {args.plot}")
    if json_text is not None:
        _write_atomically(args.json, json_text, flag="--json")
        lines.append(f"records written to {args.json}")
    print("\n".join(lines))
    return 0


def _input_width(path, model):
    """Inputs of the first layer of a network, or of a torch module whose layers
    ``explain`` reads (a CLIError naming the layer it cannot read otherwise)."""
    from .network import ReLUNetwork
    from .readers import torch_linears

    if isinstance(model, ReLUNetwork):
        return model.n_features
    try:
        linears = torch_linears(model)
    except TypeError as exc:
        raise CLIError(f"{path}: {exc}") from None
    return int(linears[0][0].shape[1])


def _plugin(name):
    """A function that the ``viz`` package registers under the ``geolasso.plots`` group.

    geolasso does not import viz or matplotlib; viz plugs its pictures (and
    the gallery runner) into the command line through entry points.
    """
    from importlib.metadata import entry_points

    found = [e for e in entry_points(group="geolasso.plots") if e.name == name]
    if not found:
        raise CLIError(f"'{name}' needs the viz package installed with geolasso; reinstall it")
    return found[0].load()


def _save_figure(figure, path, flag="--plot") -> None:
    """Save ``figure`` atomically; an image format matplotlib lacks is a one-line error."""
    import os
    import tempfile
    from pathlib import Path

    path, parent = _output_path(path, flag)
    fd, tmp = tempfile.mkstemp(dir=parent, prefix=path.name, suffix=".part" + path.suffix)
    os.close(fd)
    try:
        figure.savefig(tmp, dpi=120, bbox_inches="tight")
        os.replace(tmp, path)
    except ValueError as exc:  # e.g. "Format 'xyz' is not supported"
        Path(tmp).unlink(missing_ok=True)
        raise CLIError(f"{flag} {path}: {exc}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _output_path(path, flag="--out"):
    """``path`` as a file to write, and its directory; a CLIError naming ``flag`` otherwise."""
    import os
    from pathlib import Path

    name = os.fspath(path)
    path = Path(name)
    if name.endswith(("/", os.sep)) or path.is_dir():
        raise CLIError(f"{flag} {name} is a directory; give a file name")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise CLIError(f"{flag}: cannot write {path}: directory {parent} does not exist")
    return path, parent


def _write_atomically(path, text, flag="--out") -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename it: all or nothing."""
    import os
    import tempfile
    from pathlib import Path

    path, parent = _output_path(path, flag)
    try:
        fd, tmp = tempfile.mkstemp(dir=parent, prefix=path.name, suffix=".part")
    except OSError as exc:
        raise CLIError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _parser():
    """The argument parser of the ``geolasso`` command and its subcommands."""
    parser = argparse.ArgumentParser(
        prog="geolasso",
        description="ReLU networks seen through geometry: wedge-product Lasso dictionaries.",
    )
    parser.add_argument("--version", action="version", version=f"geolasso {__version__}")
    parser.add_argument(
        "--debug",
        action="store_true",
        help="show the Python traceback of an unexpected error (by default one line)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p_demo = sub.add_parser(
        "demo", help="the worked example, and a certified global fit on the built-in spiral"
    )
    p_demo.add_argument("--quiet", action="store_true", help="no progress bar")
    p_demo.add_argument("--plot", help="also write the fitted spiral's regions to this image")
    p_gal = sub.add_parser(
        "gallery", help="run every gallery script headless: PNGs and an index.html"
    )
    p_gal.add_argument("--out", default="gallery_output", help="output directory")
    p_gal.add_argument("--only", help="run only the scripts whose name contains this")
    p_gal.add_argument("--quiet", action="store_true", help="no progress bar")
    p_gal.add_argument("--dpi", type=int, default=100, help="image resolution (default 100)")
    p_gal.add_argument(
        "--format", choices=("png", "svg", "pdf"), default="png", help="image format"
    )
    p_lec = sub.add_parser(
        "lecture",
        help="the gallery as a 16:9 slide deck (PDF, text >= 11 pt) and every figure as SVG",
    )
    p_lec.add_argument("--out", default="lecture", help="output directory")
    p_lec.add_argument("--only", help="only the pages whose script name contains this")
    p_lec.add_argument("--dpi", type=int, default=150, help="resolution of the PNG copies")
    p_lec.add_argument("--quiet", action="store_true", help="no progress lines")
    _add_fit_parser(sub)
    p_pred = sub.add_parser("predict", help="predict with a model written by 'geolasso fit'")
    p_pred.add_argument("model", help="model file (.npz)")
    p_pred.add_argument("data", help="CSV file with the model's feature columns")
    p_pred.add_argument("--out", help="CSV file to write (default: standard output)")
    _add_inspect_parser(sub)
    return parser


def _add_fit_parser(sub):
    """The ``geolasso fit`` subcommand and its options."""
    p_fit = sub.add_parser(
        "fit", help="train a two-layer ReLU network to its global optimum on a CSV file"
    )
    p_fit.add_argument("data", help="CSV file with a header row")
    p_fit.add_argument("--target", required=True, help="name of the target column")
    p_fit.add_argument("--alpha", type=_positive_float, default=1e-3, help="penalty (default 1e-3)")
    p_fit.add_argument("--norm", choices=("l1", "l2"), default="l1", help="first-layer norm")
    p_fit.add_argument("--method", choices=("wedge", "arrangement"), default="wedge")
    p_fit.add_argument("--bias", choices=("free", "none", "regularized"), default="free")
    p_fit.add_argument(
        "--task",
        choices=("auto", "regression", "classification"),
        default="auto",
        help="auto: classification when the target is not numeric or has two values",
    )
    p_fit.add_argument("--max-atoms", default="auto", help="'auto' or a number of atoms")
    p_fit.add_argument("--seed", type=_count, default=0, help="seed of any dictionary sample")
    p_fit.add_argument("--out", required=True, help="model file to write (.npz)")
    p_fit.add_argument(
        "--scheduler",
        help="run the passes of a numbered 2-D dictionary on a Dask cluster: its scheduler "
        "address, or local:N for N local worker processes (pip install 'geolasso[distributed]')",
    )
    p_fit.add_argument("--quiet", action="store_true", help="no progress bar")
    p_fit.add_argument("--verbose", action="store_true", help="list every neuron")


def _add_inspect_parser(sub):
    """The ``geolasso inspect`` subcommand and its options."""
    p_ins = sub.add_parser(
        "inspect",
        help="which wedge features (training samples) each neuron of a trained network uses",
    )
    p_ins.add_argument(
        "model",
        help="a model file from 'geolasso fit' (.npz), or a torch file: a state dict of a "
        "Sequential of Linear and ReLU layers (a state dict stores no activations: it is read "
        "as Linear -> ReLU -> ... -> Linear whatever the network used), or, with "
        "--trust-torchscript, a TorchScript module (its layers are checked: Tanh and other "
        "activations are refused by name)",
    )
    p_ins.add_argument(
        "--trust-torchscript",
        action="store_true",
        help="load a TorchScript module: this RUNS CODE FROM THE FILE; only for files from a "
        "source you trust (state dicts and .npz models never run code)",
    )
    p_ins.add_argument("data", help="CSV file of the training data, with a header row")
    p_ins.add_argument(
        "--target",
        help="target column; with the penalty, the report adds the optimality gap and the "
        "missing atoms (default: the target of a 'geolasso fit' model; for a torch file every "
        "column is a feature unless one is named here)",
    )
    p_ins.add_argument(
        "--alpha",
        type=_positive_float,
        help="training penalty (default: a 'geolasso fit' model's own)",
    )
    p_ins.add_argument(
        "--norm", choices=("l1", "l2"), help="first-layer norm (default: the model's, else l2)"
    )
    p_ins.add_argument(
        "--bias",
        choices=("free", "none", "regularized"),
        help="bias setting of the atoms (default: the model's, else free)",
    )
    p_ins.add_argument(
        "--widths",
        help="layer widths of a torch state dict, e.g. 2,64,64,1 (default: read from its "
        "weight shapes)",
    )
    p_ins.add_argument("--top", type=_count, default=3, help="alternative atoms per neuron")
    p_ins.add_argument("--rows", type=_count, default=40, help="neurons listed in the table")
    p_ins.add_argument("--plot", help="image file: the neurons drawn over the data")
    p_ins.add_argument("--json", help="JSON file with every neuron's record")


def main(argv=None) -> int:
    """Entry point of the ``geolasso`` console script.

    Parameters
    ----------
    argv : list of str, optional
        Arguments; ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        Exit status.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "demo":
            demo(quiet=args.quiet, plot=args.plot)
            return 0
        if args.command == "gallery":
            return _plugin("gallery")(
                args.out, quiet=args.quiet, only=args.only, dpi=args.dpi, fmt=args.format
            )
        if args.command == "lecture":
            return _plugin("lecture")(args.out, only=args.only, dpi=args.dpi, quiet=args.quiet)
        if args.command == "fit":
            if args.max_atoms not in ("auto",) and not args.max_atoms.isdigit():
                raise CLIError(
                    f"--max-atoms must be 'auto' or a positive integer; got {args.max_atoms!r}"
                )
            return _fit_command(args)
        if args.command == "predict":
            return _predict_command(args)
        if args.command == "inspect":
            return _inspect_command(args)
    except CLIError as exc:
        print(f"geolasso {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # files: one line naming the file, no traceback
        name = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        print(f"geolasso {args.command}: error: {name}{exc.strerror or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"geolasso {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # anything else: one line, the traceback only with --debug
        if args.debug:
            raise
        kind = "error" if isinstance(exc, (ValueError, TypeError)) else "unexpected error"
        print(
            f"geolasso {args.command}: {kind}: {type(exc).__name__}: {exc} "
            "(geolasso --debug ... shows the traceback)",
            file=sys.stderr,
        )
        return 1
    parser.print_help()
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
