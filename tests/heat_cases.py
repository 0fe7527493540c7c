"""Small heat runs and their serial references, shared by the heat tests."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

from parbench import registry
from parbench.runner import RunRequest, execute
from parbench.verify import verify

KERNELS = ("python", "numpy", "numba")
WORKERS = (1, 2, 3)
# Small enough for the python kernel; 21 interior rows and 17 columns do not split evenly.
SIZE = {"nx": 23, "ny": 19, "steps": 5}


def params(**overrides) -> dict:
    defaults = {p.name: p.default for p in registry.all_params(registry.problem("heat"))}
    return {**defaults, **SIZE, **overrides}


def option_args(**overrides) -> list[str]:
    args = []
    for name, value in {**SIZE, **overrides}.items():
        args += ["--" + name.replace("_", "-"), str(value)]
    return args


def run(
    tmp: Path, variant: str, kernel: str, workers: int, name: str = "", handles=None, **overrides
) -> Path:
    out = tmp / f"heat-{variant}-{kernel}-{workers}{name}.h5"
    request = RunRequest("heat", variant, out, params(**overrides), kernel=kernel, workers=workers)
    execute(request, **(handles or {}))
    return out


def field(path) -> np.ndarray:
    with h5py.File(path, "r") as f:
        return f["result/field"][()]


def attrs(path, group: str) -> dict:
    with h5py.File(path, "r") as f:
        return dict(f[group].attrs)


class References:
    """Serial results per kernel (and step count), computed once per test session folder."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.paths: dict = {}

    def __call__(self, kernel: str, **overrides) -> Path:
        key = (kernel, tuple(sorted(overrides.items())))
        if key not in self.paths:
            name = "-" + "-".join(f"{k}{v}" for k, v in sorted(overrides.items())) if overrides else ""
            self.paths[key] = run(self.folder, "serial", kernel, 1, name, **overrides)
        return self.paths[key]

    def check(self, result: Path, kernel: str, **overrides) -> dict:
        """Verifies against serial (1e-12 relative) and also demands identical bits: the same
        arithmetic in the same order."""
        record = verify(result, self(kernel, **overrides))
        assert (field(result) == field(self(kernel, **overrides))).all()
        return record


def job(kernel: str = "numpy", **overrides):
    """The job a run with these parameters gets (checked: dt resolved)."""
    problem = registry.problem("heat")
    return problem.job(problem.check(params(**overrides)), kernel)
