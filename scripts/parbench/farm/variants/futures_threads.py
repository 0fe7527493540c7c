"""concurrent.futures with threads: a ThreadPoolExecutor runs one future per batch of tasks
(batches that shrink as the work runs out, see futures_pool). Like `threads`, it only runs in
parallel while the kernel releases the GIL."""

from concurrent.futures import ThreadPoolExecutor

from parbench.context import RunContext
from parbench.contracts.task_farm import Job
from parbench.farm.futures_pool import run_on


def thread_pool(workers, warm_up):
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="future", initializer=warm_up)


def run(job: Job, ctx: RunContext) -> dict:
    return run_on(thread_pool, job, ctx)
