"""The job every task-farm variant runs: a problem, its parameters and a kernel, picklable so
that it can travel to worker processes, Dask workers and Spark executors."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from parbench.context import RunContext, worker_name
from parbench.kernels import malloc
from parbench.problems.base import TaskFarmProblem


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
        """The size of all partial results together: what the workers send back."""
        total = 0
        for _, task in self.tasks():
            shape, dtype = self.problem.partial_spec(task, self.params)
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


def collect_timed(ctx: RunContext, call) -> list[Done]:
    """Runs `call`, one framework call that hands out the tasks, runs them and returns their Done
    records, and splits its time into distribute, compute and communicate by the workers' clocks,
    as MPI's phases are split: the compute phase is the workers' computing, not the framework's
    job launch before it or its result path after it."""
    called = time.time()
    done = call()
    returned = time.time()
    first_started = min((d.started for d in done), default=called)
    last_ended = max((d.ended for d in done), default=returned)
    ctx.phases.charge_call(called, returned, first_started, last_ended)
    return done


def deal(items: list, hands: int) -> list[list]:
    """Deals items round-robin into `hands` lists: a static split that still spreads neighbouring
    (similarly expensive) tasks over every worker."""
    return [items[h::hands] for h in range(hands)]


def guided(items: list, workers: int) -> list[list]:
    """Guided self-scheduling (OpenMP's `schedule(guided)`): consecutive batches, each a share
    1/(2 x workers) of the items still left, so they shrink to single items at the end. A pool
    pays per message it sends (a pickle, a pipe round trip, a wake-up of the parent's threads on
    the workers' cores), so the large early batches keep those few, while the small late ones
    still let whichever worker is idle even out the finish."""
    batches, start = [], 0
    while start < len(items):
        size = max(1, (len(items) - start) // (2 * workers))
        batches.append(items[start : start + size])
        start += size
    return batches
