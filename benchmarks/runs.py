"""What every benchmark script does for one point: a real `parbench run` (MPI under mpiexec),
timed inside the program, verified against the serial result, read back from the timing log."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
import time
from pathlib import Path

from parbench import stats

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


def in_turns(points: dict, repeats: int) -> dict[object, list[dict]]:
    """Every record of the points (key: a function that runs it and returns its record), run one
    after another, `repeats` rounds. For points divided by each other (a variant and the serial
    run its speed-up is over): each round within a minute or so, they meet the same machine; run
    minutes apart they meet whatever the host's other tenants did meanwhile (seen: serial 2.52 s
    at a benchmark's start, the same kernel 3.1-3.6 s for every one-worker variant later)."""
    runs: dict = {key: [] for key in points}
    for _ in range(repeats):
        for key, run in points.items():
            runs[key].append(run())
    return runs


def compute_times(records: list[dict]) -> list[float]:
    return [compute_seconds(record) for record in records]


MET, MISSED, UNDECIDED = "met", "MISSED", "UNDECIDED on this host"


def judge(what: str, measured: stats.Interval, target: float, at_least: bool = True) -> tuple[str, str]:
    """A target judged as parbench judges a reproduced figure (docs/statistics.md): met when the
    measured figure's whole 95 % interval is on the target's good side, missed when it is wholly
    on the bad side, undecided on this host when it straddles the target (or too few repeats gave
    no interval), with the repeats that might decide. Returns (verdict, the line to print)."""
    band = (target, math.inf) if at_least else (-math.inf, target)
    found = stats.against_band(measured, *band)
    verdict = {stats.REPRODUCED: MET, stats.NOT_REPRODUCED: MISSED}.get(found.verdict, UNDECIDED)
    interval = (
        f"[{measured.low:.2f}, {measured.high:.2f}]" if measured.known else f"(no interval: {measured.why})"
    )
    line = (
        f"{verdict}: {what} {measured.estimate:.2f} {interval} (target {'>=' if at_least else '<='} {target})"
    )
    if verdict == UNDECIDED and found.repeats_needed:
        line += f"; about {found.repeats_needed} repeats might decide it"
    return verdict, line


def verdict_counts(verdicts: list[str]) -> str:
    """`3 met, 1 MISSED, 0 UNDECIDED on this host`: the closing line of a benchmark."""
    return ", ".join(f"{verdicts.count(v)} {v}" for v in (MET, MISSED, UNDECIDED))


def with_interval(interval: stats.Interval, digits: int = 2) -> str:
    """`0.97 [0.93, 1.01]`, or `0.97 [-]` without an interval: for a table cell."""
    if not interval.known:
        return f"{interval.estimate:.{digits}f} [-]"
    return f"{interval.estimate:.{digits}f} [{interval.low:.{digits}f}, {interval.high:.{digits}f}]"


def add_repeats_option(parser, default: int = 5) -> None:
    """`--repeats`: how many times each point runs (five at least, for an interval)."""
    parser.add_argument(
        "--repeats",
        type=int,
        default=default,
        help=f"runs of each point; medians and their 95 %% intervals count (default {default}; "
        f"fewer than {stats.MIN_REPEATS} give no interval, and every target is undecided)",
    )


def repeats_in_a_row(points: dict, repeats: int) -> dict[object, list[dict]]:
    """Runs every point (key: a function that runs it and returns its record) `repeats` times in a
    row and returns all its records. The repeats follow each other because this project's VMs
    page out memory nobody touched for a minute (DAMON's `pageout` scheme, /sys/kernel/mm/damon):
    a point run once per round over the whole benchmark found its framework's library pages and
    its input gone each time and read them back from disk inside its timed phases (a group-by
    with a process pool measured 0.45 s right after a run and 0.74 s after 75 s idle). Points run
    in the order given: a reference must come before the points verified against it."""
    found: dict = {}
    for number, (key, run) in enumerate(points.items(), start=1):
        found[key] = [run() for _ in range(repeats)]
        print(f"point {number} of {len(points)} done", file=sys.stderr, flush=True)
    return found


def compute_seconds(record: dict) -> float:
    return record["phases"]["compute"]


def median_phase(records: list[dict], phase: str) -> float:
    return stats.median_interval([r["phases"][phase] for r in records]).estimate
