"""parbench taken into another project the Snakemake way: `snakedeploy deploy-workflow` of a tagged
release into an empty folder, and a hand-written `module` with `use rule * from parbench`. The
deployed project has no parbench sources: its programs come from parbench installed (pip, not
editable) from the release's tag into an environment of its own, and the workflow's schema,
captions and report are found from the module's source (a git tag, as from GitHub).

No GitHub here: the release is a local git repository at a path with `github.com/OWNER/NAME` in it
(snakedeploy then treats it as GitHub: clones it, checks out the tag, copies config/ and LICENSE),
and the deployed module's `github(...)` source is read with Snakemake's `gitfile(...)`, the same
files at the same tag from that local repository."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml

from workflow_cases import BIN, ROOT, environment

TAG = "v0-deploy-test"
# A smaller smoke study: every problem, run serially and under mpiexec (fetch, which names its own
# variants, by all five of them), verified and reported.
SMOKE_VARIANTS = "variants=[serial,mpi]"


def run(*args, cwd=None, env=None, timeout=600) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"{' '.join(map(str, args))} failed:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    """This commit, tagged, in a git repository named like a GitHub one."""
    repo = tmp_path_factory.mktemp("release") / "github.com" / "parbench-org" / "parbench"
    commit = run("git", "-C", ROOT, "rev-parse", "HEAD").stdout.strip()
    run("git", "clone", "--quiet", "--no-local", ROOT, repo)
    run("git", "-C", repo, "tag", TAG, commit)
    return repo


@pytest.fixture(scope="module")
def installed(tmp_path_factory, release) -> Path:
    """The bin folder of a new environment with parbench installed from the release's tag. Its
    dependencies are this test environment's (one .pth line: the folder, not its .pth files, so
    this checkout's editable parbench is not among them)."""
    venv = tmp_path_factory.mktemp("env") / "venv"
    run(sys.executable, "-m", "venv", venv)
    purelib = Path(sysconfig.get_paths()["purelib"])
    new_purelib = next(venv.glob("lib/python*/site-packages"))
    (new_purelib / "test-dependencies.pth").write_text(f"{purelib}\n")
    # The MPICH wheel's libraries sit in its environment's lib/, where mpi4py looks for them.
    for library in (BIN.parent / "lib").iterdir():
        if not library.name.startswith("python"):
            (venv / "lib" / library.name).symlink_to(library)
    # This environment's pip (the new one's may be too old), installing into the new environment.
    run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        venv / "bin" / "python",
        "install",
        "--quiet",
        "--no-deps",
        f"parbench @ git+file://{release}@{TAG}",
        env=environment(),
    )
    where = run(venv / "bin" / "python", "-c", "import parbench; print(parbench.__file__)").stdout
    assert Path(where.strip()).is_relative_to(venv), where  # the installed copy, not this checkout
    return venv / "bin"


def in_project(bin_dir: Path) -> dict:
    """The deployed project's environment: its own bin first (python, parbench, snakemake), then
    this one's for mpiexec; no PYTHONPATH."""
    env = environment(f"{bin_dir}{os.pathsep}{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("PYTHONPATH", None)
    return env


def snakemake(bin_dir, project, *args, timeout=600):
    return run(
        bin_dir / "python", "-m", "snakemake", *args, cwd=project, env=in_project(bin_dir), timeout=timeout
    )


def offline(snakefile: Path, release: Path) -> str:
    """The deployed Snakefile with its github(...) source read from the local release instead."""
    text = snakefile.read_text()
    github = f'github("parbench-org/parbench", path="workflow/Snakefile", tag="{TAG}")'
    assert github in text, text
    return text.replace(github, f'gitfile("{release}", path="workflow/Snakefile", tag="{TAG}")')


@pytest.fixture(scope="module")
def deployed(tmp_path_factory, release) -> Path:
    project = tmp_path_factory.mktemp("deployed") / "project"
    project.mkdir()
    run(BIN / "snakedeploy", "deploy-workflow", f"file://{release}", project, "--tag", TAG)
    snakefile = project / "workflow" / "Snakefile"
    snakefile.write_text(offline(snakefile, release))
    return project


def test_snakedeploy_copies_the_config_and_the_license(deployed):
    assert (deployed / "LICENSE").read_text() == (ROOT / "LICENSE").read_text()
    shipped = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    assert yaml.safe_load((deployed / "config" / "config.yaml").read_text()) == shipped
    assert (deployed / "config" / "presets" / "smoke.yaml").is_file()
    assert not (deployed / "scripts").exists() and not (deployed / "workflow" / "rules").exists()


def test_the_deployed_project_dry_runs_and_refuses_a_bad_config(deployed, installed):
    done = snakemake(installed, deployed, "-n", "--configfile", "config/presets/smoke.yaml")
    text = done.stdout + done.stderr
    assert "rule run_mpi:" in text and "rule reference:" in text, text
    bad = subprocess.run(
        [installed / "python", "-m", "snakemake", "-n", "--config", "workers=[0]"],
        cwd=deployed,
        env=in_project(installed),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert bad.returncode != 0 and "workers[0]" in bad.stdout + bad.stderr, bad.stderr


def test_the_deployed_project_runs_a_smoke_study_with_the_installed_parbench(deployed, installed):
    """No flag to remember: snakedeploy copies the workflow profile (profiles/default), and
    Snakemake reads it from the project, so verify, collect and the gate run in its own process."""
    assert (deployed / "profiles" / "default" / "config.yaml").read_text() == (
        ROOT / "profiles" / "default" / "config.yaml"
    ).read_text()
    done = snakemake(
        installed,
        deployed,
        "--cores",
        "2",
        "--configfile",
        "config/presets/smoke.yaml",
        "--config",
        SMOKE_VARIANTS,
        timeout=1500,
    )
    text = done.stdout + done.stderr
    assert "Using workflow specific profile profiles/default" in text, text[-3000:]
    assert (deployed / "results" / "verification.txt").read_text().startswith("all ")
    assert (deployed / "results" / "report" / "index.html").is_file()
    runs = list((deployed / "results" / "runs").rglob("*.h5"))
    by_problem = {}
    for path in runs:
        by_problem.setdefault(path.relative_to(deployed / "results" / "runs").parts[0], set()).add(
            path.parent.name
        )
    fetch = by_problem.pop("fetch")  # names its own variants in the preset
    assert fetch == {"serial", "threads", "processes", "mpi", "asyncio"}
    assert by_problem and all(variants == {"serial", "mpi"} for variants in by_problem.values()), by_problem


def test_a_hand_written_module_uses_every_rule(tmp_path, release, installed):
    project = tmp_path / "mine"
    (project / "workflow").mkdir(parents=True)
    (project / "workflow" / "Snakefile").write_text(
        f'configfile: "config/smoke.yaml"\n\n\n'
        f"module parbench:\n"
        f'    snakefile:\n        gitfile("{release}", path="workflow/Snakefile", tag="{TAG}")\n'
        f"    config:\n        config\n\n\n"
        f"use rule * from parbench\n"
    )
    (project / "config").mkdir()
    (project / "config" / "smoke.yaml").write_text((ROOT / "config" / "presets" / "smoke.yaml").read_text())
    done = snakemake(installed, project, "-n")
    text = done.stdout + done.stderr
    for rule in ("run", "run_mpi", "reference", "verify", "collect", "html_report"):
        assert f"rule {rule}:" in text or f"localrule {rule}:" in text, rule


def test_snakedeploy_from_a_local_checkout(tmp_path, release, installed):
    """By path: snakedeploy copies the same files. Its Snakefile names the module's snakefile
    relative to the checkout, which Snakemake reads relative to the deployed workflow/ folder
    (snakedeploy 0.17.1); README.md says to give the checkout's absolute path, as done here."""
    checkout = tmp_path / "checkout"
    run("git", "clone", "--quiet", "--branch", TAG, release, checkout)
    project = tmp_path / "by-path"
    project.mkdir()
    run(BIN / "snakedeploy", "deploy-workflow", checkout, project, "--tag", TAG)
    snakefile = project / "workflow" / "Snakefile"
    text = snakefile.read_text()
    if not (snakefile.parent / "workflow" / "Snakefile").exists():
        text = text.replace('"workflow/Snakefile"', f'"{checkout / "workflow" / "Snakefile"}"')
    snakefile.write_text(text)
    assert (project / "LICENSE").is_file() and (project / "config" / "config.yaml").is_file()
    done = snakemake(installed, project, "-n", "--configfile", "config/presets/smoke.yaml")
    assert "rule run_mpi:" in done.stdout + done.stderr
