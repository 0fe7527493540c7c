"""What both concurrent.futures variants do with their executor: submit every task as a future,
collect the futures as they complete. Only the executor class differs between them."""

from concurrent.futures import Executor, as_completed

from parbench.context import RunContext
from parbench.farm.job import Job, collect_timed


def run_on(make_executor, job: Job, ctx: RunContext) -> dict:
    with ctx.phases.phase("startup"):
        executor: Executor = make_executor(ctx.workers, job.warm_up)
        list(executor.map(job.warm_up, range(ctx.workers)))  # wait until the workers are up
    try:
        with ctx.phases.phase("distribute"):
            tasks = job.tasks()

        def submit_and_wait():
            futures = [executor.submit(job.run_task, task) for task in tasks]
            return [future.result() for future in as_completed(futures)]

        done = collect_timed(ctx, submit_and_wait)
        with ctx.phases.phase("communicate"):
            return job.finish(done, ctx)
    finally:
        with ctx.phases.phase("teardown"):
            executor.shutdown(wait=True, cancel_futures=True)
