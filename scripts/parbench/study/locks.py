"""Stale Snakemake locks after `kill -9`.

Snakemake locks its working directory while it runs and removes the locks when it exits, even on
Ctrl-C; killed with SIGKILL it cannot, and the next run refuses to start until `--unlock`. The
workflow records which process took the locks (pid and start time, so a reused pid does not
count), and a later run removes the locks only when that process is gone. Locks of a study that
is still running, or of one this file does not know about, are left for Snakemake to report.
"""

from __future__ import annotations

import os
from pathlib import Path

from parbench import output

LOCKS = Path(".snakemake") / "locks"
OWNER = Path(".snakemake") / "parbench-lock-owner"


def process_start(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (None when there is no such process)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may contain spaces: count fields after its closing parenthesis.
    return stat.rsplit(")", 1)[1].split()[19]


def holder_alive(root) -> bool | None:
    """Whether the recorded lock holder still runs (None when no holder is recorded)."""
    owner = Path(root) / OWNER
    try:
        pid, start = owner.read_text().split()
    except (OSError, ValueError):
        return None
    return process_start(int(pid)) == start


def lock_files(root) -> list[Path]:
    return sorted((Path(root) / LOCKS).glob("*.lock"))


def clear_stale(root=".") -> bool:
    """Removes the locks of a recorded holder that is gone; returns whether it removed any."""
    if not lock_files(root) or holder_alive(root) is not False:
        return False
    for lock in lock_files(root):
        lock.unlink(missing_ok=True)
    (Path(root) / OWNER).unlink(missing_ok=True)
    return True


def claim(root=".", pid: int | None = None) -> bool:
    """Records this process as the one about to lock `root`, unless another holds the locks."""
    if lock_files(root):
        return False
    pid = pid or os.getpid()
    owner = Path(root) / OWNER
    owner.parent.mkdir(parents=True, exist_ok=True)
    output.write_text_atomically(owner, f"{pid} {process_start(pid)}\n")
    return True
