"""Small sizes of the task-farm problems, and serial references shared by the variant tests."""

from __future__ import annotations

from pathlib import Path

from parbench.runner import RunRequest, execute
from parbench.verify import verify

KERNELS = ("python", "numpy", "numba")
WORKERS = (1, 2, 3)  # 3 on a 2-core machine: uneven splits, more workers than cores
# Small enough for the python kernel; uneven on purpose (rows and samples do not divide evenly).
# The Mandelbrot region is off-centre in both axes: the default one is symmetric in y, where an
# image flipped upside down would still match its reference.
SIZES = {
    "mandelbrot": {
        "width": 37,
        "height": 29,
        "maxiter": 60,
        "rows_per_task": 3,
        "xmin": -2.1,
        "xmax": 0.7,
        "ymin": -0.9,
        "ymax": 1.3,
    },
    "pi": {"samples": 23_457, "chunk_size": 4_000},
}


def params(problem: str) -> dict:
    from parbench import registry

    defaults = {p.name: p.default for p in registry.all_params(registry.problem(problem))}
    return {**defaults, **SIZES[problem], "seed": 7}


def option_args(problem: str) -> list[str]:
    """The SIZES as command-line options."""
    args = []
    for name, value in {**SIZES[problem], "seed": 7}.items():
        args += ["--" + name.replace("_", "-"), str(value)]
    return args


def run(tmp: Path, problem: str, variant: str, kernel: str, workers: int, **handles) -> Path:
    out = tmp / f"{problem}-{variant}-{kernel}-{workers}.h5"
    request = RunRequest(problem, variant, out, params(problem), kernel=kernel, workers=workers)
    execute(request, **handles)
    return out


class References:
    """Serial results, computed once per problem and kernel."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.paths: dict[tuple[str, str], Path] = {}

    def __call__(self, problem: str, kernel: str) -> Path:
        if (problem, kernel) not in self.paths:
            self.paths[problem, kernel] = run(self.folder, problem, "serial", kernel, 1)
        return self.paths[problem, kernel]

    def check(self, result: Path, problem: str, kernel: str) -> dict:
        """Verifies a result against serial (raises on any difference); returns its record."""
        return verify(result, self(problem, kernel))
