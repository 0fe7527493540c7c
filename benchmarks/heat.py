"""Benchmark of the heat problem (issue 5): time per step of every variant, numpy and numba
kernels, at 1 and 2 workers, on a 4096 x 4096 grid.

    python benchmarks/heat.py              # 4096^2, about 4-5 s of stepping per run
    python benchmarks/heat.py --quick      # 512^2, 20 steps: checks the script, not the machine

Each run is a real `parbench run heat` (MPI under mpiexec), timed inside the program, verified
against serial; each is repeated `--repeats` times in a row (5) and medians count, each ratio
with its 95 % bootstrap interval (docs/statistics.md; the whole benchmark takes about an hour;
`--variants serial mpi` checks the targets in a few minutes). Per point it prints:
  ms/step   the stepping loop (compute + communicate phases) per step: every point also runs
            with one step, and the difference between the two runs, over the extra steps, is the
            stepping alone (one-off costs such as gathering the final field into one process, or
            reading the initial one, cancel out)
  halo      the communicate share of a step: halo exchange (mpi), waiting at barriers and for
            futures (threads, processes), halo tasks, transfers and scheduling (dask, spark)
  x floor   step time over the memory-bandwidth floor: a step reads and writes the grid at least
            once, 2 x 8 x NX x NY bytes, at the copy bandwidth measured on this machine (23 GB/s
            on one core, 42 GB/s on two, measured on this project's machines; --bandwidth to change)
  effic.    parallel efficiency: serial ms/step (same kernel) / (workers x ms/step)
  start s   start-up (pools, clusters, JVM) and the rest of the long run's wall time outside the loop
Targets (from the issue), judged at the end (met, MISSED, or UNDECIDED on this host when the
interval straddles the target), exit status 1 when one is missed: the numba serial step within
2x of the floor, the numpy one within 5x, mpi at 2 ranks with efficiency >= 0.75.
Dask and Spark exchange halos every --steps-per-exchange steps (10 by default here, stated).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

from parbench import stats
from runs import add_repeats_option, judge, run_point, verdict_counts, with_interval

VARIANTS = ("serial", "threads", "processes", "futures-threads", "futures-processes", "mpi", "dask", "spark")
KERNELS = ("numpy", "numba")
STEPS = {"numpy": 100, "numba": 200}  # a few seconds each at 4096^2
BANDWIDTH = {1: 23e9, 2: 42e9}  # bytes/s, np.copyto read+write, one and two cores
FLOOR_TARGETS = {"numba": 2.0, "numpy": 5.0}
MPI_EFFICIENCY_TARGET = 0.75


def run(variant, kernel, workers, steps, args, folder: Path) -> list[dict]:
    """`--repeats` runs of one point in a row (see runs.py), all their records."""
    out = folder / f"heat-{variant}-{kernel}-{workers}-{steps}.h5"
    options = ["--nx", args.size, "--ny", args.size, "--steps", steps]
    options += ["--steps-per-exchange", args.steps_per_exchange]
    reference = None if variant == "serial" else folder / f"heat-serial-{kernel}-1-{steps}.h5"
    return [run_point("heat", variant, kernel, workers, options, out, reference) for _ in range(args.repeats)]


def point(variant, kernel, workers, args, folder: Path) -> tuple[list[dict], list[dict]]:
    """The runs of many steps, and of the same point with one step: the difference is the stepping
    alone, without one-off costs such as gathering the final field into one process."""
    steps = args.steps or STEPS[kernel]
    return run(variant, kernel, workers, steps, args, folder), run(variant, kernel, workers, 1, args, folder)


def loop(record: dict) -> float:
    return record["phases"]["compute"] + record["phases"]["communicate"]


def stepping(runs: tuple[list[dict], list[dict]]) -> list[float]:
    """Each long run's loop (compute + communicate) less the one-step runs' median loop: the
    stepping alone, one sample per long run (the one-step loop is a hundredth of it, so its own
    spread is left out of the interval)."""
    one_step = float(np.median([loop(r) for r in runs[1]]))
    return [loop(r) - one_step for r in runs[0]]


def figures(
    runs: tuple[list[dict], list[dict]], serial: tuple[list[dict], list[dict]], bandwidth: dict
) -> dict:
    record = runs[0][0]
    workers, nx, ny = record["workers"], record["params"]["nx"], record["params"]["ny"]
    extra_steps = record["params"]["steps"] - 1
    step = stats.median_interval(stepping(runs)).scaled(1 / extra_steps)
    halo = np.median([r["phases"]["communicate"] for r in runs[0]]) - np.median(
        [r["phases"]["communicate"] for r in runs[1]]
    )
    floor = 2 * 8 * nx * ny / bandwidth[min(workers, 2)]
    outside = [r["phases"]["total"] - loop(r) for r in runs[0]]
    return {
        "variant": record["variant"],
        "kernel": record["kernel"],
        "workers": workers,
        "step_ms": step.estimate * 1e3,
        "halo": max(halo / extra_steps, 0.0) / step.estimate if step.estimate > 0 else 0.0,
        "floor_ratio": step.scaled(1 / floor),
        "efficiency": stats.speedup_interval(stepping(serial), stepping(runs)).scaled(1 / workers),
        "outside": float(np.median(outside)),
    }


HEADER = f"{'variant':<18} {'kernel':<6} {'w':>2} {'ms/step':>9} {'halo':>6} {'x floor':>8} "
HEADER += f"{'efficiency [95 %]':>18} {'start s':>8}"


def format_row(r: dict) -> str:
    return (
        f"{r['variant']:<18} {r['kernel']:<6} {r['workers']:>2} {r['step_ms']:>9.2f} {r['halo']:>6.0%} "
        f"{r['floor_ratio'].estimate:>8.2f} {with_interval(r['efficiency']):>18} {r['outside']:>8.2f}"
    )


def judge_targets(rows: list[dict]) -> list[tuple[str, str]]:
    """Each target's (verdict, line)."""
    found = {(r["variant"], r["kernel"], r["workers"]): r for r in rows}
    judged = []
    for kernel, target in FLOOR_TARGETS.items():
        r = found.get(("serial", kernel, 1))
        if r:
            judged.append(
                judge(f"{kernel} serial step, x the floor", r["floor_ratio"], target, at_least=False)
            )
    for kernel in KERNELS:
        r = found.get(("mpi", kernel, 2))
        if r:
            judged.append(
                judge(f"mpi {kernel} efficiency at 2 ranks", r["efficiency"], MPI_EFFICIENCY_TARGET)
            )
    return judged


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="512^2, 20 steps: checks the script only")
    parser.add_argument("--size", type=int, default=4096, help="grid NX = NY (default 4096)")
    parser.add_argument("--steps", type=int, help="steps per run (default: 100 numpy, 200 numba)")
    parser.add_argument("--steps-per-exchange", type=int, default=10, help="dask, spark (default 10)")
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=VARIANTS)
    parser.add_argument("--kernels", nargs="+", default=list(KERNELS), choices=KERNELS)
    add_repeats_option(parser)
    parser.add_argument(
        "--bandwidth", type=float, nargs=2, metavar=("ONE", "TWO"), help="GB/s, 1 and 2 cores"
    )
    args = parser.parse_args()
    if args.quick:
        args.size, args.steps = 512, args.steps or 20
    bandwidth = {1: args.bandwidth[0] * 1e9, 2: args.bandwidth[1] * 1e9} if args.bandwidth else BANDWIDTH
    print(
        f"heat {args.size} x {args.size}; dask and spark exchange halos every {args.steps_per_exchange} steps"
    )
    print(HEADER)
    rows = []
    with tempfile.TemporaryDirectory(prefix="parbench-heat-bench-") as tmp:
        folder = Path(tmp)
        for kernel in args.kernels:
            serial = point("serial", kernel, 1, args, folder)
            for variant in args.variants:
                for workers in (1,) if variant == "serial" else (1, 2):
                    runs = serial if variant == "serial" else point(variant, kernel, workers, args, folder)
                    rows.append(figures(runs, serial, bandwidth))
                    print(format_row(rows[-1]), flush=True)
    judged = judge_targets(rows)
    print()
    print("\n".join(line for _, line in judged))
    verdicts = [verdict for verdict, _ in judged]
    print(verdict_counts(verdicts))
    if args.quick:
        print("(--quick: a grid this small fits in cache; the targets are for 4096^2)")
    return 1 if "MISSED" in verdicts and not args.quick else 0


if __name__ == "__main__":
    sys.exit(main())
