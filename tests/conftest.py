"""Shared test helpers: run the CLI, launch real MPI ranks, share one Dask cluster and one Spark
session per test module (starting them is the slow part on 2 cores), and `unavailable()`, the one
way a test says a real part it needs (the SLURM cluster, a browser, a second user) is missing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from parbench.cli import main

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
MPIEXEC = shutil.which("mpiexec", path=str(BIN)) or shutil.which("mpiexec")
REQUIRE_ALL = "PARBENCH_REQUIRE_ALL"


def unavailable(reason: str) -> None:
    """A real part this test needs cannot be had here. With PARBENCH_REQUIRE_ALL=1 (CI: .ci/run)
    that fails the test with `reason`, so CI cannot go green without it; otherwise (a developer
    without root, say) it skips the test with `reason`."""
    if os.environ.get(REQUIRE_ALL) == "1":
        pytest.fail(f"{reason} ({REQUIRE_ALL}=1: every real part is required)", pytrace=False)
    pytest.skip(reason)


def parbench_command(*args: str) -> list[str]:
    return [str(BIN / "parbench"), *map(str, args)]


# parbench with one function wrapped: when it is called (`before`) or has returned (`after`), with
# `only` among its arguments if given, the process prints STOPPED and waits to be killed.
STOP_AT = """
import importlib, sys, time
target, when, only, *args = sys.argv[1:]
module, _, attribute = target.partition(":")
*owners, name = attribute.split(".")
owner = importlib.import_module(module)
for part in owners:
    owner = getattr(owner, part)
original = getattr(owner, name)


def wait_to_be_killed():
    print("STOPPED", flush=True)
    time.sleep(600)


def stopping(*positional, **keywords):
    chosen = not only or only in map(str, positional)
    if chosen and when == "before":
        wait_to_be_killed()
    result = original(*positional, **keywords)
    if chosen and when == "after":
        wait_to_be_killed()
    return result


setattr(owner, name, stopping)
from parbench.cli import main
sys.exit(main(args))
"""
STOPPED = "STOPPED\n"


def parbench_stopping(target: str, when: str, *args, only: str = "") -> list[str]:
    """`parbench ARGS` that stops, printing STOPPED, when `target` ("module:Class.method") is
    called (`when="before"`) or has returned (`"after"`): a test reads that line and then kills
    the process at a known point of its work, however fast or slow the machine."""
    assert when in ("before", "after")
    return [sys.executable, "-c", STOP_AT, target, when, only, *map(str, args)]


def run_parbench(*args, check=True, timeout=300) -> subprocess.CompletedProcess:
    """`parbench ARGS` in a child process, as a user would run it."""
    done = subprocess.run(parbench_command(*args), capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise AssertionError(f"parbench {' '.join(map(str, args))} failed:\n{done.stdout}\n{done.stderr}")
    return done


def run_mpi(ranks: int, *args, check=True, timeout=300) -> subprocess.CompletedProcess:
    """`mpiexec -n RANKS parbench ARGS`: real ranks through a real launcher."""
    assert MPIEXEC, "mpiexec not found (pip's mpich wheel provides it)"
    command = [MPIEXEC, "-n", str(ranks), *parbench_command(*args)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return done


def workers_that_worked(record: dict) -> dict[str, int]:
    """The workers a run's record lists, by `host:pid:thread` name, as worker -> pid. A record lists
    only workers that did work (docs/formats.md), so each must have spent time in the kernel."""
    busy = record["worker_busy"]
    assert busy, "no worker did any work"
    assert all(seconds > 0 for seconds in busy.values()), busy
    return {name: int(name.split(":")[-2]) for name in busy}


def dask_worker_pids(client) -> set[int]:
    """Process ids of the Dask cluster's workers, each reported by the worker itself."""
    return set(client.run(os.getpid).values())


def run_in_process(*args) -> int:
    """`parbench ARGS` in this process (fast: no interpreter start-up)."""
    return main([str(a) for a in args])


@pytest.fixture(scope="module")
def dask_client():
    """One real LocalCluster of 3 single-threaded worker processes per test module, set up as a
    run's own (TLS and all); runs pick as many of its workers as they ask for."""
    import distributed  # a hard dependency: a broken install must fail, not skip

    from parbench.frameworks import dask_client

    cluster = dask_client.local_cluster(3)
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.fixture(scope="module")
def spark_session():
    """One real Spark JVM (local[3]) per test module."""
    from parbench.frameworks import spark_session as spark

    session = spark.builder("local[3]", 3).getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture
def clean_env(monkeypatch):
    """No MPI launcher or SLURM variables from the surrounding shell."""
    for name in list(os.environ):
        if name.startswith(("PMI_", "PMIX_", "OMPI_", "SLURM_")):
            monkeypatch.delenv(name)
    return monkeypatch


@pytest.fixture(scope="session")
def references(tmp_path_factory):
    """Serial reference results of the task-farm problems, shared by every variant test."""
    from farm_cases import References

    return References(tmp_path_factory.mktemp("references"))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    import slurm_cluster

    slurm_cluster.first_start_gets_more_time(items)
    # The real-SLURM file first: it is the longest (pyproject.toml's addopts run files in two
    # processes), so the other process works through everything else meanwhile.
    items.sort(key=lambda item: item.path.name != "test_slurm.py")
