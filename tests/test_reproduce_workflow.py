"""End to end: the workflow re-runs a shipped reported study (its own, small, size) and judges it;
a finished study exported as a reported study is reproduced from a fresh working directory, and
compared with itself by `parbench compare`: both "reproduced"."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from browser import chromium, layout_problems  # noqa: F401 (chromium is a fixture)
from conftest import run_parbench
from parbench import stats
from parbench.reproduce import reported
from workflow_cases import ROOT, output_of, snakemake

VERDICTS = {"reproduced", "not reproduced", "undecided"}


def test_a_shipped_study_is_reproduced_end_to_end(tmp_path, chromium):  # noqa: F811
    """python-for-scicomp's processes-against-threads pi, at its own size (10**6 samples in ten
    tasks), one repeat: every point judged, every run verified, the report's section written.
    Which verdict a loaded 2-core machine gives is its own business: the test checks the judging."""
    data = yaml.safe_load((ROOT / "reported" / "aalto-multiprocessing-pi.yaml").read_text())
    data["repeats"] = 1
    study = tmp_path / "aalto.yaml"
    study.write_text(yaml.safe_dump(data))
    work = tmp_path / "work"
    done = snakemake(work, "--cores", "2", "--config", f"reproduce={study}", timeout=900)
    assert done.returncode == 0, output_of(done)
    table = pd.read_csv(work / "results" / "reproduction" / "aalto-multiprocessing-pi.csv")
    assert table["series"].tolist() == ["multiprocessing.Pool (processes)", "ThreadPool (threads)"]
    # One repeat gives no interval: every point is undecided, and says the repeats that would decide.
    assert set(table["verdict"]) == {"undecided"} and (table["runs"] == 1).all()
    assert (table["repeats_needed"] == stats.MIN_REPEATS).all()
    assert table["measured"].notna().all() and table["reported_time_s"].tolist() == [0.320, 0.635]
    summary = json.loads((work / "results" / "reproduction" / "aalto-multiprocessing-pi.json").read_text())
    assert summary["headline"]["verdict"] == "undecided" and summary["headline"]["undecided"] == 2
    assert summary["source"]["link"].startswith("https://github.com/AaltoSciComp/")
    assert (work / "results" / "reproduction" / "aalto-multiprocessing-pi.png").stat().st_size > 10_000
    assert (work / "results" / "verification.txt").exists()  # every run matched serial
    runs = pd.read_csv(work / "results" / "runs.csv")
    assert sorted(zip(runs["variant"], runs["workers"], strict=True)) == [
        ("processes", 2),
        ("serial", 1),
        ("threads", 2),
    ]
    html = (work / "results" / "report" / "index.html").read_text()
    assert "<h2>Reproduction</h2>" in html and "python-for-scicomp: pure-Python pi" in html
    assert "reproduction-aalto-multiprocessing-pi-curves" in html  # its chart
    # In a real browser: every chart drawn (the section's too), no errors, a readable layout.
    page = chromium.open(work / "results" / "report" / "index.html")
    state = page.evaluate("window.parbenchCharts")
    assert state["failed"] == [] and state["rendered"] == state["total"] >= 1
    assert page.evaluate(
        "document.querySelector('#reproduction-aalto-multiprocessing-pi-curves .role-mark') !== null"
    )
    assert page.errors() == []
    assert layout_problems(page.measure()) == []


AMDAHL_STUDY = {
    "scaling": "strong",
    "variants": ["serial", "threads"],
    "workers": [1, 2],
    "repeats": 5,  # enough for an interval: the verdicts below are decided
    "problems": [
        {
            "name": "amdahl",
            "kernels": ["sleep"],
            "sizes": {"quick": {"work": 1.5, "parallel_proportion": 0.8, "tasks": 12}},
        }
    ],
    "mpi_launcher": "mpiexec",
    "max_timed_jobs": 1,
}


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A finished study to export: sleeping work, whose speed-ups a loaded machine does not move."""
    folder = tmp_path_factory.mktemp("exported")
    config = folder / "study.yaml"
    config.write_text(yaml.safe_dump(AMDAHL_STUDY))
    done = snakemake(folder / "a", "--cores", "2", configfile=config, timeout=900)
    assert done.returncode == 0, output_of(done)
    return folder


@pytest.fixture(scope="module")
def exported(finished):
    results = finished / "a" / "results"
    out = finished / "exported.yaml"
    run_parbench(
        "export",
        "--runs",
        results / "runs.csv",
        "--log",
        results / "timings.jsonl",
        "--name",
        "roundtrip",
        "--out",
        out,
    )
    return out


def test_export_writes_a_valid_reported_study(exported):
    out = exported
    study = reported.load(out)
    (series,) = study.series
    assert (series.problem, series.kernel, series.variant, series.baseline_variant) == (
        "amdahl",
        "sleep",
        "threads",
        "serial",
    )
    assert series.parameters == {"parallel_proportion": 0.8, "rate": 2_000_000, "tasks": 12, "work": 1.5}
    assert [p.workers for p in series.points] == [1, 2]
    assert series.points[0].tolerance == {"lower": -0.25, "upper": 0.25}  # docs/reproduce.md
    # Amdahl's law for p = 0.8 on 2 workers: 1 / (0.2 + 0.4) = 1.67, give or take the runs' own
    # costs, which differ between serial and threads and with the machine's load.
    assert 1.2 < series.points[1].speedup < 2.0
    assert study.machine["cores_per_node"] >= 1 and study.machine["software"]["python"]
    assert "reproduce=" in out.read_text().splitlines()[1]


def test_the_same_machinery_compares_two_studies(finished, exported):
    """The exported study against its own tables: every ratio is 1."""
    results = finished / "a" / "results"
    out = exported
    done = run_parbench(
        "compare",
        out,
        "--timings",
        results / "timings.csv",
        "--runs",
        results / "runs.csv",
        "--log",
        results / "timings.jsonl",
        "--out-dir",
        finished / "self",
    )
    assert "roundtrip: reproduced" in done.stdout
    # The export kept each point's repeats: against them, the same runs are the same (rank test).
    assert "roundtrip: against its repeats, this study's points are 0 faster, 0 slower, 2 same" in done.stdout
    table = pd.read_csv(finished / "self" / "roundtrip.csv")
    assert table["ratio"].round(3).tolist() == [1.0, 1.0]


def test_an_exported_study_is_reproduced_from_a_fresh_directory(finished, exported):
    """A fresh working directory, as a fresh clone has: nothing of the first study is reused."""
    out = exported
    fresh = finished / "fresh"
    done = snakemake(fresh, "--cores", "2", "--config", f"reproduce={out}", timeout=900)
    assert done.returncode == 0, output_of(done)
    summary = json.loads((fresh / "results" / "reproduction" / "roundtrip.json").read_text())
    assert summary["headline"]["verdict"] == "reproduced", summary
    assert not (fresh / "results" / "runs" / "amdahl" / "quick").exists()  # nothing reused
