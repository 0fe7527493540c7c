"""One run of a study at a time, across every host that shares the study directory.

Snakemake's own locks (`.snakemake/locks/`) say nothing about who took them, are checked and then
written (two runs started together can both pass the check), and are left behind by `kill -9`.
parbench adds one lock of its own, `.snakemake/parbench-lock`, taken by the workflow before
Snakemake locks anything:

- It is claimed atomically: the complete record is written to a file of a unique name and then
  hard-linked to the lock's name, which fails for all but one of the runs trying at the same
  moment, also on NFS (the classic lock-file recipe: link is atomic there, O_EXCL was not always).
- The record names its holder: host name, pid and the pid's start time (a reused pid does not
  count), the kernel's boot id and the pid namespace (which pids mean anything), user, command and
  when it started.
- A lock is stale, and removed with Snakemake's locks, only when its holder can be checked and is
  gone: same host name, same boot and same pid namespace as this process, and no process with
  that pid and start time. A holder on another host, in another pid namespace (a container) or of
  another boot may still run: its lock is left in place, and the run stops with a message saying
  how to check and release it.
"""

from __future__ import annotations

import getpass
import json
import os
import shutil
import socket
import sys
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

LOCKS = Path(".snakemake") / "locks"
LOCK = Path(".snakemake") / "parbench-lock"


class StudyLocked(Exception):
    """Another run holds the study's lock, or may still: the message says who and what to do."""


@dataclass(frozen=True)
class Holder:
    host: str
    pid: int
    start: str | None  # the process's start time in clock ticks since boot
    boot_id: str
    pid_namespace: str
    user: str
    command: str
    started: str  # UTC, for people
    token: str  # unique per claim: a run releases only its own lock

    def describe(self) -> str:
        return (
            f"the run started {self.started} by {self.user} on host {self.host} "
            f"(pid {self.pid}: {self.command})"
        )


def process_start(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (None when there is no such process)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may contain spaces: count fields after its closing parenthesis.
    return stat.rsplit(")", 1)[1].split()[19]


def boot_id() -> str:
    return Path("/proc/sys/kernel/random/boot_id").read_text().strip()


def pid_namespace() -> str:
    return os.readlink("/proc/self/ns/pid")


def this_process(pid: int | None = None) -> Holder:
    pid = pid or os.getpid()
    return Holder(
        host=socket.gethostname(),
        pid=pid,
        start=process_start(pid),
        boot_id=boot_id(),
        pid_namespace=pid_namespace(),
        user=getpass.getuser(),
        command=" ".join(Path(sys.argv[0]).name.split() + sys.argv[1:])[:200],
        started=time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        token=uuid.uuid4().hex,
    )


def holder(root=".") -> Holder | None:
    """The lock's recorded holder (None when the study is not locked by parbench)."""
    try:
        return Holder(**json.loads((Path(root) / LOCK).read_text()))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError) as error:
        raise StudyLocked(
            f"{Path(root) / LOCK} exists but cannot be read ({error}); if no run of this study is "
            "running on any host, remove it and Snakemake's locks with `snakemake --unlock`"
        ) from None


def checkable_here(other: Holder) -> bool:
    """Whether this process sees the holder's pids: same host, same boot, same pid namespace."""
    return (other.host, other.boot_id, other.pid_namespace) == (
        socket.gethostname(),
        boot_id(),
        pid_namespace(),
    )


def alive(other: Holder) -> bool:
    """False only when the holder is certainly gone; a holder this process cannot check may run."""
    if not checkable_here(other):
        return True
    return process_start(other.pid) == other.start


def lock_files(root=".") -> list[Path]:
    return sorted((Path(root) / LOCKS).glob("*.lock"))


def held_message(root, other: Holder) -> str:
    study = Path(root).resolve()
    if other.host != socket.gethostname():
        where = f"on host {other.host}"
        check = f"ssh {other.host} ps -o pid,lstart,args -p {other.pid}"
    elif other.boot_id != boot_id():
        where = f"on {other.host} before it last booted, or on another host of that name"
        check = f"ps -o pid,lstart,args -p {other.pid} (on every host named {other.host})"
    elif other.pid_namespace != pid_namespace():
        where = f"in another pid namespace on this host ({other.pid_namespace}: a container?)"
        check = f"ps -o pid,lstart,args -p {other.pid} (inside that namespace)"
    else:
        where = "on this host"
        check = f"ps -o pid,lstart,args -p {other.pid}"
    return (
        f"parbench: the study in {study} is locked by {other.describe()}, which may still run "
        f"{where}; its locks are left in place. Check with `{check}`. When that run is over "
        f"(not before: two runs would overwrite each other's results), release the locks with "
        f"`snakemake --unlock` in {study} and run again."
    )


def clear_stale(root=".") -> Holder | None:
    """Removes the locks of a holder that is certainly gone; returns that holder, if any."""
    other = holder(root)
    if other is None or alive(other):
        return None
    shutil.rmtree(Path(root) / LOCKS, ignore_errors=True)
    release(root, other)
    return other


def claim(root=".", me: Holder | None = None) -> Holder:
    """Takes the study's lock for `me` (this process by default) or raises StudyLocked."""
    me = me or this_process()
    lock = Path(root) / LOCK
    lock.parent.mkdir(parents=True, exist_ok=True)
    mine = lock.with_name(f"{lock.name}.{me.token}")
    mine.write_text(json.dumps(asdict(me), indent=1) + "\n")
    try:
        os.link(mine, lock)
    except FileExistsError:
        pass
    except OSError:
        # NFS may report a link that did happen as failed (its reply lost): the link count says.
        if mine.stat().st_nlink != 2:
            raise
    finally:
        took = mine.stat().st_nlink == 2
        mine.unlink()
    if not took:
        other = holder(root)
        raise StudyLocked(held_message(root, other) if other else f"parbench: {lock} vanished; run again")
    return me


def release(root=".", me: Holder | None = None) -> bool:
    """Removes the lock if `me` holds it (any holder when `me` is None); returns whether it did."""
    lock = Path(root) / LOCK
    if me is not None:
        try:
            current = holder(root)
        except StudyLocked:
            return False
        if current is None or current.token != me.token:
            return False
    try:
        lock.unlink()
    except FileNotFoundError:
        return False
    return True
