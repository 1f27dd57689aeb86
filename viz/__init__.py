"""viz: pictures of geolasso's geometry (matplotlib).

Neurons as hyperplanes through training samples, features as signed volumes,
Lasso paths and reflections. ``viz`` depends on :mod:`geolasso`; geolasso never
imports viz or matplotlib. Every plotting function takes ``ax=None``, returns
the Axes (or a small display object) and leaves matplotlib's global rcParams
alone; pyplot is imported lazily.

The plotting functions arrive with the issues that build the objects they
draw: :func:`plot_explanation` draws an interpretation
(:func:`geolasso.interpret.explain`); it is also what ``geolasso inspect
--plot`` uses, through the ``geolasso.plots`` entry point.
"""

try:
    import matplotlib as _matplotlib  # noqa: F401
except ImportError as exc:  # pragma: no cover - matplotlib is a runtime dependency
    raise ImportError(
        "viz needs matplotlib; install geolasso with its dependencies "
        "(pip install geolasso) or pip install matplotlib"
    ) from exc

from geolasso import __version__

from .neurons import plot_explanation

__all__ = ["__version__", "plot_explanation"]
