"""The plug-in contract in one process (fast, and the mutation runs' selection for parbench.plugins):
what SimpleProblem does with the user's functions, how the loader checks and registers problems,
and how a problem named by its file travels by pickling."""

from __future__ import annotations

import pickle
import textwrap
from pathlib import PurePosixPath

import numpy as np
import pytest

from parbench import registry
from parbench.contracts import plugin_import
from parbench.contracts.problem import TASK_BYTES
from parbench.contracts.task_farm import TaskFarmProblem
from parbench.errors import UsageError
from parbench.params import Param
from parbench.plugins import SimpleProblem, loader, probe
from parbench.plugins.simple import DEFAULT_TASK_BYTES


@pytest.fixture
def fresh_registry(monkeypatch):
    """Plug-ins registered by a test leave the registry as it was."""
    monkeypatch.setattr(registry, "PROBLEMS", dict(registry.PROBLEMS))
    monkeypatch.setattr(loader, "_LOADED", set())


def problem(**keys) -> SimpleProblem:
    defaults = {"name": "p", "summary": "a test", "tasks": lambda p: [3, 1, 2], "compute": lambda t, p: t}
    return SimpleProblem(**{**defaults, **keys})


def test_the_default_combine_puts_the_partials_end_to_end_in_task_order():
    combined = problem().combine({}, [np.array([1, 2]), np.array(3), np.array([[4, 5]])[0]])
    assert list(combined) == ["result"] and combined["result"].tolist() == [1, 2, 3, 4, 5]


def test_a_combine_may_give_an_array_or_named_arrays():
    as_array = problem(combine=lambda p, parts: sum(parts)).combine({}, [np.array(2), np.array(5)])
    assert {k: v.tolist() for k, v in as_array.items()} == {"result": 7}
    named = problem(combine=lambda p, parts: {"low": min(parts), 1: max(parts)})
    combined = named.combine({}, [np.array(2), np.array(5)])
    assert {k: v.tolist() for k, v in combined.items()} == {"low": 2, "1": 5}


def test_the_user_gets_a_copy_of_the_parameters_and_the_result_as_an_array():
    seen = []
    p = problem(tasks=lambda q: seen.append(q) or [1], compute=lambda t, q: [t, t + 1])
    params = {"n": 1}
    assert p.tasks(params) == [1] and seen[0] == params and seen[0] is not params
    assert p.compute(1, params, "python").tolist() == [1, 2]


@pytest.mark.parametrize(
    ("made", "kind"), [(None, "a NoneType"), ("abc", "a str"), (7, "an int"), ({1, 2}, "a set")]
)
def test_tasks_must_be_a_list(made, kind):
    expected = f"tasks\\(\\) returned {kind}; it must return a list"
    with pytest.raises(TypeError, match=expected):
        problem(tasks=lambda p: made).tasks({})


def test_tasks_may_be_a_tuple_range_or_array():
    for made in ((1, 2), range(2), np.arange(2)):
        assert len(problem(tasks=lambda p, made=made: made).tasks({})) == 2


def test_memory_and_time_estimates_and_their_defaults():
    p = problem(bytes_per_task=1000, seconds_per_task=2.5)
    memory = p.memory({}, workers=4)
    assert (memory.driver, memory.worker) == (3 * (TASK_BYTES + 1000), 1000)
    assert p.serial_seconds({}, "python") == 7.5
    unknown = problem()
    assert unknown.memory({}, 4).worker == DEFAULT_TASK_BYTES == 1 << 20
    assert unknown.serial_seconds({}, "python") is None


def test_the_kernel_says_whether_the_code_holds_the_gil():
    assert problem().kernels == ("python",) and problem().default_kernel == "python"
    assert problem(releases_gil=True).kernels == ("nogil",)
    assert problem().partial_spec(1, {}) is None  # MPI's ranks send the shapes


def test_exact_unless_a_tolerance_is_declared():
    assert problem().exact and not problem(rtol=1e-9).exact and not problem(atol=1e-9).exact


# --- the loader's checks -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "param, message",
    [
        (Param("n", list, [], "x"), "has type <class 'list'>; declare one of int, float, str, bool"),
        (Param("workers", int, 1, "x"), "would hide parbench's own --workers"),
        (Param("seed", int, 1, "x"), "would hide parbench's own --seed"),
        (Param("n-1", int, 1, "x"), "its name must be a Python identifier"),
        (Param("n", int, 1.5, "x"), "its default 1.5 is not of type int"),
        (Param("n", int, True, "x"), "its default True is not of type int"),
        (Param("x", float, 2, "x", maximum=1), "its default must be <= 1, got 2"),
        (Param("n", int, 0, "x", minimum=1), "its default must be >= 1, got 0"),
        ("n", "parameter 'n' is not a parbench.plugins.Param"),
    ],
)
def test_each_bad_parameter_is_named(param, message):
    with pytest.raises(UsageError, match="plugin p \\(here\\)") as refused:
        loader.check_problem(problem(params=[param]), "here")
    assert message in str(refused.value)


def test_good_parameters_pass():
    params = [Param("x", float, 2, "an int default"), Param("on", bool, False, "b"), Param("s", str, "", "")]
    loader.check_problem(problem(params=params), "here")


@pytest.mark.parametrize(
    "keys, message",
    [
        ({"name": "has space"}, "its name 'has space' must be letters, digits"),
        ({"name": "-x"}, "its name '-x' must be letters"),
        ({"summary": "  "}, "has no summary"),
        ({"tasks": [1, 2]}, "its tasks= is a list, not a function"),
        ({"combine": 3}, "its combine= is not a function"),
        ({"rtol": -1.0}, "rtol and atol must be >= 0"),
    ],
)
def test_each_bad_problem_is_named(keys, message):
    with pytest.raises(UsageError) as refused:
        loader.check_problem(problem(**keys), "here")
    assert message in str(refused.value)


def test_a_class_or_other_object_is_not_a_problem():
    with pytest.raises(UsageError, match="defines the class SimpleProblem; give an instance"):
        loader.check_problem(SimpleProblem, "here")
    with pytest.raises(UsageError, match="gives a dict, not a problem"):
        loader.check_problem({}, "here")


def write(path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return str(path)


PLUGIN = """
    from parbench.plugins import SimpleProblem
    PROBLEMS = [
        SimpleProblem(name=n, summary="s", tasks=lambda p: [1], compute=lambda t, p: t) for n in ("a1", "a2")
    ]
"""


def test_a_files_problems_register_once_and_travel_by_its_path(tmp_path, fresh_registry, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "plug.py", PLUGIN)
    added = loader.load(["plug.py"])  # relative to the working directory
    assert [p.name for p in added] == ["a1", "a2"]
    where = str(tmp_path / "plug.py")
    assert registry.problem("a1").plugin == where and registry.describe()["problems"]["a2"]["plugin"] == where
    assert loader.load(["plug.py", where]) == []  # the same file again: nothing new
    payload = pickle.dumps(registry.problem("a2"))
    assert where.encode() in payload and b"a2" in payload and b"lambda" not in payload
    assert pickle.loads(payload) is registry.problem("a2")


def test_names_collide_with_parbench_and_other_plugins(tmp_path, fresh_registry):
    taken = write(tmp_path / "pi.py", PLUGIN.replace('("a1", "a2")', '("pi",)'))
    with pytest.raises(UsageError, match="the name 'pi' is taken by a problem of parbench's own"):
        loader.load([taken])
    first = write(tmp_path / "one" / "plug.py", PLUGIN)
    second = write(tmp_path / "two" / "plug.py", PLUGIN)
    loader.load([first])
    taken_by_first = f"plugin a1 \\({second}\\): the name 'a1' is taken by the plug-in {first}"
    with pytest.raises(UsageError, match=taken_by_first):
        loader.load([second])


def test_import_failures_name_the_users_line(tmp_path, fresh_registry):
    broken = write(tmp_path / "broken.py", "import os\n\nvalue = os.no_such_thing\n")
    with pytest.raises(UsageError) as refused:
        loader.load([broken])
    text = str(refused.value)
    assert text.startswith(f"plugin {broken}: cannot be imported: AttributeError")
    assert f"(at {broken}, line 3: value = os.no_such_thing)" in text
    with pytest.raises(UsageError, match="no module named 'no_such_parbench_plugin' \\(is its package"):
        loader.load(["no_such_parbench_plugin"])
    with pytest.raises(UsageError, match="module json has no 'NOTHING'"):
        loader.load(["json:NOTHING"])
    with pytest.raises(UsageError, match="json defines neither PROBLEM nor PROBLEMS"):
        loader.load(["json"])


def test_a_module_file_is_one_problem_found_twice(tmp_path, fresh_registry, monkeypatch):
    """An installed plug-in also named by its own file is the same problem: no collision."""
    write(tmp_path / "mylab_plug.py", PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert len(loader.load(["mylab_plug:PROBLEMS"])) == 2
    assert loader.load([str(tmp_path / "mylab_plug.py")]) == []


def test_the_configs_plugins_must_be_a_list_of_names(fresh_registry):
    for bad in ("plug.py", [1], {"a": 1}):
        with pytest.raises(UsageError, match="config plugins: must be a list of files or modules"):
            loader.load_configured({"plugins": bad})
    assert loader.load_configured({}) == []


# --- the probe with real parameters --------------------------------------------------------------------


def probed(p: SimpleProblem, where="mylab.module", compute=True):
    p.plugin = where
    probe.probe(p, {}, "python", compute=compute)


def test_the_probe_passes_a_good_problem_and_computes_only_when_asked():
    calls = []
    probed(problem(compute=lambda t, q: calls.append(t) or t))
    assert calls == [3, 3]  # the first task, twice
    probed(problem(compute=lambda t, q: calls.append(t) or t), compute=False)
    assert calls == [3, 3]


@pytest.mark.parametrize(
    "keys, message",
    [
        ({"tasks": lambda p: []}, "tasks() gave no tasks"),
        ({"tasks": lambda p: [1, open]}, None),  # a builtin function pickles by name: fine
        ({"tasks": lambda p: [1, (x for x in ())]}, "task 1 cannot be pickled"),
        ({"compute": lambda t, p: None}, "returned a NoneType"),
        ({"compute": lambda t, p: ["a", "b"]}, "returned an array of <U1"),
        ({"compute": lambda t, p: 1 / 0}, "compute() of task 0 raised ZeroDivisionError"),
        ({"tasks": lambda p: [1 / 0]}, "tasks() raised ZeroDivisionError"),
    ],
)
def test_the_probe_names_what_is_wrong(keys, message):
    p = problem(**keys)
    if message is None:
        probed(p)
        return
    with pytest.raises(UsageError, match="plugin p \\(mylab.module\\)") as refused:
        probed(p)
    assert message in str(refused.value)


def test_an_inexact_answer_is_refused_only_when_exact_is_declared():
    draws = iter(range(100))
    with pytest.raises(UsageError, match="compute\\(\\) gave different results for task 0 in two runs"):
        probed(problem(compute=lambda t, p: next(draws)))
    probed(problem(compute=lambda t, p: next(draws), rtol=1e-9))
    with pytest.raises(UsageError, match="different results"):  # same values, another dtype
        kinds = iter([np.int32(1), np.int64(1)])
        probed(problem(compute=lambda t, p: next(kinds)))


def test_the_probe_computes_by_default_and_takes_an_answer_as_exact_unless_told():
    """probe() without `compute` runs the first task twice; a full task farm that declares
    nothing about exactness (no `exact`) is held to an exact answer."""
    calls = []
    p = problem(compute=lambda t, q: calls.append(t) or t)
    p.plugin = "mylab.module"
    probe.probe(p, {}, "python")
    assert calls == [3, 3]

    class Drifting(TaskFarmProblem):
        name, plugin, kernels, default_kernel, params = "drifting", "mylab.module", ("python",), "python", ()

        def tasks(self, p):
            return [0]

        def compute(self, task, p, kernel):
            return np.array([next(draws)])

    draws = iter(range(10))
    assert not hasattr(Drifting(), "exact")
    with pytest.raises(UsageError, match="plugin drifting \\(mylab.module\\): compute\\(\\) gave different"):
        probe.probe(Drifting(), {}, "python")


@pytest.mark.parametrize(
    "a, b",
    [
        (np.int64(1), np.int32(1)),
        (np.array([1.0]), np.array([1.0], dtype=np.float32)),
        (np.zeros(2), np.zeros(3)),
        (np.zeros((2, 1)), np.zeros(2)),
        (np.array([1.0, 2.0]), np.array([2.0, 1.0])),
    ],
)
def test_the_probe_calls_two_answers_the_same_only_with_one_dtype_shape_and_values(a, b):
    assert not probe.same(a, b) and not probe.same(b, a)
    assert probe.same(a, a.copy()) and probe.same(np.array([1.0, np.nan]), np.array([1.0, np.nan]))


def test_tasks_of_a_class_of_the_plugins_own_file_are_refused(tmp_path):
    path = tmp_path / "own.py"
    write(path, "class Task(tuple):\n    pass\n")
    module = plugin_import.import_file(path)
    p = problem(tasks=lambda q: [module.Task((1,))])
    with pytest.raises(UsageError, match="task 0 is a Task defined in the plug-in's file"):
        probed(p, where=str(path))
    probed(p, where="mylab.module", compute=False)  # a package's classes import by name anywhere


def test_the_modules_a_pickle_needs_are_found():
    """Exactly the modules named, by GLOBAL (protocol 2) and by STACK_GLOBAL (protocol 4 and up),
    and no string that is only data."""
    assert "numpy" in probe.modules_named(pickle.dumps(np.arange(2)))
    ordered = __import__("collections").OrderedDict()
    assert probe.modules_named(pickle.dumps(ordered, protocol=2)) == {"collections"}
    fraction, path = __import__("fractions").Fraction(1, 3), PurePosixPath("a")
    data = ("x", "y", "z", fraction, "w", path, "v")
    for protocol in (4, 5):
        assert probe.modules_named(pickle.dumps(data, protocol=protocol)) == {"fractions", "pathlib"}, (
            protocol
        )
    assert probe.modules_named(pickle.dumps((1, "a", "b", [2.0]))) == set()


def test_a_plugins_estimates_feed_the_slurm_requests(fresh_registry):
    from parbench import requests

    timed = problem(name="timed", seconds_per_task=100.0, bytes_per_task=50 << 20)
    untimed = problem(name="untimed")
    registry.PROBLEMS.update({"timed": timed, "untimed": untimed})
    assert requests.runtime_min("untimed", {}, "processes", "python", 2, 1) == requests.UNKNOWN_RUNTIME_MIN
    # Three tasks of 100 s, shared by two workers (a fifth kept serial), plus start-up and headroom.
    minutes = requests.runtime_min("timed", {}, "processes", "python", 2, 1)
    assert minutes == max(
        requests.RUNTIME_FLOOR_MIN, -(-requests.RUNTIME_HEADROOM * (30 + 300 * 0.6) // 60)
    ), minutes
    data = requests.need("timed", {}, "processes", "python", 2).data
    assert data == 3 * (TASK_BYTES + (50 << 20)) + 2 * (50 << 20)
    assert requests.need("untimed", {}, "processes", "python", 2).data == 3 * (TASK_BYTES + (1 << 20)) + 2 * (
        1 << 20
    )
