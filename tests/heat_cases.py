"""Small heat runs and their serial references, shared by the heat tests."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

from parbench import registry
from parbench.results.verify import verify
from parbench.runner import RunRequest, execute

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


# Grids whose blocks sit at the decomposition's edges: (workers, nx, ny). With 3 workers MPI picks
# a 3 x 1 process grid, with 4 a 2 x 2 one, with 6 a 3 x 2 one (more ranks down than across); the
# row-splitting variants cut the same rows. Interior rows and columns are nx - 2 and ny - 2.
THIN_BLOCKS = {
    "rows-of-1": (3, 5, 9),
    "rows-of-2": (3, 8, 9),
    "rows-of-3-2-2": (3, 9, 9),
    "2x2-columns-of-1": (4, 6, 4),
    "2x2-rows-of-3-columns-of-2": (4, 8, 6),
    "3x2-rows-3-2-2-columns-2-1": (6, 9, 5),
}
THIN_STEPS = 4


def random_init(path: Path, nx: int, ny: int) -> np.ndarray:
    """An initial field with no symmetry (a flipped, mirrored or transposed block shows), written
    with h5py itself as the `field` dataset --init reads."""
    values = np.random.default_rng(nx * 100 + ny).uniform(0.0, 100.0, (nx, ny))
    with h5py.File(path, "w") as f:
        f["field"] = values
    return values


def textbook_heat(u: np.ndarray, steps: int, alpha: float, dx: float, dy: float) -> np.ndarray:
    """The explicit 5-point scheme written out here, not taken from parbench: every interior cell
    gains alpha dt times its discrete Laplacian each step, the boundary stays; dt is the
    stability limit dx^2 dy^2 / (2 alpha (dx^2 + dy^2))."""
    dt = dx * dx * dy * dy / (2 * alpha * (dx * dx + dy * dy))
    u = u.copy()
    for _ in range(steps):
        laplacian = (u[2:, 1:-1] - 2 * u[1:-1, 1:-1] + u[:-2, 1:-1]) / dx**2 + (
            u[1:-1, 2:] - 2 * u[1:-1, 1:-1] + u[1:-1, :-2]
        ) / dy**2
        u[1:-1, 1:-1] = u[1:-1, 1:-1] + alpha * dt * laplacian
    return u


def thin_block_case(tmp: Path, nx: int, ny: int) -> tuple[dict, np.ndarray]:
    """Parameters of a run from a random field on an nx x ny grid (dx != dy), and the textbook
    answer it must give."""
    init = tmp / "init.h5"
    start = random_init(init, nx, ny)
    overrides = {"nx": nx, "ny": ny, "steps": THIN_STEPS, "dx": 0.01, "dy": 0.013, "init": str(init)}
    return overrides, textbook_heat(start, THIN_STEPS, 0.5, 0.01, 0.013)


def assert_textbook(got: np.ndarray, want: np.ndarray) -> None:
    assert got.shape == want.shape
    wrong = np.argwhere(~np.isclose(got, want, rtol=1e-12, atol=1e-12 * np.abs(want).max()))
    assert not len(wrong), f"{len(wrong)} cells differ from the textbook scheme, first {tuple(wrong[0])}"
