"""How the local pools behave around a failing task and around their start-up, seen from outside:
which error a run raises, which tasks still run after a failure, whether the run returns only
once its workers have stopped, whether the workers are up before any task is handed out, and
whether each idle worker gets its own batch."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import rendezvous
from parbench.context import RunContext, worker_name
from parbench.contracts.problem import first_difference
from parbench.contracts.task_farm import Job, TaskFarmProblem
from parbench.farm.variants import futures_threads, processes, threads
from parbench.params import Param


class Scripted(TaskFarmProblem):
    """Tests only: task i sleeps `delay[i]` seconds, then either raises ValueError(`fails[i]`) or
    leaves a file named i in `folder` (so a test sees which tasks ran, and when)."""

    name = "scripted"
    summary = "tasks that sleep, then fail or sign in (tests only)"
    kernels = ("python",)
    default_kernel = "python"
    params = (Param("tasks", int, 1, "tasks", minimum=1), Param("folder", str, "", "where tasks sign in"))

    def __init__(self, delay=None, fails=None, before_failing=None):
        self.delay, self.fails = delay or {}, fails or {}
        self.before_failing = before_failing or {}

    def tasks(self, p):
        return list(range(p["tasks"]))

    def partial_spec(self, task, p):
        return (1,), np.dtype(np.int64)

    def compute(self, task, p, kernel):
        time.sleep(self.delay.get(task, 0.0))
        if task in self.fails:
            self.before_failing.get(task, lambda: None)()
            raise ValueError(self.fails[task])
        (Path(p["folder"]) / str(task)).touch()
        return np.array([task], dtype=np.int64)

    def combine(self, p, partials):
        return {"tasks": np.concatenate(partials)}

    def compare(self, result, reference):
        return first_difference("tasks", result["tasks"], reference["tasks"])


def ran(folder: Path) -> set[int]:
    return {int(path.name) for path in folder.iterdir() if path.name.isdigit()}


def test_threads_raise_the_first_failure_of_several(tmp_path):
    """Two threads' tasks both fail, task 0 well before task 1 (task 1 waits until task 0 is
    about to raise, then 0.3 s more): the run raises task 0's error. Catches a variant that
    re-raises another failure than the first (or none: then the run ends in a count of missing
    results), or lets a thread's error escape unrecorded."""
    about_to_fail = threading.Event()
    problem = Scripted(fails={0: "first failure", 1: "second failure"}, before_failing={0: about_to_fail.set})
    problem.compute = _waiting_for(about_to_fail, problem.compute)
    job = problem.job({"tasks": 2, "folder": str(tmp_path), "seed": 0}, "python")
    with pytest.raises(ValueError, match="^first failure$"):
        threads.run(job, RunContext(workers=2, out=tmp_path / "out.h5"))


def _waiting_for(event, compute):
    def waiting(task, p, kernel):
        if task == 1:
            assert event.wait(30)
            time.sleep(0.3)
        return compute(task, p, kernel)

    return waiting


def test_futures_pool_after_a_failure_starts_no_more_batches_and_returns_once_workers_stop(tmp_path):
    """16 tasks of 0.2 s for 2 workers come in guided batches [0-3] [4-6] [7 8] [9] ... [15]; task 0
    fails after 0.1 s, while the other worker is inside a batch. Then (1) the run returns only
    once that batch is done: no task finishes after the run has raised (a pool shut down without
    waiting leaves it running behind the caller's back), and (2) the batches not yet started never
    start: the last task never runs (a pool shut down without cancelling runs all of them)."""
    problem = Scripted(delay={t: 0.2 for t in range(1, 16)} | {0: 0.1}, fails={0: "task 0 failed"})
    job = problem.job({"tasks": 16, "folder": str(tmp_path), "seed": 0}, "python")
    with pytest.raises(ValueError, match="task 0 failed"):
        futures_threads.run(job, RunContext(workers=2, out=tmp_path / "out.h5"))
    when_raised = ran(tmp_path)
    time.sleep(1.0)  # longer than any one batch still takes
    assert ran(tmp_path) == when_raised
    assert 15 not in when_raised
    assert len(when_raised) < 15


@dataclass(frozen=True)
class SigningJob(Job):
    """A job whose warm-ups with an argument (the pool's start-up map: one call a worker) leave a
    file up-<i>, and which notes the files there are when the tasks are first asked for."""

    folder: Path = Path()
    seen: list = None

    def warm_up(self, *args):
        if args:
            (self.folder / f"up-{args[0]}").touch()
        return super().warm_up()

    def tasks(self):
        self.seen.append(sorted(path.name for path in self.folder.glob("up-*")))
        return super().tasks()


def test_processes_pool_has_its_workers_up_before_handing_out_tasks(tmp_path):
    """The start-up phase waits until the workers have warmed up (one warm-up call each, through
    the pool): by the time the tasks are asked for, both calls are done. Catches a start-up that
    does not wait (its map handed no work), leaving the workers' start to be timed as compute."""
    folder = tmp_path / "signed"
    folder.mkdir()
    problem = Scripted()
    job = SigningJob(problem, {"tasks": 3, "folder": str(folder), "seed": 0}, "python", folder, [])
    result = processes.run(job, RunContext(workers=2, out=tmp_path / "out.h5"))
    assert job.seen[0] == ["up-0", "up-1"]
    assert result["tasks"].tolist() == [0, 1, 2]


@pytest.mark.parametrize("workers", [2, 3])
def test_processes_pool_gives_each_idle_worker_its_own_batch(tmp_path, workers):
    """As many rendezvous tasks as workers come in as many single-task batches, and each task only
    finishes once every worker holds one: so each idle worker must get the next batch by itself.
    Catches a pool that hands out batches two at a time (one worker would hold two batches, wait
    in the first for a worker that has none, and time out)."""
    (tmp_path / "in").mkdir()
    job = rendezvous.job(tmp_path / "in", needed=workers, tasks=workers, timeout=10)
    result = processes.run(job, RunContext(workers=workers, out=tmp_path / "out.h5"))
    assert result["squares"].tolist() == [t * t for t in range(workers)]


@dataclass(frozen=True)
class MeetingJob(Job):
    """A job whose start-up warm-ups (the calls with an argument) each wait until `needed` distinct
    workers have made one, so they only all return if every worker got one of them."""

    folder: Path = Path()
    needed: int = 2

    def warm_up(self, *args):
        if args:
            (self.folder / worker_name()).touch()
            deadline = time.monotonic() + 10
            while len(list(self.folder.iterdir())) < self.needed:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"start-up reached {len(list(self.folder.iterdir()))} workers")
                time.sleep(0.005)
        return super().warm_up()


def test_processes_pool_start_up_reaches_every_worker(tmp_path):
    """The start-up map hands its calls out one at a time, so each worker gets one and is up before
    the timed phases. Catches a start-up map in chunks of two: one worker takes both calls (and
    here waits in vain for the other), while the other worker's start goes unwaited for."""
    (tmp_path / "met").mkdir()
    job = MeetingJob(Scripted(), {"tasks": 2, "folder": str(tmp_path), "seed": 0}, "python", tmp_path / "met")
    result = processes.run(job, RunContext(workers=2, out=tmp_path / "out.h5"))
    assert result["tasks"].tolist() == [0, 1]
    assert len(list((tmp_path / "met").iterdir())) == 2
