"""One run: check every input, run the variant, write the result and the timing record."""

from __future__ import annotations

import re
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from parbench import launch, memory, output, provenance, registry, requests
from parbench.context import RunContext
from parbench.contracts.task_farm import TaskFarmProblem
from parbench.errors import UsageError
from parbench.frameworks import mpi_library
from parbench.plugins.probe import probe


@dataclass
class RunRequest:
    problem: str
    variant: str
    out: Path
    params: dict
    kernel: str | None = None
    workers: int | None = None
    timing_log: Path | None = None
    force: bool = False
    options: dict = field(default_factory=dict)  # master, scheduler_file


def check(request: RunRequest):
    """Every check that can fail on the user's input, before any work or any writing."""
    problem = registry.problem(request.problem)
    variant = registry.variant(request.variant)
    if not registry.runs_on(problem, variant.name):
        raise UsageError("VARIANT", registry.not_for(problem, variant.name))
    kernels = problem.kernels_for(variant.name)
    kernel = request.kernel or (problem.default_kernel if problem.default_kernel in kernels else kernels[0])
    if kernel not in kernels:
        raise UsageError("--kernel", f"unknown kernel {kernel!r}; choose from {', '.join(kernels)}")
    if request.workers is not None and request.workers < 1:
        raise UsageError("--workers", f"must be >= 1, got {request.workers}")
    if variant.baseline and (request.workers or 1) != 1:
        raise UsageError("--workers", f"the {variant.name} variant runs on 1 worker, got {request.workers}")
    if variant.launcher == "mpi" and not launch.started_by_mpi_launcher():
        raise UsageError("VARIANT", "mpi must be started by a launcher: mpiexec -n N parbench run ...")
    check_framework_options(variant.name, request.options)
    params = problem.check(request.params)
    if problem.plugin and isinstance(problem, TaskFarmProblem):
        # The reference (the baseline) also checks that the answer is the same twice over.
        probe(problem, params, kernel, compute=variant.baseline)
    output.check_output_path(request.out, "--out", request.force)
    if request.timing_log is not None:
        output.check_log_path(request.timing_log, "--timing-log")
    return problem, variant, kernel, params


def check_framework_options(variant: str, options: dict) -> None:
    """--scheduler-file and --master belong to one variant each and must make sense up front: a
    Dask client waits forever for a scheduler file that never appears."""
    for option in ("scheduler_file", "master"):
        owner = next(v.name for v in registry.VARIANTS.values() if v.cluster_option == option)
        if options.get(option) and variant != owner:
            flag = "--" + option.replace("_", "-")
            raise UsageError(flag, f"is for the {owner} variant, not {variant}")
    scheduler_file, master = options.get("scheduler_file"), options.get("master")
    if scheduler_file and not Path(scheduler_file).is_file():
        raise UsageError(
            "--scheduler-file", f"{scheduler_file}: no such file (is the Dask scheduler running?)"
        )
    if master and not re.fullmatch(r"(spark://[^\s:/]+:\d+(,[^\s:/]+:\d+)*|local(\[(\d+|\*)\])?)", master):
        raise UsageError("--master", f"{master!r} is not spark://HOST:PORT or local[N]")


def execute(request: RunRequest, **handles) -> dict | None:
    """Runs the request; `handles` hand a running Dask client or Spark session to the variant
    (tests reuse one). Returns the timing record (None on MPI ranks other than 0)."""
    problem, variant, kernel, params = check(request)
    workers = request.workers or 1
    if variant.launcher == "mpi":
        workers = mpi_workers(request.workers)
    problem.check_for_workers(params, workers)
    remote = variant.launcher == "mpi" or bool(
        request.options.get("scheduler_file") or request.options.get("master")
    )
    requests.check_fits_here(problem, params, variant.name, workers, remote)
    module = registry.variant_module(problem, variant.name)
    ctx = RunContext(workers=workers, options=request.options, out=Path(request.out))
    started = provenance.utc_now()
    with served(problem, params, variant.launcher == "mpi", remote) as bound:
        sampler = memory.PeakSampler().start()
        try:
            result = module.run(bound.job(params, kernel), ctx, **handles)
        except UsageError as error:
            error.during_work = True
            raise
        finally:
            sampler.stop()
    footprint = memory_footprint(sampler.peak, ctx, mpi=variant.launcher == "mpi")
    if result is None:  # an MPI rank other than 0: rank 0 writes
        return None
    if variant.launcher == "mpi":
        ctx.framework.update(mpi_library.versions())
    record = {
        "problem": problem.name,
        "variant": variant.name,
        "kernel": kernel,
        "workers": workers,
        "seed": params["seed"],
        "params": params,
        "output": str(request.out),
        "command": " ".join(sys.argv),
        "start_utc": started,
        "hosts": sorted(ctx.hosts),
        "git_commit": provenance.git_commit(),
        "versions": provenance.versions(kernel),
        "framework": ctx.framework,
        "machine": provenance.machine(),
        "load_average": provenance.load_average(),
        "slurm": provenance.slurm(),
        "summary": problem.summary_attrs(result),
        "worker_busy": ctx.busy,
        "memory": footprint.record(),
        **({"plugin": problem.plugin} if problem.plugin else {}),
    }
    output.remove_stale_temporaries(Path(request.out))
    record["end_utc"] = provenance.utc_now()
    output.write_result(request.out, record, result, ctx.phases)
    if request.timing_log is not None:
        output.append_timing_log(request.timing_log, record)
    return record


@contextmanager
def served(problem, params: dict, mpi: bool, remote: bool):
    """The problem bound to the service it needs for this run (fetch's object store), open while
    the run lasts: started once, by the driver (MPI's rank 0, which hands it to the other ranks),
    and reachable from other nodes only when the run's workers are there."""
    if not problem.has_service:
        yield problem
    elif not mpi:
        with problem.serving(params, spans_nodes=remote) as bound:
            yield bound
    else:
        from mpi4py import MPI

        comm = MPI.COMM_WORLD
        spans_nodes = len(set(comm.allgather(memory.node_name()))) > 1
        if comm.rank == 0:
            with problem.serving(params, spans_nodes) as bound:
                comm.bcast(bound, root=0)
                yield bound
                # Every rank is done with the service before it stops. Not after a failure:
                # the failing rank aborts the job (parbench.launch), and a barrier would hang.
                comm.barrier()
        else:
            yield comm.bcast(None, root=0)
            comm.barrier()


def memory_footprint(peak: int, ctx: RunContext, mpi: bool) -> memory.Footprint:
    """The run's peak memory per node: this process's sampler, every MPI rank's (gathered on rank
    0; the others get an empty footprint) and what the framework measured on other nodes."""
    footprint = memory.Footprint()
    here = memory.node_name()
    if mpi:
        from mpi4py import MPI

        peaks = MPI.COMM_WORLD.gather((here, peak), root=0) or []
        for node, rank_peak in peaks:
            footprint.add(node, rank_peak, "every MPI rank's process and the processes it started")
    else:
        footprint.add(here, peak, "this process and every process it started on its node")
    for node, remote_peak, what in ctx.remote_memory:
        footprint.add(node, remote_peak, what)
    return footprint


def mpi_workers(asked: int | None) -> int:
    from mpi4py import MPI

    size = MPI.COMM_WORLD.Get_size()
    if asked is not None and asked != size:
        raise UsageError("--workers", f"is {asked} but the launcher started {size} ranks")
    return size
