"""Running the real workflow from tests: `snakemake` in a temporary working directory, with the
repository's Snakefile and a config file of this repository."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SNAKEFILE = ROOT / "workflow" / "Snakefile"
DEFAULT = ROOT / "config" / "config.yaml"
PRESETS = sorted((ROOT / "config" / "presets").glob("*.yaml"))
SMOKE = ROOT / "config" / "presets" / "smoke.yaml"


def environment(path: str | None = None) -> dict:
    """The venv's bin first on PATH: the rules run `python -m parbench` and `mpiexec`."""
    env = dict(os.environ)
    env["PATH"] = path if path is not None else f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    for name in list(env):  # a surrounding MPI or SLURM job must not leak into the runs
        if name.startswith(("PMI_", "PMIX_", "OMPI_", "SLURM_")):
            del env[name]
    return env


def command(workdir, *args, configfile=SMOKE) -> list[str]:
    return [
        str(BIN / "snakemake"),
        "--snakefile",
        str(SNAKEFILE),
        "--directory",
        str(workdir),
        "--configfile",
        str(configfile),
        *map(str, args),
    ]


def snakemake(workdir, *args, configfile=SMOKE, timeout=300, path=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        command(workdir, *args, configfile=configfile),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment(path),
    )


def output_of(done: subprocess.CompletedProcess) -> str:
    return done.stdout + done.stderr


SMOKE_CONFIG = yaml.safe_load(SMOKE.read_text())

# The smoke preset's task farm and stencil (pi and heat, every variant at 1 and 2 workers): 14
# runs and 2 references, for tests that need a real study but not all of it.
FARM_AND_STENCIL = {
    **SMOKE_CONFIG,
    "problems": [p for p in SMOKE_CONFIG["problems"] if p["name"] in ("pi", "heat")],
    # Not empty: Snakemake keeps the default config's overrides when a config file's list is empty.
    "overrides": [{"variants": ["serial"], "repeats": 1}],
}
FARM_AND_STENCIL_RUNS = 14


def expected_run_count() -> int:
    # Every problem with its default kernel for the 4 variants (fetch: its own 5, asyncio too);
    # mandelbrot also python and numba for serial and threads.
    per_kernel = {"serial": 1, "threads": 2, "processes": 2, "mpi": 2, "asyncio": 2}  # worker counts
    gil_panel = 2 * (per_kernel["serial"] + per_kernel["threads"])
    variants = [entry.get("variants", SMOKE_CONFIG["variants"]) for entry in SMOKE_CONFIG["problems"]]
    return sum(per_kernel[v] for chosen in variants for v in chosen) + gil_panel
