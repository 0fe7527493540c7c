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

    def charge_call(self, called: float, returned: float, first_started: float, last_ended: float) -> None:
        """Splits one framework call that hands out the tasks, runs them and brings their results
        back (a pool's map, Dask's gather, Spark's collect) by the workers' clocks (`time.time()`):
        distribute until the first task started, compute until the last one ended, communicate
        after that. Clocks of different nodes may disagree by milliseconds, so each boundary is
        kept inside the call: the three parts always add up to the call's wall time."""
        first_started = min(max(first_started, called), returned)
        last_ended = min(max(last_ended, first_started), returned)
        self.seconds["distribute"] += first_started - called
        self.seconds["compute"] += last_ended - first_started
        self.seconds["communicate"] += returned - last_ended

    def total(self) -> float:
        return time.perf_counter() - self._start

    def as_dict(self) -> dict[str, float]:
        return {**self.seconds, "total": self.total()}
