"""dask.distributed: the field is a dask array chunked into row blocks (one per worker), advanced
with `map_overlap`. Each round copies `depth` halo rows from the neighbouring chunks (Dask does
the slicing and moving as tasks of its own), advances the extended chunk `depth` steps, and trims
the halo off. With --steps-per-exchange k the depth is k: one exchange per k steps, paying k-fold
deeper halos and a little redundant computation near the chunk edges (communication avoiding).

The chunks stay on the workers between rounds (`persist`); the initial field is read there too,
each chunk its own window. Checkpoints and the final field are gathered by the client.
Busy time: each worker process sums its kernel time in a module global, which the client reads
with `client.run` at the end (Dask fuses the stencil with its halo-concatenation task, so the
task stream cannot tell the kernel's share).
"""

from __future__ import annotations

import time

import numpy as np

from parbench.context import RunContext
from parbench.heat.checkpoint import Checkpoint
from parbench.heat.job import HeatJob, charge_loop, result

_kernel_seconds = {"total": 0.0}  # in each worker process


def read_chunk(job: HeatJob, out: str, start: int, rows: tuple[int, int]) -> np.ndarray:
    """The initial rows of one chunk, read on the worker that will hold it."""
    window = (slice(*rows), slice(None))
    return Checkpoint(job, out).window(*window) if start else job.window(*window)


def advance_chunk(extended: np.ndarray, *, job: HeatJob, steps: int) -> np.ndarray:
    """`steps` steps on a chunk extended by `steps` halo rows on each side that has a neighbour.
    Its first and last rows are never updated: they are halo, or the fixed boundary. A halo row
    is stale after the first step, so the error creeps one row inwards per step; after `steps`
    steps it has reached the halo's inner edge, and the rows kept (after trimming) are exact."""
    src = extended.copy()  # the chunk dask hands in must not be modified
    dst = src.copy()
    step = job.stepper()
    rows, cols = src.shape
    began = time.perf_counter()
    for _ in range(steps):
        step(src, dst, 1, rows - 1, 1, cols - 1)
        src, dst = dst, src
    _kernel_seconds["total"] += time.perf_counter() - began
    return src


def kernel_seconds(reset: bool = False) -> tuple[str, float]:
    """This worker's name and kernel seconds since the last reset."""
    from parbench.context import worker_name

    seconds = _kernel_seconds["total"]
    if reset:
        _kernel_seconds["total"] = 0.0
    return worker_name(), seconds


def busy_workers(replies) -> dict[str, float]:
    """Every chosen worker replies with its name and kernel seconds; only those that held a chunk
    ran the kernel, and a run's record lists only workers that did work."""
    return {worker: seconds for worker, seconds in replies if seconds > 0}


def run(job: HeatJob, ctx: RunContext, client=None) -> dict:
    import dask.array as da
    from dask import delayed
    from distributed import wait

    from parbench.frameworks import dask_client

    with ctx.phases.phase("startup"):
        session = dask_client.connect(ctx, client)
        dask = session.client
        workers = dask_client.choose_workers(dask, ctx.workers)
        dask_client.warm_up(dask, workers, job.warm_up)
        dask.run(kernel_seconds, True, workers=workers)
    try:
        with ctx.phases.phase("distribute"):
            checkpoint = Checkpoint(job, ctx.out)
            start = checkpoint.start_step()
            read = delayed(read_chunk, pure=True)
            field = da.concatenate(
                [
                    da.from_delayed(
                        read(job, str(ctx.out), start, rows), (rows[1] - rows[0], job.shape[1]), np.float64
                    )
                    for rows in job.owned_rows(ctx.workers)
                ]
            )
            field = dask.persist(field, workers=workers, allow_other_workers=False)
            wait(field)
        wall = 0.0
        depth_most = job.params["steps_per_exchange"]
        for first, stop in job.segments(start, longest=depth_most):
            with ctx.phases.phase("compute"):
                began = time.perf_counter()
                depth = stop - first
                field = field.map_overlap(
                    advance_chunk,
                    depth={0: depth, 1: 0},
                    boundary="none",
                    dtype=np.float64,
                    job=job,
                    steps=depth,
                )
                field = dask.persist(field, workers=workers, allow_other_workers=False)
                wait(field)
                wall += time.perf_counter() - began
            if job.is_checkpoint(stop):
                with ctx.phases.phase("write"):
                    checkpoint.write(stop, field.compute())
        with ctx.phases.phase("communicate"):
            whole = field.compute()
        busy = busy_workers(dask.run(kernel_seconds, workers=workers).values())
        charge_loop(ctx, wall, busy)
        checkpoint.remove()
        return result(whole, start)
    finally:
        with ctx.phases.phase("teardown"):
            session.close()
