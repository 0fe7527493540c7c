"""What both concurrent.futures variants do with their executor: submit one future per batch of
tasks, collect the futures as they complete. The batches shrink as the work runs out (guided
self-scheduling): few futures, each with its pickling and hand-over costs, yet an even finish.
Only the executor class differs between the two variants."""

from concurrent.futures import Executor, as_completed

from parbench.context import RunContext
from parbench.contracts.task_farm import Job
from parbench.farm.schedule import collect_timed, guided


def run_on(make_executor, job: Job, ctx: RunContext) -> dict:
    with ctx.phases.phase("startup"):
        executor: Executor = make_executor(ctx.workers, job.warm_up)
        list(executor.map(job.warm_up, range(ctx.workers)))  # wait until the workers are up
    try:
        with ctx.phases.phase("distribute"):
            batches = guided(job.tasks(), ctx.workers)

        def submit_and_wait():
            futures = [executor.submit(job.run_tasks, batch) for batch in batches]
            return [d for future in as_completed(futures) for d in future.result()]

        serial = job.run_serial_part(ctx)
        done = collect_timed(ctx, submit_and_wait)
        with ctx.phases.phase("communicate"):
            return job.finish(done, ctx, serial)
    finally:
        with ctx.phases.phase("teardown"):
            executor.shutdown(wait=True, cancel_futures=True)
