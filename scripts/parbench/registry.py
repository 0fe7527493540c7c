"""The one list of problems, variants and kernels. The CLI, the workflow's config schema and the
tests all read it, so adding a variant or problem is one change here (plus its module)."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from parbench.contracts.problem import Problem
from parbench.contracts.task_farm import TaskFarmProblem
from parbench.errors import UsageError
from parbench.params import COMMON_PARAMS, Param
from parbench.problems.amdahl import Amdahl
from parbench.problems.fetch import Fetch
from parbench.problems.groupby import GroupBy
from parbench.problems.heat import Heat
from parbench.problems.mandelbrot import Mandelbrot
from parbench.problems.pi import Pi


@dataclass(frozen=True)
class SyntheticCosts:
    """Seconds a variant typically costs on a cluster node, for the synthetic studies that
    exercise the report (parbench.report.synthetic): start-up, fixed and per worker; distribution
    per worker; communication per log2(workers); teardown; and how unevenly the work ends up
    spread (the busiest worker over the mean)."""

    startup: float
    startup_per_worker: float
    distribute: float
    communicate: float
    teardown: float
    uneven: float


@dataclass(frozen=True, kw_only=True)
class Variant:
    """Everything parbench knows about one way of running a problem, in one place. No field has
    a default: a variant that leaves out a fact is a TypeError when this module is imported,
    never a silent default somewhere in the study."""

    name: str
    module: str  # module name inside a variants package
    summary: str
    # How it is launched: "python" (a plain process), or "mpi" (under mpiexec or srun).
    launcher: str
    # Whether one run can span several nodes of a cluster: MPI ranks, or the Dask and Spark
    # clusters that parbench.launchers starts inside a SLURM allocation.
    across_nodes: bool
    # The serial baseline: always one worker, the reference of verification and speed-up.
    baseline: bool
    # Workers are threads of one interpreter: a kernel that holds the GIL computes one at a time.
    threads: bool
    # Runs only problems whose tasks wait on I/O (Problem.io_bound): asyncio's coroutines share
    # one thread, so a task that computes would stop every other.
    io_only: bool
    # Python processes it starts on a node: per worker, and besides the workers (a client, a
    # driver, the parent of a pool).
    processes: tuple[int, int]
    # Engines besides the Python processes (Dask's scheduler; Spark's JVMs), MiB as requested and
    # as they start (what a refusal counts: a heap may never fill).
    engine_mib: tuple[int, int]
    # Spark: besides the driver's JVM, one executor JVM per worker when a run spans nodes.
    engine_per_worker_across_nodes: bool
    # Seconds of start-up before any work (interpreters, a cluster, a JVM): time limits add it.
    startup_s: int
    # The `parbench run` option that connects it to a cluster already running, if any.
    cluster_option: str | None
    synthetic: SyntheticCosts


# Facts most variants share, spread into those below; the dataclass still requires every field.
ONE_NODE = {"launcher": "python", "across_nodes": False, "cluster_option": None}
ANY_PROBLEM = {"io_only": False}
NO_ENGINE = {"engine_mib": (0, 0), "engine_per_worker_across_nodes": False}

VARIANTS = {
    v.name: v
    for v in (
        Variant(
            name="serial",
            module="serial",
            summary="one process, one thread: the baseline",
            **ONE_NODE,
            **NO_ENGINE,
            **ANY_PROBLEM,
            baseline=True,
            threads=False,
            processes=(0, 1),
            startup_s=30,
            synthetic=SyntheticCosts(0.01, 0.0, 0.0, 0.0, 0.0, 1.0),
        ),
        Variant(
            name="threads",
            module="threads",
            summary="threading: worker threads sharing one interpreter",
            **ONE_NODE,
            **NO_ENGINE,
            **ANY_PROBLEM,
            baseline=False,
            threads=True,
            processes=(0, 1),
            startup_s=30,
            synthetic=SyntheticCosts(0.005, 0.0005, 0.001, 0.01, 0.0, 1.02),
        ),
        Variant(
            name="processes",
            module="processes",
            summary="multiprocessing: a Pool of worker processes",
            **ONE_NODE,
            **NO_ENGINE,
            **ANY_PROBLEM,
            baseline=False,
            threads=False,
            processes=(1, 1),
            startup_s=30,
            synthetic=SyntheticCosts(0.05, 0.01, 0.004, 0.03, 0.02, 1.02),
        ),
        Variant(
            name="futures-threads",
            module="futures_threads",
            summary="concurrent.futures ThreadPoolExecutor",
            **ONE_NODE,
            **NO_ENGINE,
            **ANY_PROBLEM,
            baseline=False,
            threads=True,
            processes=(0, 1),
            startup_s=30,
            synthetic=SyntheticCosts(0.005, 0.0005, 0.002, 0.01, 0.0, 1.03),
        ),
        Variant(
            name="futures-processes",
            module="futures_processes",
            summary="concurrent.futures ProcessPoolExecutor",
            **ONE_NODE,
            **NO_ENGINE,
            **ANY_PROBLEM,
            baseline=False,
            threads=False,
            processes=(1, 1),
            startup_s=30,
            synthetic=SyntheticCosts(0.06, 0.012, 0.006, 0.04, 0.02, 1.03),
        ),
        Variant(
            name="mpi",
            module="mpi",
            summary="mpi4py: ranks started by mpiexec or srun",
            launcher="mpi",
            across_nodes=True,
            cluster_option=None,
            **NO_ENGINE,
            **ANY_PROBLEM,
            baseline=False,
            threads=False,
            processes=(1, 0),
            startup_s=30,
            synthetic=SyntheticCosts(0.15, 0.002, 0.0005, 0.02, 0.01, 1.15),
        ),
        Variant(
            name="dask",
            module="dask",
            summary="dask.distributed: a LocalCluster, or a cluster's scheduler file",
            launcher="python",
            across_nodes=True,
            cluster_option="scheduler_file",
            engine_mib=(300, 100),  # the scheduler
            engine_per_worker_across_nodes=False,
            **ANY_PROBLEM,
            baseline=False,
            threads=False,
            processes=(1, 1),  # one single-threaded worker process each, and the client
            startup_s=60,
            synthetic=SyntheticCosts(1.5, 0.02, 0.01, 0.15, 0.3, 1.05),
        ),
        Variant(
            name="spark",
            module="spark",
            summary="PySpark: local[N], or a standalone cluster's master URL",
            launcher="python",
            across_nodes=True,
            cluster_option="master",
            engine_mib=(1500, 400),  # a JVM: Spark's default heap of 1 GiB, as requested
            engine_per_worker_across_nodes=True,
            **ANY_PROBLEM,
            baseline=False,
            threads=False,
            processes=(1, 1),  # PySpark's Python workers, and the driver
            startup_s=120,
            synthetic=SyntheticCosts(6.0, 0.05, 0.02, 0.3, 1.0, 1.08),
        ),
        Variant(
            name="asyncio",
            module="asyncio_tasks",
            summary="asyncio: N requests in flight on one thread's event loop (I/O-bound problems)",
            **ONE_NODE,
            **NO_ENGINE,
            io_only=True,
            baseline=False,
            threads=False,  # coroutines, not threads: one thread runs them all
            processes=(0, 1),
            startup_s=30,
            synthetic=SyntheticCosts(0.005, 0.0, 0.001, 0.005, 0.0, 1.02),
        ),
    )
}
# The baseline's name: verification's reference and every speed-up's denominator.
BASELINE = next(v.name for v in VARIANTS.values() if v.baseline)
THREAD_VARIANTS = tuple(v.name for v in VARIANTS.values() if v.threads)

PROBLEMS: dict[str, Problem] = {p.name: p for p in (Mandelbrot(), Pi(), Heat(), GroupBy(), Amdahl(), Fetch())}


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


def runs_on(prob: Problem, variant_name: str) -> bool:
    """Whether `variant_name` applies to `prob` at all: I/O-only variants run I/O-bound problems."""
    return prob.io_bound or not variant(variant_name).io_only


def variants_for(prob: Problem) -> tuple[str, ...]:
    return tuple(name for name in VARIANTS if runs_on(prob, name))


def not_for(prob: Problem, variant_name: str) -> str:
    """Why `variant_name` does not run `prob`, naming the problems it does run."""
    io_problems = ", ".join(p.name for p in PROBLEMS.values() if p.io_bound) or "none"
    return (
        f"{variant_name} runs only I/O-bound problems ({io_problems}), whose tasks wait rather "
        f"than compute; {prob.name} is {prob.problem_class or 'not one'}"
    )


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
                # The variants that apply to it (asyncio only to I/O-bound problems).
                "variants": list(variants_for(p)),
                # Options of `parbench generate PROBLEM`; empty when the problem reads no dataset.
                "dataset_params": describe_params(p.dataset_params + COMMON_PARAMS)
                if p.dataset_params
                else {},
                # A plug-in's problem: where it is imported from (docs/plugins.md).
                **({"plugin": p.plugin} if p.plugin else {}),
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
        q.name: {
            "type": q.type.__name__,
            "default": q.default,
            "minimum": q.minimum,
            "tuning": q.tuning,
            **({"maximum": q.maximum} if q.maximum is not None else {}),
        }
        for q in params
    }
