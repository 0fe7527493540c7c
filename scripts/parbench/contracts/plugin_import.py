"""Imports a plug-in's problems from where the user named them: a file (`sweep.py`), a module
(`mylab.sweep`) or a module's attribute (`mylab.sweep:PROBLEM`, as an entry point names it).

It sits below every other part of parbench because a plug-in's problem travels to workers by
this name: pickling a plug-in problem sends (where, name), and each pool process, MPI rank, Dask
worker and Spark executor imports it again from there (`Problem.__reduce_ex__`). A bare file has
no importable name of its own, so this is how its code reaches every worker.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import re
import sys
import sysconfig
import traceback
from pathlib import Path

PARBENCH_DIR = Path(__file__).resolve().parent.parent
# A module or file that defines one problem names it PROBLEM; several, PROBLEMS.
ATTRIBUTES = ("PROBLEM", "PROBLEMS")
# Where the standard library and installed packages live: an error raised inside NumPy is shown
# at the user's line that called NumPy, not at NumPy's own.
STDLIB_DIRS = tuple({Path(sysconfig.get_path(key)).resolve() for key in ("stdlib", "platstdlib")})
LIBRARY_DIRS = STDLIB_DIRS + tuple({Path(sysconfig.get_path(k)).resolve() for k in ("purelib", "platlib")})


class ImportFailure(Exception):
    """The plug-in could not be imported; the message says why, with the user's line."""


def is_file(where: str) -> bool:
    return where.endswith(".py") or "/" in where


def module_name_of_file(path: Path) -> str:
    """A stable module name for a file: the same in every worker that imports the same path."""
    stem = re.sub(r"\W", "_", path.stem)
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:8]
    return f"parbench_plugin_{stem}_{digest}"


def import_where(where: str):
    """The object `where` names: for a file or a module, the module itself; for module:attr, the
    attribute. Raises ImportFailure naming the cause and the line of the user's code."""
    if is_file(where):
        return import_file(Path(where))
    module_name, _, attribute = where.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        if error.name == module_name:
            raise ImportFailure(f"no module named {module_name!r} (is its package installed?)") from None
        raise ImportFailure(failure_text(error)) from None
    except Exception as error:
        raise ImportFailure(failure_text(error)) from None
    if not attribute:
        return module
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise ImportFailure(f"module {module_name} has no {attribute!r}") from None


def import_file(path: Path):
    path = path.resolve()
    if not path.is_file():
        raise ImportFailure(f"{path}: no such file")
    name = module_name_of_file(path)
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    # Registered before it runs, so that classes it defines pickle by this name in this process.
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException as error:
        del sys.modules[name]
        if isinstance(error, KeyboardInterrupt):
            raise
        raise ImportFailure(failure_text(error)) from None
    return module


def failure_text(error: BaseException) -> str:
    """`ZeroDivisionError: division by zero (at sweep.py, line 12: x = 1 / 0)`: the error and
    the last line of the user's code it passed through (a syntax error's own line)."""
    text = "".join(traceback.format_exception_only(type(error), error)).strip().splitlines()[-1]
    line = user_line(error)
    return f"{text} (at {line})" if line else text


def user_line(error: BaseException) -> str | None:
    if isinstance(error, SyntaxError) and error.filename:
        code = (error.text or "").strip()
        return (
            f"{error.filename}, line {error.lineno}: {code}"
            if code
            else f"{error.filename}, line {error.lineno}"
        )
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if not Path(frame.filename).resolve().is_relative_to(PARBENCH_DIR)
        and not frame.filename.startswith("<frozen")
        and not is_under(frame.filename, STDLIB_DIRS)  # importlib, between parbench and the plug-in
    ]
    if not frames:
        return None
    # The user's own code is the folder of the first frame parbench called into; the error is
    # shown at the last line there, not inside NumPy (a library, unless the plug-in is one too).
    home = Path(frames[0].filename).resolve().parent
    installed = is_library(frames[0].filename)
    own = [
        frame
        for frame in frames
        if Path(frame.filename).resolve().is_relative_to(home)
        and (installed or not is_library(frame.filename))
    ]
    frame = (own or frames)[-1]
    return f"{frame.filename}, line {frame.lineno}: {(frame.line or '').strip()}"


def is_under(filename: str, directories) -> bool:
    path = Path(filename).resolve()
    return any(path.is_relative_to(directory) for directory in directories)


def is_library(filename: str) -> bool:
    return is_under(filename, LIBRARY_DIRS)


def problems_in(found, where: str) -> list:
    """The problems an imported object holds: a module's PROBLEM or PROBLEMS, a list of
    problems, or one problem (an entry point's object). Returned as found: the caller checks them."""
    if type(found).__name__ == "module":
        present = [a for a in ATTRIBUTES if hasattr(found, a)]
        if not present:
            raise ImportFailure(f"{where} defines neither PROBLEM nor PROBLEMS")
        found = getattr(found, present[0])
    if isinstance(found, list | tuple):
        return list(found)
    return [found]


_RELOADED: dict[tuple[str, str], object] = {}


def reloaded(where: str, name: str):
    """The problem `name` of the plug-in at `where`, imported again in a worker (unpickling)."""
    key = (where, name)
    if key not in _RELOADED:
        for problem in problems_in(import_where(where), where):
            if getattr(problem, "name", None) == name:
                problem.plugin = where
                _RELOADED[key] = problem
                break
        else:
            raise ImportFailure(f"{where} no longer defines a problem named {name!r}")
    return _RELOADED[key]
