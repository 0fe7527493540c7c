"""Peak memory of a run, counted so that a page shared between processes counts once.

The measure is the proportional set size (PSS, from /proc/PID/smaps_rollup): each resident page
is divided among the processes that map it, so the PSS of a parent and the workers it forked
adds up to what they really hold together. RSS would count NumPy's libraries and every page a
forked worker has not yet written once per process, and make a pool of N workers look N times
the serial run. Where smaps_rollup cannot be read (not Linux), RSS stands in and the record
says so.

A sampler thread follows the run's process and every process it started (pool workers, a
LocalCluster's scheduler and workers, Spark's JVM and its Python workers) and keeps the peak of
their summed PSS. Reading PSS is not free: the kernel walks every page table, 9 ms for a Spark
JVM and 3 ms for its driver on this project's machines, which read every 50 ms would take a
third of a core from the run being timed. So every SAMPLE_S the sampler reads only each
process's resident size (/proc/PID/statm, microseconds), and reads PSS when that sum reaches a
new high (at most every PSS_EVERY_S): PSS never exceeds RSS and grows with it, so its peak is
read where RSS peaks. The list of processes is refreshed every TREE_EVERY_S (finding children
scans /proc). MPI ranks each sample their own processes and
the ranks' peaks are added up, per node and in total (a sum of peaks: at most a few samples'
difference from the peak of the sum, since ranks run in step). Workers of a cluster that
parbench.launchers started on other nodes are sampled in their own processes (Dask) or measured
as the work ends (Spark's executors), and added to their node.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field

import psutil

from parbench.context import node_name

SAMPLE_S = 0.05
PSS_EVERY_S = 0.25
TREE_EVERY_S = 0.25
# A resident size this much above the last reading's is a new high worth a PSS reading: the peak is
# read within that share of its size.
NEW_HIGH = 1.05
MIB = 1024 * 1024
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
PSS = "pss"
RSS = "rss"


def method() -> str:
    """PSS where the kernel gives it, else RSS."""
    return PSS if os.path.exists(f"/proc/{os.getpid()}/smaps_rollup") else RSS


def process_bytes(process: psutil.Process) -> int:
    """One process's PSS (or RSS); 0 when it is gone or was never ours to read."""
    try:
        if method() == PSS:
            with open(f"/proc/{process.pid}/smaps_rollup", encoding="ascii") as rollup:
                for line in rollup:
                    if line.startswith("Pss:"):
                        return int(line.split()[1]) * 1024
            return 0
        return process.memory_info().rss
    except (OSError, psutil.Error):
        return 0


def resident_bytes(process: psutil.Process) -> int:
    """One process's resident size, cheaply (/proc/PID/statm); 0 when it is gone."""
    try:
        with open(f"/proc/{process.pid}/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        try:
            return process.memory_info().rss
        except psutil.Error:
            return 0


def tree(root: psutil.Process) -> list[psutil.Process]:
    try:
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return [root]


def tree_bytes(root: psutil.Process) -> int:
    """The memory (PSS) of `root` and every process below it, now."""
    return sum(process_bytes(p) for p in tree(root))


class PeakSampler:
    """The peak of `tree_bytes` of a process (default: this one) while it runs: `with
    PeakSampler() as sampler: ...`, then `sampler.peak`."""

    def __init__(self, pid: int | None = None, every_s: float = SAMPLE_S):
        self.root = psutil.Process(pid or os.getpid())
        self.every_s = every_s
        self.peak = 0
        self.pss_readings = 0
        self._processes = [self.root]
        self._high = 0  # the summed resident size at the highest PSS reading's time
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._sample_until_stopped, name="parbench-memory", daemon=True
        )

    def sample(self) -> None:
        """A full reading: the process list and every process's PSS."""
        self._processes = tree(self.root)
        self._high = max(self._high, sum(resident_bytes(p) for p in self._processes))
        self.peak = max(self.peak, sum(process_bytes(p) for p in self._processes))
        self.pss_readings += 1

    def _sample_until_stopped(self) -> None:
        self.sample()  # here, not in start(): the run's own clock must not pay for it
        began = listed = read = time.monotonic()
        while not self._stop.wait(self.every_s):
            now = time.monotonic()
            # Early in a run, when pools and clusters start, look at every tick; later, at most
            # every TREE_EVERY_S and PSS_EVERY_S (a tenth of the run so far, until then).
            pause = min(0.1 * (now - began), TREE_EVERY_S)
            if now - listed >= pause:
                self._processes, listed = tree(self.root), now
            resident = sum(resident_bytes(p) for p in self._processes)
            # A new high waits for its reading (rate-limited) rather than being forgotten.
            if resident > self._high * NEW_HIGH and now - read >= min(pause, PSS_EVERY_S):
                self.sample()
                read = listed = time.monotonic()

    def start(self) -> PeakSampler:
        self._thread.start()
        return self

    def stop(self) -> int:
        """Stops sampling (after its first reading, however short the run) and returns the peak.
        No reading at the end: the run's processes have gone by then, and the time it took would
        count in the run's wall time."""
        self._stop.set()
        self._thread.join()
        return self.peak

    def __enter__(self) -> PeakSampler:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


@dataclass
class Footprint:
    """Peak bytes per node of one run; what was counted, in words, for the record."""

    per_node: dict[str, int] = field(default_factory=dict)
    counted: list[str] = field(default_factory=list)

    def add(self, node: str, peak: int, what: str | None = None) -> None:
        self.per_node[node] = self.per_node.get(node, 0) + int(peak)
        if what and what not in self.counted:
            self.counted.append(what)

    def record(self) -> dict:
        """The timing record's `memory`: MiB in total and per node, the measure and what it counts."""
        return {
            "peak_mib": round(sum(self.per_node.values()) / MIB, 1),
            "per_node_mib": {node: round(peak / MIB, 1) for node, peak in sorted(self.per_node.items())},
            "method": method(),
            "counted": "; ".join(self.counted),
        }


# A sampler started in a Dask worker or scheduler of a cluster on other nodes (by client.run):
# one per process, stopped and read when the run ends.
_REMOTE: dict[str, PeakSampler] = {}


def start_here(key: str) -> None:
    """Starts sampling this process (a remote Dask worker or scheduler) under `key`."""
    if key not in _REMOTE:
        _REMOTE[key] = PeakSampler().start()


def stop_here(key: str) -> tuple[str, int]:
    """Stops the sampler `key` of this process: (node, peak bytes); no sampler gives its current
    memory, which the run cannot have exceeded by much."""
    sampler = _REMOTE.pop(key, None)
    if sampler is None:
        return node_name(), tree_bytes(psutil.Process())
    return node_name(), sampler.stop()


def executor_bytes(_task=None) -> list[tuple[str, int, int]]:
    """In a Spark Python worker: (node, the executor JVM's pid, the PSS of the JVM and every
    process under it) now. The JVM is the nearest ancestor running java."""
    process = psutil.Process()
    for ancestor in process.parents():
        try:
            if "java" in os.path.basename(ancestor.exe()):
                return [(node_name(), ancestor.pid, tree_bytes(ancestor))]
        except psutil.Error:
            continue
    return [(node_name(), process.pid, tree_bytes(process))]
