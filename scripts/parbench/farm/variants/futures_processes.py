"""concurrent.futures with processes: a ProcessPoolExecutor runs one future per batch of tasks
(batches that shrink as the work runs out, see futures_pool) in worker processes; each batch and
its partial results travel pickled."""

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from parbench.context import RunContext
from parbench.contracts.task_farm import Job
from parbench.farm.futures_pool import run_on


def process_pool(workers, warm_up):
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context("fork"), initializer=warm_up
    )


def run(job: Job, ctx: RunContext) -> dict:
    return run_on(process_pool, job, ctx)
