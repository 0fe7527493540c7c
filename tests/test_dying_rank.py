"""A rank that dies ends the whole run, locally: MPICH's mpiexec (Hydra, the workflow's local
MPI launcher) ends every other rank at once and says why. tests/test_slurm.py checks the same for
the SLURM profile's srun."""

from __future__ import annotations

import subprocess

from dying_rank import heat_run, kill_one_rank_once_stepping, rank_processes

from conftest import MPIEXEC


def test_a_killed_rank_ends_the_mpiexec_run_with_the_reason(tmp_path):
    out = tmp_path / "heat.h5"
    run = subprocess.Popen(
        [MPIEXEC, "-n", "2", *heat_run(out)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        victim = kill_one_rank_once_stepping(out, run)
        log, _ = run.communicate(timeout=120)  # generous: ending is at once, the machine is shared
    finally:
        run.kill()
    assert run.returncode != 0
    assert "BAD TERMINATION OF ONE OF YOUR APPLICATION PROCESSES" in log, log
    assert f"PID {victim} RUNNING AT" in log and "Killed (signal 9)" in log, log
    assert rank_processes(out) == {}, "the surviving rank runs on"
    assert not out.exists()
