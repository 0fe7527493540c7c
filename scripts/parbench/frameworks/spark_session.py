"""A Spark session for one run: `local[N]` by default, a standalone cluster through `--master`,
or a session a test hands in."""

from __future__ import annotations

import os
import sys
import warnings
from dataclasses import dataclass

from parbench.context import RunContext
from parbench.errors import UsageError


@dataclass
class SparkRun:
    session: object
    owned: bool = True

    def close(self) -> None:
        if self.owned:
            self.session.stop()


# When the Python workers do the computing, the JVM only schedules and moves bytes. Its C2
# compiler then spends 0.25-0.5 s of CPU on Spark's own code in a session's first jobs, on the
# cores the workers need, and never pays that back within a run; C1 alone compiles in a fraction
# of the time (docs/benchmarks.md). Where the JVM computes (Spark SQL's group-by), C2 pays back.
SCHEDULING_JVM_OPTIONS = "-XX:TieredStopAtLevel=1"


def builder(master: str, cores: int, jvm_computes: bool = False):
    """A session builder with parbench's settings; tests use it for their shared session too.
    `jvm_computes`: the JVM runs the hot loops (DataFrame queries), not Python workers."""
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
        try:
            run = SparkRun(builder(master, ctx.workers, jvm_computes).getOrCreate())
        except Exception as error:  # py4j and the JVM raise many kinds; all mean no session
            if master.startswith("local"):
                raise
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise UsageError("--master", f"{master}: no Spark session ({first_line})") from None
        run.session.sparkContext.setLogLevel("ERROR")
    else:
        run = SparkRun(session, owned=False)
    ctx.framework.update(pyspark=pyspark.__version__, spark=run.session.version)
    return run
