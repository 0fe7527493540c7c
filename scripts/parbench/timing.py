"""Phase timing inside a run: Snakemake's `benchmark:` only sees the launcher process."""

from __future__ import annotations

import time
from contextlib import contextmanager

# The phases every run reports. `communicate` is gathering results and exchanging data between
# workers (halo exchange, shuffles); `total` is the wall time of the whole run.
PHASES = ("startup", "distribute", "compute", "communicate", "write", "teardown")


class Phases:
    """Accumulates wall-clock seconds per phase; a phase may be entered more than once."""

    def __init__(self):
        self.seconds = dict.fromkeys(PHASES, 0.0)
        self._start = time.perf_counter()

    @contextmanager
    def phase(self, name: str):
        if name not in self.seconds:
            raise KeyError(f"unknown phase {name!r}; known: {', '.join(PHASES)}")
        began = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] += time.perf_counter() - began

    def total(self) -> float:
        return time.perf_counter() - self._start

    def as_dict(self) -> dict[str, float]:
        return {**self.seconds, "total": self.total()}
