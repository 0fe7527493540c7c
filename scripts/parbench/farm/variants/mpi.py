"""mpi4py: every rank derives its own share of the tasks (dealt round-robin by rank, so nothing
needs sending), computes it, and rank 0 collects all partial results with one buffer-based
`Gatherv` (no pickling of arrays). Start with `mpiexec -n N` or `srun`."""

import numpy as np
from mpi4py import MPI
from mpi4py.util.dtlib import from_numpy_dtype

from parbench.context import RunContext
from parbench.contracts.task_farm import Done, Job
from parbench.farm.schedule import deal


def run(job: Job, ctx: RunContext) -> dict | None:
    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    with ctx.phases.phase("startup"):
        job.warm_up()
        comm.Barrier()
    with ctx.phases.phase("distribute"):
        shares = deal(job.tasks(), size)
    serial = job.run_serial_part(ctx) if rank == 0 else None
    if job.has_serial_part():
        with ctx.phases.phase("compute"):
            comm.Barrier()  # the other ranks wait for rank 0's serial part, as in hpc-intro's amdahl
    with ctx.phases.phase("compute"):
        mine = job.run_tasks(shares[rank])
        comm.Barrier()  # the compute phase ends when the slowest rank is done
    with ctx.phases.phase("communicate"):
        partials = gather_partials(comm, job, shares, mine)
        timings = comm.gather([(d.index, d.worker, d.seconds, d.started, d.ended) for d in mine], root=0)
        if rank != 0:
            return None
        done = [
            Done(index, partials[index], *timing)
            for rank_timings in timings
            for index, *timing in rank_timings
        ]
        return job.finish(done, ctx, serial)


def gather_partials(comm, job: Job, shares, mine: list[Done]) -> dict[int, np.ndarray] | None:
    """Rank 0 receives every rank's partials, packed end to end, into one buffer; it knows each
    partial's shape from the problem, so only the numbers travel."""
    specs = {index: job.problem.partial_spec(task, job.params) for share in shares for index, task in share}
    if None in specs.values():
        specs = sent_specs(comm, mine)
    dtype = np.result_type(*{spec[1] for spec in specs.values()})
    send = np.concatenate([d.partial.ravel() for d in mine] or [np.empty(0, dtype)]).astype(dtype)
    if comm.Get_rank() != 0:
        comm.Gatherv(send, None, root=0)
        return None
    counts = [sum(int(np.prod(specs[i][0])) for i, _ in share) for share in shares]
    receive = np.empty(sum(counts), dtype=dtype)
    comm.Gatherv(send, [receive, counts, from_numpy_dtype(dtype)], root=0)
    partials, offset = {}, 0
    for share in shares:
        for index, _ in share:
            shape = specs[index][0]
            partials[index] = receive[offset : offset + int(np.prod(shape))].reshape(shape)
            offset += int(np.prod(shape))
    return partials


def sent_specs(comm, mine: list[Done]) -> dict[int, tuple]:
    """For a problem that cannot say its partials' shapes before computing them (a plug-in's
    SimpleProblem): every rank sends the shapes and dtypes of its own first, a few bytes each."""
    mine_specs = [(d.index, d.partial.shape, d.partial.dtype) for d in mine]
    return {index: (shape, dtype) for specs in comm.allgather(mine_specs) for index, shape, dtype in specs}
