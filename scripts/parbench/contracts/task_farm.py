"""The task-farm problems' contract (mandelbrot, pi, groupby): what such a problem provides, and the
job every task-farm variant runs (the problem, its parameters and a kernel), picklable so that it
can travel to worker processes, Dask workers and Spark executors."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from parbench.context import RunContext, worker_name
from parbench.contracts.problem import Problem
from parbench.kernels import malloc


class TaskFarmProblem(Problem):
    """An embarrassingly parallel problem: independent tasks, each giving a partial result as a
    NumPy array; the partials, in task order, combine into the answer. Every variant in
    `parbench.farm.variants` runs any such problem."""

    variants_package = "parbench.farm.variants"

    def tasks(self, p: dict) -> list:
        raise NotImplementedError

    def partial_spec(self, task, p: dict) -> tuple[tuple[int, ...], np.dtype] | None:
        """Shape and dtype of a task's partial result, so MPI can receive it into a buffer; None
        when unknown before computing (then the ranks send the shapes first)."""
        raise NotImplementedError

    def compute(self, task, p: dict, kernel: str) -> np.ndarray:
        raise NotImplementedError

    def combine(self, p: dict, partials: list[np.ndarray]) -> dict[str, np.ndarray]:
        """Problems with a serial part also get its result, as `serial=`."""
        raise NotImplementedError

    def has_serial_part(self, p: dict) -> bool:
        return False

    def serial_part(self, p: dict, kernel: str) -> np.ndarray:
        """Work only the driver does, before the tasks (Amdahl's serial fraction), when
        `has_serial_part`; its result goes to `combine`."""
        raise NotImplementedError

    def warm_up(self, kernel: str) -> None:
        """Compiles or imports what the kernel needs, so that start-up is not timed as compute."""

    def job(self, params: dict, kernel: str) -> Job:
        return Job(self, params, kernel)


@dataclass(frozen=True)
class Done:
    """One finished task: its position, its partial result, who computed it, how long it took, and
    when it started and ended by the worker's clock (`time.time()`, comparable between nodes)."""

    index: int
    partial: np.ndarray
    worker: str
    seconds: float
    started: float
    ended: float


@dataclass(frozen=True)
class Job:
    problem: TaskFarmProblem
    params: dict
    kernel: str

    def tasks(self) -> list[tuple[int, object]]:
        """The tasks, numbered so that results can be put back in order however they arrive."""
        return list(enumerate(self.problem.tasks(self.params)))

    def run_task(self, numbered_task: tuple[int, object]) -> Done:
        index, task = numbered_task
        started, began = time.time(), time.perf_counter()
        partial = self.problem.compute(task, self.params, self.kernel)
        return Done(index, partial, worker_name(), time.perf_counter() - began, started, time.time())

    def run_tasks(self, numbered_tasks) -> list[Done]:
        return [self.run_task(t) for t in numbered_tasks]

    def run_serial_part(self, ctx: RunContext):
        """The problem's serial part, in the driver (rank 0) while the workers wait: timed as
        compute, but no worker's busy time, since the workers are idle meanwhile."""
        if not self.has_serial_part():
            return None
        with ctx.phases.phase("compute"):
            return self.problem.serial_part(self.params, self.kernel)

    def has_serial_part(self) -> bool:
        return self.problem.has_serial_part(self.params)

    def result_bytes(self) -> int:
        """The size of all partial results together: what the workers send back (0 when the
        problem cannot say before computing, as a plug-in's SimpleProblem)."""
        total = 0
        for _, task in self.tasks():
            spec = self.problem.partial_spec(task, self.params)
            if spec is None:
                return 0
            shape, dtype = spec
            total += int(np.prod(shape)) * dtype.itemsize
        return total

    def warm_up(self, *_ignored) -> str:
        """Loads the kernel (numba compiles or reads its cache) and sets the malloc thresholds
        every variant's kernels run with; returns the worker's name."""
        malloc.use_steady_thresholds()
        self.problem.warm_up(self.kernel)
        return worker_name()

    def finish(self, done: list[Done], ctx: RunContext, serial=None) -> dict:
        """Records each worker's busy time and combines the partials in task order (with the
        serial part's result, for problems that have one)."""
        expected = len(self.problem.tasks(self.params))
        if sorted(d.index for d in done) != list(range(expected)):
            raise RuntimeError(f"{len(done)} task results came back for {expected} tasks")
        for d in done:
            ctx.add_busy(d.worker, d.seconds)
        ordered = sorted(done, key=lambda d: d.index)
        partials = [d.partial for d in ordered]
        if serial is None:
            return self.problem.combine(self.params, partials)
        return self.problem.combine(self.params, partials, serial=serial)
