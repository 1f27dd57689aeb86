"""Progress of long fits: a tqdm bar over solver rounds with the current objective and gap.

On a terminal (or in a Jupyter notebook) the bar updates in place. When standard
error is not a terminal (a log file, CI, a batch job) a bar would fill the log with
carriage returns, so plain lines are written instead: one every ``LOG_INTERVAL``
seconds and one when the fit ends.
"""

from __future__ import annotations

import sys
import time

__all__ = ["Progress"]

#: Seconds between the plain progress lines written when standard error is not a terminal.
LOG_INTERVAL = 30.0


def _interactive():
    """Whether a live bar can be drawn: standard error is a terminal, or a Jupyter kernel
    runs this process (tqdm.auto then draws its notebook bar)."""
    isatty = getattr(sys.stderr, "isatty", None)
    if callable(isatty) and isatty():
        return True
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return type(shell).__name__ == "ZMQInteractiveShell"


class Progress:
    """A tqdm progress bar over Lasso rounds, plain log lines, or nothing."""

    def __init__(self, enabled, desc):
        self.bar = None
        self.log = False
        self.desc = desc
        self.last = None
        if not enabled:
            return
        if _interactive():
            from tqdm.auto import tqdm

            self.bar = tqdm(desc=desc, unit=" rounds", leave=False)
        else:
            self.log = True
            self.start = time.monotonic()
            self.next = self.start + LOG_INTERVAL

    def __call__(self, it, objective, gap, support):
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(objective=f"{objective:.6g}", gap=f"{gap:.1e}", atoms=support)
        elif self.log:
            self.last = (it, objective, gap, support)
            now = time.monotonic()
            if now >= self.next:
                self._line(now, "")
                self.next = now + LOG_INTERVAL

    def _line(self, now, tail):
        it, objective, gap, support = self.last
        print(
            f"[{self.desc}] round {it}: objective {objective:.6g}, relative gap {gap:.1e}, "
            f"{support} atoms, {now - self.start:.1f} s{tail}",
            file=sys.stderr,
            flush=True,
        )

    def close(self):
        if self.bar is not None:
            self.bar.close()
        elif self.log and self.last is not None:
            self._line(time.monotonic(), " (done)")
            self.last = None
