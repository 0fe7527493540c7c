"""What keeps every Dask cluster parbench starts to its owner (docs/security.md): TLS with a
certificate made per cluster, and no HTTP endpoints.

Each cluster gets a certificate and key of its own, made when it starts (distributed's
`Security.temporary`: a self-signed certificate that is the cluster's certificate authority and
every member's certificate at once). Every connection between the scheduler, the workers, their
nannies and the clients is mutual TLS: each side must show a certificate signed by that
authority, so a process that has not been given the key cannot connect, even from the same host.
A LocalCluster keeps the key in memory; a cluster across nodes (parbench.launchers) writes it
beside its scheduler file, in a folder only its owner can read, where the workers on the other
nodes and the run's client find it on the shared file system.

Besides its TLS port, each scheduler and worker runs an HTTP server, even with the dashboard off:
plain HTTP, open to anyone who can reach it, whose default pages show the workers, the tasks,
their call stacks and the workers' logs. parbench's clusters serve no page on it, and bind it to
the loopback address."""

from __future__ import annotations

import json
from pathlib import Path

from parbench.frameworks import security

CERTIFICATE = "tls-certificate.pem"
KEY = "tls-key.pem"
NO_HTTP_PAGES = {"distributed.scheduler.http.routes": [], "distributed.worker.http.routes": []}
# The HTTP server's address (`dask scheduler`/`dask worker` bind it to every interface otherwise).
HTTP_ON_LOOPBACK = ["--dashboard-address", "127.0.0.1:0"]


def for_local_cluster():
    """The Security of a new LocalCluster: a fresh certificate kept in memory (None: security
    switched off)."""
    from distributed import Security

    return Security.temporary() if security.enabled() else None


def write_files(folder: Path) -> tuple[Path, Path] | None:
    """Makes a cluster's certificate and key and writes them into `folder`, which must be the
    owner's alone (parbench.launchers' scratch folder), the key with mode 0600. Returns
    (certificate, key); None when security is switched off."""
    if not security.enabled():
        return None
    from distributed import Security

    made = Security.temporary()
    certificate = security.write_private(folder / CERTIFICATE, made.tls_ca_file)
    key = security.write_private(folder / KEY, made.tls_scheduler_key)
    return certificate, key


def command_line_options(files: tuple[Path, Path] | None) -> list[str]:
    """The options of `dask scheduler` and `dask worker` that make them use the files (paths
    only: the key itself never appears on a command line). --protocol tls so that a worker
    listening on a named --interface listens for TLS too, not plain TCP."""
    if files is None:
        return []
    certificate, key = map(str, files)
    return ["--protocol", "tls", "--tls-ca-file", certificate, "--tls-cert", certificate, "--tls-key", key]


def beside(scheduler_file: Path | str):
    """The client Security for the cluster whose certificate and key lie beside its scheduler
    file (a cluster of parbench.launchers); None when there are none (a cluster started some
    other way, which the scheduler's address then says how to reach)."""
    from distributed import Security

    folder = Path(scheduler_file).parent
    certificate, key = folder / CERTIFICATE, folder / KEY
    if not certificate.exists():
        return None
    return Security(
        require_encryption=True,
        tls_ca_file=str(certificate),
        tls_client_cert=str(certificate),
        tls_client_key=str(key),
    )


def speaks_tls(scheduler_file: Path | str) -> bool:
    """Whether the scheduler a (readable) scheduler file names listens for TLS only."""
    try:
        return json.loads(Path(scheduler_file).read_text())["address"].startswith("tls://")
    except (OSError, ValueError, KeyError, TypeError):
        return False
