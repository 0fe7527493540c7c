"""dask.dataframe on the distributed scheduler: `read_parquet` makes one Dask partition per Parquet
file (only the key and value columns are read, as Arrow-backed columns), each partition is
aggregated by the kernel into a partial, and the partials are merged in a tree on the workers
(MERGE_FAN_IN at a time, Chan et al.), so only one partial travels back to the client.

Why not `frame.groupby("key")["value"].agg([..., "std"])`? Dask's built-in groupby variance sums
x and x^2 per partition and takes x2 - x^2/n at the end: it cancels catastrophically when a key's
mean dwarfs its spread (two rows 50.0 and 50.001 keep about 6 good digits of their variance), which
fails this problem's 1e-9 check. The tree below is the same reduction with a stable merge.

By default a LocalCluster of N single-threaded worker processes; with `--scheduler-file` a running
cluster, of which N workers are used.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from parbench.context import RunContext, worker_name
from parbench.contracts.task_farm import Job
from parbench.groupby import dataset
from parbench.kernels import aggregate

MERGE_FAN_IN = 8  # partials merged per tree node, as dask's own `split_every` default


@dataclass
class Piece:
    """A partial aggregate and the seconds each worker spent making it."""

    partial: object
    busy: dict[str, float] = field(default_factory=dict)


def aggregate_partition(frame, job: Job) -> Piece:
    from parbench.kernels.groupby import PARTIAL

    began = time.perf_counter()
    keys, values = frame["key"].to_numpy(), frame["value"].to_numpy()
    partial = PARTIAL[job.kernel](keys, values, job.params["keys"])
    return Piece(partial, {worker_name(): time.perf_counter() - began})


def merge_pieces(pieces: list[Piece], keys: int) -> Piece:
    began = time.perf_counter()
    partial = aggregate.merge_all([p.partial for p in pieces], keys)
    busy: dict[str, float] = {}
    for piece in pieces:
        for worker, seconds in piece.busy.items():
            busy[worker] = busy.get(worker, 0.0) + seconds
    me = worker_name()
    busy[me] = busy.get(me, 0.0) + time.perf_counter() - began
    return Piece(partial, busy)


def warm_up_worker(job: Job) -> None:
    """Loads the kernel and dask.dataframe's Parquet I/O, which the first partition a worker reads
    would otherwise import: start-up, not query."""
    import dask.dataframe.io.parquet  # noqa: F401

    job.warm_up()


def query(files: list[str], job: Job):
    """The query as one lazy Dask graph: read, aggregate each partition, merge as a tree."""
    import dask
    import dask.dataframe as dd

    # Arrow-backed columns: each partition keeps the buffers Parquet was read into instead of
    # being copied into pandas' NumPy blocks (a tenth of the first query's time on two workers).
    frame = dd.read_parquet(
        files, columns=list(dataset.QUERY_COLUMNS), split_row_groups=False, dtype_backend="pyarrow"
    )
    return merge_tree([dask.delayed(aggregate_partition)(part, job) for part in frame.to_delayed()], job)


def merge_tree(level: list, job: Job):
    """Merges the partitions' lazy pieces MERGE_FAN_IN at a time, level by level, into one."""
    import dask

    while len(level) > 1:
        level = [
            dask.delayed(merge_pieces)(level[i : i + MERGE_FAN_IN], job.params["keys"])
            for i in range(0, len(level), MERGE_FAN_IN)
        ]
    return level[0]


def run(job: Job, ctx: RunContext, client=None) -> dict:
    from parbench.frameworks import dask_client

    with ctx.phases.phase("startup"):
        # Loading dask.dataframe (and through it pyarrow's dataset layer) is slow in a fresh
        # process: framework start-up, like the cluster's, not part of building the query.
        import dask.dataframe  # noqa: F401

        session = dask_client.connect(ctx, client)
        workers = dask_client.choose_workers(session.client, ctx.workers)
        dask_client.warm_up(session.client, workers, warm_up_worker, job)
    try:
        with ctx.phases.phase("distribute"):
            graph = query([task for _, task in job.tasks()], job)
        with ctx.phases.phase("compute"):
            future = session.client.compute(graph, workers=workers, allow_other_workers=False)
            piece = future.result()
        with ctx.phases.phase("communicate"):
            for worker, seconds in piece.busy.items():
                ctx.add_busy(worker, seconds)
            return job.problem.combine(job.params, [piece.partial])
    finally:
        with ctx.phases.phase("teardown"):
            session.close()
