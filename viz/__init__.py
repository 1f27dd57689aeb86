"""viz: pictures of geolasso's geometry (matplotlib).

Neurons as hyperplanes through training samples, features as signed volumes,
Lasso paths and reflections. ``viz`` depends on :mod:`geolasso`; geolasso never
imports viz or matplotlib. Every plotting function takes ``ax=None`` (then it
draws on a new pyplot figure, which shows in Jupyter and with ``plt.show()``),
returns the Axes (or a small display object) and leaves matplotlib's global
rcParams alone; pyplot is imported lazily.

Functions: :func:`plot_wedge` (parallelograms, parallelepipeds and the
simplex whose signed volume is a feature), :func:`plot_atoms` and
:func:`plot_neurons` (hyperplanes through generator samples, 2-D lines or 3-D
patches), :func:`plot_regions` (the fitted function and the arrangement),
:func:`plot_path`, :func:`path_frames` and :func:`animate_path` (Lasso
paths, frame by frame or animated; :func:`save_animation` writes GIF and
MP4), :func:`plot_reflections` (deep features and mirror points),
:func:`plot_explanation` (a network beside its matched atoms) and
:func:`plot_comparison` (convex training against SGD/Adam).
:mod:`viz.style` writes the visual language down: one diverging palette for
classes and the sign of ``f``, a separate cue (colour and line
style) for the sign of a neuron's output weight, axis labels, and a
``slides()`` style with no text below 11 pt. ``geolasso inspect --plot`` and
``geolasso gallery`` reach viz through the ``geolasso.plots`` entry points.
"""

try:
    import matplotlib as _matplotlib  # noqa: F401
except ImportError as exc:  # pragma: no cover - matplotlib is a runtime dependency
    raise ImportError(
        "viz needs matplotlib: pip install 'geolasso[viz]' (or install geolasso with its "
        "dependencies, pip install geolasso)"
    ) from exc

from geolasso import __version__

from . import style
from .blades import plot_wedge
from .comparison import plot_comparison
from .neurons import plot_atoms, plot_explanation, plot_neurons
from .paths import animate_path, path_frames, plot_path, save_animation
from .reflections import plot_reflections
from .regions import plot_regions

__all__ = [
    "__version__",
    "animate_path",
    "path_frames",
    "plot_atoms",
    "plot_comparison",
    "plot_explanation",
    "plot_neurons",
    "plot_path",
    "plot_reflections",
    "plot_regions",
    "plot_wedge",
    "save_animation",
    "style",
]
