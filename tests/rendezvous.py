"""A task-farm problem for tests only: a task finishes once `needed` distinct workers have each
started one, so a variant passes only if that many of its workers really held a task at the same
time. A pool that quietly runs every task on one worker never gets there and times out, where a
check of "at least one worker worked" would pass.

Workers meet through files in a folder (one per worker, named `host:pid:thread`), which threads,
forked or spawned processes, Dask workers and Spark's Python workers on one host all see."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from parbench.context import worker_name
from parbench.contracts.problem import first_difference
from parbench.contracts.task_farm import TaskFarmProblem
from parbench.params import Param


class Rendezvous(TaskFarmProblem):
    name = "rendezvous"
    summary = "tasks that wait until N distinct workers hold one (tests only)"
    kernels = ("python",)
    default_kernel = "python"
    params = (
        Param("needed", int, 2, "distinct workers that must hold a task at once", minimum=1),
        Param("tasks", int, 4, "tasks", minimum=1),
        Param("folder", str, "", "where the workers sign in"),
        Param("timeout", float, 60.0, "seconds a task waits for the others"),
    )

    def tasks(self, p):
        return list(range(p["tasks"]))

    def partial_spec(self, task, p):
        return (1,), np.dtype(np.int64)

    def compute(self, task, p, kernel):
        folder = Path(p["folder"])
        (folder / worker_name()).touch()
        deadline = time.monotonic() + p["timeout"]
        while len(signed := sorted(path.name for path in folder.iterdir())) < p["needed"]:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"only {len(signed)} of {p['needed']} workers held a task at once: {signed}"
                )
            time.sleep(0.005)
        return np.array([task * task], dtype=np.int64)

    def combine(self, p, partials):
        return {"squares": np.concatenate(partials)}

    def compare(self, result, reference):
        return first_difference("squares", result["squares"], reference["squares"])


def job(folder: Path, needed: int, tasks: int, timeout: float = 60.0):
    params = {"needed": needed, "tasks": tasks, "folder": str(folder), "timeout": timeout, "seed": 0}
    return Rendezvous().job(params, "python")
