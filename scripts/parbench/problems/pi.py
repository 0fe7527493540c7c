"""Monte Carlo pi: the classic course example of an embarrassingly parallel reduction.

The samples are cut into fixed chunks (`--chunk-size`), each with its own seed derived from
`--seed`, so the hit count is bit-identical whatever the variant or worker count.
"""

from __future__ import annotations

import numpy as np

from parbench.contracts.problem import TASK_BYTES, Memory, first_difference
from parbench.contracts.task_farm import TaskFarmProblem
from parbench.kernels import pi as kernels
from parbench.params import Param

# Samples a second of each kernel on a slow core: at most a quarter of docs/benchmarks.md's.
SLOW_SAMPLES_PER_S = {"python": 1e6, "numpy": 2.5e7, "numba": 2.5e7}


class Pi(TaskFarmProblem):
    name = "pi"
    summary = "Monte Carlo estimate of pi (embarrassingly parallel reduction)"
    problem_class = "embarrassingly parallel"
    params = (
        Param("samples", int, 10_000_000, "random points in the unit square", minimum=1),
        Param("chunk_size", int, 1_000_000, "points per task, each with its own seed", minimum=1),
    )

    def tasks(self, p):
        size, samples = p["chunk_size"], p["samples"]
        return [(i, min(size, samples - start)) for i, start in enumerate(range(0, samples, size))]

    def partial_spec(self, task, p):
        return (1,), np.dtype(np.int64)

    def compute(self, task, p, kernel):
        chunk, samples = task
        return np.array([kernels.HITS[kernel](p["seed"], chunk, samples)], dtype=np.int64)

    def combine(self, p, partials):
        hits = np.int64(np.sum(partials, dtype=np.int64))
        return {
            "hits": np.array(hits),
            "samples": np.array(np.int64(p["samples"])),
            "estimate": np.array(4.0 * hits / p["samples"]),
        }

    def warm_up(self, kernel):
        kernels.HITS[kernel](0, 0, 1)

    def compare(self, result, reference):
        return first_difference("samples", result["samples"], reference["samples"]) or (
            first_difference("hits", result["hits"], reference["hits"])
        )

    def memory(self, p, workers):
        """The driver holds the list of tasks and one count each; a worker draws its points in
        blocks of at most BLOCK x and y values."""
        tasks = -(-p["samples"] // p["chunk_size"])
        block = min(kernels.BLOCK, p["chunk_size"])
        return Memory(driver=(TASK_BYTES + 8) * tasks, worker=2 * 8 * block)

    def serial_seconds(self, p, kernel):
        return p["samples"] / SLOW_SAMPLES_PER_S[kernel]

    def summary_attrs(self, result):
        return {"estimate": float(result["estimate"])}
