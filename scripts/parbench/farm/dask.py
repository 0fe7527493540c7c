"""dask.distributed: every task becomes a future on a Dask cluster; the scheduler hands tasks to
idle workers (dynamic balancing) and results come back pickled. By default a LocalCluster of N
single-threaded worker processes; with `--scheduler-file` it joins a running cluster, which may
span nodes, and uses N of its workers."""

from parbench.context import RunContext
from parbench.farm.job import Job


def run(job: Job, ctx: RunContext, client=None) -> dict:
    from parbench.frameworks import dask_client

    with ctx.phases.phase("startup"):
        session = dask_client.connect(ctx, client)
        workers = dask_client.choose_workers(session.client, ctx.workers)
        session.client.run(job.warm_up, workers=workers)
    try:
        with ctx.phases.phase("distribute"):
            futures = session.client.map(
                job.run_task, job.tasks(), pure=False, workers=workers, allow_other_workers=False
            )
        with ctx.phases.phase("compute"):
            done = session.client.gather(futures)
        with ctx.phases.phase("communicate"):
            return job.finish(done, ctx)
    finally:
        with ctx.phases.phase("teardown"):
            session.close()
