"""What both concurrent.futures variants do each step: submit one future per row block, then
wait for all of them. Waiting for the futures is the barrier between steps; only the block's
number and the step's parity travel to a worker, never the field. The executor, and where the
buffers live (this process, or shared memory), are the variant's choice."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from parbench.context import RunContext, worker_name
from parbench.heat.checkpoint import Checkpoint
from parbench.heat.job import HeatJob, charge_loop, result

_local = threading.local()  # each worker thread keeps its own stepper (and NumPy scratch)


@dataclass(frozen=True)
class BlockStep:
    """Updates one block for one step; picklable when `grid` is (a shared-memory handle)."""

    job: HeatJob
    blocks: list
    grid: object  # has .buffers() -> (buffer 0, buffer 1)

    def __call__(self, task: tuple[int, int]) -> tuple[str, float]:
        index, parity = task
        buffers = self.grid.buffers()
        src, dst = buffers[parity], buffers[1 - parity]
        if getattr(_local, "job", None) is not self.job:
            _local.job, _local.step = self.job, self.job.stepper()
        first_row, stop_row = self.blocks[index]
        began = time.perf_counter()
        _local.step(src, dst, first_row, stop_row, 1, self.job.shape[1] - 1)
        return worker_name(), time.perf_counter() - began

    def warm_up(self, *_ignored) -> str:
        self.job.warm_up()
        self.grid.buffers()
        return worker_name()


def run_on(executor, grid, job: HeatJob, ctx: RunContext, start: int, checkpoint: Checkpoint) -> dict:
    """Steps start..steps with `executor`, the field in `grid.buffers()`."""
    with ctx.phases.phase("distribute"):
        task = BlockStep(job, job.row_blocks(ctx.workers), grid)
        list(executor.map(task.warm_up, range(ctx.workers)))
    busy, wall = {}, 0.0
    parity = 0
    for first, stop in job.segments(start):
        with ctx.phases.phase("compute"):
            began = time.perf_counter()
            for _ in range(first, stop):
                for worker, seconds in executor.map(task, [(i, parity) for i in range(ctx.workers)]):
                    busy[worker] = busy.get(worker, 0.0) + seconds
                parity = 1 - parity
            wall += time.perf_counter() - began
        if job.is_checkpoint(stop):
            with ctx.phases.phase("write"):
                checkpoint.write(stop, grid.buffers()[parity])
    charge_loop(ctx, wall, busy)
    return result(grid.buffers()[parity].copy(), start)


@dataclass(frozen=True)
class LocalGrid:
    """The buffers as plain arrays of this process (for threads)."""

    arrays: tuple

    def buffers(self):
        return self.arrays
