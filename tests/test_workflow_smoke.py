"""The smoke study end to end with real runs (MPI included): the tidy table, the merged log,
the self-contained report and `snakemake --report`; then a tampered result fails verification,
naming the run, and the report lists it. The report is opened in headless Chromium too."""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime

import h5py
import pandas as pd
import pytest

from browser import chromium, layout_problems  # noqa: F401 (chromium is a fixture)
from conftest import run_parbench
from parbench.reproduce import reported
from parbench.timing import PHASES
from workflow_cases import SMOKE_CONFIG, expected_run_count, output_of, snakemake

# The study's run is charged to the first test; on a loaded 2-core machine it has taken 10 minutes.
pytestmark = pytest.mark.timeout(1200)


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("smoke")
    # A guard against a hang, not a speed test: on a shared 2-core machine under load the study's
    # 60-odd jobs (MPI ranks, the report) have taken over five minutes.
    done = snakemake(workdir, "--cores", "2", timeout=900)
    assert done.returncode == 0, output_of(done)[-5000:]
    return workdir


def test_tidy_table_has_every_run_phase_and_parameter(study):
    timings = pd.read_csv(study / "results" / "timings.csv")
    runs = timings["run"].unique()
    assert len(runs) == expected_run_count()
    asked = {v for entry in SMOKE_CONFIG["problems"] for v in entry.get("variants", SMOKE_CONFIG["variants"])}
    assert set(timings["variant"]) == asked == {*SMOKE_CONFIG["variants"], "asyncio"}  # fetch's own
    assert set(timings["phase"]) == {*PHASES, "total"}
    assert (timings.groupby("run").size() == len(PHASES) + 1).all()
    assert (timings["seconds"] >= 0).all() and (timings["status"] == "ok").all()
    mandelbrot = timings[timings["problem"] == "mandelbrot"]
    assert set(mandelbrot["param.width"]) == {64} and set(mandelbrot["param.maxiter"]) == {50}
    assert set(timings.loc[timings["problem"] == "pi", "param.samples"]) == {200000}
    assert set(timings["problem"]) == {"mandelbrot", "pi", "heat", "groupby", "fetch"}
    assert set(timings.loc[timings["problem"] == "fetch", "param.latency_ms"]) == {5.0}
    assert set(timings.loc[timings["problem"] == "heat", "param.nx"]) == {48}
    assert set(timings.loc[timings["variant"] == "mpi", "workers"]) == {1, 2}
    assert set(timings.loc[timings["variant"] == "serial", "workers"]) == {1}


def test_run_table_and_merged_log(study):
    runs = pd.read_csv(study / "results" / "runs.csv")
    assert len(runs) == expected_run_count() and (runs["status"] == "ok").all()
    assert (runs["process_s"] >= runs["total_s"] * 0.5).all()  # the benchmark wraps the run
    busy = pd.read_csv(study / "results" / "worker_busy.csv")
    # Only workers that did work are listed: MPI deals every rank a share; the pools balance
    # dynamically, so one of their workers may have taken everything.
    two = busy[busy["workers"] == 2].groupby(["run", "variant"]).size().reset_index(name="listed")
    assert not two.empty and two["listed"].between(1, 2).all(), two
    assert (two.loc[two["variant"] == "mpi", "listed"] == 2).all(), two
    lines = (study / "results" / "timings.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert sorted(r["run"] for r in records) == sorted(runs["run"])
    assert all("phases" in r and "machine" in r for r in records)


def test_timed_runs_never_overlap(study):
    """max_timed_jobs 1 (the smoke preset) with --cores 2, which would fit two 1-worker runs at
    once: by the runs' own records, each starts after the one before it has ended."""
    assert SMOKE_CONFIG["max_timed_jobs"] == 1
    lines = (study / "results" / "timings.jsonl").read_text().splitlines()
    spans = sorted(
        (datetime.fromisoformat(r["start_utc"]), datetime.fromisoformat(r["end_utc"]), r["run"])
        for r in map(json.loads, lines)
    )
    assert len(spans) == expected_run_count()
    for (_, ended, before), (started, _, after) in zip(spans[:-1], spans[1:], strict=True):
        assert ended <= started, f"{after} started at {started} before {before} ended at {ended}"


def test_report_has_the_answer_a_section_per_problem_and_every_item_file(study):
    page = (study / "results" / "report" / "index.html").read_text()
    assert not re.search(r"(src|href)=['\"]?(https?:|//|file:)", page)
    for heading in (
        "The answer",
        "mandelbrot (embarrassingly parallel)",
        "heat (tightly coupled)",
        "groupby (data analytics)",
        "Speed-up",
        "Parallel efficiency",
        "Where the time goes",
        "Threads and the GIL",
        "Fastest variant per worker count",
        "Why the others lose",
        "When the start-up pays back",
        "Machine and software",
        f"All {expected_run_count()} runs finished and match their serial reference",
    ):
        assert heading in page, heading
    assert re.search(r"with 2 workers, [a-z-]+ is fastest \(speed-up [0-9.]+x, efficiency [0-9]+%\)", page)
    assert "version: python" in page and "machine: cpus" in page
    items = study / "results" / "report" / "items"
    fastest = pd.read_csv(items / "pi" / "fastest.csv")
    assert set(fastest["workers"]) == {1, 2}
    assert {f.split(" ")[0] for f in fastest["fastest"]} <= set(SMOKE_CONFIG["variants"])
    fractions = pd.read_csv(items / "pi" / "serial_fraction_fit.csv")
    assert {"processes", "threads", "mpi"} <= set(fractions["variant"])
    # The group-by is sized in rows: each parallel variant gets a cost line and a crossover.
    crossovers = pd.read_csv(items / "groupby" / "crossover.csv")
    assert set(crossovers["problem"]) == {"groupby"}
    assert set(crossovers["variant"]) == set(SMOKE_CONFIG["variants"]) - {"serial"}
    assert (crossovers["workers"] == 2).all() and (crossovers["ns_per_row"] > 0).all()
    assert crossovers["beats_serial"].str.match(r"never|at any size|above about|unknown").all()
    for problem in ("mandelbrot", "pi", "heat", "groupby"):
        for figure in ("speedup", "efficiency", "wall_time", "phases", "imbalance", "serial_fraction"):
            assert (items / problem / f"{figure}.svg").stat().st_size > 5000, (problem, figure)
    assert (items / "mandelbrot" / "gil.svg").is_file() and not (items / "pi" / "gil.svg").exists()


def test_report_in_a_real_browser(study, chromium, capsys):  # noqa: F811
    path = study / "results" / "report" / "index.html"
    page = chromium.open(path)
    page.keep_screenshot("smoke-report", capsys)
    state = page.evaluate("window.parbenchCharts")
    assert state["total"] >= 4 * 6 + 1 and state["rendered"] == state["total"] and not state["failed"]
    assert page.errors() == []
    assert all(url == path.resolve().as_uri() or url.startswith("data:") for url in page.requests())
    assert layout_problems(page.measure()) == []


def test_a_study_of_every_problem_exports_and_plans_its_reproduction(study, tmp_path):
    """`parbench export` of a study with every problem: a group-by run's record also holds the
    dataset path the workflow passed it, which is no parameter a reported study may state."""
    out = tmp_path / "exported.yaml"
    results = study / "results"
    run_parbench("export", "--runs", results / "runs.csv", "--log", results / "timings.jsonl",
                 "--name", "smoke", "--out", out)  # fmt: skip
    series = reported.load(out).series
    assert {s.problem for s in series} == {"mandelbrot", "pi", "heat", "groupby", "fetch"}
    assert {s.variant for s in series if s.problem == "fetch"} == {
        "threads",
        "processes",
        "mpi",
        "asyncio",
    }
    groupby = next(s for s in series if s.problem == "groupby")
    assert groupby.parameters == {"rows": 20000, "keys": 50, "partitions": 4}
    again = tmp_path / "again"
    again.mkdir()
    planned = snakemake(again, "-n", "--config", f"reproduce={out}")
    assert planned.returncode == 0, output_of(planned)
    assert "rule dataset:" in output_of(planned)


def test_second_run_has_nothing_to_do(study):
    done = snakemake(study, "--dry-run", "--cores", "2")
    assert done.returncode == 0 and "Nothing to be done" in output_of(done), output_of(done)


def test_snakemake_report(study):
    done = snakemake(study, "--report", "snakemake-report.html", "--cores", "1")
    assert done.returncode == 0, output_of(done)
    page = (study / "snakemake-report.html").read_text()
    assert "items/heat/speedup.svg" in page and "items/pi/fastest.csv" in page
    assert '"heat (tightly coupled)": {"Scaling": [' in page and "Amdahl curve" in page


def test_tampered_result_fails_verification_naming_the_run(study, tmp_path):
    copy = tmp_path / "tampered"
    shutil.copytree(study, copy, symlinks=True)
    run = "mandelbrot/tiny/numpy/threads/w2-r1"
    with h5py.File(copy / "results" / "runs" / f"{run}.h5", "r+") as f:
        f["result/counts"][3, 5] += 1
    done = snakemake(copy, "--cores", "2")
    text = output_of(done)
    assert done.returncode != 0
    assert f"{run}: counts[3, 5] is" in text, text[-4000:]
    runs = pd.read_csv(copy / "results" / "runs.csv").set_index("run")
    assert runs.loc[run, "status"] == "mismatch"
    page = (copy / "results" / "report" / "index.html").read_text()
    assert f"1 of {expected_run_count()} runs are not in the figures" in page and run in page
    assert not (copy / "results" / "verification.txt").exists()
