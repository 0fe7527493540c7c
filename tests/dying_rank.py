"""A rank that dies mid-run, for real: a long 2-rank heat run, one rank killed with SIGKILL once
both are stepping (its first checkpoint is the sign), and the launcher must then end the others."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from conftest import parbench_command

# Steps enough to run for hours: the run only ends because a rank dies. Small grid: cheap steps.
HEAT = ("--nx", "64", "--ny", "48", "--steps", "100000000", "--checkpoint-every", "200")
RANK_VARIABLES = ("PMI_RANK", "SLURM_PROCID")


def heat_run(out: Path) -> list[str]:
    return parbench_command("run", "heat", "mpi", "--workers", "2", *HEAT, "--out", out)


def rank_processes(out: Path) -> dict[int, int]:
    """Live processes of the run writing `out`, by rank (from their environment)."""
    ranks = {}
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            argv = (proc / "cmdline").read_bytes().decode(errors="replace").split("\0")
            # The ranks' interpreter, not the launcher (mpiexec, srun) that has the same arguments.
            if not Path(argv[0]).name.startswith("python") or str(out) not in argv:
                continue
            if (proc / "stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                continue
            environ = dict(
                line.split("=", 1)
                for line in (proc / "environ").read_bytes().decode().split("\0")
                if "=" in line
            )
        except (OSError, ValueError):
            continue
        for name in RANK_VARIABLES:
            if environ.get(name, "").isdigit():
                ranks[int(environ[name])] = int(proc.name)
                break
    return ranks


def wait_until(condition, what: str, timeout: float = 300):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, f"no {what} after {timeout:.0f} s"
        time.sleep(0.2)
    return value


def kill_one_rank_once_stepping(out: Path, launcher) -> int:
    """Waits until both ranks run and the first checkpoint is written, SIGKILLs rank 1, returns
    its pid. `launcher` is the Popen that started the run (its early end fails the wait)."""
    checkpoint = out.with_name(f"{out.stem}.checkpoint{out.suffix}")

    def stepping():
        assert launcher.poll() is None, "the run ended before a rank was killed"
        ranks = rank_processes(out)
        return checkpoint.exists() and len(ranks) == 2 and ranks

    victim = wait_until(stepping, "2-rank heat run past its first checkpoint")[1]
    os.kill(victim, signal.SIGKILL)
    return victim
