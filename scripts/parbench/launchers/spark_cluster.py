"""A Spark standalone cluster across the allocation: the master on this node, one single-core
worker per SLURM task started with srun; everything is stopped when the command ends."""

from __future__ import annotations

import json
import os
import socket
import sys
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from parbench.launchers import steps
from parbench.launchers.allocation import Allocation

READY_TIMEOUT_S = 180
MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"


def spark_class() -> str:
    """pyspark's own launcher script, so the cluster runs the same Spark as the driver."""
    import pyspark

    return str(Path(pyspark.__file__).parent / "bin" / "spark-class")


@contextmanager
def cluster(allocation: Allocation, workers: int, nodes: int | None, scratch: Path):
    """Yields the options that join the cluster: ['--master', URL]."""
    host = socket.gethostname()
    port, ui_port = steps.free_port(), steps.free_port()
    url = f"spark://{host}:{port}"
    # Executors must run this interpreter (the one with parbench); logs and work dirs in scratch.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ["SPARK_LOG_DIR"] = str(scratch)
    log = open(scratch / "spark.log", "ab")
    master = steps.start(
        [spark_class(), MASTER_CLASS, "--host", host, "--port", str(port), "--webui-port", str(ui_port)], log
    )
    started = [master]
    try:
        steps.wait_until(
            lambda: alive_workers(host, ui_port) is not None, "spark master", READY_TIMEOUT_S, started
        )
        # One core per worker; the worker's web UI is of no use here and would clash between
        # workers sharing a host, so it gets a random port.
        worker = [
            spark_class(),
            WORKER_CLASS,
            url,
            "--cores",
            "1",
            "--webui-port",
            "0",
            "--work-dir",
            str(scratch / "work"),
        ]
        started.append(steps.start(allocation.srun(workers, worker, nodes), log))
        steps.wait_until(
            lambda: (alive_workers(host, ui_port) or 0) >= workers,
            f"{workers} spark workers",
            READY_TIMEOUT_S,
            started,
        )
        yield ["--master", url]
    finally:
        for process in reversed(started):
            steps.stop(process)
        log.close()


def alive_workers(host: str, ui_port: int) -> int | None:
    """How many workers the master lists as alive; None while the master does not answer."""
    try:
        with urllib.request.urlopen(f"http://{host}:{ui_port}/json/", timeout=5) as reply:
            return int(json.load(reply).get("aliveworkers", 0))
    except (OSError, ValueError):
        return None
