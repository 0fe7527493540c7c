"""The example plug-in through the workflow, both ways in: installed by pip (its entry point) in a
study of every variant, verified and reported in a section of its own with the GIL panel; and
named by its file in the config, re-running the example's reported study (its claims judged)."""

from __future__ import annotations

import subprocess

import pandas as pd
import pytest
import yaml

from conftest import parbench_command
from plugin_cases import EXAMPLE, EXAMPLE_FILE, NAME, SMALL, pip_install
from workflow_cases import command, environment, output_of, snakemake

pytestmark = pytest.mark.timeout(1200)

EVERY_VARIANT = {
    "scaling": "strong",
    "variants": [
        "serial",
        "threads",
        "processes",
        "futures-threads",
        "futures-processes",
        "mpi",
        "dask",
        "spark",
    ],
    "workers": [2],
    "repeats": 1,
    "problems": [{"name": NAME, "kernels": ["python"], "sizes": {"small": SMALL}}],
    # Not empty: Snakemake keeps the default config's overrides when a config file's list is empty.
    "overrides": [{"variants": ["serial"], "repeats": 1}],
    "mpi_launcher": "mpiexec",
    "max_timed_jobs": 1,
}


def parbench(env: dict, *args) -> subprocess.CompletedProcess:
    return subprocess.run(parbench_command(*args), env=env, capture_output=True, text=True, timeout=120)


def test_an_installed_plugin_runs_through_a_study_of_every_variant(tmp_path):
    env = {**environment(), "PYTHONPATH": pip_install(tmp_path / "site")["PYTHONPATH"]}
    config = tmp_path / "study.yaml"
    config.write_text(yaml.safe_dump(EVERY_VARIANT))
    work = tmp_path / "work"
    done = subprocess.run(
        command(work, "--cores", "2", configfile=config), env=env, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, output_of(done)[-5000:]
    runs = pd.read_csv(work / "results" / "runs.csv")
    assert sorted(runs["variant"]) == sorted(EVERY_VARIANT["variants"])
    assert (runs["problem"] == NAME).all() and (runs["status"] == "ok").all()
    assert (work / "results" / "verification.txt").exists()  # every run matched serial
    # Every run loaded it where its entry point says, the module of the installed package.
    assert "--plugin parbench_sir_sweep.problem:PROBLEM" in (work / "results" / "timings.jsonl").read_text()
    html = (work / "results" / "report" / "index.html").read_text()
    assert f"{NAME} (parameter sweep)" in html
    items = work / "results" / "report" / "items" / NAME
    # Its own section: the same figures as a built-in problem, and the GIL panel (its code holds it).
    for item in ("speedup", "efficiency", "wall_time", "phases", "gil"):
        assert (items / f"{item}.svg").stat().st_size > 1000, item
    answer = pd.read_csv(items / "fastest.csv").set_index("workers")
    assert answer.loc[2, "variants_compared"] == len(EVERY_VARIANT["variants"]) - 1  # serial runs on 1
    assert answer.loc[2, "fastest"] in EVERY_VARIANT["variants"]
    # Exported as a reported study (the plug-in installed); without it, the command says what to load.
    results = work / "results"
    export = ["export", "--runs", results / "runs.csv", "--log", results / "timings.jsonl", "--name", "mine"]
    exported = tmp_path / "mine.yaml"
    done = subprocess.run(
        parbench_command(*export, "--out", exported), env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    series = yaml.safe_load(exported.read_text())["series"]
    assert {s["problem"] for s in series} == {NAME} and len(series) == len(EVERY_VARIANT["variants"]) - 1
    done = subprocess.run(
        parbench_command(*export, "--out", tmp_path / "again.yaml"),
        env=environment(),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "add --plugin parbench_sir_sweep.problem:PROBLEM" in done.stderr


def test_a_plugin_named_by_its_file_reproduces_its_reported_study(tmp_path):
    """The config names the file; the example's reported study targets the plug-in's problem."""
    reported = yaml.safe_load((EXAMPLE / "reported.yaml").read_text())
    reported["repeats"] = 1
    study = tmp_path / "sir-claims.yaml"
    study.write_text(yaml.safe_dump(reported))
    config = tmp_path / "study.yaml"
    config.write_text(yaml.safe_dump({**EVERY_VARIANT, "plugins": [str(EXAMPLE_FILE)]}))
    work = tmp_path / "work"
    done = snakemake(work, "--cores", "2", "--config", f"reproduce={study}", configfile=config, timeout=900)
    assert done.returncode == 0, output_of(done)[-5000:]
    table = pd.read_csv(work / "results" / "reproduction" / "sir-sweep-claims.csv")
    assert table["series"].tolist() == ["processes", "threads"]
    # One repeat: no interval, so each claim is undecided, naming the repeats that would decide it.
    assert set(table["verdict"]) == {"undecided"} and table["measured"].notna().all()
    runs = pd.read_csv(work / "results" / "runs.csv")
    assert sorted(zip(runs["variant"], runs["workers"], strict=True)) == [
        ("processes", 2),
        ("serial", 1),
        ("threads", 2),
    ]
    assert (work / "results" / "verification.txt").exists()
    html = (work / "results" / "report" / "index.html").read_text()
    assert "<h2>Reproduction</h2>" in html and "processes speed the sweep up" in html
