"""Dask and Spark through a local run of the workflow (the smoke preset has neither), and a study
in which some runs fail: `--keep-going` finishes the others, and `allow_missing` then collects and
reports the verified runs and lists the failed ones as missing."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from parbench.results import check
from workflow_cases import output_of, snakemake

# Tiny pi for every variant; heat on a grid of a single interior row, which serial computes but
# two workers cannot share: the dask and spark heat runs fail, before either starts a cluster.
STUDY = {
    "scaling": "strong",
    "variants": ["serial", "dask", "spark"],
    "workers": [2],
    "repeats": 1,
    "problems": [
        {"name": "pi", "kernels": ["numpy"], "sizes": {"tiny": {"samples": 200000, "chunk_size": 50000}}},
        {"name": "heat", "kernels": ["numpy"], "sizes": {"one-row": {"nx": 3, "ny": 40, "steps": 2}}},
    ],
    # Not empty: Snakemake keeps the default config's overrides when a config file's list is empty.
    "overrides": [{"variants": ["serial"], "repeats": 1}],
    "mpi_launcher": "mpiexec",
    "max_timed_jobs": 1,
    "allow_missing": False,
}
FAILING = {"heat/one-row/numpy/dask/w2-r1", "heat/one-row/numpy/spark/w2-r1"}


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    folder = tmp_path_factory.mktemp("frameworks")
    config = folder / "study.yaml"
    config.write_text(yaml.safe_dump(STUDY, sort_keys=False))
    workdir = folder / "study"
    first = snakemake(workdir, "--cores", "2", "--keep-going", configfile=config, timeout=500)
    return workdir, config, first


def test_dask_and_spark_runs_of_a_local_study_match_serial(study):
    workdir, _, first = study
    assert first.returncode != 0, "the runs that cannot split one row over two workers should fail"
    case = workdir / "results" / "verify" / "pi" / "tiny" / "numpy.json"  # one status file a case
    assert case.exists(), output_of(first)[-5000:]
    statuses = {status["id"]: status for status in check.read_statuses([case])}
    for variant in ("dask", "spark"):
        status = statuses[f"pi/tiny/numpy/{variant}/w2-r1"]
        assert status["status"] == "ok", status
    for run in FAILING:
        assert not (workdir / "results" / "runs" / f"{run}.h5").exists()
        log = (workdir / "logs" / "runs" / f"{run}.log").read_text()
        assert "--nx: 3 gives 1 interior rows: too few for 2 blocks" in log, log


def test_allow_missing_reports_the_verified_runs_and_lists_the_failed_ones(study):
    workdir, config, _ = study
    allow = ("--config", "allow_missing=True")
    done = snakemake(workdir, "--cores", "2", *allow, configfile=config, timeout=300)
    assert done.returncode == 0, output_of(done)[-5000:]
    runs = pd.read_csv(workdir / "results" / "runs.csv")
    assert set(runs.loc[runs["status"] == "missing", "run"]) == FAILING
    assert set(runs.loc[runs["status"] == "ok", "run"]) == {
        "pi/tiny/numpy/serial/w1-r1",
        "pi/tiny/numpy/dask/w2-r1",
        "pi/tiny/numpy/spark/w2-r1",
        "heat/one-row/numpy/serial/w1-r1",
    }
    page = (workdir / "results" / "report" / "index.html").read_text()
    assert all(run in page for run in FAILING), "the report should list the missing runs"
