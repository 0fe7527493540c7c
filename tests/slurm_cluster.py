"""The real SLURM cluster the SLURM tests run on: tests/slurm/cluster.sh installs it from Debian's
packages and starts it (munge, MariaDB + slurmdbd, slurmctld, slurmd for nodes n1 and n2).

`start_or_unavailable()` calls conftest.unavailable() with the reason wherever that cannot work (not
root, no apt-get, a start that failed or took too long): a skip on a developer's machine, a failure in
CI. It never lets a SLURM test pass without a cluster."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from conftest import unavailable

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tests" / "slurm" / "cluster.sh"
NODES = ("n1", "n2")
START_TIMEOUT_S = 480  # a first start installs packages (apt-get update too, when the index is stale)
FIXTURE = "slurm"  # the module fixture of test_slurm.py that starts the cluster


def cluster_script(action: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPT), action], capture_output=True, text=True, timeout=timeout)


def why_not_possible() -> str | None:
    if os.name != "posix" or os.geteuid() != 0:
        return "the SLURM tests install and start a SLURM cluster, which needs root"
    have_slurm = all(shutil.which(d) for d in ("slurmctld", "slurmd", "slurmdbd", "munged"))
    if not have_slurm and not shutil.which("apt-get"):
        return "SLURM is not installed and apt-get is missing to install it (Debian/Ubuntu only)"
    return None


def start_or_unavailable() -> bool:
    """Starts the cluster unless it already runs; returns whether this call started it (and so
    must stop it). Where it cannot, `unavailable()` says why: a skip for a developer, a failure
    in CI (PARBENCH_REQUIRE_ALL=1)."""
    reason = why_not_possible()
    if reason:
        unavailable(reason)
    if cluster_script("status", timeout=60).returncode == 0:
        return False
    try:
        started = cluster_script("start", timeout=START_TIMEOUT_S)
    except subprocess.TimeoutExpired as slow:
        cluster_script("stop")
        unavailable(
            f"the SLURM test cluster did not start within {START_TIMEOUT_S} s "
            f"(tests/slurm/cluster.sh start; a first start installs packages):\n{tail(slow.stderr)}"
        )
    if started.returncode != 0:
        cluster_script("stop")
        unavailable(
            f"the SLURM test cluster did not start (tests/slurm/cluster.sh start):\n{tail(started.stderr)}"
        )
    return True


def tail(text: str | bytes | None, limit: int = 2000) -> str:
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    return (text or "").strip()[-limit:] or "(no output)"


def first_start_gets_more_time(items) -> None:
    """pytest-timeout counts a fixture's set-up against the test that first needs it, so the first
    SLURM test gets START_TIMEOUT_S more than its own limit: a slow start then ends with the
    start's own message, not as a timeout of whichever test happened to come first."""
    first = next((item for item in items if FIXTURE in getattr(item, "fixturenames", ())), None)
    if first is None:
        return
    own = first.get_closest_marker("timeout")
    limit = own.args[0] if own and own.args else float(first.config.getini("timeout") or 0)
    if limit:
        first.add_marker(pytest.mark.timeout(limit + START_TIMEOUT_S), append=False)


def stop() -> None:
    done = cluster_script("stop")
    if done.returncode != 0:
        raise AssertionError(f"stopping the SLURM test cluster failed:\n{done.stderr}")


def idle_cluster() -> None:
    """Cancels whatever a failed test left queued, so the next test starts on idle nodes."""
    subprocess.run(["scancel", "--full", "--user", "root"], capture_output=True, timeout=30)
    wait_for(lambda: not squeue("%i"), "an empty queue", 60)


def squeue(fmt: str, *options: str) -> list[str]:
    done = subprocess.run(["squeue", "-h", "-o", fmt, *options], capture_output=True, text=True, timeout=30)
    return done.stdout.split("\n") if done.stdout.strip() else []


def expand_nodes(nodelist: str) -> list[str]:
    done = subprocess.run(
        ["scontrol", "show", "hostnames", nodelist], capture_output=True, text=True, check=True
    )
    return done.stdout.split()


def wait_for(ready, what: str, timeout_s: float, every_s: float = 0.5):
    deadline = time.monotonic() + timeout_s
    while True:
        value = ready()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} after {timeout_s:.0f} s")
        time.sleep(every_s)


def live_processes(fragment: str) -> list[str]:
    """Command lines of live (non-zombie) processes that contain `fragment`: what a torn-down
    cluster must not leave behind. (PID 1 here does not reap orphans, so zombies are ignored.)"""
    return list(live_process_ids(fragment).values())


def live_process_ids(fragment: str) -> dict[int, str]:
    """Process id -> command line of the live processes whose command line contains `fragment`."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if stat.read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                continue
            command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError):
            continue
        if fragment in command and str(os.getpid()) != stat.parent.name:
            found[int(stat.parent.name)] = command
    return found
