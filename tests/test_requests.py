"""Memory requests that follow the problem, and points too big to run refused before any work:
by `parbench run` (a size that cannot be allocated on this machine) and when a study is planned
(a point that cannot fit config node_memory_mb), naming the point and what it would need."""

from __future__ import annotations

import re
import subprocess

import pytest
import yaml

from parbench import requests
from parbench.planning import config as study_config
from parbench.planning import plan
from results_tree import SCHEMA, config
from workflow_cases import BIN, ROOT, output_of, snakemake

MIB = requests.MIB


def parbench(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "parbench"), *map(str, args)], capture_output=True, text=True, cwd=cwd)


@pytest.mark.parametrize(
    "args, named",
    [
        (["mandelbrot", "serial", "--width", "1e9", "--height", "1e9"], "--width 1000000000"),
        (["heat", "threads", "--workers", "2", "--nx", "1e6", "--ny", "1e6"], "--nx 1000000"),
        (["pi", "processes", "--workers", "2", "--samples", "1e18"], "--samples 1000000000000000000"),
    ],
    ids=["mandelbrot", "heat", "pi"],
)
def test_run_refuses_a_size_this_machine_cannot_hold_before_any_work(args, named, tmp_path):
    done = parbench("run", *args, "--out", tmp_path / "r.h5", "--timing-log", tmp_path / "t.jsonl")
    assert done.returncode == 2, output_of(done)
    message = done.stderr.strip()
    assert message.startswith(f"parbench: error: {args[0]}: "), message
    assert re.search(r"needs about [\d.]+ (TiB|PiB|EiB) of memory .* which has [\d.]+ GiB", message), message
    assert named in message, message  # names the size it was given
    assert not list(tmp_path.iterdir()), "nothing may be written"


def study_of(problems, node_memory_mb=None, variants=("serial", "threads", "mpi"), workers=(1, 2)):
    cfg = config(problems, variants, workers, repeats=1)
    if node_memory_mb:
        cfg["node_memory_mb"] = node_memory_mb
    return plan.Study(study_config.validate(cfg, SCHEMA))


def test_planning_refuses_points_that_cannot_fit_a_node_naming_each():
    # 8192 x 8192 doubles twice (the field and the next step) is 1 GiB: more than a 1000 MiB node.
    study = study_of({"heat": {"big": {"nx": 8192, "ny": 8192}}, "pi": {"tiny": {"samples": 1000}}}, 1000)
    lines = requests.refused(study)
    assert lines[0].startswith(
        "heat size 'big', the serial reference with the numpy kernel: needs at least 1."
    )
    assert "more than node_memory_mb 1000 (1000 MiB)" in lines[0]
    assert "heat size 'big', threads with 2 workers and the numpy kernel" in "\n".join(lines)
    assert not any(line.startswith("pi") for line in lines), "pi's tiny points fit"
    # The reference, and serial, threads and mpi with 1 and 2 workers: the grid is split over the
    # workers, but one node holds all of it, and the driver gathers it.
    assert len(lines) == 6, lines
    assert requests.refused(study_of({"heat": {"big": {"nx": 8192, "ny": 8192}}}, 100_000)) == []


def test_snakemake_stops_on_an_oversized_point_before_any_job(tmp_path):
    cfg = config({"mandelbrot": {"typo": {"width": 1000000000, "height": 1000000000}}}, ["serial"], [1], 1)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    done = snakemake(tmp_path / "study", "--dry-run", "--cores", "1", configfile=path)
    text = output_of(done)
    assert done.returncode != 0
    assert "points of this study cannot fit a node's memory" in text, text[-2000:]
    assert "mandelbrot size 'typo', the serial reference with the numpy kernel: needs at least" in text
    assert re.search(r"needs at least [\d.]+ EiB on a node", text), text[-2000:]
    assert not (tmp_path / "study" / "results").exists()


def resources_of(text: str, output: str) -> dict:
    """The resources Snakemake's dry run prints for the job that writes `output`."""
    job = next(block for block in text.split("\n\n") if f"output: {output}" in block)
    line = re.search(r"resources: (.*)", job)[1]
    return dict(item.split("=", 1) for item in line.split(", "))


def test_dry_run_on_slurm_asks_each_job_for_its_problems_memory(tmp_path):
    cfg = config(
        {"heat": {"small": {"nx": 256, "ny": 256}, "big": {"nx": 8192, "ny": 8192}}},
        ["serial", "threads", "mpi"],
        [1, 4],
        1,
    )
    cfg["node_memory_mb"] = 64000
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    profile = ROOT / "slurm"
    done = snakemake(tmp_path / "study", "--dry-run", "--profile", profile, configfile=path)
    text = output_of(done)
    assert done.returncode == 0, text[-3000:]
    small = resources_of(text, "results/references/heat/small/numpy/x1.h5")
    big = resources_of(text, "results/references/heat/big/numpy/x1.h5")
    assert int(small["mem_mb"]) == requests.MINIMUM_MB  # a small grid asks for the minimum
    two_grids_mib = 2 * 8 * 8192 * 8192 // MIB  # what the serial heat run must hold
    assert int(big["mem_mb"]) >= requests.HEADROOM * two_grids_mib
    mpi = resources_of(text, "results/runs/heat/big/numpy/mpi/w4-r1.h5")
    assert int(mpi["mem_mb"]) > int(big["mem_mb"])  # four ranks, each its interpreter and its block
    assert "4000" not in {small["mem_mb"], big["mem_mb"], mpi["mem_mb"]}


def test_requests_grow_with_the_attempt_up_to_a_node():
    need = requests.need("heat", {"nx": 8192, "ny": 8192, "steps_per_exchange": 1}, "serial", "numpy", 1)
    first = requests.mem_mb(need, 1, 100_000)
    assert requests.mem_mb(need, 2, 100_000) == 2 * first
    assert requests.mem_mb(need, 3, 2 * first) == 2 * first  # never more than a node


@pytest.mark.parametrize(
    "problem, options, params",
    [
        ("heat", ["--nx", "2048", "--ny", "2048", "--steps", "2"], {"nx": 2048, "ny": 2048}),
        (
            "mandelbrot",
            ["--width", "2048", "--height", "2048", "--maxiter", "5"],
            {"width": 2048, "height": 2048},
        ),
    ],
    ids=["heat", "mandelbrot"],
)
def test_the_estimate_bounds_what_a_real_serial_run_holds(problem, options, params, tmp_path):
    """The problem's statement of its memory, with the interpreter, is at least the peak resident
    memory of a real run (and its data part no less than the result the run must hold)."""
    # Measured in a process of its own, whose only child is the run.
    measure = "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); " + (
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    command = [str(BIN / "parbench"), "run", problem, "serial", *options, "--out", str(tmp_path / "r.h5")]
    done = subprocess.run([str(BIN / "python"), "-c", measure, *command], capture_output=True, text=True)
    assert done.returncode == 0, output_of(done)
    peak_kib = int(done.stdout.split()[-1])
    full = {**requests.point_params(study_of({problem: {"s": params}}), problem, "s", 1)}
    need = requests.need(problem, full, "serial", "numpy", 1)
    assert peak_kib * 1024 <= need.total
    assert need.data <= peak_kib * 1024 * 2  # and not wildly above it
