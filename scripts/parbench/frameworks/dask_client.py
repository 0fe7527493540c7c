"""A Dask client for one run: a LocalCluster of N single-threaded worker processes by default,
an existing cluster through `--scheduler-file`, or a client a test hands in."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from parbench.context import RunContext
from parbench.errors import UsageError

WAIT_FOR_WORKERS_S = 120
# Dask starts its workers with MALLOC_TRIM_THRESHOLD_ set, which stops glibc from raising its mmap
# threshold: every array over 128 KiB is then mapped and faulted in afresh, and the NumPy kernels
# ran up to 3x slower than in any other variant. Arrays up to 32 MiB come from the heap instead,
# as they do elsewhere. (The launcher's srun'd workers get the same.)
WORKER_ENVIRONMENT = {"MALLOC_MMAP_THRESHOLD_": str(32 << 20)}
CONNECT_TIMEOUT_S = 60


@dataclass
class DaskSession:
    client: object
    cluster: object = None
    owned: bool = True

    def close(self) -> None:
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
        try:
            client = distributed.Client(scheduler_file=scheduler_file, timeout=CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError) as error:
            raise UsageError(
                "--scheduler-file", f"{scheduler_file}: no scheduler answers ({error})"
            ) from None
        return DaskSession(client)
    environ = {**dask.config.get("distributed.nanny.pre-spawn-environ"), **WORKER_ENVIRONMENT}
    dask.config.set({"distributed.nanny.pre-spawn-environ": environ})
    cluster = distributed.LocalCluster(
        n_workers=ctx.workers,
        threads_per_worker=1,  # one task at a time per worker: N workers = N cores
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    return DaskSession(distributed.Client(cluster), cluster)


def choose_workers(client, count: int) -> list[str]:
    """The addresses of `count` workers (waiting for them to join), so a run on a bigger cluster
    still uses exactly the number of workers asked for."""
    client.wait_for_workers(count, timeout=WAIT_FOR_WORKERS_S)
    return sorted(client.scheduler_info(n_workers=-1)["workers"])[:count]
