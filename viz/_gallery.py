"""``geolasso gallery``: run every gallery script headless and write PNGs and an index."""

from __future__ import annotations

import html
import json
import os
import subprocess
import sys
import time
from pathlib import Path

#: Executes one script in a fresh interpreter and saves every pyplot figure it left open.
_RUNNER = """
import json, runpy, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
script, out, stem, DPI, FMT = sys.argv[1:6]
DPI = int(DPI)
plt.show = lambda *a, **k: None
runpy.run_path(script, run_name="__main__")
names = []
for k, num in enumerate(plt.get_fignums(), start=1):
    name = f"{stem}_{k}.{FMT}"
    fig = plt.figure(num)
    fig.savefig(f"{out}/{name}", dpi=DPI)
    names.append(name)
print("GALLERY-FIGURES " + json.dumps(names))
"""


def scripts_dir() -> Path:
    """The gallery scripts: installed as ``viz/gallery``, or ``gallery/`` of a source checkout."""
    here = Path(__file__).resolve().parent
    for place in (here / "gallery", here.parent / "gallery"):
        if any(place.glob("plot_*.py")):
            return place
    raise FileNotFoundError(
        f"no gallery scripts beside {here}: reinstall geolasso (they are installed as viz/gallery)"
    )


def _title_and_text(path):
    import ast

    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or path.stem
    lines = doc.strip().splitlines()
    title = lines[0].strip()
    body = "\n".join(line for line in lines[2:] if set(line.strip()) != {"="}).strip()
    return title, body


def run(out, scripts=None, *, quiet=False, only=None, timeout=300, dpi=100, fmt="png") -> int:
    """Run the gallery: one fresh process per script, PNGs and ``index.html`` under ``out``.

    Parameters
    ----------
    out : str or path-like
        Output directory (created).
    scripts : str or path-like, optional
        Directory of ``plot_*.py`` scripts (default: the installed gallery).
    quiet : bool, default=False
        No progress bar.
    only : str, optional
        Run only the scripts whose name contains this text.
    timeout : float, default=300
        Seconds allowed per script.
    dpi : int, default=100
        Resolution of the images (PNG; the vector formats keep it for their
        raster parts).
    fmt : {"png", "svg", "pdf"}, default="png"
        Image format.

    Returns
    -------
    int
        0 when every script ran, 1 otherwise (the failures are printed).

    Raises
    ------
    OSError
        Before any script runs, when ``out`` is a file or cannot be created
        or written to (the message names it).
    """
    from tqdm.auto import tqdm

    if fmt not in ("png", "svg", "pdf"):
        raise ValueError(f"fmt must be 'png', 'svg' or 'pdf'; got {fmt!r}")
    if isinstance(dpi, bool) or not isinstance(dpi, int) or dpi < 10:
        raise ValueError(f"dpi must be an integer >= 10; got {dpi!r}")
    src = Path(scripts) if scripts is not None else scripts_dir()
    files = sorted(p for p in src.glob("plot_*.py") if only is None or only in p.name)
    if not files:
        print(f"geolasso gallery: no plot_*.py scripts in {src}", file=sys.stderr)
        return 1
    out = _writable_directory(out)
    env = dict(os.environ, MPLBACKEND="Agg")
    results, failed = [], []
    bar = tqdm(files, desc="gallery", unit=" script", disable=True if quiet else None)
    for path in bar:
        bar.set_postfix_str(path.name)
        start = time.perf_counter()
        try:
            proc = subprocess.run(
                [sys.executable, "-c", _RUNNER, str(path), str(out), path.stem, str(dpi), fmt],
                capture_output=True,
                text=True,
                env=env,
                timeout=timeout,
                check=False,
            )
            ok = proc.returncode == 0
            err = proc.stderr
        except subprocess.TimeoutExpired:
            ok, err, proc = False, f"timed out after {timeout} s", None
        seconds = time.perf_counter() - start
        names, printed = [], []
        if ok:
            for line in proc.stdout.splitlines():
                if line.startswith("GALLERY-FIGURES "):
                    names = json.loads(line[len("GALLERY-FIGURES ") :])
                else:
                    printed.append(line)
            ok = bool(names)
            if not ok:
                err = "the script drew no figure"
        title, text = _title_and_text(path)
        page = {"text": text, "code": _code_of(path), "printed": "\n".join(printed)}
        results.append((path.name, title, page, names, seconds, ok, err))
        if not ok:
            failed.append((path.name, err.strip().splitlines()[-3:] if err else []))
    _write_index(out, results)
    n_figs = sum(len(r[3]) for r in results)
    print(
        f"{len(files) - len(failed)} of {len(files)} scripts ran; {n_figs} figures and "
        f"index.html written to {out}"
    )
    for name, tail in failed:
        print(f"FAILED: {name}", file=sys.stderr)
        for line in tail:
            print(f"    {line}", file=sys.stderr)
    return 1 if failed else 0


def _writable_directory(out) -> Path:
    """``out``, created if missing, after a test write: an error naming it before any script runs.

    Raises
    ------
    OSError
        One line naming ``out`` and what is wrong (a file, not creatable, not writable).
    """
    import errno
    import tempfile

    out = Path(out)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, f"--out {out} is a file, not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise type(exc)(
            exc.errno, f"--out {out}: cannot create the directory ({exc.strerror or exc})"
        ) from None
    try:  # os.access is not enough: it says yes to root on a read-only mount
        fd, probe = tempfile.mkstemp(dir=out, prefix=".geolasso-write-test")
    except OSError as exc:
        raise type(exc)(
            exc.errno, f"--out {out}: cannot write into the directory ({exc.strerror or exc})"
        ) from None
    os.close(fd)
    os.unlink(probe)
    return out


def _write_index(out, results):
    parts = [
        "<!doctype html><meta charset='utf-8'><title>geolasso gallery</title>",
        "<style>body{font-family:sans-serif;max-width:1100px;margin:auto}"
        "img{max-width:320px;border:1px solid #ccc;margin:4px}"
        "pre{background:#f6f6f6;padding:6px;overflow-x:auto}"
        "pre.out{border-left:3px solid #2166ac}"
        ".fail{color:#b00}</style><h1>geolasso gallery</h1>",
    ]
    for name, title, page, names, seconds, ok, err in results:
        parts.append(f"<h2>{html.escape(title)}</h2>")
        parts.append(f"<p><code>{html.escape(name)}</code> ({seconds:.1f} s)</p>")
        parts.append(_narration_html(page["text"]))
        parts.append(
            f"<details><summary>code</summary><pre>{html.escape(page['code'])}</pre></details>"
        )
        if page["printed"].strip():
            parts.append(f"<pre class='out'>{html.escape(page['printed'])}</pre>")
        if not ok:
            parts.append(f"<pre class='fail'>{html.escape(err or '')[-2000:]}</pre>")
        for name in names:
            if name.endswith(".pdf"):  # browsers do not show a PDF as an image: a link
                parts.append(f"<a href='{name}'>{html.escape(name)}</a>")
            else:
                parts.append(f"<a href='{name}'><img src='{name}' alt='{html.escape(title)}'></a>")
    tmp = Path(out) / "index.html.part"
    tmp.write_text("\n".join(parts), encoding="utf-8")
    os.replace(tmp, Path(out) / "index.html")


def _code_of(path):
    """The script without its docstring (the page's narration)."""
    import ast

    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    doc = tree.body[0] if tree.body and isinstance(tree.body[0], ast.Expr) else None
    if doc is not None and isinstance(getattr(doc, "value", None), ast.Constant):
        source = "\n".join(source.splitlines()[doc.end_lineno :])
    return source.strip()


def _narration_html(text):
    """A page's reStructuredText narration as HTML paragraphs (``literal`` as code,
    numbered and bulleted lines as lists)."""
    import re

    marker = re.compile(r"^(\d+\.|[-*])\s")
    blocks = []
    for block in re.split(r"\n\s*\n", text.strip()):
        escaped = html.escape(" ".join(line.strip() for line in block.splitlines()))
        escaped = re.sub(r"``(.+?)``", r"<code>\1</code>", escaped)
        items = re.split(r"\s(?=\d+\.\s|[-*]\s)", " " + escaped)
        if len(items) > 2 and all(marker.match(i) for i in items[1:]):
            head = f"<p>{items[0].strip()}</p>" if items[0].strip() else ""
            listed = "".join("<li>" + marker.sub("", i) + "</li>" for i in items[1:])
            blocks.append(f"{head}<ol>{listed}</ol>")
        else:
            blocks.append(f"<p>{escaped}</p>")
    return "\n".join(blocks)
