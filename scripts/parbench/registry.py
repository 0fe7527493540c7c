"""The one list of problems, variants and kernels. The CLI, the workflow's config schema and the
tests all read it, so adding a variant or problem is one change here (plus its module)."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from parbench.errors import UsageError
from parbench.params import COMMON_PARAMS, Param
from parbench.problems.amdahl import Amdahl
from parbench.problems.base import Problem
from parbench.problems.groupby import GroupBy
from parbench.problems.heat import Heat
from parbench.problems.mandelbrot import Mandelbrot
from parbench.problems.pi import Pi
from parbench.problems.task_farm import TaskFarmProblem

KERNELS = ("python", "numpy", "numba")


@dataclass(frozen=True)
class Variant:
    name: str
    module: str  # module name inside a variants package
    summary: str
    # How it is launched: "python" (a plain process), or "mpi" (under mpiexec or srun).
    launcher: str = "python"
    # Whether one run can span several nodes of a cluster: MPI ranks, or the Dask and Spark
    # clusters that parbench.launchers starts inside a SLURM allocation.
    across_nodes: bool = False


VARIANTS = {
    v.name: v
    for v in (
        Variant("serial", "serial", "one process, one thread: the baseline"),
        Variant("threads", "threads", "threading: worker threads sharing one interpreter"),
        Variant("processes", "processes", "multiprocessing: a Pool of worker processes"),
        Variant("futures-threads", "futures_threads", "concurrent.futures ThreadPoolExecutor"),
        Variant("futures-processes", "futures_processes", "concurrent.futures ProcessPoolExecutor"),
        Variant("mpi", "mpi", "mpi4py: ranks started by mpiexec or srun", launcher="mpi", across_nodes=True),
        Variant(
            "dask",
            "dask",
            "dask.distributed: a LocalCluster, or a cluster's scheduler file",
            across_nodes=True,
        ),
        Variant(
            "spark", "spark", "PySpark: local[N], or a standalone cluster's master URL", across_nodes=True
        ),
    )
}

PROBLEMS: dict[str, Problem] = {p.name: p for p in (Mandelbrot(), Pi(), Heat(), GroupBy(), Amdahl())}


def problem(name: str) -> Problem:
    try:
        return PROBLEMS[name]
    except KeyError:
        raise UsageError("PROBLEM", f"unknown problem {name!r}; choose from {', '.join(PROBLEMS)}") from None


def variant(name: str) -> Variant:
    try:
        return VARIANTS[name]
    except KeyError:
        raise UsageError("VARIANT", f"unknown variant {name!r}; choose from {', '.join(VARIANTS)}") from None


def all_params(prob: Problem) -> tuple[Param, ...]:
    return prob.params + COMMON_PARAMS


def variant_module_name(prob: Problem, variant_name: str) -> str:
    """The module that runs `variant_name` on `prob`: the problem's own where it has one (all of
    heat's; groupby's mpi, dask and spark), else the task farm's, which runs any task-farm problem."""
    own = prob.own_variants is None or variant_name in prob.own_variants
    package = prob.variants_package if own else TaskFarmProblem.variants_package
    return f"{package}.{variant(variant_name).module}"


def variant_module(prob: Problem, variant_name: str):
    """The module that runs `variant_name` on `prob`: it has `run(job, ctx)`."""
    return importlib.import_module(variant_module_name(prob, variant_name))


def describe() -> dict:
    """The registry as plain data (for `parbench list`, the workflow and its config schema)."""
    return {
        "problems": {
            p.name: {
                "summary": p.summary,
                "kernels": list(p.kernels),
                "default_kernel": p.default_kernel,
                "params": describe_params(all_params(p)),
                # Kernels per variant, where a variant brings its own engine (Spark's JVM).
                "variant_kernels": {v: list(p.kernels_for(v)) for v in VARIANTS},
                # Options of `parbench generate PROBLEM`; empty when the problem reads no dataset.
                "dataset_params": describe_params(p.dataset_params + COMMON_PARAMS)
                if p.dataset_params
                else {},
            }
            for p in PROBLEMS.values()
        },
        "variants": {
            v.name: {"summary": v.summary, "launcher": v.launcher, "across_nodes": v.across_nodes}
            for v in VARIANTS.values()
        },
    }


def describe_params(params: tuple[Param, ...]) -> dict:
    return {
        q.name: {"type": q.type.__name__, "default": q.default, "minimum": q.minimum, "tuning": q.tuning}
        for q in params
    }
