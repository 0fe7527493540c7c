"""What a run asks of a node, from the problem: the memory its data needs (each problem states it
for its parameters, `Problem.memory`) plus the interpreters and engines its variant starts, with
headroom, growing with the retry attempt; and the refusal, when a study is planned or a run
starts, of a point that cannot fit a node or a size that cannot be allocated at all.

The estimates are upper bounds for the data and round figures for the interpreters (resident
memory of a process that has imported its libraries, measured in docs/benchmarks.md); a refusal
counts only what the run cannot do without, so it never turns away a run that would fit.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from parbench import registry
from parbench.errors import UsageError

MIB = 1 << 20
# A request is the estimate times this, so a run whose data is a little larger than its model
# (allocator slack, a library's copy) is not killed; a retried job asks for `attempt` times as much.
HEADROOM = 1.5
# Below this a request buys nothing (SLURM sites hand out memory by the GB) and risks a kill.
MINIMUM_MB = 1000
# Resident MiB of one process of the variant before any data: Python with NumPy and h5py; more
# with the kernel's libraries.
PROCESS_MIB = 150
KERNEL_MIB = {"numba": 200, "pandas": 150, "arrow": 150, "jvm": 150}
# The processes and engines a variant starts, and its start-up time, are the variant's own facts
# (registry.Variant). Time limits: the factor over the estimate, the least a job asks for, and the
# limit where a problem gives no estimate.
RUNTIME_HEADROOM = 3
RUNTIME_FLOOR_MIN = 10
UNKNOWN_RUNTIME_MIN = 30


@dataclass(frozen=True)
class Need:
    """The memory one node of a run needs, in bytes: its data (the driver's on the first node),
    and its processes (interpreters and engines) at most and at the least."""

    data: int
    processes: int
    processes_floor: int

    @property
    def total(self) -> int:
        return self.data + self.processes

    @property
    def floor(self) -> int:
        """What the run cannot do without: a node with less cannot run it."""
        return self.data + self.processes_floor


def need(problem: str, params: dict, variant: str, kernel: str, workers: int, nodes: int = 1) -> Need:
    """The first node's need (it holds the driver or rank 0, and its share of the workers)."""
    memory = registry.problem(problem).memory(params, workers)
    on_node = math.ceil(workers / nodes)
    facts = registry.variant(variant)
    per_worker, besides = facts.processes
    python = (per_worker * on_node + besides) * PROCESS_MIB
    engines = 1 + (on_node if facts.engine_per_worker_across_nodes and nodes > 1 else 0)
    most, least = facts.engine_mib
    kernel_mib = (per_worker * on_node + besides) * KERNEL_MIB.get(kernel, 0)
    return Need(
        data=memory.driver + on_node * memory.worker,
        processes=(python + kernel_mib + engines * most) * MIB,
        processes_floor=(python + engines * least) * MIB,
    )


def mem_mb(need_: Need, attempt: int, node_mb: int) -> int:
    """The request: the need with headroom, times the attempt, at least MINIMUM_MB, at most a node."""
    asked = max(MINIMUM_MB, math.ceil(HEADROOM * need_.total / MIB)) * attempt
    return min(asked, node_mb)


def runtime_min(problem: str, params: dict, variant: str, kernel: str, workers: int, attempt: int) -> int:
    """The job's time limit in minutes: the problem's serial compute time on a slow core, shared
    by the workers (as if a fifth of it did not parallelise; not at all for pure-Python threads,
    which hold the GIL), plus the variant's start-up, times RUNTIME_HEADROOM, at least
    RUNTIME_FLOOR_MIN; the retry gets `attempt` times as much. Without an estimate: 30 minutes."""
    seconds = registry.problem(problem).serial_seconds(params, kernel)
    if seconds is None:
        return UNKNOWN_RUNTIME_MIN * attempt
    facts = registry.variant(variant)
    if not (kernel == "python" and facts.threads):
        seconds *= 0.2 + 0.8 / workers
    minutes = math.ceil(RUNTIME_HEADROOM * (facts.startup_s + seconds) / 60)
    return max(RUNTIME_FLOOR_MIN, minutes) * attempt


def fits(need_: Need, node_mb: int) -> bool:
    return need_.floor <= node_mb * MIB


def this_machine_mb() -> int:
    """Physical memory of this machine, in MiB."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // MIB


def size_text(size: float) -> str:
    """1.5 GiB, 7.3 EiB: a readable size in binary units."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if size >= 100 else f"{size:.3g} {unit}"
        size /= 1024
    return f"{size:.3g} EiB"


def point_params(study, problem: str, size: str, scale: int) -> dict:
    """Every parameter of a planned point: the problem's defaults and the size's values."""
    spec = study.description["problems"][problem]
    declared = {**spec.get("dataset_params", {}), **spec["params"]}
    defaults = {name: entry["default"] for name, entry in declared.items()}
    return {**defaults, **study.size_values(problem, size, scale)}


def run_need(study, run) -> Need:
    params = point_params(study, run.problem, run.size, run.scale)
    return need(run.problem, params, run.variant, run.kernel, run.workers, run.nodes)


def run_runtime(study, run, attempt: int) -> int:
    params = point_params(study, run.problem, run.size, run.scale)
    return runtime_min(run.problem, params, run.variant, run.kernel, run.workers, attempt)


def reference_runtime(study, problem: str, size: str, kernel: str, scale: int, attempt: int) -> int:
    params = point_params(study, problem, size, scale)
    return runtime_min(problem, params, registry.BASELINE, kernel, 1, attempt)


def reference_need(study, problem: str, size: str, kernel: str, scale: int) -> Need:
    return need(problem, point_params(study, problem, size, scale), registry.BASELINE, kernel, 1)


def node_mb(study) -> int:
    """Config node_memory_mb, or this machine's memory when the config leaves it out."""
    return study.config.get("node_memory_mb") or this_machine_mb()


def refused(study, shown: int = 10) -> list[str]:
    """A line for each point of the study (and each reference) that needs more memory on a node
    than node_memory_mb; at most `shown`, then how many more."""
    limit, lines, seen = node_mb(study), [], set()
    for run in study.runs():
        kernel = study.reference_kernel(run.problem, run.kernel)
        points = [
            (
                f"{run.problem} size {run.size!r}, the serial reference with the {kernel} kernel",
                ("reference", run.problem, run.size, kernel, run.scale),
            ),
            (
                f"{run.problem} size {run.size!r}, {run.variant} with {run.workers} workers"
                + (f" on {run.nodes} nodes" if run.nodes > 1 else "")
                + f" and the {run.kernel} kernel",
                (run.problem, run.size, run.kernel, run.variant, run.workers, run.nodes, run.scale),
            ),
        ]
        for name, key in points:
            if key in seen:
                continue
            seen.add(key)
            found = reference_need(study, *key[1:]) if key[0] == "reference" else run_need(study, run)
            if not fits(found, limit):
                lines.append(
                    f"{name}: needs at least {size_text(found.floor)} on a node ({size_text(found.data)} "
                    f"of data, {size_text(found.processes_floor)} for its processes), more than "
                    f"node_memory_mb {limit} ({size_text(limit * MIB)})"
                )
    if len(lines) > shown:
        lines = lines[:shown] + [f"... and {len(lines) - shown} more points"]
    return lines


def check_fits_here(problem, params: dict, variant: str, workers: int, remote: bool) -> None:
    """Refuses, before any work, a run whose data alone cannot fit this machine's memory (a
    mistyped size such as a 1e9 x 1e9 image). `remote`: the workers run on another cluster's
    hosts (--scheduler-file, --master, or MPI ranks), so only the driver's share counts here."""
    memory = problem.memory(params, workers)
    here = memory.driver + memory.worker if remote else memory.on_one_host(workers)
    available = this_machine_mb() * MIB
    if here > available:
        sizes = ", ".join(f"{q.option} {params[q.name]}" for q in problem.params if q.type is int)
        raise UsageError(
            problem.name,
            f"{sizes} needs about {size_text(here)} of memory for its data on this machine "
            f"({size_text(memory.driver)} in the driver, {size_text(memory.worker)} in each worker), "
            f"which has {size_text(available)}: use a smaller size",
        )


def assumed_estimates(study) -> list[str]:
    """What the requests assume for the study's plug-in problems that state no estimate of a
    task's seconds or memory (parbench.plugins.SimpleProblem: docs/plugins.md)."""
    said = []
    for name in study.problems:
        problem = registry.problem(name)
        if getattr(problem, "seconds_per_task", 0) is None:
            said.append(
                f"{name} states no seconds_per_task: each of its jobs gets {UNKNOWN_RUNTIME_MIN} minutes"
            )
        if getattr(problem, "bytes_per_task", 0) is None:
            said.append(f"{name} states no bytes_per_task: 1 MiB a task is assumed for its memory requests")
    return said
