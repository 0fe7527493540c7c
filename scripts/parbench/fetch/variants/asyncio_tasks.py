"""asyncio: one thread, one event loop, N requests in flight. N coroutines pull objects from one
shared list until it is empty (dynamic balancing, as the threads variant's queue); each awaits its
request, and while it waits the loop runs the others. No thread, no process, no pickling: the
standard library's own answer to I/O concurrency. Only for problems whose tasks wait on I/O and
offer an awaitable form (`compute_async`): a task that computes would stop every other."""

import asyncio
import time

from parbench.context import RunContext, worker_name
from parbench.contracts.task_farm import Done, Job


def run(job: Job, ctx: RunContext) -> dict:
    with ctx.phases.phase("startup"):
        job.warm_up()
    with ctx.phases.phase("distribute"):
        tasks = job.tasks()
    with ctx.phases.phase("compute"):
        done = asyncio.run(run_all(job, tasks, ctx.workers))
    with ctx.phases.phase("communicate"):
        return job.finish(done, ctx)


async def run_all(job: Job, tasks: list, workers: int) -> list[Done]:
    todo, done = iter(tasks), []

    async def work(name: str):
        # One thread runs every coroutine, so `next` on the shared iterator needs no lock.
        for index, task in todo:
            started, began = time.time(), time.perf_counter()
            partial = await job.problem.compute_async(task, job.params, job.kernel)
            done.append(Done(index, partial, name, time.perf_counter() - began, started, time.time()))

    # gather: the first failure is raised here, and the run fails with it.
    await asyncio.gather(*(work(f"{worker_name()}/coroutine{i}") for i in range(workers)))
    return done
