"""Finds a user's problems and registers them beside parbench's own, refusing a broken one
before any run with one line naming the plug-in, where it came from and what is wrong.

Two ways in (docs/plugins.md): an installed package's entry point in the `parbench.problems`
group, always loaded; and a file or module named at run time (`parbench --plugin WHERE`, the
workflow's config key `plugins`). A plug-in that cannot load stops the command: never skipped.
"""

from __future__ import annotations

import atexit
import os
import re
import sys
import tempfile
from collections.abc import Iterable
from importlib.metadata import entry_points
from pathlib import Path

from parbench import registry
from parbench.contracts.plugin_import import ImportFailure, import_where, is_file, problems_in
from parbench.contracts.problem import Problem
from parbench.contracts.task_farm import TaskFarmProblem
from parbench.errors import UsageError, a_kind_of
from parbench.params import COMMON_PARAMS, Param
from parbench.plugins.simple import SimpleProblem

ENTRY_POINT_GROUP = "parbench.problems"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")  # it becomes a path and a wildcard: the config's rule
PARAMETER_TYPES = (int, float, str, bool)
# Options every `parbench run` has: a parameter of the same name would shadow one.
RUN_OPTIONS = ("workers", "kernel", "out", "timing_log", "force", "master", "scheduler_file", "plugin")

_LOADED: set[str] = set()


def plugin_error(origin: str, message: str) -> UsageError:
    return UsageError(f"plugin {origin}", message)


def load(named: Iterable[str] = ()) -> list[Problem]:
    """Registers the problems of every installed entry point and of each plug-in `named` (a file
    or a module); returns the problems registered by this call. Loading a plug-in twice is a no-op."""
    sources = [
        (ep.value, f"entry point {ep.name} ({ep.value})") for ep in entry_points(group=ENTRY_POINT_GROUP)
    ]
    for where in named:
        where = str(Path(where).resolve()) if is_file(where) else where
        sources.append((where, f"{where}" if is_file(where) else f"module {where}"))
    added = []
    for where, origin in sources:
        if where in _LOADED:
            continue
        try:
            found = problems_in(import_where(where), where)
        except ImportFailure as failure:
            raise plugin_error(origin, f"cannot be imported: {failure}") from None
        for problem in found:
            check_problem(problem, origin)
            if register(problem, where, origin):
                added.append(problem)
        _LOADED.add(where)
    return added


def register(problem: Problem, where: str, origin: str) -> bool:
    """Adds the problem to the registry; False when it is there already from the same file (an
    installed plug-in also named by its file: one problem, found twice)."""
    taken = registry.PROBLEMS.get(problem.name)
    if taken is not None and taken.plugin and source_file(taken.plugin) == source_file(where):
        return False
    if taken is not None:
        owner = f"the plug-in {taken.plugin}" if taken.plugin else "a problem of parbench's own"
        raise plugin_error(f"{problem.name} ({origin})", f"the name {problem.name!r} is taken by {owner}")
    problem.plugin = where
    registry.PROBLEMS[problem.name] = problem
    return True


def source_file(where: str) -> Path | None:
    """The file a plug-in's code is in (a module's, once imported)."""
    if is_file(where):
        return Path(where).resolve()
    module = sys.modules.get(where.partition(":")[0])
    found = getattr(module, "__file__", None)
    return Path(found).resolve() if found else None


def named_at_run_time() -> list[str]:
    """Where the registered plug-ins that are not entry points came from: what a command started
    for them (a run, the report) must be told with --plugin."""
    installed = {ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}
    return list(
        dict.fromkeys(p.plugin for p in registry.PROBLEMS.values() if p.plugin and p.plugin not in installed)
    )


def check_problem(problem, origin: str) -> None:
    """What can be checked without parameters: the object, its name, summary and parameters."""
    if isinstance(problem, type) and issubclass(problem, Problem):
        kind = f"the class {problem.__name__}; give an instance of it"
        raise plugin_error(origin, f"defines {kind}")
    if not isinstance(problem, Problem):
        raise plugin_error(
            origin,
            f"gives {a_kind_of(problem)}, not a problem: make it a parbench.plugins.SimpleProblem "
            "(or an instance of a parbench.plugins.TaskFarmProblem subclass)",
        )
    name = getattr(problem, "name", "")
    if not isinstance(name, str) or not NAME.match(name):
        raise plugin_error(
            origin, f"its name {name!r} must be letters, digits, _ and -, starting with a letter or digit"
        )
    origin = f"{name} ({origin})"
    if not isinstance(problem.summary, str) or not problem.summary.strip():
        raise plugin_error(origin, "has no summary: one line saying what it computes")
    if isinstance(problem, SimpleProblem):
        for role in ("make_tasks", "compute_task"):
            if not callable(getattr(problem, role)):
                wanted = {"make_tasks": "tasks", "compute_task": "compute"}[role]
                raise plugin_error(
                    origin, f"its {wanted}= is {a_kind_of(getattr(problem, role))}, not a function"
                )
        if problem.combine_partials is not None and not callable(problem.combine_partials):
            raise plugin_error(origin, "its combine= is not a function")
        if problem.rtol < 0 or problem.atol < 0:
            raise plugin_error(origin, f"rtol and atol must be >= 0, got {problem.rtol} and {problem.atol}")
    elif not isinstance(problem, TaskFarmProblem) and not problem.variants_package:
        raise plugin_error(origin, "is neither a task farm nor a problem with its own variants_package")
    for param in problem.params:
        check_param(param, origin)


def check_param(param, origin: str) -> None:
    if not isinstance(param, Param):
        raise plugin_error(origin, f"parameter {param!r} is not a parbench.plugins.Param")
    where = f"parameter {param.name!r}"
    if not isinstance(param.name, str) or not param.name.isidentifier():
        raise plugin_error(origin, f"{where}: its name must be a Python identifier")
    if param.type not in PARAMETER_TYPES:
        raise plugin_error(origin, f"{where} has type {param.type!r}; declare one of int, float, str, bool")
    if param.name in RUN_OPTIONS or param.name in {p.name for p in COMMON_PARAMS}:
        raise plugin_error(origin, f"{where} would hide parbench's own --{param.name.replace('_', '-')}")
    default_ok = isinstance(param.default, param.type) and not (
        param.type is int and isinstance(param.default, bool)
    )
    if param.type is float and isinstance(param.default, int) and not isinstance(param.default, bool):
        default_ok = True
    if not default_ok:
        wanted = param.type.__name__
        raise plugin_error(origin, f"{where}: its default {param.default!r} is not of type {wanted}")
    try:
        param.check(param.default)
    except UsageError as error:
        raise plugin_error(origin, f"{where}: its default {error.message}") from None


def load_configured(config: dict) -> list[Problem]:
    """The workflow's plug-ins: the config's `plugins` (files relative to the working directory,
    or modules) and the installed ones. Checked here, before the schema, which they extend."""
    named = config.get("plugins", [])
    if not isinstance(named, list) or not all(isinstance(where, str) for where in named):
        raise UsageError("config plugins", f"must be a list of files or modules, got {named!r}")
    return load(named)


def schema_file(text: str) -> str:
    """The study config's schema with the plug-ins' problems, in a file of this process's own
    (Snakemake's `validate` reads a file); removed when the process ends."""
    handle, path = tempfile.mkstemp(prefix="parbench-schema-", suffix=".yaml")
    with os.fdopen(handle, "w", encoding="utf-8") as f:
        f.write(text)
    atexit.register(os.unlink, path)
    return path
