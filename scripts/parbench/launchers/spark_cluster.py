"""A Spark standalone cluster across the allocation: the master on this node, one single-core
worker per SLURM task started with srun; everything is stopped when the command ends.

The master, its workers and the command's driver share a secret made for this cluster
(spark.authenticate, with encryption): it lives in `spark-defaults.conf` of an owner-only
configuration folder in the scratch folder, which every one of them is pointed at with
SPARK_CONF_DIR, so it is never on a command line. The master's and workers' web UIs, which Spark
cannot turn off, listen on the loopback address only; the launcher learns that the cluster is
ready from the master's log, not from its UI."""

from __future__ import annotations

import os
import re
import secrets
import socket
import sys
from contextlib import contextmanager
from pathlib import Path

from parbench.frameworks import security, spark_session
from parbench.launchers import network, steps
from parbench.launchers.allocation import Allocation

READY_TIMEOUT_S = 180
MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"
# What the master logs (Spark's default log4j profile, INFO) when it can take workers, and for
# each worker that joins.
MASTER_ALIVE = "New state: ALIVE"
WORKER_JOINED = re.compile(r"Registering worker (\S+) with")
# Each worker, started by srun on its node: its own host name (for its RPC address) and a fresh
# node-local folder only its owner can read for the executors' shuffle and cached blocks, removed
# when the worker ends.
WORKER_SCRIPT = (
    'dir=$(mktemp -d "${TMPDIR:-/tmp}/parbench-spark-XXXXXX") || exit 1; '
    "trap 'rm -rf \"$dir\"' EXIT; trap 'exit 143' TERM; "
    'SPARK_LOCAL_DIRS="$dir" "$@" --host "$(hostname)"'
)
# With a network interface: the node's address on it instead of the host name (a node without
# it ends the worker, and --kill-on-bad-exit the whole step, naming the interfaces it has).
ON_INTERFACE = 'host=$("$PARBENCH_PYTHON" -m parbench.launchers.network "$PARBENCH_INTERFACE") || exit 2; '


def spark_class() -> str:
    """pyspark's own launcher script, so the cluster runs the same Spark as the driver."""
    import pyspark

    return str(Path(pyspark.__file__).parent / "bin" / "spark-class")


def write_configuration(scratch: Path) -> Path:
    """The cluster's SPARK_CONF_DIR: the site's spark-defaults.conf and spark-env.sh, if it has
    them, then the cluster's secret and settings. Folder 0700, files 0600."""
    folder = scratch / "spark-conf"
    folder.mkdir(mode=0o700)
    site = Path(os.environ.get("SPARK_CONF_DIR") or "/nonexistent")
    lines = []
    if (site / "spark-defaults.conf").is_file():
        lines.append((site / "spark-defaults.conf").read_text())
    if (site / "spark-env.sh").is_file():
        security.write_private(folder / "spark-env.sh", (site / "spark-env.sh").read_text())
    settings = {
        "spark.master.rest.enabled": "false",  # REST submissions cannot authenticate
        "spark.ui.killEnabled": "false",
    }
    if security.enabled():
        settings |= {**spark_session.AUTHENTICATION, "spark.authenticate.secret": secrets.token_hex(32)}
    lines += [f"{key} {value}" for key, value in settings.items()]
    security.write_private(folder / "spark-defaults.conf", "\n".join(lines) + "\n")
    return folder


@contextmanager
def cluster(allocation: Allocation, workers: int, nodes: int | None, scratch: Path, interface=None):
    """Yields the options that join the cluster: ['--master', URL]. With `interface`, the master,
    the workers and the command's driver use their node's address on that network interface
    (--host, and SPARK_LOCAL_IP for the driver)."""
    host = network.address_of(interface) if interface else socket.gethostname()
    if interface:
        os.environ["SPARK_LOCAL_IP"] = host  # the command's driver; the daemons' UIs stay on loopback
    port = steps.free_port()
    url = f"spark://{host}:{port}"
    # The command's driver reads the secret from the same folder.
    os.environ["SPARK_CONF_DIR"] = str(write_configuration(scratch))
    # Executors must run this interpreter (the one with parbench); logs and work dirs in scratch.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ["SPARK_LOG_DIR"] = str(scratch)
    # The daemons' web UIs bind to SPARK_LOCAL_IP; their RPC to the --host they are given.
    daemons = {
        **os.environ,
        "SPARK_LOCAL_IP": "127.0.0.1",
        "PARBENCH_INTERFACE": interface or "",
        "PARBENCH_PYTHON": sys.executable,
    }
    master_log_path = scratch / "spark-master.log"
    master_log, workers_log = open(master_log_path, "ab"), open(scratch / "spark-workers.log", "ab")
    master = steps.start(
        [spark_class(), MASTER_CLASS, "--host", host, "--port", str(port), "--webui-port", "0"],
        master_log,
        env=daemons,
    )
    started = [master]
    try:
        steps.wait_until(
            lambda: MASTER_ALIVE in master_log_path.read_text(errors="replace"),
            "spark master",
            READY_TIMEOUT_S,
            started,
        )
        # One core per worker; its web UI gets a random port (workers may share a host).
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
        script = ON_INTERFACE + WORKER_SCRIPT.replace("$(hostname)", "$host") if interface else WORKER_SCRIPT
        srun = allocation.srun(workers, ["sh", "-c", script, "spark-worker", *worker], nodes)
        started.append(steps.start(srun, workers_log, env=daemons))
        steps.wait_until(
            lambda: joined_workers(master_log_path) >= workers,
            f"{workers} spark workers",
            READY_TIMEOUT_S,
            started,
        )
        yield ["--master", url]
    finally:
        for process in reversed(started):
            steps.stop(process)
        master_log.close()
        workers_log.close()


def joined_workers(master_log: Path) -> int:
    """How many different workers the master has logged as registered."""
    return len(set(WORKER_JOINED.findall(master_log.read_text(errors="replace"))))
