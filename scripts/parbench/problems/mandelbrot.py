"""Mandelbrot: escape-time counts on a width x height grid of a region of the complex plane.

Rows through the set cost up to `maxiter` iterations per pixel, rows outside it a few, so equal
contiguous blocks would leave workers idle. Tasks are therefore small blocks of rows
(`--rows-per-task`), handed out dynamically by the pool variants and dealt round-robin by the
static ones (MPI, Spark), which spreads the expensive middle rows over every worker.
"""

from __future__ import annotations

import numpy as np

from parbench.contracts.problem import TASK_BYTES, Memory, first_difference
from parbench.contracts.task_farm import TaskFarmProblem
from parbench.errors import UsageError
from parbench.kernels import mandelbrot as kernels
from parbench.params import Param

# Iterations a second of each kernel on a slow core: at most a quarter of docs/benchmarks.md's.
SLOW_ITERATIONS_PER_S = {"python": 2e6, "numpy": 2e7, "numba": 1e8}


class Mandelbrot(TaskFarmProblem):
    name = "mandelbrot"
    summary = "escape-time counts of the Mandelbrot set (embarrassingly parallel, uneven work)"
    problem_class = "embarrassingly parallel"
    params = (
        Param("width", int, 512, "pixels per row", minimum=1),
        Param("height", int, 512, "rows", minimum=1),
        Param("maxiter", int, 256, "maximum iterations per pixel", minimum=1),
        Param("xmin", float, -2.0, "left edge of the region (real part)"),
        Param("xmax", float, 0.5, "right edge of the region (real part)"),
        Param("ymin", float, -1.25, "bottom edge of the region (imaginary part)"),
        Param("ymax", float, 1.25, "top edge of the region (imaginary part)"),
        Param("rows_per_task", int, 16, "rows per task: the unit of load balancing", 1, True),
    )

    def check(self, values):
        p = super().check(values)
        for low, high in (("xmin", "xmax"), ("ymin", "ymax")):
            if not p[low] < p[high]:
                raise UsageError(f"--{low}", f"must be less than --{high} ({p[low]} >= {p[high]})")
        return p

    def tasks(self, p):
        step = p["rows_per_task"]
        return [(first, min(step, p["height"] - first)) for first in range(0, p["height"], step)]

    def partial_spec(self, task, p):
        return (task[1], p["width"]), np.dtype(np.int32)

    def compute(self, task, p, kernel):
        first, count = task
        cr = kernels.axis(p["xmin"], p["xmax"], p["width"])
        ci = kernels.axis(p["ymin"], p["ymax"], p["height"], first, count)
        return kernels.ROWS[kernel](cr, ci, p["maxiter"])

    def combine(self, p, partials):
        return {"counts": np.concatenate(partials, axis=0)}

    def warm_up(self, kernel):
        kernels.ROWS[kernel](np.zeros(2), np.zeros(1), 2)

    def compare(self, result, reference):
        return first_difference("counts", result["counts"], reference["counts"])

    def memory(self, p, workers):
        """The driver holds every row block and the combined image: two 4-byte counts a pixel.
        A worker computes one task: the numpy kernel's seven float64 arrays, a mask and the
        counts, about 72 bytes a pixel of the task."""
        tasks = -(-p["height"] // p["rows_per_task"])
        task_pixels = min(p["rows_per_task"], p["height"]) * p["width"]
        return Memory(driver=2 * 4 * p["width"] * p["height"] + TASK_BYTES * tasks, worker=72 * task_pixels)

    def serial_seconds(self, p, kernel):
        """At most maxiter iterations a pixel, on a slow core."""
        return p["width"] * p["height"] * p["maxiter"] / SLOW_ITERATIONS_PER_S[kernel]

    def summary_attrs(self, result):
        return {"iterations": int(result["counts"].sum(dtype=np.int64))}
