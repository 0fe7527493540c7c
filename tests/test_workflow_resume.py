"""Interrupting a study with kill -9 (snakemake and every child) and running the same command
again finishes it: finished runs are reused, cut-off ones recomputed, nothing partial collected."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pandas as pd

from parbench.study import locks
from workflow_cases import command, environment, expected_run_count, output_of, snakemake


def wait_for(condition, timeout=180, every=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return False


def test_kill_9_then_rerun_finishes_the_study(tmp_path):
    workdir = tmp_path / "study"
    study = subprocess.Popen(
        command(workdir, "--cores", "2"),
        env=environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: kill -9 reaches snakemake and its jobs
    )
    runs = workdir / "results" / "runs"
    try:
        assert wait_for(lambda: len(list(runs.rglob("*.h5"))) >= 4), "the study never got going"
    finally:
        os.killpg(study.pid, signal.SIGKILL)
        study.wait(timeout=30)
    finished = {path: path.stat().st_mtime_ns for path in runs.rglob("*.h5")}
    assert locks.lock_files(workdir), "kill -9 should have left Snakemake's locks behind"
    assert not (workdir / "results" / "timings.csv").exists()

    done = snakemake(workdir, "--cores", "2")
    assert done.returncode == 0, output_of(done)[-5000:]
    assert "which was killed; resuming the study" in output_of(done)
    table = pd.read_csv(workdir / "results" / "runs.csv")
    assert len(table) == expected_run_count() and (table["status"] == "ok").all()
    reused = [path for path, mtime in finished.items() if path.stat().st_mtime_ns == mtime]
    assert reused, "runs finished before the kill should be reused, not recomputed"
    assert not list(runs.rglob(".*.h5.tmp.*")), "temporary files of killed runs were left behind"
