"""What every benchmark script does for one point: a real `parbench run` (MPI under mpiexec),
timed inside the program, verified against the serial result, read back from the timing log."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
# A Spark JVM or Dask workers go on exiting for seconds after the run returns; the next point
# would lose a core to them (seen: a serial run right after Spark measured 2x slow).
SETTLE_S = {"spark": 8.0, "dask": 3.0}


def parbench(*args, env: dict | None = None) -> subprocess.CompletedProcess:
    """`parbench ARGS` from this interpreter's environment; a failure stops the benchmark."""
    return subprocess.run(
        [str(BIN / "parbench"), *map(str, args)], check=True, capture_output=True, text=True, env=env
    )


def run_point(
    problem, variant, kernel, workers, options, out: Path, reference: Path | None, env: dict | None = None
) -> dict:
    """Runs one point, writing `out`; verifies it against `reference` (None for the serial run
    itself); returns the run's timing record. `env`: the run's environment (default: ours)."""
    log = out.with_suffix(".jsonl")
    log.unlink(missing_ok=True)
    args = [
        "run",
        problem,
        variant,
        "--kernel",
        kernel,
        "--out",
        out,
        "--timing-log",
        log,
        "--force",
        *options,
    ]
    if variant == "mpi":
        mpiexec = shutil.which("mpiexec", path=str(BIN)) or "mpiexec"
        subprocess.run(
            [mpiexec, "-n", str(workers), str(BIN / "parbench"), *map(str, args)],
            check=True,
            capture_output=True,
            text=True,
            env=env,
        )
    else:
        parbench(*args, "--workers", workers, env=env)
    time.sleep(SETTLE_S.get(variant, 0.0))
    if reference is not None:
        parbench("verify", out, reference)
    return json.loads(log.read_text())


def add_repeats_option(parser, default: int = 3) -> None:
    """`--repeats`: how many times `fastest_of_repeats` runs each point."""
    parser.add_argument(
        "--repeats",
        type=int,
        default=default,
        help=f"runs of each point in a row; its fastest compute phase counts (default {default})",
    )


def fastest_of_repeats(points: dict, repeats: int) -> dict:
    """Runs every point (key: a function that runs it and returns its record) `repeats` times in a
    row and keeps its run with the shortest compute phase. Noise on a shared machine only ever
    adds time, so the fastest run is the best estimate of what the code costs (the rule `timeit`
    follows). The repeats follow each other because this project's VMs page out memory nobody
    touched for a minute (DAMON's `pageout` scheme, /sys/kernel/mm/damon): a point run once per
    round over the whole benchmark found its framework's library pages and its input gone each
    time and read them back from disk inside its timed phases (a group-by with a process pool
    measured 0.45 s right after a run and 0.74 s after 75 s idle). Points run in the order given:
    a reference must come before the points verified against it."""
    best: dict = {}
    for number, (key, run) in enumerate(points.items(), start=1):
        best[key] = fastest(run, repeats)
        print(f"point {number} of {len(points)} done", file=sys.stderr, flush=True)
    return best


def fastest_in_turns(points: dict, repeats: int) -> dict:
    """Runs the points (key: a function that runs it and returns its record) one after another,
    `repeats` rounds, and keeps each point's run with the shortest compute phase. For points that
    are divided by each other (a variant and the serial run its speed-up is over): in turns, each
    round within a minute or so, they meet the same machine; run minutes apart they meet whatever
    the host's other tenants did meanwhile, and the ratio measures that drift (seen: serial's best
    2.52 s at a benchmark's start, the same kernel 3.1-3.6 s for every one-worker variant later)."""
    runs: dict = {key: [] for key in points}
    for _ in range(repeats):
        for key, run in points.items():
            runs[key].append(run())
    return {key: min(records, key=compute_seconds) for key, records in runs.items()}


def compute_seconds(record: dict) -> float:
    return record["phases"]["compute"]


def fastest(run, repeats: int, seconds=compute_seconds) -> dict:
    """Calls `run` `repeats` times in a row and returns the record with the fewest `seconds`."""
    return min((run() for _ in range(repeats)), key=seconds)
