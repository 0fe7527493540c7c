"""Reported-study files: the shipped ones load, and every kind of bad file is refused with an
error that names the key, before any run (also by the workflow)."""

from __future__ import annotations

import copy
import os
from pathlib import Path

import pytest
import yaml

from parbench.reproduce import plan, reported
from workflow_cases import ROOT, snakemake

SHIPPED = sorted((ROOT / "reported").glob("*.yaml"))

GOOD = {
    "name": "tiny",
    "title": "a tiny study",
    "source": {"citation": "someone", "link": "https://example.org/x", "date": "2024-01-02"},
    "machine": {"description": "a laptop", "cores_per_node": 8},
    "series": [
        {
            "label": "processes",
            "problem": "pi",
            "parameters": {"samples": 100000, "chunk_size": 10000},
            "kernel": "python",
            "variant": "processes",
            "baseline": {"time": 1.0},
            "points": [{"workers": 2, "time": 0.55}, {"workers": 4, "speedup": 3.5}],
        }
    ],
}


def changed(edit) -> dict:
    data = copy.deepcopy(GOOD)
    edit(data)
    return data


def series(data):
    return data["series"][0]


def test_the_good_file_loads_with_its_stated_defaults():
    study = reported.validate(GOOD)
    (s,) = study.series
    assert study.repeats == reported.DEFAULT_REPEATS == 5
    assert s.timer == "total" and s.judge == ("speedup",) and s.baseline_variant == "serial"
    assert s.points[0].tolerance == reported.DEFAULT_TOLERANCE == {"lower": -0.2, "upper": 0.2}
    # A speed-up not given is derived from the reported times.
    assert s.reported(s.points[0], "speedup") == pytest.approx(1 / 0.55)
    assert s.reported(s.points[1], "efficiency") == pytest.approx(3.5 / 4)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_studies_load_and_quote_their_source(path):
    study = reported.load(path)
    assert study.name == path.stem
    assert study.source["quote"].strip() and study.differences.strip()
    assert study.source["link"].startswith("https://github.com/")
    # On a 2-core machine some points run and the rest are marked, none dropped.
    assert plan.wanted(study, plan.Place(cores=2))


def test_shipped_studies_keep_the_figures_of_their_sources():
    pi = reported.load(ROOT / "reported" / "hpc-intro-pi-mpi.yaml")
    cluster, laptop = pi.series
    assert [p.workers for p in cluster.points] == [1, 2, 4, 8, 16, 28, 56, 84, 112]
    assert [p.speedup for p in cluster.points] == [1.00, 1.97, 3.79, 6.86, 12.51, 17.26, 24.6, 26.89, 23.66]
    assert cluster.baseline_time == 28.68 and cluster.parameters["samples"] == 512_000_000
    assert [p.speedup for p in laptop.points] == [1.00, 1.81, 3.37, 5.57, 6.03]
    amdahl = reported.load(ROOT / "reported" / "hpc-intro-amdahl.yaml").series[0]
    assert [(p.workers, p.time) for p in amdahl.points] == [(1, 30.033), (4, 10.888), (8, 7.697)]
    assert amdahl.parameters == {"work": 30.0, "parallel_proportion": 0.85, "tasks": 8}
    aalto = reported.load(ROOT / "reported" / "aalto-multiprocessing-pi.yaml")
    assert [s.points[0].time for s in aalto.series] == [0.320, 0.635] and aalto.series[
        0
    ].baseline_time == 0.598
    mpi = reported.load(ROOT / "reported" / "aalto-mpi4py-pi.yaml").series[0]
    assert [(p.workers, p.time) for p in mpi.points] == [(1, 2.5), (2, 1.3)]
    assert mpi.parameters["samples"] == 10**7


BAD = [
    (lambda d: d.pop("source"), "'source' is a required property"),
    (lambda d: d.update(colour="red"), "unknown key 'colour'"),
    (lambda d: d["source"].update(date="yesterday"), "source.date"),
    (lambda d: d["source"].update(link="example.org"), "source.link"),
    (lambda d: d.update(name="has space"), "name"),
    (lambda d: series(d).update(problem="fft"), "series[0].problem: 'fft' is not allowed"),
    (lambda d: series(d).update(variant="openmp"), "series[0].variant: 'openmp' is not allowed"),
    (
        lambda d: series(d).update(kernel="sleep"),
        "series[0].variant: processes does not run the 'sleep' kernel",
    ),
    (lambda d: series(d)["parameters"].update(width=3), "series[0].parameters: unknown key 'width'"),
    (
        lambda d: series(d)["parameters"].update(samples="many"),
        "series[0].parameters.samples: must be of type",
    ),
    (lambda d: series(d)["parameters"].update(samples=0), "series[0].parameters.samples: must be >= 1"),
    (lambda d: series(d)["points"][0].update(workers=0), "series[0].points[0].workers: must be >= 1"),
    (
        lambda d: series(d)["points"][1].update(workers=2),
        "series[0].points[1].workers: 2 workers are listed twice",
    ),
    (lambda d: series(d).update(tolerance={"lower": 0.1, "upper": 0.2}), "series[0].tolerance.lower"),
    (
        lambda d: series(d).update(tolerance={"lower": -0.1}),
        "series[0].tolerance: 'upper' is a required property",
    ),
    (lambda d: series(d).update(timer="cpu"), "series[0].timer: 'cpu' is not allowed"),
    (
        lambda d: series(d).update(judge=["time"]),
        "series[0].points[1]: series judges time but the point gives no time",
    ),
    (lambda d: series(d)["baseline"].pop("time"), "series[0].points[0]: series judges speedup"),
    (lambda d: series(d).update(baseline={"variant": "serial", "workers": 2}), "series[0].baseline.workers"),
    (lambda d: series(d).update(points=[]), "series[0].points: must not be empty"),
    (
        lambda d: series(d)["points"][0].update(
            claim={"says": "x", "figure": "speedup", "bounds": {"min": 2, "max": 1}}
        ),
        "series[0].points[0].claim.bounds: min 2 is above max 1",
    ),
    (lambda d: d["machine"].update(cores_per_node="lots"), "machine.cores_per_node: must be of type integer"),
]


@pytest.mark.parametrize(("edit", "says"), BAD, ids=[says for _, says in BAD])
def test_bad_files_are_refused_naming_the_key(edit, says):
    with pytest.raises(reported.ReportedStudyError) as error:
        reported.validate(changed(edit), "bad.yaml")
    assert str(error.value).startswith("bad.yaml: invalid reported study")
    assert says in str(error.value)


def test_unreadable_files_are_refused_naming_the_file(tmp_path):
    missing = tmp_path / "missing.yaml"
    with pytest.raises(reported.ReportedStudyError, match="missing.yaml: cannot read"):
        reported.load(missing)
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed\n")
    with pytest.raises(reported.ReportedStudyError, match="broken.yaml: not valid YAML"):
        reported.load(broken)
    listed = tmp_path / "list.yaml"
    listed.write_text("- 1\n- 2\n")
    with pytest.raises(reported.ReportedStudyError, match="expected a mapping"):
        reported.load(listed)


def test_the_workflow_refuses_a_bad_file_before_any_job(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(changed(lambda d: series(d)["parameters"].update(width=3))))
    done = snakemake(tmp_path / "work", "-n", "--config", f"reproduce={bad}")
    assert done.returncode != 0
    assert "series[0].parameters: unknown key 'width'" in done.stdout + done.stderr
    assert not (tmp_path / "work" / "results").exists()


def test_a_reproduction_runs_exactly_its_points(tmp_path):
    """The dry run plans the comparable points and their baseline, each `repeats` times, and
    nothing for the points beyond this machine."""
    done = snakemake(
        tmp_path,
        "-n",
        "--quiet",
        "rules",
        "--config",
        f"reproduce={ROOT / 'reported' / 'hpc-intro-pi-mpi.yaml'}",
        "reproduce_cores=2",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    counts = {}
    for line in (done.stdout + done.stderr).splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            counts[parts[0]] = int(parts[1])
    # serial, mpi 1 and mpi 2 (both curves share them), 5 repeats each; one serial reference.
    assert counts["run"] + counts.get("run_mpi", 0) == 15, counts
    assert counts["reference"] == 1 and counts["reproduction"] == 1


def test_relative_paths_in_the_docs_exist():
    text = (ROOT / "docs" / "reproduce.md").read_text()
    for path in SHIPPED:
        assert f"`{path.name}`" in text
    assert Path(ROOT / "README.md").read_text().count("docs/reproduce.md") >= 1


def test_the_command_line_refuses_a_bad_file_with_status_2(tmp_path, capsys):
    from conftest import run_in_process

    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(changed(lambda d: series(d).update(variant="openmp"))))
    code = run_in_process(
        "compare",
        bad,
        "--timings",
        tmp_path / "t.csv",
        "--runs",
        tmp_path / "r.csv",
        "--log",
        tmp_path / "l.jsonl",
        "--out-dir",
        tmp_path / "out",
    )
    assert code == 2
    assert "series[0].variant: 'openmp' is not allowed" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_where_a_reproduction_may_run():
    path = str(ROOT / "reported" / "aalto-mpi4py-pi.yaml")
    _, place, config = plan.from_workflow_config({"reproduce": path, "mpi_launcher": "mpiexec"}, 1)
    assert place == plan.Place(cores=1) and config["workers"] == [1]  # the 2-rank point is left out
    assert config["mpi_launcher"] == "mpiexec" and "overrides" in config
    _, place, _ = plan.from_workflow_config({"reproduce": path, "reproduce_cores": 64}, 2)
    assert place.cores == 64
    _, place, _ = plan.from_workflow_config({"reproduce": path}, None)  # a cluster run, not told
    assert place.cores == os.cpu_count()
    with pytest.raises(reported.ReportedStudyError, match="reproduce_nodes: must be an integer >= 1"):
        plan.from_workflow_config({"reproduce": path, "reproduce_nodes": 0}, 2)


def test_a_reproduction_plans_through_the_slurm_profile(tmp_path):
    """`snakemake -n --profile slurm`: with the allocation's cores given, the cluster curve's
    points up to 112 ranks are all planned."""
    study = ROOT / "reported" / "hpc-intro-pi-mpi.yaml"
    done = snakemake(
        tmp_path,
        "-n",
        "--profile",
        ROOT / "slurm",
        "--config",
        f"reproduce={study}",
        "reproduce_cores=112",
        "reproduce_nodes=4",
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-3000:]
    assert "rule reproduction" in out or "reproduction" in out.split("Job stats")[-1]
    assert "numpy/mpi/w112-r3.h5" in out and "numpy/mpi/w56-r1.h5" in out
    # Not told the allocation's size, it plans only what this machine's cores could run.
    small = snakemake(tmp_path / "b", "-n", "--profile", ROOT / "slurm", "--config", f"reproduce={study}")
    assert small.returncode == 0, small.stdout + small.stderr
    assert "w112" not in small.stdout + small.stderr and "numpy/mpi/w2-r1.h5" in small.stdout + small.stderr
