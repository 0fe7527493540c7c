"""The example plug-in (examples/sir-sweep) two ways, as a user gets it: installed by pip (its entry
point) into a folder of its own, or named by its file. Shared by the plug-in tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "sir-sweep"
EXAMPLE_FILE = EXAMPLE / "parbench_sir_sweep" / "problem.py"
NAME = "sir-sweep"
# Small: eight rows, the slowest followed for 200 days (a fraction of a second serially).
SMALL = {"betas": 8, "gammas": 12, "max_days": 200.0}


def small_options(values: dict = SMALL) -> list[str]:
    return [f"--{name.replace('_', '-')}={value}" for name, value in values.items()]


def pip_install(target: Path) -> dict:
    """`pip install examples/sir-sweep` into `target` (no dependency: they are this venv's), and
    the environment in which Python finds it there, entry point and all."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(EXAMPLE),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return {**os.environ, "PYTHONPATH": str(target)}


def without_plugins() -> dict:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    return env


def final_size_relation(final_size: np.ndarray, days: np.ndarray, params: dict) -> np.ndarray:
    """How far each finished epidemic is from the SIR final-size relation, a textbook result
    independent of any integrator: z = 1 - S0 exp(-R0 z), with R0 = beta / gamma, for an epidemic
    that started with S0 = 1 - I0 susceptible and is over (returned as NaN where it is not)."""
    betas = np.linspace(params["beta_min"], params["beta_max"], params["betas"])[:, None]
    gammas = np.linspace(params["gamma_min"], params["gamma_max"], params["gammas"])[None, :]
    s0 = 1 - 1e-4
    residual = final_size - (1 - s0 * np.exp(-(betas / gammas) * final_size))
    return np.where(days < params["max_days"], residual, np.nan)
