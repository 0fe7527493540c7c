"""What every problem provides, and the task-farm contract shared by the embarrassingly parallel ones."""

from __future__ import annotations

import numpy as np

from parbench.params import COMMON_PARAMS, Param, validate


class Problem:
    """A problem: its parameters, kernels, how variants run it, and how results are compared."""

    name: str = ""
    summary: str = ""
    params: tuple[Param, ...] = ()
    kernels: tuple[str, ...] = ("python", "numpy", "numba")
    default_kernel = "numpy"
    # Package holding one module per variant (see `parbench.registry.VARIANTS`).
    variants_package: str = ""
    # Problems that read an input dataset: the options of `parbench generate PROBLEM` (with the
    # common ones), so it is made once, untimed, and reused by every run.
    dataset_params: tuple[Param, ...] = ()

    def check(self, values: dict) -> dict:
        """Validates parameters (raising UsageError naming the option); returns them."""
        return validate(self.params + COMMON_PARAMS, values)

    def kernels_for(self, variant: str) -> tuple[str, ...]:
        """The kernels `variant` can run: all, unless it brings its own engine (e.g. Spark's JVM)."""
        return self.kernels

    def generate(self, values: dict, out, force: bool = False) -> dict:
        """Writes the input dataset to `out` from `dataset_params` values; returns a summary."""
        raise NotImplementedError

    def check_for_workers(self, values: dict, workers: int) -> None:
        """Checks that the problem can be split over `workers` (raises UsageError otherwise)."""

    def job(self, params: dict, kernel: str):
        """What the variants' `run(job, ctx)` receives."""
        raise NotImplementedError

    def compare(self, result: dict, reference: dict) -> str | None:
        """Returns a message naming the first difference, or None when the results agree."""
        raise NotImplementedError

    def summary_attrs(self, result: dict) -> dict:
        """A few scalars about the result worth keeping in the timing log (e.g. work done)."""
        return {}


class TaskFarmProblem(Problem):
    """An embarrassingly parallel problem: independent tasks, each giving a partial result as a
    NumPy array; the partials, in task order, combine into the answer. Every variant in
    `parbench.farm` runs any such problem."""

    variants_package = "parbench.farm"

    def tasks(self, p: dict) -> list:
        raise NotImplementedError

    def partial_spec(self, task, p: dict) -> tuple[tuple[int, ...], np.dtype]:
        """Shape and dtype of a task's partial result, so MPI can receive it into a buffer."""
        raise NotImplementedError

    def compute(self, task, p: dict, kernel: str) -> np.ndarray:
        raise NotImplementedError

    def combine(self, p: dict, partials: list[np.ndarray]) -> dict[str, np.ndarray]:
        """Problems with a serial part also get its result, as `serial=`."""
        raise NotImplementedError

    def has_serial_part(self, p: dict) -> bool:
        return False

    def serial_part(self, p: dict, kernel: str) -> np.ndarray:
        """Work only the driver does, before the tasks (Amdahl's serial fraction), when
        `has_serial_part`; its result goes to `combine`."""
        raise NotImplementedError

    def warm_up(self, kernel: str) -> None:
        """Compiles or imports what the kernel needs, so that start-up is not timed as compute."""

    def job(self, params: dict, kernel: str):
        from parbench.farm.job import Job

        return Job(self, params, kernel)


def first_difference(name: str, got: np.ndarray, want: np.ndarray) -> str | None:
    """Names the first element where two arrays differ (exact comparison), or None."""
    got, want = np.asarray(got), np.asarray(want)
    if got.shape != want.shape:
        return f"{name}: shape {got.shape} differs from the reference's {want.shape}"
    differs = got != want
    if not differs.any():
        return None
    where = np.unravel_index(np.argmax(differs), differs.shape)
    index = ", ".join(str(int(i)) for i in where) if where else ""
    return (
        f"{name}[{index}] is {got[where]!r} but the reference has {want[where]!r} "
        f"({int(differs.sum())} of {differs.size} elements differ)"
    )
