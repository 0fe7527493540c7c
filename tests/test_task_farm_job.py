"""The task-farm job every variant runs (parbench.contracts.task_farm.Job): a task's timing is its
own compute time, the bytes the workers send back are the partials' sizes, and an incomplete or
duplicated set of results is refused instead of combined."""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import pytest

import rendezvous
from farm_cases import params
from parbench import registry
from parbench.context import RunContext


def test_a_task_is_timed_by_its_own_compute_time(tmp_path):
    job = rendezvous.job(tmp_path, needed=1, tasks=1)
    before = time.time()
    done = job.run_task((0, 0))
    after = time.time()
    assert 0 < done.seconds < 1.0 and before <= done.started <= done.ended <= after
    assert done.seconds <= done.ended - done.started + 1e-3


def test_the_workers_send_back_the_partials_bytes():
    """37 x 29 Mandelbrot counts of 4 bytes; one 8-byte count per pi chunk (6 chunks)."""
    mandelbrot, pi = registry.problem("mandelbrot"), registry.problem("pi")
    assert mandelbrot.job(params("mandelbrot"), "numpy").result_bytes() == 37 * 29 * 4
    assert pi.job(params("pi"), "numpy").result_bytes() == 6 * 8


@pytest.mark.parametrize("indices", [[0, 1], [0, 1, 2, 3], [0, 0, 1], [1, 2, 3]])
def test_missing_extra_or_repeated_results_are_refused(tmp_path, indices):
    job = rendezvous.job(tmp_path, needed=1, tasks=3)
    done = [replace(job.run_task((i % 3, i % 3)), index=i) for i in indices]
    with pytest.raises(RuntimeError, match=f"{len(indices)} task results came back for 3 tasks"):
        job.finish(done, RunContext(workers=1))


def test_results_combine_in_task_order_whatever_order_they_arrive(tmp_path):
    job = rendezvous.job(tmp_path, needed=1, tasks=4)
    done = [job.run_task((i, i)) for i in (2, 0, 3, 1)]
    ctx = RunContext(workers=1)
    assert (job.finish(done, ctx)["squares"] == np.array([0, 1, 4, 9])).all()
    assert list(ctx.busy.values()) == [pytest.approx(sum(d.seconds for d in done))]
