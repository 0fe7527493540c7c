"""multiprocessing: one forked process per row block, for the whole run, on the field's two
buffers in shared memory (`multiprocessing.shared_memory`), meeting at a
`multiprocessing.Barrier` after every step. Nothing of the field is pickled: the neighbours' rows
are in the shared pages. Each process reports its busy time through a queue at the end."""

import multiprocessing
import queue
import threading
import time

from parbench.context import RunContext, worker_name
from parbench.heat.barrier_loop import advance_block
from parbench.heat.checkpoint import Checkpoint
from parbench.heat.job import HeatJob, charge_loop, result
from parbench.heat.shared_grid import SharedGrid

POLL_S = 0.2


def work(job, index, blocks, handle, start, ready, barrier, out, reports):
    attached = False
    try:
        job.warm_up()
        buffers = handle.buffers()
        ready.wait()
        attached = True
        kernel, writing = advance_block(job, index, blocks, buffers, start, barrier, out)
        reports.put((index, worker_name(), kernel, writing, None))
    except BaseException as error:
        reports.put((index, worker_name(), 0.0, 0.0, repr(error)))
        if not attached:
            # The parent and the others wait at `ready` for this worker. Not after it: the parent
            # may not have woken from that wait yet, and would raise a nameless BrokenBarrierError.
            ready.abort()


def run(job: HeatJob, ctx: RunContext) -> dict:
    fork = multiprocessing.get_context("fork")
    with ctx.phases.phase("distribute"):
        checkpoint = Checkpoint(job, ctx.out)
        start, field = checkpoint.start()
        grid = SharedGrid(field)
        del field
        blocks = job.row_blocks(ctx.workers)
    processes = []
    try:
        with ctx.phases.phase("startup"):
            ready = fork.Barrier(ctx.workers + 1)  # the workers and this process: all attached
            barrier = fork.Barrier(ctx.workers)
            reports = fork.Queue()
            for index in range(ctx.workers):
                args = (job, index, blocks, grid.handle, start, ready, barrier, ctx.out, reports)
                processes.append(fork.Process(target=work, args=args, name=f"heat{index}"))
                processes[-1].start()
            try:
                ready.wait()
            except threading.BrokenBarrierError:
                collect(reports, processes, barrier)  # raises, naming the worker that failed
                raise
        with ctx.phases.phase("compute"):
            began = time.perf_counter()
            done = collect(reports, processes, barrier)
            wall = time.perf_counter() - began
        busy = {name: kernel for _, name, kernel, _, _ in done}
        charge_loop(ctx, wall, busy, sum(writing for *_, writing, _ in done))
        checkpoint.remove()
        return result(grid.buffers[(job.steps - start) % 2].copy(), start)
    finally:
        with ctx.phases.phase("teardown"):
            for process in processes:
                process.join()
            grid.close()


def collect(reports, processes, barrier) -> list:
    """Every worker's report; a worker that failed or died breaks the barrier for the others."""
    done = []
    while len(done) < len(processes):
        try:
            report = reports.get(timeout=POLL_S)
        except queue.Empty:
            if any(p.exitcode not in (None, 0) for p in processes):
                barrier.abort()
                raise RuntimeError("a heat worker process died") from None
            continue
        if report[-1] is not None:
            barrier.abort()
            raise RuntimeError(f"heat worker {report[0]} failed: {report[-1]}")
        done.append(report)
    return done
