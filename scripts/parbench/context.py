"""What a variant gets besides the job: worker count, options, and places to record timing."""

from __future__ import annotations

import os
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path

from parbench.timing import Phases


def node_name() -> str:
    """The node this process runs on: SLURM's name for it inside a SLURM job step (the name that
    sinfo and the job's node list use; it also tells apart nodes that share a host), else the
    host name."""
    return os.environ.get("SLURMD_NODENAME") or socket.gethostname()


def worker_name() -> str:
    """Names the worker that runs this line: node, process and thread, so any variant can report
    per-worker busy time the same way."""
    return f"{node_name()}:{os.getpid()}:{threading.current_thread().name}"


@dataclass
class RunContext:
    workers: int
    phases: Phases = field(default_factory=Phases)
    # Variant options from the command line: `master` (spark), `scheduler_file` (dask).
    options: dict = field(default_factory=dict)
    # Seconds each worker spent inside the kernel: the load-balance picture.
    busy: dict[str, float] = field(default_factory=dict)
    # Versions of the framework the variant used, for provenance.
    framework: dict[str, str] = field(default_factory=dict)
    # Host names of every worker that took part (MPI ranks, Dask workers, Spark executors).
    hosts: set[str] = field(default_factory=set)
    # The result file the run will write (checkpoints live beside it).
    out: Path | None = None
    # Peak memory of processes the runner's own sampler cannot see (a cluster's workers on other
    # nodes), added by the variant's framework: node -> bytes (parbench.memory).
    remote_memory: list[tuple[str, int, str]] = field(default_factory=list)

    def add_busy(self, worker: str, seconds: float) -> None:
        self.busy[worker] = self.busy.get(worker, 0.0) + seconds
        self.hosts.add(worker.split(":", 1)[0])
