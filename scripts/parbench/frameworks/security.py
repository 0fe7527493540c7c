"""What keeps the Dask and Spark clusters parbench starts to the user who started them
(docs/security.md): owner-only folders and files for keys, scheduler files and logs, and the
switch that the benchmarks use to measure what the protection costs."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from parbench.errors import UsageError

SWITCH = "PARBENCH_CLUSTER_SECURITY"
_warned = False


def enabled() -> bool:
    """Whether clusters are protected: always, unless PARBENCH_CLUSTER_SECURITY=off, which only
    exists so that benchmarks/ can measure the cost of TLS and Spark's authentication in paired
    runs. It says so on stderr, once per process."""
    global _warned
    value = os.environ.get(SWITCH, "on")
    if value == "on":
        return True
    if value != "off":
        raise UsageError(SWITCH, f"{value!r}: must be 'on' (the default) or 'off'")
    if not _warned:
        _warned = True
        print(
            f"parbench: {SWITCH}=off: the Dask and Spark clusters of this run accept anyone who can "
            "reach them (meant only for measuring what their protection costs)",
            file=sys.stderr,
            flush=True,
        )
    return False


def private_folder(parent: Path | str | None, prefix: str) -> Path:
    """A new folder only its owner can enter (mode 0700, whatever the umask), under `parent`
    (the system's temporary folder when None)."""
    return Path(tempfile.mkdtemp(prefix=prefix, dir=parent))  # mkdtemp makes it 0700


def write_private(path: Path, text: str) -> Path:
    """Writes a new file only its owner can read (mode 0600 from its creation on, so no other
    user can open it in between); refuses to overwrite one that exists."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)
    return path
