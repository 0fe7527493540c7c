"""multiprocessing: a Pool of N processes; `imap_unordered` with chunksize 1 hands each idle
worker the next batch of tasks (dynamic balancing). The batches shrink as the work runs out
(guided self-scheduling), so few messages travel but the finish is still even. Tasks and partial
results travel pickled."""

import multiprocessing

from parbench.context import RunContext
from parbench.contracts.task_farm import Job
from parbench.farm.schedule import collect_timed, guided


def run(job: Job, ctx: RunContext) -> dict:
    with ctx.phases.phase("startup"):
        # fork: workers start in milliseconds with everything already imported (Linux, HPC nodes).
        pool = multiprocessing.get_context("fork").Pool(ctx.workers, initializer=job.warm_up)
        pool.map(job.warm_up, range(ctx.workers), chunksize=1)  # wait until the workers are up
    try:
        with ctx.phases.phase("distribute"):
            batches = guided(job.tasks(), ctx.workers)

        def map_batches():
            return [d for batch in pool.imap_unordered(job.run_tasks, batches, chunksize=1) for d in batch]

        serial = job.run_serial_part(ctx)
        done = collect_timed(ctx, map_batches)
        with ctx.phases.phase("communicate"):
            return job.finish(done, ctx, serial)
    finally:
        with ctx.phases.phase("teardown"):
            pool.close()
            pool.join()
