"""Progress of long fits: a tqdm bar over solver rounds with the current objective and gap."""

from __future__ import annotations

__all__ = ["Progress"]


class Progress:
    """A tqdm progress bar over Lasso rounds, or nothing."""

    def __init__(self, enabled, desc):
        self.bar = None
        if enabled:
            from tqdm.auto import tqdm

            # disable=None: no bar when standard error is not a terminal (logs, CI)
            self.bar = tqdm(desc=desc, unit=" rounds", leave=False, disable=None)

    def __call__(self, it, objective, gap, support):
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(objective=f"{objective:.6g}", gap=f"{gap:.1e}", atoms=support)

    def close(self):
        if self.bar is not None:
            self.bar.close()
