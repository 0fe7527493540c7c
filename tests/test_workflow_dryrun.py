"""Dry runs of the default study and every preset on a machine without MPI, Java or SLURM (only
snakemake and Python on PATH), and the workflow's lint and formatting."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
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
