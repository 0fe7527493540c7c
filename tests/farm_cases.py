"""Small sizes of the task-farm problems, and serial references shared by the variant tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from parbench.results.verify import verify
from parbench.runner import RunRequest, execute

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
# The I/O-bound problem (its one kernel is `io`): 7 objects of an odd size, so no worker count
# divides them; a latency short enough for a quick test, long enough that requests overlap.
IO_SIZES = {"fetch": {"objects": 7, "object_kib": 3, "latency_ms": 20.0, "bandwidth_mib_s": 50.0}}


def params(problem: str) -> dict:
    from parbench import registry

    defaults = {p.name: p.default for p in registry.all_params(registry.problem(problem))}
    return {**defaults, **{**SIZES, **IO_SIZES}[problem], "seed": 7}


def option_args(problem: str) -> list[str]:
    """The SIZES as command-line options."""
    args = []
    for name, value in {**{**SIZES, **IO_SIZES}[problem], "seed": 7}.items():
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


def escape_times(p: dict) -> np.ndarray:
    """The Mandelbrot counts by the textbook definition, written here rather than taken from the
    kernels: c at each pixel's centre, z <- z^2 + c from z = 0 in complex arithmetic, the count is
    the iteration n at which |z|^2 > 4 first holds (maxiter if it never does)."""
    counts = np.empty((p["height"], p["width"]), dtype=np.int64)
    for row in range(p["height"]):
        y = p["ymin"] + (p["ymax"] - p["ymin"]) * (row + 0.5) / p["height"]
        for col in range(p["width"]):
            c = complex(p["xmin"] + (p["xmax"] - p["xmin"]) * (col + 0.5) / p["width"], y)
            z, n = 0j, 0
            while n < p["maxiter"] and z.real * z.real + z.imag * z.imag <= 4.0:
                z, n = z * z + c, n + 1
            counts[row, col] = n
    return counts


def chunk_hits(seed: int, chunk: int, samples: int) -> int:
    """One chunk's hits by the documented stream: the chunk-th child of SeedSequence(seed), PCG64,
    blocks of 65536 points, each block's x then its y; a point is a hit when x^2 + y^2 <= 1."""
    child = np.random.SeedSequence(seed).spawn(chunk + 1)[chunk]
    rng = np.random.Generator(np.random.PCG64(child))
    hits = 0
    for start in range(0, samples, 65536):
        size = min(65536, samples - start)
        x, y = rng.random(size), rng.random(size)
        hits += int(np.count_nonzero(x * x + y * y <= 1.0))
    return hits
