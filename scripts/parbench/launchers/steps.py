"""Background processes (a scheduler, a master, an srun step) that must never outlive the run."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager


def start(command: list[str], log, env: dict | None = None) -> subprocess.Popen:
    print(f"parbench.launchers: starting {' '.join(command)}", file=sys.stderr, flush=True)
    # A session of its own: stopping it reaches the whole process group (spark-class forks).
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env)


def stop(process: subprocess.Popen, grace_s: float = 20) -> None:
    """TERM, then KILL after `grace_s`: srun forwards TERM to its tasks, and SLURM kills what
    remains of the step when srun goes."""
    if process.poll() is not None:
        return
    for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 10)):
        try:
            process.send_signal(sig)
        except ProcessLookupError:
            return
        try:
            process.wait(wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


@contextmanager
def terminated_on_sigterm(first=None):
    """scancel and SLURM's time limit send SIGTERM: turn it into an exception so that `finally`
    blocks tear the cluster down. SLURM's KILL follows after its KillWait (30 s by default, as
    little as a few seconds on some sites), maybe before the teardown ends, so `first()`, which
    must be quick, runs before anything else: the launcher removes its scratch folder, keys and
    all, there."""

    def raise_exit(signum, _frame):
        if first is not None:
            first()
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, raise_exit)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("", 0))
        return probe.getsockname()[1]


def wait_until(ready, what: str, timeout_s: float, watched: list[subprocess.Popen]) -> None:
    """Polls `ready()` until it is true; fails early when a watched process has died."""
    deadline = time.monotonic() + timeout_s
    while not ready():
        for process in watched:
            if process.poll() is not None:
                raise RuntimeError(f"{what}: {process.args[0]} exited with {process.returncode}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not ready after {timeout_s:.0f} s")
        time.sleep(0.5)
