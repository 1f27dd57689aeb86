"""The gallery scripts (``plot_*.py``), installed as ``viz.gallery`` for ``geolasso gallery``."""
