"""Serial: one process advances the whole grid, swapping two buffers each step. The reference
every other variant must match; its arithmetic is the kernel's, cell by cell."""

from parbench.context import RunContext, worker_name
from parbench.heat.checkpoint import Checkpoint
from parbench.heat.job import HeatJob, Stopwatch, result


def run(job: HeatJob, ctx: RunContext) -> dict:
    nx, ny = job.shape
    with ctx.phases.phase("startup"):
        job.warm_up()
        step = job.stepper()
    with ctx.phases.phase("distribute"):
        checkpoint = Checkpoint(job, ctx.out)
        start, src = checkpoint.start()
        dst = src.copy()  # the fixed boundary must be in both buffers
    busy = Stopwatch()
    for first, stop in job.segments(start):
        with ctx.phases.phase("compute"), busy:
            for _ in range(first, stop):
                step(src, dst, 1, nx - 1, 1, ny - 1)
                src, dst = dst, src
        if job.is_checkpoint(stop):
            with ctx.phases.phase("write"):
                checkpoint.write(stop, src)
    ctx.add_busy(worker_name(), busy.seconds)
    checkpoint.remove()
    return result(src, start)
