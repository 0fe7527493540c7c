"""mpi4py: every rank reads its own share of the Parquet partitions (dealt round-robin by rank, so
nothing is sent out), aggregates them into one partial, and a single `Reduce` brings the partials
to rank 0 through a user-defined operator that merges two partials (Chan et al.).

The partial travels as one element of a contiguous MPI datatype as long as the whole vector, so
MPI hands the operator whole partials, never slices of one. The operator is declared
non-commutative: a floating-point merge is not bit-for-bit symmetric, and MPI then combines in rank
order, so the same ranks give the same bits every run. Start with `mpiexec -n N` or `srun`.
"""

import numpy as np
from mpi4py import MPI

from parbench.context import RunContext
from parbench.contracts.task_farm import Job
from parbench.farm.schedule import deal
from parbench.kernels import aggregate


def merging_operator(keys: int) -> MPI.Op:
    def merge_into(incoming, inout, datatype):
        # MPI's contract: inout <- incoming (lower ranks) op inout (higher ranks).
        first = np.frombuffer(incoming, dtype=np.float64)
        second = np.frombuffer(inout, dtype=np.float64)
        second[:] = aggregate.merge(first, second, keys)

    return MPI.Op.Create(merge_into, commute=False)


def run(job: Job, ctx: RunContext) -> dict | None:
    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    keys = job.params["keys"]
    with ctx.phases.phase("startup"):
        job.warm_up()
        operator = merging_operator(keys)
        one_partial = MPI.DOUBLE.Create_contiguous(aggregate.partial_length(keys)).Commit()
        comm.Barrier()
    try:
        with ctx.phases.phase("distribute"):
            mine = deal(job.tasks(), size)[rank]
        with ctx.phases.phase("compute"):
            done = job.run_tasks(mine)
            partial = aggregate.merge_all([d.partial for d in done], keys)
            comm.Barrier()  # the compute phase ends when the slowest rank is done
        with ctx.phases.phase("communicate"):
            total = np.empty_like(partial) if rank == 0 else None
            comm.Reduce(
                [partial, 1, one_partial], [total, 1, one_partial] if rank == 0 else None, operator, 0
            )
            timings = comm.gather([(d.worker, d.seconds) for d in done], root=0)
            if rank != 0:
                return None
            for rank_timings in timings:
                for worker, seconds in rank_timings:
                    ctx.add_busy(worker, seconds)
            return job.problem.combine(job.params, [total])
    finally:
        one_partial.Free()
        operator.Free()
