"""The heat dask (a real LocalCluster) and spark (a real JVM) variants: every kernel with 1, 2
and 3 workers against serial, with one and several steps per halo exchange, and resuming a
checkpoint. One cluster and one session serve the module."""

from __future__ import annotations

import importlib
import os

import numpy as np
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
def test_resume_and_checkpoint(tmp_path, heat_references, request, monkeypatch, variant, handle):
    """Resumes a checkpoint at step 1, writes checkpoints at steps 2 and 4 (every 2 steps, never at
    the end), each holding serial's field of its step, and ends at serial's field of step 5."""
    handles = {"client" if variant == "dask" else "session": request.getfixturevalue(handle)}
    out = tmp_path / f"heat-{variant}-numpy-2.h5"
    Checkpoint(job(), out).write(1, field(heat_references("numpy", steps=1)))
    written = {}
    write = Checkpoint.write

    def record_and_write(checkpoint, step, whole):
        written[step] = np.array(whole)
        write(checkpoint, step, whole)

    monkeypatch.setattr(Checkpoint, "write", record_and_write)
    run(tmp_path, variant, "numpy", 2, handles=handles, checkpoint_every=2, steps_per_exchange=2)
    assert attrs(out, "summary")["resumed_from_step"] == 1
    heat_references.check(out, "numpy")
    assert sorted(written) == [2, 4], sorted(written)
    for step, whole in written.items():
        assert (whole == field(heat_references("numpy", steps=step))).all(), step


@pytest.mark.parametrize("variant, handle", [("dask", "dask_client"), ("spark", "spark_session")])
def test_a_run_resumed_at_its_last_step_ends_with_the_checkpoints_field(
    tmp_path, heat_references, request, variant, handle
):
    """A checkpoint at the run's last step (left by a longer run) leaves no step to compute: the
    result is the checkpoint's field, gathered from the blocks as read."""
    handles = {"client" if variant == "dask" else "session": request.getfixturevalue(handle)}
    out = tmp_path / f"heat-{variant}-numpy-2.h5"
    Checkpoint(job(steps=4), out).write(4, field(heat_references("numpy", steps=4)))
    run(tmp_path, variant, "numpy", 2, handles=handles, steps=4)
    assert attrs(out, "summary")["resumed_from_step"] == 4
    heat_references.check(out, "numpy", steps=4)


@pytest.mark.parametrize("variant, handle", [("dask", "dask_client"), ("spark", "spark_session")])
def test_the_loops_time_is_the_kernels_then_communication(
    tmp_path, heat_references, request, variant, handle
):
    """After the loop, `compute` holds the busiest worker's kernel seconds and the rest of the
    loop's wall time is `communicate` (heat.job.charge_loop): a loop clock read the wrong way
    (divided, added, multiplied, started at -1 or +1 s) or kernel seconds counted wrongly (a tally
    that starts at a second) show as a compute phase that is not the kernel's, as a phase below
    zero, or as more kernel seconds than five steps of a small grid take."""
    handles = {"client" if variant == "dask" else "session": request.getfixturevalue(handle)}
    out = run(tmp_path, variant, "numpy", 2, handles=handles, steps_per_exchange=1)
    record = heat_references.check(out, "numpy")
    phases, busy = record["phases"], record["worker_busy"]
    assert busy and all(seconds >= 0 for seconds in phases.values()), phases
    kernel = max(busy.values())
    assert kernel <= phases["compute"] <= kernel + 0.05, (phases, busy)
    # Five steps of a 23 x 19 grid are microseconds of kernel: a second added to a worker's
    # tally anywhere shows here, although the split above would follow it.
    assert kernel < 0.5, busy
    assert phases["communicate"] > 0, phases


def test_dask_counts_only_this_runs_kernel_seconds(tmp_path, heat_references, dask_client):
    """Each worker's kernel seconds start from none at the run's start: seconds a worker kept from
    an earlier run (here 1000, planted in every worker) are not this run's busy time."""
    dask_client.run(
        lambda: importlib.import_module("parbench.heat.variants.dask")._kernel_seconds.update(total=1000.0)
    )
    record = heat_references.check(
        run(tmp_path, "dask", "numpy", 2, handles={"client": dask_client}), "numpy"
    )
    assert 0 < max(record["worker_busy"].values()) < 1000, record["worker_busy"]


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


def test_dask_lists_only_the_workers_that_ran_the_kernel():
    """A chosen worker that held no chunk (the scheduler may give one worker two) replies with no
    kernel seconds and is not listed as busy."""
    from parbench.heat.variants.dask import busy_workers

    assert busy_workers([("a:1:1", 0.5), ("b:2:1", 0.0), ("c:3:1", 1e-9)]) == {"a:1:1": 0.5, "c:3:1": 1e-9}


def test_spark_cuts_the_lineage_every_few_rounds_and_leaves_nothing_cached(
    tmp_path, heat_references, spark_session, monkeypatch
):
    """Each round's RDD is built on the one before; every LINEAGE_ROUNDS-th round cuts that
    lineage (localCheckpoint), and each round unpersists the one before, so that the session
    neither replans a lineage growing with the steps nor keeps every round's blocks cached. With
    the cut every 3 rounds, 7 rounds (0 to 6) are cut at rounds 2 and 5, and the session holds the
    same cached RDDs after the run as before it."""
    from pyspark import RDD

    from parbench.heat.variants import spark

    rounds, cuts = [], []  # ids of each round's RDD (cached once per round) and of those cut
    cache, cut = RDD.cache, RDD.localCheckpoint
    monkeypatch.setattr(spark, "LINEAGE_ROUNDS", 3)
    monkeypatch.setattr(RDD, "cache", lambda rdd: rounds.append(rdd.id()) or cache(rdd))
    monkeypatch.setattr(RDD, "localCheckpoint", lambda rdd: cuts.append(rdd.id()) or cut(rdd))
    cached = set(spark_session.sparkContext._jsc.getPersistentRDDs().keySet())
    out = run(
        tmp_path, "spark", "numpy", 2, handles={"session": spark_session}, steps=7, steps_per_exchange=1
    )
    heat_references.check(out, "numpy", steps=7)
    assert len(rounds) == 7 and [rounds.index(rdd) for rdd in cuts] == [2, 5], (rounds, cuts)
    assert set(spark_session.sparkContext._jsc.getPersistentRDDs().keySet()) == cached
