"""PySpark: the field is an RDD of row blocks, one partition per worker, cached in the executors
between rounds. Each round of k steps (--steps-per-exchange) is one Spark job:

  1. the driver hands every block the k boundary rows of its neighbours (collected in the round
     before: a few rows per block, a small closure shipped with the tasks);
  2. each task stacks halo + block + halo, advances it k steps, trims the halo, and keeps the new
     block cached;
  3. the job returns each new block's first and last k rows (and its kernel time) to the driver,
     or the whole blocks after the last step and at checkpoints.
In the first round each executor reads its own block from the initial field (or checkpoint).

It is correct but slow, for reasons the design cannot avoid: every round is a job scheduled by
the driver (tens of milliseconds on this machine), every block crosses the JVM <-> Python worker
boundary pickled, twice per round (read from and written to the cache), and a halo exchange goes
through the driver (Spark has no worker-to-worker messages besides shuffles, which would move the
whole blocks). The stencil itself is the same kernel as everywhere else.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from parbench.context import RunContext, worker_name
from parbench.heat.checkpoint import Checkpoint
from parbench.heat.job import HeatJob, charge_loop, result

# Rounds between truncations of the RDD lineage, which otherwise grows by one step per round.
LINEAGE_ROUNDS = 32


@dataclass(frozen=True)
class Block:
    index: int
    rows: tuple[int, int]  # global rows [first, stop) it owns
    field: np.ndarray
    worker: str = ""
    kernel_seconds: float = 0.0


@dataclass(frozen=True)
class ReadBlock:
    job: HeatJob
    out: str
    start: int

    def __call__(self, numbered) -> Block:
        index, rows = numbered
        window = (slice(*rows), slice(None))
        field = Checkpoint(self.job, self.out).window(*window) if self.start else self.job.window(*window)
        return Block(index, rows, field)


@dataclass(frozen=True)
class Edges:
    """What the driver keeps of a block between rounds: its outer `depth` rows and kernel time."""

    depth: int

    def __call__(self, block: Block):
        return (
            block.index,
            block.field[: self.depth].copy(),
            block.field[-self.depth :].copy(),
            (
                block.worker,
                block.kernel_seconds,
            ),
        )


@dataclass(frozen=True)
class Whole:
    """The whole block (when the driver needs the field)."""

    def __call__(self, block: Block) -> Block:
        return block


@dataclass(frozen=True)
class Advance:
    job: HeatJob
    steps: int
    edges: dict  # index -> (first rows, last rows) of every block, from the round before

    def __call__(self, block: Block) -> Block:
        above = self.edges[block.index - 1][1][-self.steps :] if block.index - 1 in self.edges else None
        below = self.edges[block.index + 1][0][: self.steps] if block.index + 1 in self.edges else None
        parts = [p for p in (above, block.field, below) if p is not None]
        src = np.vstack(parts)
        dst = src.copy()
        step = self.job.stepper()
        rows, cols = src.shape
        began = time.perf_counter()
        for _ in range(self.steps):
            # outer rows: halo (stale after a step, see parbench.heat.variants.dask) or fixed boundary
            step(src, dst, 1, rows - 1, 1, cols - 1)
            src, dst = dst, src
        seconds = time.perf_counter() - began
        top = 0 if above is None else self.steps
        new = np.ascontiguousarray(src[top : top + block.field.shape[0]])
        return Block(block.index, block.rows, new, worker_name(), seconds)


def run(job: HeatJob, ctx: RunContext, session=None) -> dict:
    from parbench.frameworks import spark_session

    with ctx.phases.phase("startup"):
        spark = spark_session.connect(ctx, session)
        context = spark.session.sparkContext
        context.parallelize(range(ctx.workers), ctx.workers).map(job.warm_up).collect()
    try:
        depth = job.params["steps_per_exchange"]
        with ctx.phases.phase("distribute"):
            checkpoint = Checkpoint(job, ctx.out)
            start = checkpoint.start_step()
            owned = list(enumerate(job.owned_rows(ctx.workers)))
            # Each executor reads its own block in the first round; the driver reads only the
            # blocks' outer rows, the first round's halos.
            source = checkpoint.window if start else job.window
            edges = {
                i: (source(slice(a, a + depth), slice(None)), source(slice(b - depth, b), slice(None)))
                for i, (a, b) in owned
            }
            blocks = context.parallelize(owned, len(owned)).map(ReadBlock(job, str(ctx.out), start))
        busy, wall, field = {}, 0.0, None
        for number, (first, stop) in enumerate(job.segments(start, longest=depth)):
            with ctx.phases.phase("compute"):
                began = time.perf_counter()
                advanced = blocks.map(Advance(job, stop - first, edges)).cache()
                if number % LINEAGE_ROUNDS == LINEAGE_ROUNDS - 1:
                    advanced.localCheckpoint()
                # The round's one job: the driver gets the new edges, or whole blocks when it
                # needs the field (a checkpoint, the end).
                whole = stop == job.steps or job.is_checkpoint(stop)
                collected = advanced.map(Whole() if whole else Edges(depth)).collect()
                if whole:
                    field = np.vstack([b.field for b in sorted(collected, key=lambda b: b.index)])
                    collected = [Edges(depth)(b) for b in collected]
                edges = {}
                for index, top, bottom, (worker, seconds) in collected:
                    edges[index] = (top, bottom)
                    busy[worker] = busy.get(worker, 0.0) + seconds
                if number:
                    blocks.unpersist()
                blocks = advanced
                wall += time.perf_counter() - began
            if job.is_checkpoint(stop):
                with ctx.phases.phase("write"):
                    checkpoint.write(stop, field)
        with ctx.phases.phase("communicate"):
            if field is None:  # resumed at the last step: nothing to run
                field = gather(blocks)
            blocks.unpersist()
        charge_loop(ctx, wall, busy)
        checkpoint.remove()
        return result(field, start)
    finally:
        with ctx.phases.phase("teardown"):
            spark.close()


def gather(blocks) -> np.ndarray:
    """The whole field at the driver, blocks in order."""
    return np.vstack([b.field for b in sorted(blocks.collect(), key=lambda b: b.index)])
