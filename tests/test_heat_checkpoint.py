"""Checkpoint and restart: a run killed with SIGKILL right after its first checkpoint (serial,
and mpi under a real mpiexec) and started again resumes from that checkpoint and gives the same
field as a run that was never interrupted. Every other variant resumes a checkpoint too."""

from __future__ import annotations

import os
import signal
import subprocess

import numpy as np
import pytest

from conftest import MPIEXEC, STOPPED, parbench_stopping, run_in_process, run_mpi, run_parbench
from heat_cases import References, attrs, field, job, run
from parbench.heat.checkpoint import Checkpoint, path_for

LONG = ["--nx", "160", "--ny", "160", "--steps", "2000", "--checkpoint-every", "500"]
FIRST_CHECKPOINT = 500


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    out = tmp_path_factory.mktemp("uninterrupted") / "heat.h5"
    run_parbench("run", "heat", "serial", "--out", out, *LONG[:-2])
    return out


def kill_after_first_checkpoint(launcher: list[str], command: list[str], out) -> None:
    """Starts the run in its own process group, stopped as soon as its first checkpoint is in
    place (conftest.parbench_stopping after Checkpoint.commit), and kills the whole group
    (mpiexec and its ranks) with SIGKILL there: between the first checkpoint and the end, on any
    machine."""
    stopping = parbench_stopping("parbench.heat.checkpoint:Checkpoint.commit", "after", *command)
    process = subprocess.Popen(
        [*launcher, *stopping],
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        assert line == STOPPED, f"the run ended before its first checkpoint: {line}{process.stderr.read()}"
        assert path_for(out).exists()
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    assert not out.exists()


def test_serial_resumes_after_sigkill(tmp_path, uninterrupted):
    out = tmp_path / "heat.h5"
    command = ["run", "heat", "serial", "--out", out, *LONG]
    kill_after_first_checkpoint([], command, out)
    run_parbench(*command)
    assert attrs(out, "summary")["resumed_from_step"] == FIRST_CHECKPOINT
    assert np.array_equal(field(out), field(uninterrupted))
    assert not path_for(out).exists()  # a finished run removes its checkpoint


def test_mpi_resumes_after_sigkill(tmp_path, uninterrupted):
    out = tmp_path / "heat.h5"
    command = ["run", "heat", "mpi", "--out", out, *LONG]
    kill_after_first_checkpoint([MPIEXEC, "-n", "2"], command, out)
    run_mpi(2, *command)
    assert attrs(out, "summary")["resumed_from_step"] == FIRST_CHECKPOINT
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
