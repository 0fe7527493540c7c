"""A Dask cluster across the allocation: the scheduler on this node, one single-threaded worker
per SLURM task started with srun, joined through a scheduler file on the shared file system.
Everything speaks TLS with a certificate made for this cluster, kept beside the scheduler file in
the owner-only scratch folder (dask_security)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from parbench.frameworks import dask_client, dask_security
from parbench.launchers import network, steps
from parbench.launchers.allocation import Allocation

READY_TIMEOUT_S = 180


@contextmanager
def cluster(allocation: Allocation, workers: int, nodes: int | None, scratch: Path, interface=None):
    """Yields the options that join the cluster: ['--scheduler-file', FILE]. With `interface`,
    the scheduler (at this node's address on it) and every worker (dask's --interface) listen on
    that network interface."""
    scheduler_file = scratch / "scheduler.json"
    # The scheduler runs here: its address on the interface, as --host (`dask scheduler` refuses
    # --interface beside TLS options, which it takes to name the host "tls://").
    listen = ["--host", network.address_of(interface) if interface else socket.gethostname()]
    log = open(scratch / "dask.log", "ab")
    tls = dask_security.command_line_options(dask_security.write_files(scratch))
    environment = {**os.environ, **dask_client.WORKER_ENVIRONMENT}
    scheduler = steps.start(
        [
            sys.executable,
            "-m",
            "distributed.cli.dask_scheduler",
            "--scheduler-file",
            str(scheduler_file),
            *listen,
            "--port",
            "0",
            "--no-dashboard",
            *dask_security.HTTP_ON_LOOPBACK,
            *tls,
        ],
        log,
        env=environment,
    )
    started = [scheduler]
    try:
        steps.wait_until(scheduler_file.exists, "dask scheduler", READY_TIMEOUT_S, started)
        worker = [
            sys.executable,
            "-m",
            "distributed.cli.dask_worker",
            "--scheduler-file",
            str(scheduler_file),
            "--nthreads",
            "1",
            "--nworkers",
            "1",
            "--no-dashboard",
            *dask_security.HTTP_ON_LOOPBACK,
            *tls,
            *(["--interface", interface] if interface else []),
            "--local-directory",
            str(scratch),
        ]
        started.append(steps.start(allocation.srun(workers, worker, nodes), log, env=environment))
        wait_for_workers(scheduler_file, workers, started)
        yield ["--scheduler-file", str(scheduler_file)]
    finally:
        shut_down(scheduler_file)
        for process in reversed(started):
            steps.stop(process)
        log.close()


def wait_for_workers(scheduler_file: Path, count: int, started: list[subprocess.Popen]) -> None:
    from distributed import Client

    tls = dask_security.beside(scheduler_file)
    with Client(scheduler_file=str(scheduler_file), security=tls, timeout=READY_TIMEOUT_S) as client:
        steps.wait_until(
            lambda: len(client.scheduler_info(n_workers=-1)["workers"]) >= count,
            f"{count} dask workers",
            READY_TIMEOUT_S,
            started,
        )


def shut_down(scheduler_file: Path) -> None:
    """Asks the scheduler to stop itself and its workers (a clean exit: no 'worker lost' noise)."""
    if not scheduler_file.exists():
        return
    try:
        from distributed import Client

        tls = dask_security.beside(scheduler_file)
        with Client(scheduler_file=str(scheduler_file), security=tls, timeout=10) as client:
            client.shutdown()
    except Exception as error:  # the processes are stopped below in any case
        print(f"parbench.launchers: dask shutdown: {error}", file=sys.stderr)
