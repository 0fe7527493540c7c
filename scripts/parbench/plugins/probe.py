"""The checks a plug-in's task farm gets with real parameters, before any run: its tasks are a
list that pickles (processes, MPI, Dask and Spark send them), its first task's result is a number
or an array of numbers, and, when it declares an exact answer, the same twice over."""

from __future__ import annotations

import pickle
import pickletools
from pathlib import Path

import numpy as np

from parbench import registry
from parbench.contracts.plugin_import import failure_text, is_file, module_name_of_file
from parbench.contracts.task_farm import TaskFarmProblem
from parbench.errors import UsageError, a_kind_of


def probe(problem: TaskFarmProblem, params: dict, kernel: str, compute: bool = True) -> None:
    """Raises UsageError naming the plug-in and what is wrong. `compute`: also run the first
    task twice (untimed); the workflow does it once per size, a run of the baseline again."""
    origin = f"plugin {problem.name} ({problem.plugin})"
    tasks = called(origin, "tasks()", problem.tasks, params)
    if not tasks:
        raise UsageError(origin, "tasks() gave no tasks for these parameters")
    for index, task in enumerate(tasks):
        check_pickles(origin, problem, index, task)
    if not compute:
        return
    first = called(origin, "compute() of task 0", problem.compute, tasks[0], params, kernel)
    check_partial(origin, first)
    again = called(origin, "compute() of task 0", problem.compute, tasks[0], params, kernel)
    if getattr(problem, "exact", True) and not same(first, again):
        raise UsageError(
            origin,
            "compute() gave different results for task 0 in two runs, but the plug-in declares an "
            "exact answer: seed every random draw from the parameters (params['seed']) or declare "
            "rtol/atol",
        )


def called(origin: str, what: str, function, *args):
    try:
        return function(*args)
    except UsageError:
        raise
    except Exception as error:
        raise UsageError(origin, f"{what} raised {failure_text(error)}") from None


def check_pickles(origin: str, problem, index: int, task) -> None:
    try:
        data = pickle.dumps(task)
    except Exception as error:
        raise UsageError(
            origin,
            f"task {index} cannot be pickled ({type(error).__name__}: {error}), so it cannot reach "
            "worker processes, MPI ranks, Dask workers or Spark executors; make tasks plain data "
            "(numbers, strings, tuples, dicts, NumPy arrays)",
        ) from None
    if is_file(problem.plugin or ""):
        own = module_name_of_file(Path(problem.plugin))
        if own in modules_named(data):
            raise UsageError(
                origin,
                f"task {index} is {a_kind_of(task)} defined in the plug-in's file, which Dask "
                "workers and Spark executors cannot import by name; make tasks plain data (numbers, "
                "strings, tuples, dicts, NumPy arrays) or put the plug-in in a package",
            )


def modules_named(data: bytes) -> set[str]:
    """The modules a pickle needs to import (its GLOBAL and STACK_GLOBAL references)."""
    names, strings = set(), []
    for opcode, argument, _ in pickletools.genops(data):
        if opcode.name == "GLOBAL":
            names.add(argument.split(" ")[0])
        elif opcode.name == "STACK_GLOBAL" and len(strings) >= 2:
            names.add(strings[-2])
        if isinstance(argument, str):
            strings.append(argument)
    return names


def check_partial(origin: str, partial) -> None:
    if partial.dtype.kind not in "biufc":
        raise UsageError(
            origin,
            f"compute() of task 0 returned {describe(partial)}; it must return a number or a NumPy "
            "array of numbers",
        )


def describe(partial: np.ndarray) -> str:
    if partial.ndim == 0:
        return a_kind_of(partial.item())
    return f"an array of {partial.dtype}"


def same(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal values (NaN where NaN), of one dtype; array_equal already demands one shape."""
    return a.dtype == b.dtype and bool(np.array_equal(a, b, equal_nan=True))


def probe_study(study) -> None:
    """Probes every plug-in task farm of a planned study once per size, with its default kernel:
    a broken plug-in stops the workflow before any job."""
    for name, entry in study.problems.items():
        problem = registry.problem(name)
        if not (problem.plugin and isinstance(problem, TaskFarmProblem)):
            continue
        for size in entry["sizes"]:
            defaults = {param.name: param.default for param in registry.all_params(problem)}
            params = problem.check({**defaults, **study.size_values(name, size, 1)})
            probe(problem, params, problem.default_kernel)
