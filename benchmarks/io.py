"""Where threads belong (issue 27): the I/O-bound fetch problem with 8 workers on this machine's
2 cores, a latency that dominates (64 objects of 64 KiB, 100 ms each, 100 MiB/s per request).

    python benchmarks/io.py              # 5 repeats per point, about 2 minutes
    python benchmarks/io.py --quick      # small sizes: checks the script itself

Serial, then threads, futures-threads, asyncio, processes and futures-processes at 8 workers,
each verified against serial. Printed per variant: the compute-phase speed-up over serial and its
share of the ideal 8x, each the ratio of medians with its 95 % bootstrap interval
(docs/statistics.md), and the peak memory of the run's processes (PSS: pages shared by forked
processes count once; docs/formats.md), in total and beyond the serial run's. Targets: threads
and asyncio reach 0.8 of the ideal speed-up, and need less than half the memory of processes
(the ratio of median peaks, with its interval), in total and beyond the serial run's (what the
workers add to the one interpreter every variant has); each is met, MISSED, or UNDECIDED on this
host; the exit status is 1 if one is missed (never with --quick).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from parbench import stats
from runs import (
    add_repeats_option,
    compute_times,
    judge,
    repeats_in_a_row,
    run_point,
    verdict_counts,
    with_interval,
)

WORKERS = 8
SIZE = ["--objects", "64", "--object-kib", "64", "--latency-ms", "100", "--bandwidth-mib-s", "100"]
SIZE_QUICK = ["--objects", "16", "--object-kib", "16", "--latency-ms", "20"]
THREADS_LIKE = ("threads", "futures-threads", "asyncio")
PROCESSES = ("processes", "futures-processes")
SHARE_TARGET = 0.8  # of the ideal speed-up, for threads and asyncio
MEMORY_TARGET = 0.5  # threads' and asyncio's peak memory over processes', at most


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes: checks the script only")
    add_repeats_option(parser)
    args = parser.parse_args()
    size = SIZE_QUICK if args.quick else SIZE
    with tempfile.TemporaryDirectory(prefix="parbench-io-") as tmp:
        folder = Path(tmp)
        reference = folder / "serial.h5"

        def point(variant: str):
            workers = 1 if variant == "serial" else WORKERS
            out = reference if variant == "serial" else folder / f"{variant}.h5"
            checked = None if variant == "serial" else reference
            return lambda: run_point("fetch", variant, "io", workers, size, out, checked)

        records = repeats_in_a_row({v: point(v) for v in ("serial", *THREADS_LIKE, *PROCESSES)}, args.repeats)
    rows = {
        variant: figures(records["serial"], found)
        for variant, found in records.items()
        if variant != "serial"
    }
    serial_memory = stats.median_interval(memory(records["serial"]))
    header = ("variant", "speed-up [95 %]", "of ideal", "peak MiB [95 %]", "beyond serial")
    print("{:<18} {:>20} {:>18} {:>22} {:>14}".format(*header))
    print(f"{'serial':<18} {'1':>20} {'':>18} {with_interval(serial_memory, 1):>22}")
    for variant, row in rows.items():
        print(
            f"{variant:<18} {with_interval(row['speedup']):>20} {with_interval(row['share']):>18} "
            f"{with_interval(row['memory'], 1):>22} {row['memory'].estimate - serial_memory.estimate:>14.1f}"
        )
    verdicts, lines = [], []
    processes = [m for v in PROCESSES for m in memory(records[v])]
    serial = serial_memory.estimate
    for variant in ("threads", "asyncio"):
        mine = memory(records[variant])
        # Each ratio is median(variant) / median(processes), with its interval.
        for what, figure, target, at_least in (
            (f"{variant} share of the ideal {WORKERS}x", rows[variant]["share"], SHARE_TARGET, True),
            (
                f"{variant} peak memory over processes'",
                stats.speedup_interval(mine, processes),
                MEMORY_TARGET,
                False,
            ),
            (
                f"{variant} memory beyond the serial run's over processes'",
                stats.speedup_interval([m - serial for m in mine], [m - serial for m in processes]),
                MEMORY_TARGET,
                False,
            ),
        ):
            verdict, line = judge(what, figure, target, at_least)
            verdicts.append(verdict)
            lines.append(line)
    print("\n".join(lines))
    print(verdict_counts(verdicts))
    return 1 if "MISSED" in verdicts and not args.quick else 0


def memory(records: list[dict]) -> list[float]:
    return [record["memory"]["peak_mib"] for record in records]


def figures(serial: list[dict], records: list[dict]) -> dict:
    speedup = stats.speedup_interval(compute_times(serial), compute_times(records))
    return {
        "speedup": speedup,
        "share": speedup.scaled(1 / WORKERS),
        "memory": stats.median_interval(memory(records)),
    }


if __name__ == "__main__":
    sys.exit(main())
