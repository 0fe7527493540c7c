"""A synthetic study: the collected tables (runs, timings, worker busy times, the merged log) of
a study that was never run, from a simple cost model of each variant. It lets the report be built
and looked at for studies larger than this machine can run (hundreds of workers across nodes):
benchmarks/report.py times the report on one, and the report's tests check its readability there.

The numbers are made up but shaped like real ones: start-up that grows with the workers, work
split over the workers with some imbalance, communication that grows with log2 of the workers,
threads that do not speed up a kernel holding the GIL, and a few per cent of noise.
"""

from __future__ import annotations

import math
from dataclasses import astuple

import numpy as np
import pandas as pd

from parbench import registry
from parbench.planning.plan import Run
from parbench.results.collect import LABELS, RUN_COLUMNS
from parbench.timing import PHASES

WORK_S = {"mandelbrot": 40.0, "pi": 20.0, "heat": 60.0, "groupby": 30.0}  # serial seconds, numpy-like kernel
KERNEL_SPEED = {"python": 0.1, "numpy": 1.0, "numba": 2.5, "pandas": 1.0, "arrow": 1.3, "jvm": 1.4}
GIL_KERNELS = {"python": 1.0, "numpy": 0.3, "pandas": 0.5, "arrow": 0.2}  # share of compute holding the GIL
COUPLED = {"heat": 3.0, "groupby": 1.5}  # problems that exchange data: more communication
INTERPRETER_MIB = 60.0  # one Python process with NumPy loaded (PSS)


def memory_mib(variant: str, workers: int, rng) -> float:
    """A run's peak memory from the variant's facts: its Python processes (per worker and
    besides), its engines as they start, and a few per cent of noise."""
    facts = registry.variant(variant)
    per_worker, besides = facts.processes
    engines = facts.engine_mib[1] * (workers if facts.engine_per_worker_across_nodes else 1)
    return (INTERPRETER_MIB * (per_worker * workers + besides) + engines) * rng.uniform(0.97, 1.03)


def kernels_of(problem: str, count: int) -> list[str]:
    """The problem's default kernel and the next ones of its list, `count` in all."""
    if problem not in registry.PROBLEMS:
        return ["numpy"]
    known = registry.PROBLEMS[problem]
    return [known.default_kernel, *(k for k in known.kernels if k != known.default_kernel)][:count]


def phases_of(run: Run, rng: np.random.Generator) -> tuple[dict, np.ndarray]:
    """Seconds per phase and busy seconds per worker of one run."""
    variant = registry.variant(run.variant)
    startup, per_worker, distribute, communicate, teardown, uneven = astuple(variant.synthetic)
    p = run.workers
    work = WORK_S.get(run.problem, 30.0) * run.scale / KERNEL_SPEED.get(run.kernel, 1.0)
    compute = work / p
    if variant.threads:  # the GIL: its share of the work runs one at a time
        held = GIL_KERNELS.get(run.kernel, 0.0)
        compute = work * held + work * (1 - held) / p
    spread = 1.0 + (uneven - 1.0) * (1.0 + 0.5 * math.log2(p)) if p > 1 else 1.0
    busy = compute * rng.uniform(2 - spread, spread, size=p)
    busy *= compute / busy.mean()
    noise = rng.lognormal(0.0, 0.03, size=6)
    seconds = {
        "startup": (startup + per_worker * p) * noise[0],
        "distribute": distribute * p * noise[1],
        "compute": float(busy.max()) * noise[2],
        "communicate": communicate * math.log2(p + 1) * COUPLED.get(run.problem, 1.0) * 10 * noise[3],
        "write": 0.02 * noise[4],
        "teardown": teardown * noise[5],
    }
    seconds["total"] = sum(seconds.values()) * 1.01  # a little outside the named phases
    return seconds, busy


def study(
    problems=("mandelbrot", "pi", "heat", "groupby"),
    variants=tuple(registry.VARIANTS),
    kernels: int = 2,
    workers=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
    repeats: int = 3,
    workers_per_node: int = 32,
    weak: bool = False,
    seed: int = 0,
) -> dict:
    """The tables `parbench collect` writes, for `kernels` kernels of each problem (Spark's own
    engine for the group-by), every variant and worker count, `repeats` repeats."""
    rng = np.random.default_rng(seed)
    runs, timings, busy_rows, log = [], [], [], []
    for problem in problems:
        known = registry.PROBLEMS.get(problem)
        for variant in variants:
            if registry.variant(variant).io_only and not (known and known.io_bound):
                continue  # asyncio runs I/O-bound problems only
            chosen = kernels_of(problem, kernels)
            if known is not None and set(known.kernels_for(variant)) != set(known.kernels):
                chosen = list(known.kernels_for(variant))  # brings its own engine (Spark's JVM)
            for kernel in chosen:
                for p in [1] if registry.variant(variant).baseline else workers:
                    across = registry.variant(variant).across_nodes
                    nodes = math.ceil(p / workers_per_node) if across else 1
                    for repeat in range(1, repeats + 1):
                        scale = p if weak else 1
                        run = Run(problem, "large", kernel, variant, p, repeat, scale, nodes)
                        seconds, busy = phases_of(run, rng)
                        labels = {key: getattr(run, key) for key in LABELS}
                        common = {"run": run.id, **labels, "status": "ok", "hosts": f"node{nodes}"}
                        common |= {"git_commit": "synthetic", "start_utc": "2026-01-01T00:00:00"}
                        params = {"param.rows": 1_000_000 * scale} if problem == "groupby" else {}
                        for phase in (*PHASES, "total"):
                            timings.append({**common, "phase": phase, "seconds": seconds[phase], **params})
                        busy_rows.append((run.id, busy))
                        runs.append(
                            {
                                **common,
                                "total_s": seconds["total"],
                                "compute_s": seconds["compute"],
                                "process_s": seconds["total"] + 0.3,
                                "max_rss_mb": 100.0,
                                "memory_mib": memory_mib(variant, p, rng),
                                "memory_method": "pss",
                                "message": "",
                                "result": f"results/runs/{run.id}.h5",
                                "log": f"logs/runs/{run.id}.log",
                            }
                        )
                        log.append(
                            {
                                "run": run.id,
                                "variant": variant,
                                "machine": {"cpus": workers_per_node, "model": "synthetic"},
                                "versions": {"python": "3.11"},
                                "start_utc": "2026-01-01T00:00:00",
                                "end_utc": "2026-01-01T01:00:00",
                            }
                        )
    runs = pd.DataFrame(runs, columns=RUN_COLUMNS)
    return {
        "runs": runs,
        "timings": pd.DataFrame(timings),
        "worker_busy": busy_table(runs, busy_rows),
        "log": log,
    }


def busy_table(runs: pd.DataFrame, busy_rows: list[tuple[str, np.ndarray]]) -> pd.DataFrame:
    """The worker busy table (collect's columns) from each run's busy seconds, built in one go."""
    counts = [len(busy) for _, busy in busy_rows]
    labels = runs.set_index("run").loc[[run for run, _ in busy_rows], LABELS].reset_index()
    table = labels.loc[labels.index.repeat(counts)].reset_index(drop=True)
    table["worker"] = [f"w{i}" for n in counts for i in range(n)]
    table["busy_s"] = np.concatenate([busy for _, busy in busy_rows])
    return table[["run", *LABELS, "worker", "busy_s"]]
