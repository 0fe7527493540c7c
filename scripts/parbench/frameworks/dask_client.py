"""A Dask client for one run: a LocalCluster of N single-threaded worker processes by default,
an existing cluster through `--scheduler-file`, or a client a test hands in. Every cluster
parbench starts speaks TLS only, with a certificate of its own (dask_security)."""

from __future__ import annotations

import logging
import os
import uuid
from dataclasses import dataclass

from parbench import memory
from parbench.context import RunContext
from parbench.errors import UsageError
from parbench.frameworks import dask_security
from parbench.kernels import malloc

WAIT_FOR_WORKERS_S = 120
# Dask's nanny starts every worker with MALLOC_TRIM_THRESHOLD_=64 KiB, so that long-lived workers
# give memory back to the OS. Setting it also switches off glibc's self-adjusting thresholds: every
# array over 128 KiB was mapped and faulted in afresh, and freed heap went back to the OS after
# each task, so the NumPy and pandas kernels ran up to 3x slower in Dask workers than in any other
# variant's processes. Workers start with the thresholds every parbench process that runs a
# kernel uses (parbench.kernels.malloc): arrays up to 32 MiB from the heap, 64 MiB of free heap kept.
MALLOC_ENVIRONMENT = {
    "MALLOC_MMAP_THRESHOLD_": str(malloc.MMAP_THRESHOLD),
    "MALLOC_TRIM_THRESHOLD_": str(malloc.TRIM_THRESHOLD),
}
# Dask's statistical profiler samples every worker's threads (each 10 ms by default), taking the
# GIL from the thread that computes (a measurable share of a task farm: docs/benchmarks.md). Its
# samples are only ever shown on the dashboard, which parbench's clusters do not start, so it is
# off. Their HTTP servers serve no pages (dask_security): the scheduler's and the workers' read
# this too.
WORKER_CONFIG = {"distributed.worker.profile.enabled": False, **dask_security.NO_HTTP_PAGES}


def dask_variable(key: str) -> str:
    """The environment variable Dask reads a configuration key from."""
    return "DASK_" + key.replace(".", "__").replace("-", "_").upper()


# What a worker process starts with (the launcher's scheduler and srun'd workers get WORKER_CONFIG
# through it too).
WORKER_ENVIRONMENT = {
    **MALLOC_ENVIRONMENT,
    **{dask_variable(key): repr(value) for key, value in WORKER_CONFIG.items()},
}
CONNECT_TIMEOUT_S = 60


@dataclass
class DaskSession:
    client: object
    cluster: object = None
    owned: bool = True
    # A cluster on other nodes: its scheduler and workers sample their own memory under this key
    # (a LocalCluster's processes are this run's children, which the runner samples itself).
    ctx: RunContext | None = None
    memory_key: str | None = None

    def start_sampling(self, ctx: RunContext) -> None:
        self.ctx, self.memory_key = ctx, f"parbench-run-{uuid.uuid4().hex}"
        self.client.run(memory.start_here, self.memory_key)
        self.client.run_on_scheduler(memory.start_here, self.memory_key)

    def stop_sampling(self) -> None:
        """Adds the cluster's peaks, per node, to the run's memory."""
        if self.memory_key is None:
            return
        key, self.memory_key = self.memory_key, None
        for node, peak in self.client.run(memory.stop_here, key).values():
            self.ctx.remote_memory.append((node, peak, "the Dask cluster's workers, each sampled in itself"))
        node, peak = self.client.run_on_scheduler(memory.stop_here, key)
        self.ctx.remote_memory.append((node, peak, "the Dask cluster's scheduler"))

    def close(self) -> None:
        self.stop_sampling()
        if self.owned:
            self.client.close()
            if self.cluster is not None:
                self.cluster.close()


def connect(ctx: RunContext, client=None) -> DaskSession:
    import dask
    import distributed

    ctx.framework.update(dask=dask.__version__, distributed=distributed.__version__)
    if client is not None:
        return DaskSession(client, owned=False)
    scheduler_file = ctx.options.get("scheduler_file")
    if scheduler_file:
        session = DaskSession(join(scheduler_file))
        session.start_sampling(ctx)
        return session
    cluster = local_cluster(ctx.workers)
    return DaskSession(distributed.Client(cluster), cluster)


def local_cluster(workers: int):
    """parbench's LocalCluster: `workers` single-threaded worker processes, no dashboard, TLS
    with a certificate of its own (dask_security), so other users of this host cannot join it."""
    import dask
    import distributed

    # A nanny takes the malloc settings from the environment it was started in before its own
    # configuration, and hands its worker its own configuration as it was when it was made.
    os.environ.update(WORKER_ENVIRONMENT)
    with dask.config.set(WORKER_CONFIG):
        return distributed.LocalCluster(
            n_workers=workers,
            threads_per_worker=1,  # one task at a time per worker: N workers = N cores
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
            security=dask_security.for_local_cluster(),
        )


def join(scheduler_file: str):
    """A client of a running cluster; with the certificate beside its scheduler file, if any."""
    import distributed

    tls = dask_security.beside(scheduler_file)
    if tls is None and dask_security.speaks_tls(scheduler_file):
        raise UsageError(
            "--scheduler-file",
            f"{scheduler_file}: the scheduler accepts TLS only, and its certificate and key "
            f"({dask_security.CERTIFICATE}, {dask_security.KEY}) are not beside the scheduler file",
        )
    try:
        return distributed.Client(scheduler_file=scheduler_file, security=tls, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError) as error:
        raise UsageError("--scheduler-file", f"{scheduler_file}: no scheduler answers ({error})") from None


def choose_workers(client, count: int) -> list[str]:
    """The addresses of `count` workers (waiting for them to join), so a run on a bigger cluster
    still uses exactly the number of workers asked for."""
    client.wait_for_workers(count, timeout=WAIT_FOR_WORKERS_S)
    return sorted(client.scheduler_info(n_workers=-1)["workers"])[:count]


def warm_up(client, workers: list[str], function, *args) -> None:
    """Runs `function(*args)` once on each of `workers` as a task, and waits. Tasks run in a
    worker's executor thread, which has its own malloc arena and caches; `client.run` runs in the
    worker's event-loop thread and left the thread that computes cold (the first tasks of a
    group-by query took up to twice as long as the later ones)."""
    futures = [
        client.submit(function, *args, workers=[worker], allow_other_workers=False, pure=False)
        for worker in workers
    ]
    client.gather(futures)
