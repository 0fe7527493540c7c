"""parbench on a real SLURM cluster: two simulated nodes (n1, n2) on this machine, started once for
this module by tests/slurm/cluster.sh (root; skipped, with the reason, where it cannot run).

Runs that span nodes record SLURM's node names, so a run on both n1 and n2 shows both even though
the two nodes share one host."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import slurm_cluster

from conftest import BIN, ROOT, parbench_command, run_parbench
from parbench import output
from parbench.verify import verify

MANDELBROT = ("--width", "256", "--height", "128", "--rows-per-task", "8")


@pytest.fixture(scope="module")
def slurm():
    """The running cluster; the environment jobs get (this venv first on PATH: jobs inherit it)."""
    started_here = slurm_cluster.start_or_skip()
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    try:
        yield env
    finally:
        slurm_cluster.idle_cluster()
        if started_here:
            slurm_cluster.stop()


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The serial result every run across nodes is checked against."""
    path = tmp_path_factory.mktemp("reference") / "serial.h5"
    run_parbench("run", "mandelbrot", "serial", *MANDELBROT, "--out", path)
    return path


def run_in_allocation(command: list[str], env, nodes=2, tasks=4, timeout=240) -> subprocess.CompletedProcess:
    """`salloc` a fresh allocation of `nodes` nodes and `tasks` tasks and run `command` in it."""
    allocate = ["salloc", f"--nodes={nodes}", f"--ntasks={tasks}", "--time=5", "--job-name=parbench-test"]
    done = subprocess.run(
        [*allocate, *command], capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT
    )
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"
    return done


def assert_spans_both_nodes(result, reference) -> dict:
    record = verify(result, reference)  # raises on any difference from the serial run
    hosts = json.loads(record["hosts"])  # HDF5 keeps the list as JSON text
    assert sorted(hosts) == ["n1", "n2"], hosts
    assert record["slurm"]["job_id"], record["slurm"]
    assert slurm_cluster.expand_nodes(record["slurm"]["nodelist"]) == ["n1", "n2"], record["slurm"]
    return record


def test_mpi_ranks_span_both_nodes(slurm, reference, tmp_path):
    result = tmp_path / "mpi.h5"
    # The profile's default MPI launcher: srun with PMI-2, which pip's MPICH speaks.
    command = ["srun", "--mpi=pmi2", "--nodes=2", "--ntasks=4"]
    run_in_allocation([*command, *parbench_command("run", "mandelbrot", "mpi", *MANDELBROT,
                                                   "--workers", "4", "--out", result)], slurm)  # fmt: skip
    record = assert_spans_both_nodes(result, reference)
    assert record["workers"] == 4


@pytest.mark.parametrize("framework, workers", [("dask", 4), ("spark", 2)])
def test_cluster_spans_both_nodes_and_is_torn_down(slurm, reference, tmp_path, framework, workers):
    """A Dask or Spark cluster started by parbench.launchers inside the allocation, one worker
    per task, spread over n1 and n2; nothing of it runs once the command has finished."""
    result = tmp_path / f"{framework}.h5"
    launcher = [sys.executable, "-m", "parbench.launchers", framework, "--workers", str(workers),
                "--scratch", str(tmp_path)]  # fmt: skip
    run = parbench_command("run", "mandelbrot", framework, *MANDELBROT, "--workers", workers, "--out", result)
    done = run_in_allocation([*launcher, "--", *run], slurm, tasks=workers)
    assert f"{framework} ready on n1,n2" in done.stderr
    record = assert_spans_both_nodes(result, reference)
    assert record["workers"] == workers
    worker_process = {"dask": "distributed.cli.dask_worker", "spark": "deploy.worker.Worker"}[framework]
    assert slurm_cluster.live_processes(worker_process) == []
    assert slurm_cluster.live_processes(str(tmp_path / f".parbench-{framework}")) == []
    assert not list(tmp_path.glob(f".parbench-{framework}-*")), "the launcher's scratch folder was left"


def test_launcher_outside_an_allocation_says_so(slurm, tmp_path):
    env = {k: v for k, v in slurm.items() if not k.startswith("SLURM_")}
    done = subprocess.run(
        [sys.executable, "-m", "parbench.launchers", "dask", "--workers", "2", "--", "true"],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert "not inside a SLURM allocation" in done.stderr


def test_job_killed_by_time_limit_is_reported_and_leaves_no_result(slurm, tmp_path):
    """SLURM kills a run at its time limit: sacct says TIMEOUT, and the result file is either
    absent or complete (parbench writes atomically), never a half-written HDF5."""
    result = tmp_path / "slow.h5"
    slow = parbench_command("run", "mandelbrot", "serial", "--kernel", "python", "--width", "4096",
                            "--height", "4096", "--maxiter", "2000", "--out", result)  # fmt: skip
    submitted = subprocess.run(
        ["sbatch", "--parsable", "--time=1", f"--output={tmp_path / 'slurm-%j.log'}", "--wrap",
         " ".join(slow)],
        capture_output=True, text=True, env=slurm, check=True, timeout=60,
    )  # fmt: skip
    job = submitted.stdout.strip().split(";")[0]
    state = slurm_cluster.wait_for(lambda: finished_state(job), f"end of job {job}", 150, every_s=2)
    assert state == "TIMEOUT", state
    assert not result.exists()
    with pytest.raises(Exception, match="no such file"):
        output.read_result(result, "RESULT")


def finished_state(job: str) -> str | None:
    done = subprocess.run(
        ["sacct", "-n", "-X", "-P", "-j", job, "-o", "State"], capture_output=True, text=True
    )
    state = done.stdout.strip().split(" ")[0]
    return state if state and state not in ("PENDING", "RUNNING", "REQUEUED", "COMPLETING") else None
