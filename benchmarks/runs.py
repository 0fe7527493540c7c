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


def parbench(*args) -> subprocess.CompletedProcess:
    """`parbench ARGS` from this interpreter's environment; a failure stops the benchmark."""
    return subprocess.run(
        [str(BIN / "parbench"), *map(str, args)], check=True, capture_output=True, text=True
    )


def run_point(problem, variant, kernel, workers, options, out: Path, reference: Path | None) -> dict:
    """Runs one point, writing `out`; verifies it against `reference` (None for the serial run
    itself); returns the run's timing record."""
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
        )
    else:
        parbench(*args, "--workers", workers)
    time.sleep(SETTLE_S.get(variant, 0.0))
    if reference is not None:
        parbench("verify", out, reference)
    return json.loads(log.read_text())


def add_repeats_option(parser) -> None:
    """`--repeats`: how many rounds `fastest_over_rounds` makes."""
    parser.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="rounds over all points; each point's fastest compute phase counts (default 3)",
    )


def fastest_over_rounds(points: dict, repeats: int) -> dict:
    """Runs every point (key: a function that runs it and returns its record) once per round for
    `repeats` rounds and keeps each point's run with the shortest compute phase. Noise on a shared
    machine only ever adds time, so the fastest run is the best estimate of what the code costs
    (the rule `timeit` follows); and rounds spread a point's repeats over the whole benchmark, so
    a slow spell of the machine (they last minutes) cannot fall on all of them. Points run in the
    order given: a reference must come before the points verified against it."""
    best: dict = {}
    for round_number in range(1, repeats + 1):
        for key, run in points.items():
            record = run()
            if key not in best or record["phases"]["compute"] < best[key]["phases"]["compute"]:
                best[key] = record
        print(f"round {round_number} of {repeats} done", file=sys.stderr, flush=True)
    return best
