"""Dry runs of the default study and every preset on a machine without MPI, Java or SLURM (only
snakemake and Python on PATH), and the workflow's lint and formatting."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from workflow_cases import BIN, DEFAULT, PRESETS, ROOT, SNAKEFILE, output_of, snakemake

ABSENT = re.compile(r"java|mpi|^s(run|batch|queue|acct|control|alloc|info)$|slurm|orte")


@pytest.fixture(scope="module")
def bare_path(tmp_path_factory):
    """A PATH with the system's tools, snakemake and python, but no MPI launcher, Java or SLURM
    command: a laptop that has none of them installed."""
    folder = tmp_path_factory.mktemp("bare-bin")
    for name in ("snakemake", "python", "python3"):
        (folder / name).symlink_to(BIN / name)
    for system in (Path("/usr/local/bin"), Path("/usr/bin"), Path("/bin")):
        for tool in sorted(system.glob("*")) if system.is_dir() else []:
            link = folder / tool.name
            if not ABSENT.search(tool.name) and not link.exists() and not link.is_symlink():
                link.symlink_to(tool)
    return str(folder)


@pytest.mark.parametrize("config", [DEFAULT, *PRESETS], ids=lambda p: p.stem)
def test_dry_run(config, tmp_path, bare_path):
    done = snakemake(tmp_path, "--dry-run", "--cores", "2", configfile=config, path=bare_path)
    text = output_of(done)
    assert done.returncode == 0, text
    for rule in ("run", "run_mpi", "reference", "verify", "collect", "html_report", "verification_gate"):
        assert f"\n{rule} " in text, f"no {rule} job in the dry run:\n{text[-3000:]}"
    assert not (tmp_path / "results").exists()


def test_lint_is_clean():
    done = subprocess.run(
        [str(BIN / "snakemake"), "--snakefile", str(SNAKEFILE), "--lint"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, output_of(done)
    assert "Congratulations, your workflow is in a good condition!" in output_of(done), output_of(done)


def test_snakefmt_is_clean():
    done = subprocess.run(
        [str(BIN / "snakefmt"), "--check", str(ROOT / "workflow")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, output_of(done)


def test_problems_with_datasets_and_variant_kernels_need_only_config_entries(tmp_path, bare_path):
    """heat and groupby join a study by config alone: groupby's dataset is generated once per
    size and scale, and Spark's own `jvm` kernel runs only with Spark, verified against the
    serial reference of the default kernel."""
    config = {
        "scaling": "weak",
        "variants": ["serial", "threads", "mpi", "spark"],
        "workers": [1, 2],
        "repeats": 1,
        "problems": [
            {"name": "heat", "kernels": ["numpy"], "sizes": {"tiny": {"nx": 32, "ny": 24, "steps": 10}}},
            {
                "name": "groupby",
                "kernels": ["pandas", "jvm"],
                "sizes": {"tiny": {"rows": 20000, "keys": 50, "partitions": 4}},
                "scale_with_workers": ["rows"],
            },
        ],
        "mpi_launcher": "mpiexec",
        "max_timed_jobs": 1,
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    done = snakemake(tmp_path / "study", "--dry-run", "--cores", "2", configfile=path, path=bare_path)
    text = output_of(done)
    assert done.returncode == 0, text
    assert "pairs left out (no such kernel): " in text and "groupby: spark with the pandas kernel" in text
    datasets = set(re.findall(r"output: (results/datasets/\S+)", text))
    assert datasets == {"results/datasets/groupby/tiny/x1", "results/datasets/groupby/tiny/x2"}
    assert set(re.findall(r"results/runs/groupby/tiny/jvm/([a-z-]+)/", text)) == {"spark"}
    assert "results/references/groupby/tiny/pandas/x2.h5" in text
