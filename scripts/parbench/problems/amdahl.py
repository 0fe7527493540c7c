"""Amdahl's law as a workload: `--work` seconds, of which `--parallel-proportion` p can run in
parallel. The driver does the serial part, w(1-p), then the parallel part, wp, is cut into
`--tasks` equal tasks that the variant farms out, so on n workers the ideal time is exactly
T(n) = w(1-p) + wp/n (when n divides the tasks). hpc-intro's `amdahl` program is the model.

Kernels: `sleep` (exact: the time is the work, as in the lesson), and `python` and `numba`, which
compute (holding and releasing the GIL) at `--rate` generator steps per second of work, so their
time is the work only on a machine that steps at that rate. Every task's final generator state
goes into a checksum that does not depend on who ran which task (see parbench.kernels.amdahl).
"""

from __future__ import annotations

import numpy as np

from parbench.contracts.problem import first_difference
from parbench.contracts.task_farm import TaskFarmProblem
from parbench.errors import UsageError
from parbench.kernels import amdahl as kernels
from parbench.params import Param


class Amdahl(TaskFarmProblem):
    name = "amdahl"
    summary = "synthetic work with a set parallel proportion (Amdahl's law, exact ideal time)"
    problem_class = "synthetic, known serial fraction"
    params = (
        Param("work", float, 2.0, "seconds of work in all, serial and parallel parts", minimum=0.0),
        Param("parallel_proportion", float, 0.85, "share p of the work run in parallel (0-1)", minimum=0.0),
        # 120 divides evenly over 1-6, 8, 10, 12 and 15 workers. Every sleep overshoots a little
        # (docs/amdahl.md), so more tasks add more of it: a few per worker are enough.
        Param("tasks", int, 120, "equal tasks the parallel part is cut into", minimum=1),
        Param("rate", int, 2_000_000, "generator steps per second of work (python, numba)", minimum=1),
    )
    kernels = ("sleep", "python", "numba")
    default_kernel = "sleep"

    def check(self, values):
        checked = super().check(values)
        if checked["parallel_proportion"] > 1:
            raise UsageError("--parallel-proportion", f"must be <= 1, got {checked['parallel_proportion']}")
        return checked

    def parts(self, p) -> tuple[float, float]:
        """Seconds of the serial part and of one parallel task."""
        w, share = p["work"], p["parallel_proportion"]
        return w * (1 - share), w * share / p["tasks"]

    def tasks(self, p):
        return [(i, self.parts(p)[1]) for i in range(p["tasks"])]

    def partial_spec(self, task, p):
        return (1,), np.dtype(np.int64)

    def compute(self, task, p, kernel):
        index, seconds = task
        state = kernels.first_state(p["seed"], index)
        steps = round(seconds * p["rate"])
        return np.array([kernels.WORK[kernel](state, steps, seconds)], dtype=np.int64)

    def has_serial_part(self, p):
        return self.parts(p)[0] > 0

    def serial_part(self, p, kernel):
        # The serial part's own task number, after the parallel ones.
        return self.compute((p["tasks"], self.parts(p)[0]), p, kernel)

    def combine(self, p, partials, serial=None):
        states = np.concatenate(partials).astype(np.int64)
        return {
            "tasks_done": np.array(np.int64(len(partials))),
            "checksum": np.array(np.int64(int(states.sum()) % kernels.MODULUS)),
            "serial_state": np.array(np.int64(-1 if serial is None else int(serial[0]))),
            "ideal_serial_s": np.array(self.parts(p)[0]),
        }

    def warm_up(self, kernel):
        kernels.WORK[kernel](1, 1, 0.0)

    def compare(self, result, reference):
        for name in ("tasks_done", "checksum", "serial_state"):
            found = first_difference(name, result[name], reference[name])
            if found:
                return found
        return None

    def summary_attrs(self, result):
        return {"tasks_done": int(result["tasks_done"]), "checksum": int(result["checksum"])}
