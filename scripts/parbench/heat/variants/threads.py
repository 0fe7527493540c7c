"""threading: one thread per row block, all on the same two NumPy buffers, with a
`threading.Barrier` after every step. Nothing is copied between workers: the neighbours' rows are
simply there. The threads run in parallel only while the kernel releases the GIL (NumPy inside
each operation on a large block, numba with nogil); the pure-Python kernel runs one at a time."""

import threading
import time

from parbench.context import RunContext, worker_name
from parbench.heat.barrier_loop import advance_block
from parbench.heat.checkpoint import Checkpoint
from parbench.heat.job import HeatJob, charge_loop, result


def run(job: HeatJob, ctx: RunContext) -> dict:
    with ctx.phases.phase("startup"):
        job.warm_up()
    with ctx.phases.phase("distribute"):
        checkpoint = Checkpoint(job, ctx.out)
        start, field = checkpoint.start()
        buffers = (field, field.copy())
        blocks = job.row_blocks(ctx.workers)
    barrier = threading.Barrier(ctx.workers)
    busy, writes, failures = {}, [0.0], []

    def work(index):
        try:
            kernel, writing = advance_block(job, index, blocks, buffers, start, barrier, ctx.out)
            busy[worker_name()] = kernel
            writes[0] += writing
        except BaseException as error:  # re-raised in the main thread below
            failures.append(error)

    with ctx.phases.phase("compute"):
        began = time.perf_counter()
        threads = [threading.Thread(target=work, args=(i,), name=f"heat{i}") for i in range(ctx.workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - began
    if failures:
        raise next((f for f in failures if not isinstance(f, threading.BrokenBarrierError)), failures[0])
    charge_loop(ctx, wall, busy, writes[0])
    checkpoint.remove()
    return result(buffers[(job.steps - start) % 2], start)
