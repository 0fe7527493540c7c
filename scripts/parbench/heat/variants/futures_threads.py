"""concurrent.futures with threads: a ThreadPoolExecutor updates the row blocks of one step as
one future each, on two buffers in this process; the main thread waits for all the futures of a
step (the barrier) before submitting the next. Fork-join every step, where `threads` keeps its
threads running and meets at a Barrier: the difference is the cost of submitting futures."""

from concurrent.futures import ThreadPoolExecutor

from parbench.context import RunContext
from parbench.heat.checkpoint import Checkpoint
from parbench.heat.fork_join import LocalGrid, run_on
from parbench.heat.job import HeatJob


def run(job: HeatJob, ctx: RunContext) -> dict:
    with ctx.phases.phase("startup"):
        job.warm_up()
        executor = ThreadPoolExecutor(max_workers=ctx.workers, thread_name_prefix="heat")
    try:
        with ctx.phases.phase("distribute"):
            checkpoint = Checkpoint(job, ctx.out)
            start, field = checkpoint.start()
            grid = LocalGrid((field, field.copy()))
        answer = run_on(executor, grid, job, ctx, start, checkpoint)
        checkpoint.remove()
        return answer
    finally:
        with ctx.phases.phase("teardown"):
            executor.shutdown(wait=True)
