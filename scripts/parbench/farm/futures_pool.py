"""What both concurrent.futures variants do with their executor: submit every task as a future,
collect the futures as they complete. Only the executor class differs between them."""

from concurrent.futures import Executor, as_completed

from parbench.context import RunContext
from parbench.farm.job import Job


def run_on(make_executor, job: Job, ctx: RunContext) -> dict:
    with ctx.phases.phase("startup"):
        executor: Executor = make_executor(ctx.workers, job.warm_up)
        list(executor.map(job.warm_up, range(ctx.workers)))  # wait until the workers are up
    try:
        with ctx.phases.phase("distribute"):
            futures = [executor.submit(job.run_task, task) for task in job.tasks()]
        with ctx.phases.phase("compute"):
            done = [future.result() for future in as_completed(futures)]
        with ctx.phases.phase("communicate"):
            return job.finish(done, ctx)
    finally:
        with ctx.phases.phase("teardown"):
            executor.shutdown(wait=True, cancel_futures=True)
