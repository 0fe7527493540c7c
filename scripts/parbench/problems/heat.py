"""The 2-D heat equation: the tightly coupled problem (the CSC course's classic example).

du/dt = alpha (d2u/dx2 + d2u/dy2) on an NX x NY grid with spacings dx, dy, advanced by the
explicit 5-point stencil for T steps. The first and last rows and columns are a fixed (Dirichlet)
boundary. Every step needs each cell's neighbours from the step before, so parallel workers must
exchange the rows (and columns) at the edges of their blocks every step: the halo exchange that
makes this the test of how well an approach communicates.

Explicit time stepping is stable only for dt <= dx^2 dy^2 / (2 alpha (dx^2 + dy^2)); `--dt 0`
(the default) takes exactly that limit, as the course does.
"""

from __future__ import annotations

import numpy as np

from parbench.contracts.problem import Memory, Problem
from parbench.errors import UsageError
from parbench.heat import initial
from parbench.heat.job import HeatJob
from parbench.kernels import heat as heat_kernels
from parbench.params import Param

RELATIVE_TOLERANCE = 1e-12
# Cell updates a second of each kernel on a slow core: at most a quarter of docs/benchmarks.md's.
SLOW_CELL_UPDATES_PER_S = {"python": 1e6, "numpy": 2.5e7, "numba": 2e8}


def stable_dt(alpha: float, dx: float, dy: float) -> float:
    dx2, dy2 = dx * dx, dy * dy
    return dx2 * dy2 / (2.0 * alpha * (dx2 + dy2))


def balanced_dims(workers: int) -> tuple[int, int]:
    """The process grid MPI_Dims_create picks in 2-D: the factor pair closest to square, larger
    first (computed here so that a grid can be checked without starting MPI)."""
    small = max(d for d in range(1, int(workers**0.5) + 1) if workers % d == 0)
    return workers // small, small


class Heat(Problem):
    name = "heat"
    summary = "2-D heat equation, explicit 5-point stencil (tightly coupled: halo exchange every step)"
    problem_class = "tightly coupled"
    variants_package = "parbench.heat.variants"
    kernels = heat_kernels.KERNELS
    params = (
        Param("nx", int, 256, "grid rows, the two fixed boundary rows included", minimum=3),
        Param("ny", int, 256, "grid columns, the two fixed boundary columns included", minimum=3),
        Param("steps", int, 100, "time steps", minimum=1),
        Param("alpha", float, 0.5, "diffusion constant (> 0)"),
        Param("dx", float, 0.01, "grid spacing between rows (> 0)"),
        Param("dy", float, 0.01, "grid spacing between columns (> 0)"),
        Param("dt", float, 0.0, "time step; 0: the stability limit dx^2 dy^2 / (2 alpha (dx^2 + dy^2))", 0.0),
        Param(
            "init",
            str,
            "",
            "initial field: an HDF5 or '# NX NY' .dat file; empty: a hot disc in a cold plate",
        ),
        Param(
            "checkpoint_every",
            int,
            0,
            "write a checkpoint every K steps (0: never); a re-run resumes",
            0,
            True,
        ),
        Param("steps_per_exchange", int, 1, "dask, spark: steps per halo exchange (halo depth)", 1, True),
    )

    def check(self, values):
        p = super().check(values)
        for name in ("alpha", "dx", "dy"):
            if not p[name] > 0:
                raise UsageError(f"--{name}", f"must be > 0, got {p[name]}")
        limit = stable_dt(p["alpha"], p["dx"], p["dy"])
        if p["dt"] == 0:
            p["dt"] = limit  # recorded as used, so the result file says which dt it ran with
        elif p["dt"] > limit * (1 + 1e-12):
            raise UsageError(
                "--dt",
                f"{p['dt']} is unstable: the explicit scheme needs dt <= {limit!r} "
                f"for alpha={p['alpha']}, dx={p['dx']}, dy={p['dy']}",
            )
        if p["init"]:
            initial.check_file(p["init"], p["nx"], p["ny"])
        return p

    def check_for_workers(self, values, workers):
        rows, depth = values["nx"] - 2, values["steps_per_exchange"]
        if rows < workers * depth:
            raise UsageError(
                "--nx",
                f"{values['nx']} gives {rows} interior rows: too few for {workers} blocks of at least "
                f"{depth} row(s) (--steps-per-exchange {depth}); use a bigger --nx or fewer workers",
            )
        columns_needed = balanced_dims(workers)[1]  # the mpi variant splits columns too
        if values["ny"] - 2 < columns_needed:
            raise UsageError(
                "--ny",
                f"{values['ny']} gives {values['ny'] - 2} interior columns: too few for the "
                f"{balanced_dims(workers)[0]} x {columns_needed} process grid of {workers} workers",
            )

    def job(self, params, kernel):
        cells = params["nx"] * params["ny"]
        if kernel == "python" and cells > heat_kernels.PYTHON_MAX_CELLS:
            raise UsageError(
                "--kernel",
                f"python is for small grids only (at most {heat_kernels.PYTHON_MAX_CELLS} cells, got "
                f"{params['nx']} x {params['ny']}): use numpy or numba",
            )
        return HeatJob(params, kernel)

    def memory(self, p, workers):
        """Every variant keeps the grid twice (the field and the next step, float64), split over
        the workers (shared by threads and processes, in blocks for mpi, dask and spark); the
        driver gathers the whole field to write it."""
        cells = p["nx"] * p["ny"]
        halo = 2 * p["steps_per_exchange"] * p["ny"]
        return Memory(driver=8 * cells, worker=2 * 8 * (-(-cells // workers) + halo))

    def serial_seconds(self, p, kernel):
        return p["nx"] * p["ny"] * p["steps"] / SLOW_CELL_UPDATES_PER_S[kernel]

    def compare(self, result, reference):
        got, want = np.asarray(result["field"]), np.asarray(reference["field"])
        if got.shape != want.shape:
            return f"field: shape {got.shape} differs from the reference's {want.shape}"
        # `not <=` so that a NaN counts as a difference
        differs = ~(np.abs(got - want) <= RELATIVE_TOLERANCE * np.abs(want))
        if not differs.any():
            return None
        where = np.unravel_index(np.argmax(differs), differs.shape)
        return (
            f"field[{where[0]}, {where[1]}] is {got[where].item()!r} "
            f"but the reference has {want[where].item()!r} ({int(differs.sum())} of {differs.size} "
            f"elements differ by more than {RELATIVE_TOLERANCE} relative)"
        )

    def summary_attrs(self, result):
        field = result["field"]
        return {
            "mean_temperature": float(field.mean()),
            "resumed_from_step": int(result["resumed_from_step"]),
        }
