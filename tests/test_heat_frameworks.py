"""The heat dask (a real LocalCluster) and spark (a real JVM) variants: every kernel with 1, 2
and 3 workers against serial, with one and several steps per halo exchange, and resuming a
checkpoint. One cluster and one session serve the module."""

from __future__ import annotations

import os

import pytest

from conftest import dask_worker_pids, workers_that_worked
from heat_cases import (
    KERNELS,
    THIN_BLOCKS,
    WORKERS,
    References,
    assert_textbook,
    attrs,
    field,
    job,
    run,
    thin_block_case,
)
from parbench.heat.checkpoint import Checkpoint


@pytest.fixture(scope="module")
def heat_references(tmp_path_factory):
    return References(tmp_path_factory.mktemp("heat-references"))


# steps_per_exchange = workers: 5 steps in rounds of 1, of 2 (2, 2, 1), of 3 (3, 2)
@pytest.mark.parametrize("workers", WORKERS)
@pytest.mark.parametrize("kernel", KERNELS)
def test_dask_matches_serial(tmp_path, heat_references, dask_client, kernel, workers):
    out = run(tmp_path, "dask", kernel, workers, handles={"client": dask_client}, steps_per_exchange=workers)
    record = heat_references.check(out, kernel)
    assert record["framework"]["distributed"]
    # Workers that ran the stencil on a chunk; the scheduler places the chunks on the run's
    # workers, possibly two on one.
    worked = workers_that_worked(record)
    assert 1 <= len(worked) <= workers and set(worked.values()) <= dask_worker_pids(dask_client), worked


@pytest.mark.parametrize("workers", WORKERS)
@pytest.mark.parametrize("kernel", KERNELS)
def test_spark_matches_serial(tmp_path, heat_references, spark_session, kernel, workers):
    # Every Spark round is a job costing a second or more on a loaded 2-core machine: rounds
    # of 3 steps (3, 2); several rounds and resumed checkpoints are tested below.
    out = run(tmp_path, "spark", kernel, workers, handles={"session": spark_session}, steps_per_exchange=3)
    record = heat_references.check(out, kernel)
    assert record["framework"]["spark"].startswith("4.")
    # Each round is a Spark job whose tasks Spark's Python worker processes run; a round may get
    # fresh ones, so any number of them may be listed, but never this (the driver's) process.
    assert os.getpid() not in workers_that_worked(record).values()


@pytest.mark.parametrize("variant, handle", [("dask", "dask_client"), ("spark", "spark_session")])
def test_resume_and_checkpoint(tmp_path, heat_references, request, variant, handle):
    """Resumes a checkpoint at step 1, writes checkpoints every 2 steps, ends at serial's field."""
    handles = {"client" if variant == "dask" else "session": request.getfixturevalue(handle)}
    out = tmp_path / f"heat-{variant}-numpy-2.h5"
    Checkpoint(job(), out).write(1, field(heat_references("numpy", steps=1)))
    run(tmp_path, variant, "numpy", 2, handles=handles, checkpoint_every=2, steps_per_exchange=2)
    assert attrs(out, "summary")["resumed_from_step"] == 1
    heat_references.check(out, "numpy")


@pytest.mark.parametrize(("workers", "nx", "ny"), [THIN_BLOCKS["rows-of-1"], THIN_BLOCKS["rows-of-2"]])
@pytest.mark.parametrize("variant, handle", [("dask", "dask_client"), ("spark", "spark_session")])
def test_blocks_one_and_two_rows_thick(tmp_path, request, variant, handle, workers, nx, ny):
    """Dask's and Spark's row blocks one and two rows thick, from a field with no symmetry, against
    the textbook scheme (Spark: rounds of 2 steps, so a round's halo is as deep as a block)."""
    overrides, want = thin_block_case(tmp_path, nx, ny)
    handles = {"client" if variant == "dask" else "session": request.getfixturevalue(handle)}
    depth = 2 if variant == "spark" and nx > 5 else 1
    out = run(tmp_path, variant, "numpy", workers, handles=handles, steps_per_exchange=depth, **overrides)
    assert_textbook(field(out), want)
