"""A Spark session for one run: `local[N]` by default, a standalone cluster through `--master`,
or a session a test hands in. Every session authenticates its connections (docs/security.md):
in local mode with a secret Spark makes for the session; on a standalone cluster with the
cluster's secret, which parbench.launchers puts in an owner-only `$SPARK_CONF_DIR`, never on a
command line."""

from __future__ import annotations

import os
import shutil
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

from parbench.context import RunContext
from parbench.errors import UsageError
from parbench.frameworks import security


@dataclass
class SparkRun:
    session: object
    owned: bool = True
    local_dir: Path | None = None
    # A standalone cluster's executors run on other nodes, not under this process: measured as
    # the work ends (a JVM's heap does not shrink, so its end is near its peak).
    ctx: RunContext | None = None

    def measure_executors(self) -> None:
        if self.ctx is None:
            return
        ctx, self.ctx = self.ctx, None
        from parbench import memory

        slots = 2 * ctx.workers  # enough tasks to reach every executor
        tasks = self.session.sparkContext.parallelize(range(slots), slots)
        found = tasks.flatMap(memory.executor_bytes).collect()
        what = "Spark's executors and their Python workers, as the work ended"
        for (node, _pid), peak in {(node, pid): peak for node, pid, peak in found}.items():
            ctx.remote_memory.append((node, peak, what))

    def close(self) -> None:
        self.measure_executors()
        if self.owned:
            self.session.stop()
            if self.local_dir is not None:
                shutil.rmtree(self.local_dir, ignore_errors=True)


# Spark's RPC (driver, executors, block transfers, a standalone master and its workers) accepts
# only peers that prove they know the secret, and encrypts what it sends (AES, keyed from that
# proof). Not secret themselves, so they may go on spark-submit's command line.
AUTHENTICATION = {"spark.authenticate": "true", "spark.network.crypto.enabled": "true"}


# When the Python workers do the computing, the JVM only schedules and moves bytes. Its C2
# compiler then spends CPU on Spark's own code in a session's first jobs, on the cores the
# workers need, and never pays that back within a run; C1 alone compiles in a fraction of the
# time (docs/benchmarks.md). Where the JVM computes (Spark SQL's group-by), C2 pays back.
SCHEDULING_JVM_OPTIONS = "-XX:TieredStopAtLevel=1"


def builder(master: str, cores: int, jvm_computes: bool = False, local_dir: Path | None = None):
    """A session builder with parbench's settings; tests use it for their shared session too.
    `jvm_computes`: the JVM runs the hot loops (DataFrame queries), not Python workers.
    `local_dir`: where the driver keeps shuffle and cached blocks (Spark's own folders in /tmp
    are readable by everyone)."""
    # pyspark 4.3 warns that pandas 3 is not fully supported; parbench uses no pandas-on-Spark.
    warnings.filterwarnings("ignore", "PySpark does not yet fully support pandas", FutureWarning)
    from pyspark.sql import SparkSession

    # Executors must run this interpreter: it is the one with parbench and its kernels installed.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    build = (
        SparkSession.builder.master(master)
        .appName("parbench")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(cores))
        .config("spark.cores.max", str(cores))  # standalone: take only the cores asked for
        .config("spark.executor.cores", "1")
    )
    if security.enabled():
        for key, value in AUTHENTICATION.items():
            build = build.config(key, value)
    if local_dir is not None:
        build = build.config("spark.local.dir", str(local_dir))
    if not jvm_computes:
        for jvm in ("driver", "executor"):
            build = build.config(f"spark.{jvm}.extraJavaOptions", SCHEDULING_JVM_OPTIONS)
    if master.startswith("local"):
        # A laptop or a compute node without DNS for its own name: keep the driver on loopback.
        build = build.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
    return build


def connect(ctx: RunContext, session=None, jvm_computes: bool = False) -> SparkRun:
    import pyspark

    if session is None:
        master = ctx.options.get("master") or f"local[{ctx.workers}]"
        local_dir = security.private_folder(None, prefix="parbench-spark-")
        try:
            session = builder(master, ctx.workers, jvm_computes, local_dir).getOrCreate()
        except Exception as error:  # py4j and the JVM raise many kinds; all mean no session
            shutil.rmtree(local_dir, ignore_errors=True)
            if master.startswith("local"):
                raise
            raise UsageError("--master", f"{master}: no Spark session ({why_not(error)})") from None
        run = SparkRun(session, local_dir=local_dir, ctx=None if master.startswith("local") else ctx)
        run.session.sparkContext.setLogLevel("ERROR")
    else:
        run = SparkRun(session, owned=False)
    ctx.framework.update(pyspark=pyspark.__version__, spark=run.session.version)
    return run


def why_not(error: Exception) -> str:
    """The first line of a failed session's error, and what to do when it is the missing secret."""
    text = str(error).strip()
    first_line = text.splitlines()[0] if text else type(error).__name__
    if "secret key must be specified" in text:
        first_line += (
            "; parbench's sessions authenticate, so the cluster's secret (spark.authenticate.secret) "
            "must be in $SPARK_CONF_DIR/spark-defaults.conf, as `python -m parbench.launchers spark` "
            "arranges for the clusters it starts"
        )
    return first_line
