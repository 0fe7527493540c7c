"""Bring your own problem (docs/plugins.md): the example plug-in, installed by pip (its entry point)
and named by its file, runs through every variant as a user runs them (`parbench run`, mpiexec),
each verified against serial by `parbench verify`, and its serial answer obeys the SIR final-size
relation; a verification that cannot fail would pass a tampered result, so one is tampered."""

from __future__ import annotations

import json
import subprocess

import h5py
import numpy as np
import pytest

from conftest import MPIEXEC, parbench_command
from parbench import output, registry
from plugin_cases import (
    EXAMPLE_FILE,
    NAME,
    SMALL,
    final_size_relation,
    pip_install,
    small_options,
    without_plugins,
)

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def ways(tmp_path_factory) -> dict:
    """How each way in reaches parbench: the environment, and the options it needs."""
    return {
        "entry point": (pip_install(tmp_path_factory.mktemp("site")), []),
        "file": (without_plugins(), ["--plugin", str(EXAMPLE_FILE)]),
    }


def parbench(env: dict, *args, ranks: int | None = None) -> subprocess.CompletedProcess:
    command = parbench_command(*args)
    if ranks is not None:
        command = [MPIEXEC, "-n", str(ranks), *command]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


def ok(done: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.mark.parametrize("way", ["entry point", "file"])
def test_every_variant_runs_the_plugin_and_matches_serial(ways, way, tmp_path):
    env, load = ways[way]
    listed = json.loads(ok(parbench(env, *load, "list")).stdout)["problems"]
    assert listed[NAME]["kernels"] == ["python"] and "betas" in listed[NAME]["params"]
    reference = tmp_path / "serial.h5"
    ok(parbench(env, "run", NAME, "serial", *small_options(), "--out", reference, *load))
    for variant in registry.VARIANTS:
        if registry.VARIANTS[variant].baseline or registry.VARIANTS[variant].io_only:
            continue  # asyncio runs I/O-bound problems only: a plug-in's is CPU-bound
        result = tmp_path / f"{variant}.h5"
        ranks = 2 if variant == "mpi" else None
        workers = [] if variant == "mpi" else ["--workers", "2"]
        ok(
            parbench(
                env, *load, "run", NAME, variant, *workers, *small_options(), "--out", result, ranks=ranks
            )
        )
        verified = ok(parbench(env, "verify", result, reference, *load)).stdout
        assert verified.startswith(f"OK {result} ({variant}, python, 2 workers)"), verified
        record, _ = output.read_result(result, "RESULT")
        assert record["problem"] == NAME and record["workers"] == 2
        if variant == "mpi":  # every rank computed a share, so the plug-in reached both
            assert len(record["worker_busy"]) == 2, record["worker_busy"]


def test_the_serial_answer_obeys_the_final_size_relation(ways, tmp_path):
    env, load = ways["file"]
    out = tmp_path / "serial.h5"
    ok(parbench(env, *load, "run", NAME, "serial", *small_options(), "--out", out))
    record, result = output.read_result(out, "RESULT")
    params = record["params"]
    assert result["final_size"].shape == (SMALL["betas"], SMALL["gammas"])  # beta down, gamma across
    residual = final_size_relation(result["final_size"], result["days"], params)
    finished = ~np.isnan(residual)
    assert finished.sum() >= 10, result["days"]  # enough epidemics end inside 200 days to judge
    assert np.nanmax(np.abs(residual)) < 1e-3, residual
    assert (result["peak"] >= 1e-4).all() and (result["peak"] <= 1).all()


def test_a_tampered_plugin_result_fails_verification(ways, tmp_path):
    env, load = ways["file"]
    reference, result = tmp_path / "serial.h5", tmp_path / "threads.h5"
    ok(parbench(env, *load, "run", NAME, "serial", *small_options(), "--out", reference))
    ok(parbench(env, *load, "run", NAME, "threads", "--workers", "2", *small_options(), "--out", result))
    with h5py.File(result, "r+") as f:
        f["result/final_size"][3, 5] += 1e-12  # exact by declaration: the last bit counts
    done = parbench(env, *load, "verify", result, reference)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "final_size[3, 5]" in done.stderr, done.stderr


def test_verify_without_the_plugin_says_how_to_load_it(ways, tmp_path):
    env, load = ways["file"]
    out = tmp_path / "serial.h5"
    ok(parbench(env, *load, "run", NAME, "serial", *small_options(), "--out", out))
    done = parbench(env, "verify", out, out)
    assert done.returncode == 2
    assert f"is a problem of the plug-in {EXAMPLE_FILE}: add --plugin {EXAMPLE_FILE}" in done.stderr


def test_a_bad_parameter_of_a_plugin_is_refused_like_a_built_in_one(ways, tmp_path):
    """Declared bounds and types reach the command line: --dt has a maximum of 1 day."""
    env, load = ways["file"]
    out = tmp_path / "out.h5"
    for bad, message in [
        ("--dt=2", "--dt: must be <= 1.0, got 2.0"),
        ("--betas=0", "--betas: must be >= 1, got 0"),
        ("--betas=many", "argument --betas: invalid int value: 'many'"),
    ]:
        done = parbench(env, *load, "run", NAME, "serial", bad, "--out", out)
        assert done.returncode == 2 and message in done.stderr, (bad, done.stderr)
        assert not out.exists()


FULL_CONTRACT = '''
import numpy as np
from parbench.plugins import Param, TaskFarmProblem


class Cubes(TaskFarmProblem):
    """The full task-farm contract: two kernels, partial shapes known ahead (MPI's Gatherv)."""

    name = "cubes"
    summary = "cubes of 0 .. n-1 in blocks"
    params = (Param("n", int, 10, "numbers", minimum=1), Param("block", int, 3, "per task", 1, True))
    kernels = ("python", "numpy")
    default_kernel = "numpy"

    def tasks(self, p):
        return [(first, min(first + p["block"], p["n"])) for first in range(0, p["n"], p["block"])]

    def partial_spec(self, task, p):
        return (task[1] - task[0],), np.dtype(np.int64)

    def compute(self, task, p, kernel):
        if kernel == "numpy":
            return np.arange(*task, dtype=np.int64) ** 3
        return np.array([k**3 for k in range(*task)], dtype=np.int64)

    def combine(self, p, partials):
        return {"cubes": np.concatenate(partials)}

    def compare(self, result, reference):
        return None if np.array_equal(result["cubes"], reference["cubes"]) else "cubes differ"


PROBLEM = Cubes()
'''


def test_the_full_task_farm_contract_works_from_a_file(tmp_path):
    plugin = tmp_path / "cubes.py"
    plugin.write_text(FULL_CONTRACT)
    env, load = without_plugins(), ["--plugin", str(plugin)]
    reference = tmp_path / "serial.h5"
    ok(parbench(env, *load, "run", "cubes", "serial", "--n", "11", "--kernel", "python", "--out", reference))
    for variant, ranks in (("processes", None), ("mpi", 3)):
        out = tmp_path / f"{variant}.h5"
        workers = ["--workers", "2"] if ranks is None else []
        ok(
            parbench(
                env,
                *load,
                "run",
                "cubes",
                variant,
                *workers,
                "--n",
                "11",
                "--block",
                "2",
                "--out",
                out,
                ranks=ranks,
            )
        )
        ok(parbench(env, *load, "verify", out, reference))
        assert output.read_result(out, "RESULT")[1]["cubes"].tolist() == [k**3 for k in range(11)]
