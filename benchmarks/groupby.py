"""Benchmark of the group-by problem (issue 6): every variant at 1 and 2 workers on 20 M rows over
1000 keys, against serial pandas, with start-up separated, and where Dask and Spark pay back theirs.

    python benchmarks/groupby.py                     # 20 M rows (and 5 M for the crossover fit)
    python benchmarks/groupby.py --quick             # 400 000 rows: checks the script itself
    python benchmarks/groupby.py --kernels pandas arrow numba
    python benchmarks/groupby.py --variants serial processes mpi dask   # the speed-up targets only

Each run is a real `parbench run` (MPI under mpiexec) on datasets made once by `parbench generate`
(generation is timed apart). The query speed-up is the compute phase of serial with the same
kernel over the variant's compute phase (Spark, whose engine is the JVM, is compared with serial
pandas); start-up (framework, workers, warm-up) and teardown are reported on their own. Each
point is run `--repeats` times in a row (5); medians count, and the query speed-up is the ratio
of the median compute phases with its 95 % bootstrap interval (docs/statistics.md).

Crossover: every variant is run at two sizes, N and N/4, and its time fitted as
    wall(rows) = fixed + per_row * rows
(fixed: start-up, teardown and each query's own overhead; per_row from the compute phases). The
data size at which a framework beats serial including its start-up is where the lines cross:
rows* = (fixed_f - fixed_serial) / (per_row_serial - per_row_f). The same model
(parbench.report.crossover) gives the study report's crossover table. Targets from the issue are checked
at the end: met, MISSED, or UNDECIDED on this host when the interval straddles the target; the
exit status is 1 if one is missed (never with --quick).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

from parbench import stats
from parbench.report.crossover import NEVER, cost_line, crossover_rows, describe
from runs import (
    add_repeats_option,
    compute_times,
    judge,
    median_phase,
    parbench,
    repeats_in_a_row,
    run_point,
    verdict_counts,
    with_interval,
)

VARIANTS = ("serial", "threads", "processes", "futures-threads", "futures-processes", "mpi", "dask", "spark")
FULL = {"rows": 20_000_000, "keys": 1000, "partitions": 16}
QUICK = {"rows": 400_000, "keys": 1000, "partitions": 16}
SMALL_FRACTION = 4  # the second size of the crossover fit: N / 4
SPEEDUP_TARGET = 1.6  # query speed-up at 2 workers, start-up excluded
SPEEDUP_VARIANTS = ("processes", "mpi", "dask")
CROSSOVER_VARIANTS = ("dask", "spark")


def generate(folder: Path, rows: int, size: dict) -> tuple[Path, float, int]:
    out = folder / f"data-{rows}"
    began = time.perf_counter()
    parbench(
        "generate",
        "groupby",
        "--rows",
        rows,
        "--keys",
        size["keys"],
        "--partitions",
        size["partitions"],
        "--out",
        out,
    )
    seconds = time.perf_counter() - began
    return out, seconds, sum(p.stat().st_size for p in out.glob("*.parquet"))


def run(dataset: Path, variant: str, kernel: str, workers: int, folder: Path) -> dict:
    out = folder / f"{dataset.name}-{variant}-{kernel}-{workers}.h5"
    reference = None if variant == "serial" else folder / f"{dataset.name}-serial-pandas-1.h5"
    return run_point("groupby", variant, kernel, workers, ["--dataset", dataset], out, reference)


def pandas_in_memory(dataset: Path) -> tuple[float, float]:
    """Serial pandas with the data already in memory, and the read on its own: the issue's yardstick."""
    import pandas as pd

    began = time.perf_counter()
    frame = pd.read_parquet(dataset, columns=["key", "value"])
    read = time.perf_counter() - began
    began = time.perf_counter()
    frame.groupby("key")["value"].agg(["count", "sum", "mean", "std", "min", "max"])
    return read, time.perf_counter() - began


def kernels_of(variant: str, kernels: list[str]) -> list[str]:
    return ["jvm"] if variant == "spark" else kernels


def fixed_seconds(records: list[dict]) -> float:
    """Everything in a point's median wall time that is not the query (start-up, teardown,
    writing...)."""
    return median_phase(records, "total") - median_phase(records, "compute")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="400 000 rows: checks the script, not the machine"
    )
    parser.add_argument("--rows", type=int, help="rows of the large dataset (default 20 M)")
    parser.add_argument("--kernels", nargs="+", default=["pandas"], choices=("pandas", "arrow", "numba"))
    parser.add_argument(
        "--variants", nargs="+", default=list(VARIANTS), choices=VARIANTS, help="default: all (serial always)"
    )
    add_repeats_option(parser)
    args = parser.parse_args()
    variants = ["serial", *(v for v in VARIANTS[1:] if v in args.variants)]
    size = dict(QUICK if args.quick else FULL)
    size["rows"] = args.rows or size["rows"]
    sizes = (size["rows"], size["rows"] // SMALL_FRACTION)
    points = {}
    with tempfile.TemporaryDirectory(prefix="parbench-groupby-") as tmp:
        folder = Path(tmp)
        for rows in sizes:
            dataset, seconds, size_bytes = generate(folder, rows, size)
            print(f"generated {rows:,} rows, {size_bytes / 1e6:.0f} MB in {seconds:.1f} s (not timed below)")
            if rows == sizes[0]:
                read, query = pandas_in_memory(dataset)
                print(f"pandas, one process: read {read:.2f} s, group-by in memory {query:.2f} s\n")
            for variant in variants:
                for kernel in kernels_of(variant, args.kernels):
                    for workers in (1,) if variant == "serial" else (1, 2):
                        point = (dataset, variant, kernel, workers, folder)
                        points[rows, variant, kernel, workers] = partial(run, *point)
        bytes_per_row = size_bytes / sizes[1]
        records = repeats_in_a_row(points, args.repeats)
    print(HEADER)
    for (rows, _variant, kernel, _workers), record in records.items():
        if rows == sizes[0]:
            print(format_row(record, serial_of(records, rows, kernel)), flush=True)
    verdicts = judge_speedups(records, sizes[0], args.kernels, variants)
    print()
    for variant in (v for v in CROSSOVER_VARIANTS if v in variants):
        kernel = kernels_of(variant, args.kernels)[0]
        print(crossover(records, sizes, variant, kernel, bytes_per_row))
    print(verdict_counts(verdicts))
    return 1 if "MISSED" in verdicts and not args.quick else 0


def serial_of(records: dict, rows: int, kernel: str) -> list[dict]:
    return records[rows, "serial", "pandas" if kernel == "jvm" else kernel, 1]


HEADER = (
    f"{'variant':<18} {'kernel':<6} {'w':>2} {'wall s':>7} {'startup':>7} {'compute':>7} "
    f"{'query sp. [95 %]':>18} {'wall sp.':>8} {'other s':>7}"
)


def query_speedup(records: list[dict], serial: list[dict]) -> stats.Interval:
    return stats.speedup_interval(compute_times(serial), compute_times(records))


def format_row(records: list[dict], serial: list[dict]) -> str:
    first, wall = records[0], median_phase(records, "total")
    startup = median_phase(records, "startup")
    return (
        f"{first['variant']:<18} {first['kernel']:<6} {first['workers']:>2} {wall:>7.2f} "
        f"{startup:>7.2f} {median_phase(records, 'compute'):>7.2f} "
        f"{with_interval(query_speedup(records, serial)):>18} "
        f"{median_phase(serial, 'total') / wall:>8.2f} {fixed_seconds(records) - startup:>7.2f}"
    )


def judge_speedups(records: dict, rows: int, kernels: list[str], variants: list[str]) -> list[str]:
    """Prints the verdict of each speed-up target among the variants run; returns the verdicts."""
    verdicts = []
    for variant in (v for v in SPEEDUP_VARIANTS if v in variants):
        for kernel in kernels:
            speedup = query_speedup(records[rows, variant, kernel, 2], serial_of(records, rows, kernel))
            verdict, line = judge(f"{variant} {kernel} query speed-up at 2 workers", speedup, SPEEDUP_TARGET)
            verdicts.append(verdict)
            print(line)
    return verdicts


def crossover(records: dict, sizes: tuple[int, int], variant: str, kernel: str, bytes_per_row: float) -> str:
    """Where `variant` at 2 workers, start-up included, starts to beat serial pandas (the model of
    parbench.report.crossover, which the study's report uses too)."""

    def line(name, k, w):
        points = [records[rows, name, k, w] for rows in sizes]
        compute = [median_phase(runs, "compute") for runs in points]
        return cost_line(sizes, compute, [median_phase(runs, "total") for runs in points])

    serial = line("serial", "pandas" if kernel == "jvm" else kernel, 1)
    framework = line(variant, kernel, 2)
    head = (
        f"crossover {variant} (2 workers) vs serial: fixed {framework.fixed_s:.2f} s vs "
        f"{serial.fixed_s:.2f} s, {framework.per_row_s * 1e9:.1f} vs {serial.per_row_s * 1e9:.1f} ns/row"
    )
    rows = crossover_rows(framework, serial)
    if not 0.0 < rows < NEVER:  # never, at any size, or unknown
        return f"{head}: {describe(rows)}"
    gigabytes = rows * bytes_per_row / 1e9
    return f"{head}: beats serial {describe(rows)} ({gigabytes:.1f} GB of Parquet)"


if __name__ == "__main__":
    sys.exit(main())
