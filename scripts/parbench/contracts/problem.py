"""What every problem provides (the task-farm problems' own contract is in `parbench.contracts.task_farm`)."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from parbench.contracts import plugin_import
from parbench.params import COMMON_PARAMS, Param, validate


@dataclass(frozen=True)
class Memory:
    """The data a run holds at its peak, in bytes: `driver` in the process that assembles and
    writes the result, `worker` in each worker while it computes (for the serial reference the
    two are one process). Interpreters and libraries come on top (parbench.requests)."""

    driver: int
    worker: int

    def on_one_host(self, workers: int) -> int:
        return self.driver + workers * self.worker


# The driver of a task farm holds the list of tasks: a Python tuple and its items, per task.
TASK_BYTES = 200


class Problem:
    """A problem: its parameters, kernels, how variants run it, and how results are compared."""

    name: str = ""
    summary: str = ""
    # The class of problem the report names it by: "embarrassingly parallel", "tightly coupled",
    # "data analytics".
    problem_class: str = ""
    params: tuple[Param, ...] = ()
    kernels: tuple[str, ...] = ("python", "numpy", "numba")
    default_kernel = "numpy"
    # The package holding this problem's own module per variant (see `parbench.registry.VARIANTS`),
    # and which variants it has there: None for all of them; the task farm runs the others.
    variants_package: str = ""
    own_variants: tuple[str, ...] | None = None
    # Problems that read an input dataset: the options of `parbench generate PROBLEM` (with the
    # common ones), so it is made once, untimed, and reused by every run.
    dataset_params: tuple[Param, ...] = ()
    # A plug-in's problem: where it was imported from (a file, a module or module:attribute);
    # None for parbench's own problems.
    plugin: str | None = None
    # Tasks that mostly wait on I/O: the only problems the I/O-only variants (asyncio) run.
    io_bound: bool = False
    # Needs a service of its own started for each run (see `serving`).
    has_service: bool = False

    def __reduce_ex__(self, protocol):
        # A plug-in's problem travels by where it came from, and each worker imports it from
        # there: a bare file's classes and functions cannot be unpickled by name elsewhere.
        if self.plugin:
            return (plugin_import.reloaded, (self.plugin, self.name))
        return super().__reduce_ex__(protocol)

    def check(self, values: dict) -> dict:
        """Validates parameters (raising UsageError naming the option); returns them."""
        return validate(self.params + COMMON_PARAMS, values)

    @contextmanager
    def serving(self, values: dict, spans_nodes: bool):
        """The problem a run uses, while the run lasts: itself, or for a problem that needs a
        service of its own (fetch's object store) a copy bound to one started for the run;
        `spans_nodes` says whether workers on other nodes must reach it."""
        yield self

    def kernels_for(self, variant: str) -> tuple[str, ...]:
        """The kernels `variant` can run: all, unless it brings its own engine (e.g. Spark's JVM)."""
        return self.kernels

    def generate(self, values: dict, out, force: bool = False) -> dict:
        """Writes the input dataset to `out` from `dataset_params` values; returns a summary."""
        raise NotImplementedError

    def check_for_workers(self, values: dict, workers: int) -> None:
        """Checks that the problem can be split over `workers` (raises UsageError otherwise)."""

    def memory(self, params: dict, workers: int) -> Memory:
        """The data a run of these (checked) parameters over `workers` workers holds: each
        problem states its own from its sizes, so requests and refusals follow the problem.
        Nothing here: a problem that holds more than a few kilobytes must say so."""
        return Memory(driver=0, worker=0)

    def serial_seconds(self, params: dict, kernel: str) -> float | None:
        """An upper bound of the serial compute time on a slow core, for a job's time limit
        (parbench.requests); None where no estimate can be made."""
        return None

    def job(self, params: dict, kernel: str):
        """What the variants' `run(job, ctx)` receives."""
        raise NotImplementedError

    def compare(self, result: dict, reference: dict) -> str | None:
        """Returns a message naming the first difference, or None when the results agree."""
        raise NotImplementedError

    def summary_attrs(self, result: dict) -> dict:
        """A few scalars about the result worth keeping in the timing log (e.g. work done)."""
        return {}


def first_difference(name: str, got: np.ndarray, want: np.ndarray) -> str | None:
    """Names the first element where two arrays differ (exact comparison), or None."""
    got, want = np.asarray(got), np.asarray(want)
    if got.shape != want.shape:
        return f"{name}: shape {got.shape} differs from the reference's {want.shape}"
    differs = got != want
    if not differs.any():
        return None
    where = np.unravel_index(np.argmax(differs), differs.shape)
    index = ", ".join(str(int(i)) for i in where) if where else ""
    return (
        f"{name}[{index}] is {got[where].item()!r} but the reference has {want[where].item()!r} "
        f"({int(differs.sum())} of {differs.size} elements differ)"
    )
