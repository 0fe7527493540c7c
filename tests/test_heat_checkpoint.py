"""Checkpoint and restart: a run killed with SIGKILL mid-way (serial, and mpi under a real
mpiexec) and started again resumes from its last checkpoint and gives the same field as a run
that was never interrupted. Every other variant resumes a checkpoint too."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import numpy as np
import pytest

from conftest import MPIEXEC, parbench_command, run_in_process, run_mpi, run_parbench
from heat_cases import References, attrs, field, job, run
from parbench.heat.checkpoint import Checkpoint, path_for

# Long enough (a few seconds) that the kill lands between the first checkpoint and the end.
LONG = ["--nx", "160", "--ny", "160", "--steps", "6000", "--checkpoint-every", "500"]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    out = tmp_path_factory.mktemp("uninterrupted") / "heat.h5"
    run_parbench("run", "heat", "serial", "--out", out, *LONG[:-2])
    return out


def kill_after_first_checkpoint(command: list[str], out) -> None:
    """Starts the run in its own process group, waits for its first checkpoint, and kills the
    whole group (mpiexec and its ranks) with SIGKILL."""
    checkpoint = path_for(out)
    process = subprocess.Popen(
        command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 120
        while not checkpoint.exists():
            assert process.poll() is None, (
                f"the run ended before its first checkpoint: {process.stderr.read()}"
            )
            assert time.monotonic() < deadline, "no checkpoint after 120 s"
            time.sleep(0.01)
        assert process.poll() is None, "the run finished before it could be killed: make LONG longer"
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    assert not out.exists()


def test_serial_resumes_after_sigkill(tmp_path, uninterrupted):
    out = tmp_path / "heat.h5"
    command = ["run", "heat", "serial", "--out", out, *LONG]
    kill_after_first_checkpoint(parbench_command(*command), out)
    run_parbench(*command)
    resumed = attrs(out, "summary")["resumed_from_step"]
    assert resumed > 0 and resumed % 500 == 0
    assert np.array_equal(field(out), field(uninterrupted))
    assert not path_for(out).exists()  # a finished run removes its checkpoint


def test_mpi_resumes_after_sigkill(tmp_path, uninterrupted):
    out = tmp_path / "heat.h5"
    command = ["run", "heat", "mpi", "--out", out, *LONG]
    kill_after_first_checkpoint([MPIEXEC, "-n", "2", *parbench_command(*command)], out)
    run_mpi(2, *command)
    resumed = attrs(out, "summary")["resumed_from_step"]
    assert resumed > 0 and resumed % 500 == 0
    assert np.array_equal(field(out), field(uninterrupted))


@pytest.fixture(scope="module")
def heat_references(tmp_path_factory):
    return References(tmp_path_factory.mktemp("heat-references"))


def plant_checkpoint(tmp_path, heat_references, out, step: int) -> None:
    """A real checkpoint at `step`, as a killed run would have left it."""
    early = heat_references("numpy", steps=step)
    Checkpoint(job(), out).write(step, field(early))


@pytest.mark.parametrize(
    "variant", ["serial", "threads", "processes", "futures-threads", "futures-processes"]
)
def test_every_local_variant_resumes(tmp_path, heat_references, variant):
    workers = 1 if variant == "serial" else 2
    out = tmp_path / f"heat-{variant}-numpy-{workers}.h5"
    plant_checkpoint(tmp_path, heat_references, out, 2)
    run(tmp_path, variant, "numpy", workers)
    assert attrs(out, "summary")["resumed_from_step"] == 2
    heat_references.check(out, "numpy")
    assert not path_for(out).exists()


@pytest.mark.parametrize("variant", ["serial", "threads", "processes", "futures-processes"])
def test_checkpointing_does_not_change_the_result(tmp_path, heat_references, variant):
    out = run(tmp_path, variant, "numba", 1 if variant == "serial" else 3, checkpoint_every=2)
    heat_references.check(out, "numba")


def test_checkpoint_for_other_parameters_is_refused(tmp_path, heat_references, capsys):
    out = tmp_path / "heat.h5"
    plant_checkpoint(tmp_path, heat_references, out, 2)
    code = run_in_process("run", "heat", "serial", "--out", out, "--nx", 23, "--ny", 19, "--alpha", 0.25)
    error = capsys.readouterr().err
    assert code == 2 and "--out" in error and "alpha" in error and error.count("\n") == 1
    assert not out.exists()
