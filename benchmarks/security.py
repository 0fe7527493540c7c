"""What protecting the clusters costs (issue 16): the Dask and Spark variants of the task farms
(mandelbrot 2048 x 2048, pi 10^8 samples, numpy kernel) and of the group-by (20 M rows) at 2
workers, with PARBENCH_CLUSTER_SECURITY off and on, in alternation.

    python benchmarks/security.py            # 5 pairs per point
    python benchmarks/security.py --quick    # small sizes: checks the script itself

Each pair runs one point with security off and then on, the order swapping from pair to pair,
so that neither side always runs after the other; the machine's slow spells then fall on both.
Per side the median compute phase counts, and the median start-up (cluster or session, warm-up;
docs/formats.md). Serial runs of each problem come first, for the speed-ups. Printed:
compute-phase efficiency (task farms) or query speed-up (group-by) over serial, each the ratio of
medians with its 95 % bootstrap interval (docs/statistics.md), start-up and wall time, each off /
on, and the on/off ratios. The task farms' target, a compute-phase efficiency of 0.9 at 2
workers, is judged with security on: met, MISSED, or UNDECIDED on this host when the interval
straddles it; the exit status is 1 if missed (never with --quick).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from parbench import stats
from runs import compute_times, judge, median_phase, parbench, run_point, verdict_counts, with_interval

SWITCH = "PARBENCH_CLUSTER_SECURITY"
FARM = {
    "mandelbrot": ["--width", "2048", "--height", "2048", "--maxiter", "256"],
    "pi": ["--samples", "100000000"],
}
FARM_QUICK = {
    "mandelbrot": ["--width", "256", "--height", "256", "--maxiter", "128"],
    "pi": ["--samples", "2000000", "--chunk-size", "250000"],
}
ROWS, ROWS_QUICK = 20_000_000, 400_000
WORKERS = 2
EFFICIENCY_TARGET = 0.9


def side_env(secure: bool) -> dict:
    return {**os.environ, SWITCH: "on" if secure else "off"}


def paired(run, pairs: int) -> dict[bool, list[dict]]:
    """Runs `run(secure)` 2 x `pairs` times: off, on, then on, off, and so on."""
    records: dict[bool, list[dict]] = {False: [], True: []}
    for number in range(pairs):
        order = (False, True) if number % 2 == 0 else (True, False)
        for secure in order:
            records[secure].append(run(secure))
    return records


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes: checks the script only")
    parser.add_argument("--pairs", type=int, default=5, help="off/on pairs per point (default 5)")
    parser.add_argument(
        "--problems", nargs="+", default=[*FARM, "groupby"], choices=[*FARM, "groupby"], help="default: all"
    )
    args = parser.parse_args()
    farm, rows = (FARM_QUICK, ROWS_QUICK) if args.quick else (FARM, ROWS)
    verdicts, judged = [], []
    with tempfile.TemporaryDirectory(prefix="parbench-security-") as tmp:
        folder = Path(tmp)
        dataset = folder / "sales"
        parbench("generate", "groupby", "--rows", rows, "--keys", 1000, "--partitions", 16, "--out", dataset)
        problems = {name: (options, "numpy") for name, options in farm.items()}
        problems["groupby"] = (["--dataset", dataset], "pandas")
        for problem, (options, kernel) in problems.items():
            if problem not in args.problems:
                continue
            for row in measure(problem, options, kernel, folder, args.pairs):
                print(format_row(row), flush=True)
                if problem != "groupby":
                    what = f"{problem} {row['variant']} compute efficiency at 2 workers, security on"
                    verdict, line = judge(what, row["ratio"][True], EFFICIENCY_TARGET)
                    verdicts.append(verdict)
                    judged.append(line)
    print("\n".join(judged))
    print(verdict_counts(verdicts))
    return 1 if "MISSED" in verdicts and not args.quick else 0


def measure(problem: str, options: list, kernel: str, folder: Path, pairs: int) -> list[dict]:
    """Serial (`pairs` runs), then the dask and spark variants in off/on pairs."""
    serial_out = folder / f"{problem}-serial.h5"
    serial = [run_point(problem, "serial", kernel, 1, options, serial_out, None) for _ in range(pairs)]
    rows = []
    for variant in ("dask", "spark"):
        variant_kernel = "jvm" if (problem, variant) == ("groupby", "spark") else kernel
        point = (
            problem,
            variant,
            variant_kernel,
            WORKERS,
            options,
            folder / f"{problem}-{variant}.h5",
            serial_out,
        )
        records = paired(lambda secure, point=point: run_point(*point, env=side_env(secure)), pairs)
        rows.append(figures(problem, variant, serial, records))
    return rows


def figures(problem: str, variant: str, serial: list[dict], records: dict[bool, list[dict]]) -> dict:
    speedup = {s: stats.speedup_interval(compute_times(serial), compute_times(records[s])) for s in records}
    ratio = speedup if problem == "groupby" else {s: speedup[s].scaled(1 / WORKERS) for s in records}
    return {
        "problem": problem,
        "variant": variant,
        "measure": "query speed-up" if problem == "groupby" else "efficiency",
        "ratio": ratio,
        "compute": {s: median_phase(records[s], "compute") for s in records},
        "startup": {s: median_phase(records[s], "startup") for s in records},
        "wall": {s: median_phase(records[s], "total") for s in records},
    }


HEADER = (
    f"{'problem':<10} {'variant':<6} {'measure':<14} {'off [95 %]':>18} {'on [95 %]':>18}  "
    f"{'compute s off/on':>17}  {'start-up s off/on':>18} {'x':>5}  {'wall s off/on':>15} {'x':>5}"
)


def format_row(r: dict) -> str:
    off_on = lambda d, f: f"{d[False]:{f}} / {d[True]:{f}}"  # noqa: E731
    return (
        f"{r['problem']:<10} {r['variant']:<6} {r['measure']:<14} "
        f"{with_interval(r['ratio'][False]):>18} {with_interval(r['ratio'][True]):>18}  "
        f"{off_on(r['compute'], '7.3f'):>17}  {off_on(r['startup'], '7.2f'):>18} "
        f"{r['startup'][True] / r['startup'][False]:>5.2f}  {off_on(r['wall'], '6.2f'):>15} "
        f"{r['wall'][True] / r['wall'][False]:>5.2f}"
    )


if __name__ == "__main__":
    print(HEADER, flush=True)
    sys.exit(main())
