"""The loop each worker of the `threads` and `processes` variants runs on the shared field:
update my row block from one buffer into the other, wait at the barrier until every block of the
step is done (the shared-memory stand-in for a halo exchange: after it, my neighbours' edge rows
are readable), swap, repeat. Worker 0 also writes the checkpoints."""

from __future__ import annotations

import time

from parbench.heat.checkpoint import Checkpoint
from parbench.heat.job import HeatJob, Stopwatch


def advance_block(job: HeatJob, index: int, blocks, buffers, start: int, barrier, out) -> tuple[float, float]:
    """Runs steps start..steps on block `index`; returns (kernel seconds, checkpoint seconds)."""
    first_row, stop_row = blocks[index]
    ny = job.shape[1]
    step = job.stepper()
    kernel, writing = Stopwatch(), 0.0
    checkpoint = Checkpoint(job, out)
    try:
        for n in range(start, job.steps):
            src, dst = buffers[(n - start) % 2], buffers[(n - start + 1) % 2]
            with kernel:
                step(src, dst, first_row, stop_row, 1, ny - 1)
            barrier.wait()
            if index == 0 and job.is_checkpoint(n + 1):
                # Safe while the others go on: step n+2 writes into `src`, and nobody can begin
                # step n+2 (overwriting `dst`) before worker 0 reaches the next barrier.
                began = time.perf_counter()
                checkpoint.write(n + 1, dst)
                writing += time.perf_counter() - began
    except BaseException:
        barrier.abort()  # the others get BrokenBarrierError instead of waiting for ever
        raise
    return kernel.seconds, writing
