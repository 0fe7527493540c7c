"""multiprocessing: a Pool of N processes; `imap_unordered` with chunksize 1 hands each idle
worker the next task (dynamic balancing). Tasks and partial results travel pickled."""

import multiprocessing

from parbench.context import RunContext
from parbench.farm.job import Job, collect_timed


def run(job: Job, ctx: RunContext) -> dict:
    with ctx.phases.phase("startup"):
        # fork: workers start in milliseconds with everything already imported (Linux, HPC nodes).
        pool = multiprocessing.get_context("fork").Pool(ctx.workers, initializer=job.warm_up)
        pool.map(job.warm_up, range(ctx.workers), chunksize=1)  # wait until the workers are up
    try:
        with ctx.phases.phase("distribute"):
            tasks = job.tasks()
        done = collect_timed(ctx, lambda: list(pool.imap_unordered(job.run_task, tasks, chunksize=1)))
        with ctx.phases.phase("communicate"):
            return job.finish(done, ctx)
    finally:
        with ctx.phases.phase("teardown"):
            pool.close()
            pool.join()
