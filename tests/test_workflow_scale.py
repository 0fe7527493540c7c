"""Thousands of runs through the real workflow's verification, collection, report and gate: a
generated results tree (tests/results_tree.py) of more runs than fit on one command line, two of
them mismatched. No timing is asserted; benchmarks/harness.py measures the cost."""

from __future__ import annotations

import json
import re
import shutil

import pandas as pd
import pytest

import results_tree
from parbench.planning import plan
from parbench.timing import PHASES
from workflow_cases import output_of, snakemake

VARIANTS = ["serial", "threads", "processes", "futures-threads", "futures-processes", "mpi", "dask", "spark"]
PROBLEMS = {
    "pi": {"tiny": {"samples": 2000, "chunk_size": 500}},
    "mandelbrot": {"tiny": {"width": 16, "height": 8, "maxiter": 20}},
}
MISMATCHED = ("pi/tiny/numpy/threads/w7-r3", "mandelbrot/tiny/numpy/mpi/w32-r8")


def jobs_run(text: str) -> dict[str, int]:
    """Snakemake's job stats table: the number of jobs of each rule it ran."""
    table = text[text.index("Job stats:") :].split("\n\n")[0]
    found = {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.MULTILINE)}
    return {rule: count for rule, count in found.items() if rule not in ("total", "all")}


def chained_parts(text: str) -> int:
    """The verification parts Snakemake started only after the previous part of their case had
    finished, read from its log: each job's block names its inputs."""
    chained = 0
    for block in text.split("\nlocalrule verify_part:")[1:]:
        inputs = block.split("\n    output:")[0]
        chained += bool(re.search(r"results/verify/[^,]+/part[0-9]+\.json", inputs))
    return chained


@pytest.mark.timeout(1200)  # a few minutes on a busy 2-core machine
def test_thousands_of_runs_are_verified_collected_and_reported(tmp_path):
    workdir = tmp_path / "study"
    config = results_tree.config(PROBLEMS, VARIANTS, workers=range(1, 33), repeats=8)
    study = results_tree.generate(workdir, config, mismatched=MISMATCHED)
    runs = study.runs()
    assert len(runs) == 2 * (7 * 32 * 8 + 8)  # serial runs on one worker only
    # A status path a run on one command line (as collect and the gate once had) is beyond
    # Linux's limit of 128 KiB for one argument.
    assert sum(len(f"results/verify/{run.id}.json ") for run in runs) > 128 * 1024

    done = snakemake(workdir, "--cores", "2", configfile=workdir / "config.yaml", timeout=1500)
    text = output_of(done)
    assert done.returncode != 0, "the gate should fail on the two mismatched runs"
    # Each case's 1,800 runs are verified in parts of 100, which run one after another.
    parts = {"verify_part": 2 * 18, "verify": 2}
    assert jobs_run(text) == {**parts, "collect": 1, "html_report": 1, "verification_gate": 1}, text[-3000:]
    assert chained_parts(text) == 2 * 17
    assert f"{len(MISMATCHED)} of {len(runs)} runs do not match their serial reference" in text
    assert "pi/tiny/numpy/threads/w7-r3: hits[] is" in text
    assert "mandelbrot/tiny/numpy/mpi/w32-r8: counts[0, 0] is" in text

    table = pd.read_csv(workdir / "results" / "runs.csv").set_index("run")
    assert sorted(table.index) == sorted(run.id for run in runs)
    assert set(table.loc[list(MISMATCHED), "status"]) == {"mismatch"}
    assert (table.drop(index=list(MISMATCHED))["status"] == "ok").all()
    assert (table.loc[[run.id for run in runs], "workers"].to_numpy() == [run.workers for run in runs]).all()
    timings = pd.read_csv(workdir / "results" / "timings.csv")
    assert len(timings) == len(runs) * (len(PHASES) + 1)
    merged = (workdir / "results" / "timings.jsonl").read_text().splitlines()
    assert sorted(json.loads(line)["run"] for line in merged) == sorted(table.index)
    page = (workdir / "results" / "report" / "index.html").read_text()
    assert f"{len(MISMATCHED)} of {len(runs)} runs are not in the figures" in page
    assert all(run in page for run in MISMATCHED)
    assert not (workdir / "results" / "verification.txt").exists()


def test_allow_missing_reports_the_finished_runs_then_a_fixed_run_is_verified_again(tmp_path):
    workdir = tmp_path / "study"
    config = results_tree.config(PROBLEMS, ["serial", "threads", "mpi"], workers=[1, 2], repeats=2)
    bad = "mandelbrot/tiny/numpy/threads/w2-r2"
    study = results_tree.generate(workdir, config, mismatched=[bad])
    gone = "pi/tiny/numpy/mpi/w2-r1"
    run = next(r for r in study.runs() if r.id == gone)
    for template in (plan.RESULT, plan.RECORD):
        (workdir / run.path(template)).unlink()

    done = snakemake(
        workdir, "--cores", "2", "--config", "allow_missing=True", configfile=workdir / "config.yaml"
    )
    text = output_of(done)
    assert done.returncode != 0 and f"{bad}: counts[0, 0] is" in text, text[-3000:]
    assert "run_mpi" not in jobs_run(text), "allow_missing must not run the missing run"
    table = pd.read_csv(workdir / "results" / "runs.csv").set_index("run")
    assert table.loc[gone, "status"] == "missing" and table.loc[bad, "status"] == "mismatch"
    # The missing run's labels are the plan's (nothing parses its id back).
    labels = table.loc[gone, ["problem", "variant", "workers", "nodes", "repeat", "scale"]].tolist()
    assert labels == ["pi", "mpi", 2, 1, 1, 1], labels
    assert (table.drop(index=[gone, bad])["status"] == "ok").all() and len(table) == len(study.runs())
    page = (workdir / "results" / "report" / "index.html").read_text()
    assert gone in page and bad in page

    # The mismatched result replaced by a good one: only its case is verified again, and passes.
    run = next(r for r in study.runs() if r.id == bad)
    result = workdir / run.path(plan.RESULT)
    shutil.copyfile(workdir / study.reference(run), result)  # a new file, as a rerun writes
    done = snakemake(
        workdir, "--cores", "2", "--config", "allow_missing=True", configfile=workdir / "config.yaml"
    )
    text = output_of(done)
    assert done.returncode == 0, text[-3000:]
    assert jobs_run(text)["verify"] == 1
    summary = (workdir / "results" / "verification.txt").read_text()
    assert summary == f"all {len(study.runs()) - 1} verified runs match their serial reference\n"
