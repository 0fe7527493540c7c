"""The SLURM allocation a launcher runs in, and srun commands that start job steps inside it.

Snakemake's SLURM job step removes every SLURM_* variable except the job id, so nothing here
relies on SLURM_NTASKS or SLURM_JOB_NODELIST: counts are passed explicitly and the node list is
asked of squeue."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass


class NoAllocation(RuntimeError):
    """Not inside a SLURM job, or SLURM's commands are missing."""


@dataclass(frozen=True)
class Allocation:
    job_id: str
    nodes: tuple[str, ...]

    def srun(self, tasks: int, program: list[str], nodes: int | None = None) -> list[str]:
        """An srun command that starts `tasks` copies of `program`, one core each, spread over
        `nodes` nodes (default: all of the allocation's). `--overlap` lets the step share cores
        with other steps of the job (the launcher's own, when it runs under srun itself)."""
        nodes = min(nodes or len(self.nodes), tasks)
        return [
            "srun",
            f"--jobid={self.job_id}",
            f"--nodes={nodes}",
            f"--ntasks={tasks}",
            "--cpus-per-task=1",
            "--distribution=block",
            "--overlap",
            "--kill-on-bad-exit=1",
            *program,
        ]


def current() -> Allocation:
    job_id = os.environ.get("SLURM_JOB_ID", "")
    if not job_id:
        raise NoAllocation("not inside a SLURM allocation (no SLURM_JOB_ID): use salloc or sbatch")
    if not shutil.which("srun"):
        raise NoAllocation("srun not found on PATH")
    return Allocation(job_id, tuple(expand(node_list(job_id))))


def node_list(job_id: str) -> str:
    listed = os.environ.get("SLURM_JOB_NODELIST")
    if listed:
        return listed
    done = subprocess.run(
        ["squeue", "-h", "-j", job_id, "-o", "%N"], capture_output=True, text=True, timeout=30
    )
    if done.returncode != 0 or not done.stdout.strip():
        raise NoAllocation(f"squeue does not list job {job_id}: {done.stderr.strip()}")
    return done.stdout.strip()


def expand(nodes: str) -> list[str]:
    """'n[1-2]' -> ['n1', 'n2'], as SLURM itself expands it."""
    done = subprocess.run(
        ["scontrol", "show", "hostnames", nodes], capture_output=True, text=True, timeout=30, check=True
    )
    return done.stdout.split()
