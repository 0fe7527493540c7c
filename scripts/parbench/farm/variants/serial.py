"""Serial: every task in turn, in one thread. The reference every other variant must match."""

from parbench.context import RunContext
from parbench.contracts.task_farm import Job


def run(job: Job, ctx: RunContext) -> dict:
    with ctx.phases.phase("startup"):
        job.warm_up()
    with ctx.phases.phase("distribute"):
        tasks = job.tasks()
    serial = job.run_serial_part(ctx)
    with ctx.phases.phase("compute"):
        done = job.run_tasks(tasks)
    with ctx.phases.phase("communicate"):
        return job.finish(done, ctx, serial)
