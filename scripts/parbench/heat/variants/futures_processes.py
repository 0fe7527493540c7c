"""concurrent.futures with processes: the field's two buffers live in shared memory
(`multiprocessing.shared_memory`), and a ProcessPoolExecutor of forked workers updates the row
blocks of one step as one future each. A future carries only (block, parity): the workers write
straight into the shared pages, so nothing of the field is pickled. The main process waits for a
step's futures (the barrier) before submitting the next."""

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from parbench.context import RunContext
from parbench.heat.checkpoint import Checkpoint
from parbench.heat.fork_join import run_on
from parbench.heat.job import HeatJob
from parbench.heat.shared_grid import SharedGrid


def run(job: HeatJob, ctx: RunContext) -> dict:
    with ctx.phases.phase("startup"):
        job.warm_up()
        executor = ProcessPoolExecutor(
            max_workers=ctx.workers, mp_context=multiprocessing.get_context("fork"), initializer=job.warm_up
        )
    grid = None
    try:
        with ctx.phases.phase("distribute"):
            checkpoint = Checkpoint(job, ctx.out)
            start, field = checkpoint.start()
            grid = SharedGrid(field)
            del field
        answer = run_on(executor, grid.handle, job, ctx, start, checkpoint)
        checkpoint.remove()
        return answer
    finally:
        with ctx.phases.phase("teardown"):
            executor.shutdown(wait=True)
            if grid is not None:
                grid.close()
