"""The common case of a plug-in: a task farm written as two plain functions.

    tasks(params)          -> a list of tasks (plain data: numbers, strings, tuples, NumPy arrays)
    compute(task, params)  -> a number or a NumPy array: the task's partial result

and optionally `combine(params, partials)` (default: the partials end to end, in task order) and
how close two answers must be (exact by default). Every task-farm variant (parbench.farm.variants)
then runs it: serial, threads, processes, both futures executors, mpi4py, Dask and Spark.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from parbench.contracts.problem import TASK_BYTES, Memory, first_difference
from parbench.contracts.task_farm import TaskFarmProblem
from parbench.errors import a_kind_of
from parbench.params import Param

# What parbench assumes when a plug-in states no estimate (docs/plugins.md says so too): a task's
# working set in a worker, and the same again for its result in the driver.
DEFAULT_TASK_BYTES = 1 << 20
# The user's code is one kernel: Python that holds the GIL, unless declared otherwise.
HOLDS_GIL_KERNEL = "python"
RELEASES_GIL_KERNEL = "nogil"


class SimpleProblem(TaskFarmProblem):
    """A user's problem made of `tasks` and `compute` (see the module's docstring)."""

    def __init__(
        self,
        *,
        name: str,
        summary: str,
        tasks: Callable,
        compute: Callable,
        params: Sequence[Param] = (),
        combine: Callable | None = None,
        rtol: float = 0.0,
        atol: float = 0.0,
        problem_class: str = "the user's own",
        seconds_per_task: float | None = None,
        bytes_per_task: int | None = None,
        releases_gil: bool = False,
    ):
        self.name = name
        self.summary = summary
        self.params = tuple(params)
        self.problem_class = problem_class
        self.make_tasks, self.compute_task, self.combine_partials = tasks, compute, combine
        self.rtol, self.atol = rtol, atol
        self.seconds_per_task, self.bytes_per_task = seconds_per_task, bytes_per_task
        self.kernels = (RELEASES_GIL_KERNEL if releases_gil else HOLDS_GIL_KERNEL,)
        self.default_kernel = self.kernels[0]

    @property
    def exact(self) -> bool:
        return self.rtol == 0 and self.atol == 0

    def tasks(self, p):
        made = self.make_tasks(dict(p))
        if isinstance(made, str | bytes) or not isinstance(made, Sequence | np.ndarray):
            raise TypeError(f"tasks() returned {a_kind_of(made)}; it must return a list of tasks")
        return list(made)

    def partial_spec(self, task, p):
        return None  # unknown before computing: MPI's ranks send the shapes first

    def compute(self, task, p, kernel):
        return np.asarray(self.compute_task(task, dict(p)))

    def combine(self, p, partials):
        if self.combine_partials is None:
            return {"result": np.concatenate([np.atleast_1d(part) for part in partials])}
        combined = self.combine_partials(dict(p), list(partials))
        if isinstance(combined, dict):
            return {str(key): np.asarray(value) for key, value in combined.items()}
        return {"result": np.asarray(combined)}

    def compare(self, result, reference):
        if set(result) != set(reference):
            return f"result has {sorted(result)} but the reference has {sorted(reference)}"
        for key in reference:
            difference = (
                first_difference(key, result[key], reference[key])
                if self.exact
                else outside_tolerance(key, result[key], reference[key], self.rtol, self.atol)
            )
            if difference:
                return difference
        return None

    def memory(self, p, workers):
        per_task = self.bytes_per_task if self.bytes_per_task is not None else DEFAULT_TASK_BYTES
        count = len(self.tasks(p))
        return Memory(driver=count * (TASK_BYTES + per_task), worker=per_task)

    def serial_seconds(self, p, kernel):
        if self.seconds_per_task is None:
            return None  # parbench.requests then gives the job its default time limit
        return len(self.tasks(p)) * self.seconds_per_task


def outside_tolerance(name: str, got, want, rtol: float, atol: float) -> str | None:
    """Names the first element farther from the reference than atol + rtol * |reference|."""
    got, want = np.asarray(got), np.asarray(want)
    if got.shape != want.shape:
        return f"{name}: shape {got.shape} differs from the reference's {want.shape}"
    close = np.isclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
    if close.all():
        return None
    where = np.unravel_index(np.argmin(close), close.shape)
    index = ", ".join(str(int(i)) for i in where)
    return (
        f"{name}[{index}] is {got[where].item()!r} but the reference has {want[where].item()!r}, "
        f"outside rtol={rtol:g}, atol={atol:g} ({int((~close).sum())} of {close.size} elements)"
    )
