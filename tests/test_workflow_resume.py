"""Interrupting a study with kill -9 (snakemake and every child) while a run computes, and running
the same command again, finishes it: finished runs are reused, the cut-off ones recomputed,
nothing partial collected."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import yaml

from parbench.planning import locks
from workflow_cases import FARM_AND_STENCIL, FARM_AND_STENCIL_RUNS, command, environment, output_of, snakemake


def wait_for(condition, timeout=180, every=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return False


def runs_in_progress(group: int) -> set[Path]:
    """The result files of the `parbench run`s now alive in process group `group` (their --out,
    from /proc: command line and working directory)."""
    outputs = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            argv = (stat.parent / "cmdline").read_bytes().decode().split("\0")
            cwd = os.readlink(stat.parent / "cwd")
        except (OSError, IndexError, UnicodeDecodeError):
            continue
        if fields[0] in ("Z", "X") or int(fields[2]) != group:
            continue
        if argv[1:4] == ["-m", "parbench", "run"] and "--out" in argv:
            outputs.add(Path(cwd) / argv[argv.index("--out") + 1])
    return outputs


def cut_off_mid_run(study: subprocess.Popen, runs: Path) -> set[Path]:
    """Waits until a few runs have finished and another is computing, freezes the whole study
    (SIGSTOP to its process group, so nothing finishes while it is looked at), and kills it with
    SIGKILL. Returns the results of the runs it cut off: alive, their result not yet written."""
    for _ in range(20):
        assert wait_for(lambda: len(list(runs.rglob("*.h5"))) >= 4 and runs_in_progress(study.pid)), (
            "the study never got going"
        )
        os.killpg(study.pid, signal.SIGSTOP)
        cut = {out for out in runs_in_progress(study.pid) if not out.exists()}
        if cut:
            os.killpg(study.pid, signal.SIGKILL)
            return cut
        os.killpg(study.pid, signal.SIGCONT)  # the run seen was just done: wait for the next
    raise AssertionError("never caught a run in the middle of its work")


def test_kill_9_then_rerun_finishes_the_study(tmp_path):
    workdir = tmp_path / "study"
    config = tmp_path / "farm-and-stencil.yaml"
    config.write_text(yaml.safe_dump(FARM_AND_STENCIL, sort_keys=False))
    study = subprocess.Popen(
        command(workdir, "--cores", "2", configfile=config),
        env=environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: kill -9 reaches snakemake and its jobs
    )
    runs = workdir / "results" / "runs"
    try:
        cut = cut_off_mid_run(study, runs)
    finally:
        os.killpg(study.pid, signal.SIGKILL)
        study.wait(timeout=30)
    finished = {path: path.stat().st_mtime_ns for path in runs.rglob("*.h5")}
    assert cut.isdisjoint(finished)
    assert locks.lock_files(workdir), "kill -9 should have left Snakemake's locks behind"
    assert not (workdir / "results" / "timings.csv").exists()

    done = snakemake(workdir, "--cores", "2", configfile=config)
    assert done.returncode == 0, output_of(done)[-5000:]
    assert "which was killed; resuming the study" in output_of(done)
    table = pd.read_csv(workdir / "results" / "runs.csv")
    assert len(table) == FARM_AND_STENCIL_RUNS and (table["status"] == "ok").all()
    reused = [path for path, mtime in finished.items() if path.stat().st_mtime_ns == mtime]
    assert reused, "runs finished before the kill should be reused, not recomputed"
    assert all(out.exists() for out in cut), "the runs cut off mid-run were computed again"
    assert not list(runs.rglob(".*.h5.tmp.*")), "temporary files of killed runs were left behind"
