"""Benchmark of the task-farm problems (issue 2): every variant and kernel at 1 and 2 workers.

    python benchmarks/farm.py            # mandelbrot 2048x2048 maxiter 256, pi 10^8 samples
    python benchmarks/farm.py --quick    # a small version, to check the script itself

Each run is a real `parbench run` (MPI under mpiexec), timed inside the program. Figures are
ratios within this one benchmark run (speed-up and efficiency over serial of the same kernel,
overhead share of the wall time), because the machines are noisy: each variant's points at 1 and
2 workers are run in turns with a serial run of the same kernel, `--repeats` rounds (5). A
variant's speed-up is the ratio of the median compute phases, over the serial runs measured
beside it (a host that slows down over the benchmark's twenty minutes does not show as a loss of
efficiency), with its 95 % bootstrap interval (parbench.stats, docs/statistics.md).
Targets from the issue are judged at the end: met, MISSED, or UNDECIDED on this host when the
interval straddles the target; the exit status is 1 if one is missed.
The pure-Python kernel is run at a reduced size (stated in the table): at full size it would
take hours, and its only point is the GIL.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from functools import partial
from pathlib import Path

from parbench import stats
from runs import (
    add_repeats_option,
    compute_times,
    in_turns,
    judge,
    median_phase,
    run_point,
    verdict_counts,
    with_interval,
)

VARIANTS = ("serial", "threads", "processes", "futures-threads", "futures-processes", "mpi", "dask", "spark")
KERNELS = ("python", "numpy", "numba")
FULL = {
    "mandelbrot": {"numpy": ["--width", "2048", "--height", "2048", "--maxiter", "256"]},
    "pi": {"numpy": ["--samples", "100000000"]},
}
FULL["mandelbrot"]["numba"] = FULL["mandelbrot"]["numpy"]
FULL["mandelbrot"]["python"] = [
    "--width",
    "256",
    "--height",
    "256",
    "--maxiter",
    "256",
    "--rows-per-task",
    "4",
]
FULL["pi"]["numba"] = FULL["pi"]["numpy"]
FULL["pi"]["python"] = ["--samples", "4000000", "--chunk-size", "250000"]
QUICK = {
    "mandelbrot": dict.fromkeys(KERNELS, ["--width", "256", "--height", "256", "--maxiter", "128"]),
    "pi": dict.fromkeys(KERNELS, ["--samples", "2000000", "--chunk-size", "250000"]),
}
# (problem, kernel, variants) whose compute-phase efficiency at 2 workers must reach 0.9.
EFFICIENCY_TARGETS = [
    (problem, "numpy", ("processes", "futures-processes", "mpi", "dask", "spark")) for problem in FULL
] + [(problem, "numba", ("threads",)) for problem in FULL]
THROUGHPUT_TARGETS = {"numpy": 100e6, "numba": 300e6}  # mandelbrot iterations/s on one core


def run(problem, variant, kernel, workers, size, folder: Path, name: str = "") -> dict:
    """One run, verified against the first serial run (`name`: to keep a second serial run's file
    apart from that reference)."""
    out = folder / f"{problem}-{variant}-{kernel}-{workers}{name}.h5"
    reference = folder / f"{problem}-serial-{kernel}-1.h5"
    return run_point(problem, variant, kernel, workers, size, out, None if out == reference else reference)


def measure(problem, kernel, size, folder: Path, repeats: int) -> dict:
    """Every point of one problem and kernel: its records, and the serial records of its variant's
    turns (what its speed-up is over). The serial point's own runs come first, in a row: the
    reference every other run is verified against."""
    point = partial(run, problem, kernel=kernel, size=size, folder=folder)
    serial = [point("serial", workers=1) for _ in range(repeats)]
    found = {(problem, "serial", kernel, 1): (serial, serial)}
    for variant in VARIANTS[1:]:
        turns = {"serial": partial(point, "serial", workers=1, name="-beside")}
        turns |= {workers: partial(point, variant, workers=workers) for workers in (1, 2)}
        runs = in_turns(turns, repeats)
        for workers in (1, 2):
            found[problem, variant, kernel, workers] = (runs[workers], runs["serial"])
        print(f"{problem} {kernel} {variant} done", file=sys.stderr, flush=True)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="small sizes: checks the script, not the machine"
    )
    parser.add_argument("--problems", nargs="+", default=list(FULL), choices=list(FULL))
    parser.add_argument("--kernels", nargs="+", default=list(KERNELS), choices=KERNELS)
    # Five: compute phases of a quarter to one second, where one slow spell is a large share.
    add_repeats_option(parser, default=5)
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    records = {}
    with tempfile.TemporaryDirectory(prefix="parbench-bench-") as tmp:
        for problem in args.problems:
            for kernel in args.kernels:
                size = sizes[problem][kernel]
                records |= measure(problem, kernel, size, Path(tmp), args.repeats)
    rows = []
    for (problem, _variant, kernel, _workers), (point_runs, serial_runs) in records.items():
        rows.append(figures(point_runs, serial_runs, sizes[problem][kernel]))
        print(format_row(rows[-1]), flush=True)
    print()
    verdicts = judge_targets(rows, quick=args.quick)
    print("GIL: threads with the python kernel at 2 workers reach a compute speed-up of", gil_speedups(rows))
    print("     (about 1.0: the GIL runs one thread's Python at a time; numba's nogil kernel escapes it)")
    print(verdict_counts(verdicts))
    return 1 if "MISSED" in verdicts and not args.quick else 0


def figures(records: list[dict], serial: list[dict], size: list[str]) -> dict:
    """A point's figures from its runs and the serial runs beside them: medians, and the speed-up
    (and efficiency) of the compute phase as the ratio of medians with its interval."""
    first = records[0]
    speedup = stats.speedup_interval(compute_times(serial), compute_times(records))
    return {
        "problem": first["problem"],
        "variant": first["variant"],
        "kernel": first["kernel"],
        "workers": first["workers"],
        "size": " ".join(size).replace("--", ""),
        "wall": median_phase(records, "total"),
        "compute": median_phase(records, "compute"),
        "serial": median_phase(serial, "compute"),
        "speedup": speedup,
        "efficiency": speedup.scaled(1 / first["workers"]),
        "wall_speedup": median_phase(serial, "total") / median_phase(records, "total"),
        "overhead_share": 1 - median_phase(records, "compute") / median_phase(records, "total"),
        "rates": [r["summary"].get("iterations", 0) / r["phases"]["compute"] for r in records],
    }


HEADER = f"{'problem':<10} {'variant':<18} {'kernel':<6} {'w':>2} {'wall s':>8} {'compute s':>9} "
HEADER += f"{'serial s':>8} {'speed-up [95 %]':>18} {'efficiency [95 %]':>18} {'wall sp.':>8} {'overhead':>8}"


def format_row(r: dict) -> str:
    return (
        f"{r['problem']:<10} {r['variant']:<18} {r['kernel']:<6} {r['workers']:>2} {r['wall']:>8.3f} "
        f"{r['compute']:>9.3f} {r['serial']:>8.3f} {with_interval(r['speedup']):>18} "
        f"{with_interval(r['efficiency']):>18} {r['wall_speedup']:>8.2f} {r['overhead_share']:>8.0%}"
    )


def judge_targets(rows: list[dict], quick: bool) -> list[str]:
    """Prints each target's verdict; returns the verdicts."""
    verdicts = []
    found = {(r["problem"], r["variant"], r["kernel"], r["workers"]): r for r in rows}
    for problem, kernel, variants in EFFICIENCY_TARGETS:
        for variant in variants:
            r = found.get((problem, variant, kernel, 2))
            if r:
                what = f"{problem} {variant} {kernel}: compute efficiency at 2 workers"
                verdict, line = judge(what, r["efficiency"], 0.9)
                verdicts.append(verdict)
                print(line)
    for kernel, target in THROUGHPUT_TARGETS.items():
        r = found.get(("mandelbrot", "serial", kernel, 1))
        if r and not quick:
            rate = stats.median_interval(r["rates"]).scaled(1e-6)
            verdict, line = judge(
                f"mandelbrot {kernel} kernel on one core, M iterations/s", rate, target / 1e6
            )
            verdicts.append(verdict)
            print(line)
    return verdicts


def gil_speedups(rows: list[dict]) -> str:
    found = [
        f"{r['problem']} {with_interval(r['speedup'])}"
        for r in rows
        if (r["variant"], r["kernel"], r["workers"]) == ("threads", "python", 2)
    ]
    return ", ".join(found) or "(python kernel not run)"


if __name__ == "__main__":
    print(HEADER)
    sys.exit(main())
