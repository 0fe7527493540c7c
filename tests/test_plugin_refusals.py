"""A broken plug-in is refused before any run: exit status 2, one line naming the plug-in, its file
and what is wrong, and nothing written. Each case is a working plug-in with one thing broken, so a
check that stopped looking would let that one case run (and fail this test)."""

from __future__ import annotations

import subprocess

import pytest

from conftest import parbench_command
from plugin_cases import without_plugins
from workflow_cases import output_of, snakemake

WORKING = """
import numpy as np
from parbench.plugins import Param, SimpleProblem


def tasks(p):
    return list(range(p["n"]))


def compute(task, p):
    return np.array([task * task])


PROBLEM = SimpleProblem(
    name="squares",
    summary="the squares of 0 .. n-1",
    params=[Param("n", int, 4, "tasks", minimum=1)],
    tasks=tasks,
    compute=compute,
)
"""

# name: (what replaces what in WORKING, what the one line must say)
BROKEN = {
    "syntax error": (("def compute(task, p):", "def compute(task, p)"), "SyntaxError"),
    "fails on import": (("import numpy as np", "import numpy as np\nsize = 1 / 0"), "size = 1 / 0"),
    "no problem": (
        ("PROBLEM = SimpleProblem(", "PROBLM = SimpleProblem("),
        "defines neither PROBLEM nor PROBLEMS",
    ),
    "missing compute": (
        ("    compute=compute,\n", ""),
        "missing 1 required keyword-only argument: 'compute'",
    ),
    "compute is no function": (("compute=compute,", "compute=42,"), "its compute= is an int, not a function"),
    "compute returns text": (
        ("return np.array([task * task])", 'return "task done"'),
        "compute() of task 0 returned a str; it must return a number or a NumPy array of numbers",
    ),
    # Raised inside NumPy's own Python code: the line shown is the plug-in's, not NumPy's.
    "fails inside numpy": (
        ("return np.array([task * task])", "return np.linalg.inv(np.zeros((2, 2)))"),
        "Singular matrix (at",
    ),
    "tasks returns nothing": (('return list(range(p["n"]))', "pass"), "tasks() returned a NoneType"),
    "task cannot be pickled": (
        ('return list(range(p["n"]))', "return [lambda: i for i in range(p['n'])]"),
        "task 0 cannot be pickled",
    ),
    "task is a class of the file": (
        (
            'def tasks(p):\n    return list(range(p["n"]))',
            "class Task(int):\n    pass\n\n\ndef tasks(p):\n    return [Task(i) for i in range(p['n'])]",
        ),
        "task 0 is a Task defined in the plug-in's file",
    ),
    "parameter without a type": (
        ('Param("n", int, 4,', 'Param("n", None, 4,'),
        "parameter 'n' has type None",
    ),
    "default out of bounds": (
        ('Param("n", int, 4,', 'Param("n", int, 0,'),
        "its default must be >= 1, got 0",
    ),
    "name of a built-in": (
        ('name="squares"', 'name="pi"'),
        "the name 'pi' is taken by a problem of parbench's own",
    ),
    "not exact twice": (
        ("return np.array([task * task])", "return np.random.random(1)"),
        "compute() gave different results for task 0 in two runs",
    ),
    "not a problem": (
        ("PROBLEM = SimpleProblem(", "PROBLEM = 42\nUNUSED = SimpleProblem("),
        "gives an int, not a problem",
    ),
}


def refusal(tmp_path, *plugins, problem="squares") -> str:
    """`parbench --plugin ... run PROBLEM serial`: must exit 2 with one line and write nothing."""
    out = tmp_path / "out.h5"
    load = [arg for where in plugins for arg in ("--plugin", str(where))]
    done = subprocess.run(
        parbench_command(*load, "run", problem, "serial", "--out", out),
        capture_output=True,
        text=True,
        timeout=120,
        env=without_plugins(),
    )
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("parbench: error: plugin "), done.stderr
    assert done.stdout == "" and not out.exists() and list(tmp_path.glob("*.h5")) == []
    return lines[0]


@pytest.mark.parametrize("case", BROKEN)
def test_each_broken_plugin_is_refused_with_its_own_message(tmp_path, case):
    (old, new), message = BROKEN[case]
    assert old in WORKING, old
    plugin = tmp_path / "plugin" / "squares.py"
    plugin.parent.mkdir()
    plugin.write_text(WORKING.replace(old, new))
    line = refusal(tmp_path, plugin)
    assert message in line, line
    assert str(plugin) in line, line  # names the file
    if case == "fails inside numpy":
        assert line.endswith(f"{plugin}, line 11: return np.linalg.inv(np.zeros((2, 2))))"), line


def test_the_working_plugin_runs(tmp_path):
    """The battery's base case is not itself broken: each refusal is its one change."""
    plugin = tmp_path / "squares.py"
    plugin.write_text(WORKING)
    out = tmp_path / "out.h5"
    done = subprocess.run(
        parbench_command("--plugin", plugin, "run", "squares", "serial", "--n", "5", "--out", out),
        capture_output=True,
        text=True,
        timeout=120,
        env=without_plugins(),
    )
    assert done.returncode == 0, done.stderr
    from parbench import output

    assert output.read_result(out, "RESULT")[1]["result"].tolist() == [0, 1, 4, 9, 16]


def test_a_missing_plugin_file_is_refused(tmp_path):
    line = refusal(tmp_path, tmp_path / "nowhere.py")
    assert f"{tmp_path / 'nowhere.py'}: no such file" in line


def test_two_plugins_of_one_name_are_refused(tmp_path):
    first, second = tmp_path / "a" / "squares.py", tmp_path / "b" / "squares.py"
    for plugin in (first, second):
        plugin.parent.mkdir()
        plugin.write_text(WORKING)
    line = refusal(tmp_path, first, second)
    assert f"the name 'squares' is taken by the plug-in {first}" in line and str(second) in line


def test_a_broken_plugin_stops_the_workflow_before_any_job(tmp_path):
    """Named in the config, a plug-in that is not exact twice stops Snakemake at parse time."""
    plugin = tmp_path / "squares.py"
    plugin.write_text(WORKING.replace("return np.array([task * task])", "return np.random.random(1)"))
    config = tmp_path / "study.yaml"
    config.write_text(
        f"plugins: [{plugin}]\nscaling: strong\nvariants: [serial, threads]\nworkers: [2]\nrepeats: 1\n"
        "mpi_launcher: mpiexec\nmax_timed_jobs: 1\n"
        "problems:\n  - {name: squares, kernels: [python], sizes: {tiny: {n: 3}}}\n"
        "overrides: [{variants: [serial], repeats: 1}]\n"
    )
    workdir = tmp_path / "study"
    done = snakemake(workdir, "--cores", "2", configfile=config, timeout=300)
    assert done.returncode != 0
    assert f"plugin squares ({plugin}): compute() gave different results" in output_of(done)
    assert not (workdir / "results").exists() and not (workdir / "logs").exists()
