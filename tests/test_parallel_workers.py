"""Proof that N workers really compute at the same time, for every pool-based variant, Dask and
Spark: each runs the rendezvous problem (tests/rendezvous.py), whose tasks only finish once N
distinct workers hold one. A variant that runs everything on fewer workers than asked times out
instead of passing as "at least one worker worked"."""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pytest

import rendezvous
from parbench.context import RunContext

POOLS = ("threads", "processes", "futures-threads", "futures-processes")
WORKERS = (2, 3)  # 3 on 2 cores: a pool must still start every worker it is asked for


def run(variant: str, tmp_path: Path, workers: int, **handles) -> tuple[dict, RunContext]:
    folder = tmp_path / "signed-in"
    folder.mkdir()
    module = importlib.import_module(f"parbench.farm.variants.{variant.replace('-', '_')}")
    ctx = RunContext(workers=workers, out=tmp_path / "out.h5")
    result = module.run(rendezvous.job(folder, needed=workers, tasks=2 * workers, timeout=30), ctx, **handles)
    assert len(list(folder.iterdir())) == workers, sorted(p.name for p in folder.iterdir())
    assert (result["squares"] == np.arange(2 * workers) ** 2).all()
    return result, ctx


@pytest.mark.parametrize("workers", WORKERS)
@pytest.mark.parametrize("variant", POOLS)
def test_pool_workers_compute_at_once(tmp_path, variant, workers):
    _, ctx = run(variant, tmp_path, workers)
    assert len(ctx.busy) == workers


@pytest.mark.parametrize("workers", WORKERS)
def test_dask_workers_compute_at_once(tmp_path, dask_client, workers):
    dask_client.upload_file(rendezvous.__file__)  # the problem's code, on every worker
    _, ctx = run("dask", tmp_path, workers, client=dask_client)
    assert len(ctx.busy) == workers


@pytest.mark.parametrize("workers", WORKERS)
def test_spark_workers_compute_at_once(tmp_path, spark_session, workers):
    spark_session.sparkContext.addPyFile(rendezvous.__file__)
    _, ctx = run("spark", tmp_path, workers, session=spark_session)
    assert len(ctx.busy) == workers


def test_a_lone_worker_times_out(tmp_path):
    """The rendezvous itself: one worker waiting for two gives up, naming who signed in."""
    (tmp_path / "f").mkdir()
    job = rendezvous.job(tmp_path / "f", needed=2, tasks=1, timeout=0.2)
    with pytest.raises(TimeoutError, match="only 1 of 2 workers"):
        job.run_task((0, 0))


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("variant", POOLS)
def test_a_failing_task_raises_its_own_error(tmp_path, variant, workers):
    """A task that fails (here: waits in vain for one worker more than there are) fails the run
    with its own error and message, not a count of missing results or a hang."""
    (tmp_path / "in").mkdir()
    module = importlib.import_module(f"parbench.farm.variants.{variant.replace('-', '_')}")
    job = rendezvous.job(tmp_path / "in", needed=workers + 1, tasks=1, timeout=0.2)
    with pytest.raises(TimeoutError, match=f"only 1 of {workers + 1} workers held a task at once"):
        module.run(job, RunContext(workers=workers, out=tmp_path / "out.h5"))
