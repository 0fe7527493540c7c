"""Is this process one of several MPI ranks started by a launcher (mpiexec, srun)?"""

import os
import sys
import time

# Variables that mpiexec (MPICH's Hydra, Open MPI) or srun's PMI plugins give every rank.
LAUNCHER_VARIABLES = ("PMI_RANK", "PMI_SIZE", "PMI_FD", "PMIX_RANK", "OMPI_COMM_WORLD_SIZE")
RANK_VARIABLES = ("PMI_RANK", "PMIX_RANK", "OMPI_COMM_WORLD_RANK", "SLURM_PROCID")


def started_by_mpi_launcher() -> bool:
    return any(name in os.environ for name in LAUNCHER_VARIABLES)


def launcher_rank() -> int:
    """This process's rank as the launcher numbered it (0 when not launched), known without
    starting MPI: only rank 0 reports errors, so a failed start prints one line, not N."""
    for name in RANK_VARIABLES:
        if os.environ.get(name, "").isdigit():
            return int(os.environ[name])
    return 0


def mpi_job_size() -> int:
    """The number of ranks once MPI is running in this process, else 0 (no MPI started)."""
    mpi = sys.modules.get("mpi4py.MPI")
    if mpi is None or not mpi.Is_initialized() or mpi.Is_finalized():
        return 0
    return mpi.COMM_WORLD.Get_size()


def abort_mpi_job(message: str, status: int) -> None:
    """Prints the message with this rank's number and ends every rank of the job."""
    mpi = sys.modules["mpi4py.MPI"]
    print(f"[rank {mpi.COMM_WORLD.Get_rank()}] {message.rstrip()}", file=sys.stderr, flush=True)
    # The launcher forwards a rank's output through a pipe; an abort right after the print can
    # tear the job down before that output is forwarded, and the user sees only the exit status
    # (seen with MPICH's hydra in CI). A moment's wait on this error path lets it through.
    time.sleep(0.5)
    mpi.COMM_WORLD.Abort(status)
