"""What the course says, and what this machine shows: the six claims about parallel Python of
the course parbench grew from, each judged from this study's own points.

The claims are in parbench's own words; the source is CSC's "Python in High Performance
Computing" course, article "Parallel programming with Python". Each gets a verdict (holds here,
does not hold here, or not measured in this study, with what to add), the numbers behind it,
and a warning where those numbers are noisy (no interval, or a point marked unstable).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from parbench import registry
from parbench.report import verdict

SOURCE = (
    'CSC - IT Center for Science, "Python in High Performance Computing", article "Parallel '
    'programming with Python" (https://github.com/csc-training/hpc-python)'
)
HOLDS, FAILS, NOT_MEASURED = "holds here", "does not hold here", "not measured in this study"

# Compute-phase speed-up of threads below which they did not run Python in parallel, and the
# share of ideal above which a kernel did run in parallel in threads.
NO_PARALLELISM = 1.25
PARALLEL_SHARE = 0.75
# Processes "have a higher memory overhead" when they need at least this much more than threads.
MORE_MEMORY = 1.2
# The course's "multiple processes": a pool or MPI ranks, one interpreter per worker and no engine
# besides (Dask's scheduler and Spark's JVMs would be counted against them, not the processes).
PROCESS_VARIANTS = tuple(
    v.name
    for v in registry.VARIANTS.values()
    if not v.threads and not v.baseline and v.processes[0] >= 1 and v.engine_mib == (0, 0)
)


@dataclass(frozen=True)
class Claim:
    text: str
    verdict: str
    evidence: str
    noisy: str = ""  # why the figures behind the verdict are shaky, if they are


def problems_of_class(problem_class: str) -> list[str]:
    return [name for name, p in registry.PROBLEMS.items() if getattr(p, "problem_class", "") == problem_class]


def parallel(points: pd.DataFrame) -> pd.DataFrame:
    return points[points["workers"] > 1]


def shaky(rows: pd.DataFrame) -> str:
    """Why these points' figures are noisy, or ''."""
    reasons = []
    if "speedup_low" in rows and rows["speedup_low"].isna().any():
        reasons.append("some points had too few repeats for an interval")
    if "unstable" in rows and (rows["unstable"].fillna("") != "").any():
        reasons.append("some points are unstable")
    return "; ".join(reasons)


def point_text(row: pd.Series, value: str) -> str:
    return f"{verdict.label(row)} at {int(row['workers'])} workers ({row['case']}): {value}"


def gil_holds_threads_back(points: pd.DataFrame) -> Claim:
    text = "Threads cannot run CPU-bound Python code in parallel: the GIL runs one thread's Python at a time."
    rows = parallel(points)
    rows = rows[rows["variant"].isin(registry.THREAD_VARIANTS) & (rows["kernel"] == "python")]
    rows = rows[rows["compute_speedup"].notna()]
    if rows.empty:
        return Claim(text, NOT_MEASURED, "add a thread variant with the python kernel (the GIL panel)")
    best = rows.loc[rows["compute_speedup"].idxmax()]
    evidence = "best compute-phase speed-up of threads running Python: " + point_text(
        best, f"{best['compute_speedup']:.2f}x"
    )
    found = HOLDS if best["compute_speedup"] < NO_PARALLELISM else FAILS
    return Claim(text, found, evidence, shaky(rows))


def libraries_release_the_gil(points: pd.DataFrame) -> Claim:
    text = "Performance-oriented libraries (NumPy, numba) can overcome the GIL: threads then run in parallel."
    rows = parallel(points)
    kernels = ("numpy", *verdict.GIL_FREE_KERNELS)
    rows = rows[rows["variant"].isin(registry.THREAD_VARIANTS) & rows["kernel"].isin(kernels)]
    rows = rows[~rows["problem"].isin(problems_of_class("I/O-bound"))]  # waiting is no library's doing
    rows = rows[rows["compute_speedup"].notna()]
    if rows.empty:
        return Claim(text, NOT_MEASURED, "add a thread variant with the numpy or numba kernel")
    share = rows["compute_speedup"] / rows["workers"]
    best = rows.loc[share.idxmax()]
    evidence = "best compute-phase speed-up of threads with a library kernel: " + point_text(
        best, f"{best['compute_speedup']:.2f}x ({best['kernel']})"
    )
    found = HOLDS if share.max() >= PARALLEL_SHARE else FAILS
    return Claim(text, found, evidence, shaky(rows))


def threads_for_io(points: pd.DataFrame) -> Claim:
    text = "Threading can still be the right model for running many I/O-bound tasks at once."
    io_bound = problems_of_class("I/O-bound")
    rows = points[points["problem"].isin(io_bound)]
    if rows.empty:
        return Claim(
            text,
            NOT_MEASURED,
            "every problem of this study is CPU-bound; add the fetch problem (I/O-bound: its tasks "
            "wait on a remote store) with a thread variant",
        )
    # The compute phase, as for the GIL claims: the fetching itself, not the interpreter's start,
    # which a small study's wall time is mostly made of.
    claim = ratio_claim(text, rows, registry.THREAD_VARIANTS, "compute_speedup", "compute-phase speed-up")
    coroutines = parallel(rows)
    coroutines = coroutines[coroutines["variant"].eq("asyncio") & coroutines["compute_speedup"].notna()]
    if claim.verdict == NOT_MEASURED or coroutines.empty:
        return claim
    best = coroutines.loc[(coroutines["compute_speedup"] / coroutines["workers"]).idxmax()]
    beside = "; asyncio, for comparison: " + point_text(best, f"{best['compute_speedup']:.2f}x")
    return Claim(claim.text, claim.verdict, claim.evidence + beside, claim.noisy)


def processes_cost_memory(points: pd.DataFrame) -> Claim:
    text = "Using several processes has a higher memory overhead than using threads."
    rows = parallel(points)
    if "memory_mib" not in rows or rows["memory_mib"].isna().all():
        return Claim(text, NOT_MEASURED, "runs from before parbench recorded memory: re-run the study")
    comparisons = []
    for (case, workers), group in rows.groupby(["case", "workers"]):
        threads = group[group["variant"].isin(registry.THREAD_VARIANTS)]["memory_mib"].dropna()
        processes = group[group["variant"].isin(PROCESS_VARIANTS)]["memory_mib"].dropna()
        if len(threads) and len(processes):
            comparisons.append((case, int(workers), processes.median() / threads.median()))
    if not comparisons:
        return Claim(text, NOT_MEASURED, "add thread and process variants at the same worker counts")
    ratios = pd.Series([ratio for *_, ratio in comparisons])
    case, workers, ratio = max(comparisons, key=lambda c: (c[1], c[2]))
    evidence = (
        f"peak memory of process variants over thread variants, median {ratios.median():.2f}x over "
        f"{len(comparisons)} case(s) and worker counts (at {workers} workers, {case}: {ratio:.2f}x; PSS, "
        "shared pages counted once)"
    )
    found = HOLDS if ratios.median() >= MORE_MEMORY else FAILS
    spread = rows.get("memory_max_mib", rows["memory_mib"]) / rows.get("memory_min_mib", rows["memory_mib"])
    noisy = (
        "the repeats' peak memory spreads by more than the difference" if (spread > MORE_MEMORY).any() else ""
    )
    return Claim(text, found, evidence, noisy)


def mpi_for_coupled(points: pd.DataFrame) -> Claim:
    text = "Message passing (mpi4py) is normally the best fit for tightly coupled problems."
    rows = points[points["problem"].isin(problems_of_class("tightly coupled"))]
    if rows.empty or "mpi" not in set(rows["variant"]):
        return Claim(text, NOT_MEASURED, "add the heat problem (tightly coupled) with the mpi variant")
    best = verdict.fastest(rows)
    top = best[best["workers"] == best["workers"].max()]
    wins = [
        row
        for _, row in top.iterrows()
        if row["fastest"] == "mpi" or "mpi" in str(row.get("tied_with", "")).split(", ")
    ]
    parts = []
    for _, row in top.iterrows():
        tied = f", tied with {row['tied_with']}" if row.get("tied_with") else ""
        parts.append(f"{row['case']} at {int(row['workers'])} workers: {row['fastest']} fastest{tied}")
    found = HOLDS if len(wins) == len(top) else FAILS
    return Claim(text, found, "; ".join(parts), shaky(rows[rows["workers"] == best["workers"].max()]))


def frameworks_across_nodes(points: pd.DataFrame) -> Claim:
    text = "Dask and PySpark are for data analytics that must scale over several computers."
    analytics = problems_of_class("data analytics")
    rows = points[points["problem"].isin(analytics) & points["variant"].isin(("dask", "spark"))]
    if rows.empty:
        return Claim(text, NOT_MEASURED, "add the group-by (data analytics) with the dask and spark variants")
    if rows["nodes"].max() <= 1:
        return Claim(
            text,
            NOT_MEASURED,
            "this study ran on one node; run the group-by across nodes (config `nodes` or "
            "`workers_per_node`, under `--profile slurm`) to see whether they scale over several computers",
        )
    parts, grows = [], []
    for (case, variant), group in rows.groupby(["case", "variant"]):
        one = group[group["nodes"] == 1]["speedup"].max()
        most = group[group["nodes"] == group["nodes"].max()]["speedup"].max()
        grows.append(most > one)
        nodes = int(group["nodes"].max())
        parts.append(f"{variant} ({case}): best speed-up {one:.2f}x on one node, {most:.2f}x on {nodes}")
    found = HOLDS if all(grows) else FAILS
    return Claim(text, found, "; ".join(parts), shaky(rows))


def ratio_claim(text: str, rows: pd.DataFrame, variants, column: str, name: str) -> Claim:
    """A claim that the `variants` scale on `rows`: holds when their best efficiency in `column`
    reaches PARALLEL_SHARE."""
    mine = parallel(rows)
    mine = mine[mine["variant"].isin(variants) & mine[column].notna()]
    if mine.empty:
        return Claim(text, NOT_MEASURED, f"add the {', '.join(variants)} variants")
    share = mine[column] / mine["workers"]
    best = mine.loc[share.idxmax()]
    found = HOLDS if share.max() >= PARALLEL_SHARE else FAILS
    return Claim(text, found, f"best {name}: " + point_text(best, f"{best[column]:.2f}x"), shaky(mine))


CLAIMS: list[Callable[[pd.DataFrame], Claim]] = [
    gil_holds_threads_back,
    libraries_release_the_gil,
    threads_for_io,
    processes_cost_memory,
    mpi_for_coupled,
    frameworks_across_nodes,
]


def judged(points: pd.DataFrame) -> list[Claim]:
    """The six claims, each with this study's verdict."""
    return [judge(points) for judge in CLAIMS]
