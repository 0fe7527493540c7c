"""A Dask client for one run: a LocalCluster of N single-threaded worker processes by default,
an existing cluster through `--scheduler-file`, or a client a test hands in."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from parbench.context import RunContext
from parbench.errors import UsageError

WAIT_FOR_WORKERS_S = 120
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
