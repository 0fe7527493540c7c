"""dask.distributed: the tasks are dealt into a few batches per worker and every batch becomes a
future on a Dask cluster; the scheduler hands batches to idle workers (dynamic balancing) and the
partial results come back pickled. By default a LocalCluster of N single-threaded worker
processes; with `--scheduler-file` it joins a running cluster, which may span nodes, and uses N of
its workers."""

from parbench.context import RunContext
from parbench.contracts.task_farm import Job
from parbench.farm.schedule import collect_timed, deal

# Dask's scheduler spends CPU on every task, on the same cores as the workers: one future per
# task was a large share of a short job (docs/benchmarks.md). Batches keep that to a few futures
# per worker, while a worker that falls behind still leaves its second batch to an idle one.
BATCHES_PER_WORKER = 2


def run(job: Job, ctx: RunContext, client=None) -> dict:
    from parbench.frameworks import dask_client

    with ctx.phases.phase("startup"):
        session = dask_client.connect(ctx, client)
        workers = dask_client.choose_workers(session.client, ctx.workers)
        dask_client.warm_up(session.client, workers, job.warm_up)
    try:
        with ctx.phases.phase("distribute"):
            batches = [batch for batch in deal(job.tasks(), ctx.workers * BATCHES_PER_WORKER) if batch]

        def map_and_gather():
            futures = session.client.map(
                job.run_tasks, batches, pure=False, workers=workers, allow_other_workers=False
            )
            return [d for batch in session.client.gather(futures) for d in batch]

        serial = job.run_serial_part(ctx)
        done = collect_timed(ctx, map_and_gather)
        with ctx.phases.phase("communicate"):
            return job.finish(done, ctx, serial)
    finally:
        with ctx.phases.phase("teardown"):
            session.close()
