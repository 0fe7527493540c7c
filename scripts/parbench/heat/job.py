"""What every heat variant receives: the parameters, the kernel, and the arithmetic of the
decomposition (row blocks, owned windows, step segments), picklable so that it can travel to
worker processes, Dask workers and Spark executors."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from parbench.context import RunContext
from parbench.heat import initial
from parbench.kernels import heat as kernels
from parbench.kernels import malloc


@dataclass(frozen=True)
class HeatJob:
    params: dict
    kernel: str

    @property
    def shape(self) -> tuple[int, int]:
        return self.params["nx"], self.params["ny"]

    @property
    def steps(self) -> int:
        return self.params["steps"]

    def stepper(self):
        """This worker's `step(src, dst, i0, i1, j0, j1)`, with its own scratch buffers."""
        p = self.params
        cx = p["alpha"] * p["dt"] / (p["dx"] * p["dx"])
        cy = p["alpha"] * p["dt"] / (p["dy"] * p["dy"])
        return kernels.make(self.kernel, cx, cy)

    def warm_up(self, *_ignored) -> None:
        """Loads the kernel and sets the malloc thresholds every variant's kernels run with."""
        malloc.use_steady_thresholds()
        kernels.warm_up(self.kernel)

    def window(self, rows: slice, cols: slice) -> np.ndarray:
        """The initial field's window [rows, cols] (global indices)."""
        nx, ny = self.shape
        if self.params["init"]:
            return initial.read_window(self.params["init"], rows, cols)
        return initial.generated(nx, ny, rows, cols)

    def row_blocks(self, parts: int) -> list[tuple[int, int]]:
        """The interior rows 1..nx-2 split into `parts` contiguous blocks [first, stop), sizes
        differing by at most one (the first blocks take the remainder)."""
        return split(1, self.shape[0] - 1, parts)

    def owned_rows(self, parts: int) -> list[tuple[int, int]]:
        """Row blocks that also own the fixed boundary row next to them: together they cover
        every row exactly once (how the field is chunked, gathered and checkpointed)."""
        return own_edges(self.row_blocks(parts), self.shape[0])

    def segments(self, start: int, longest: int | None = None) -> list[tuple[int, int]]:
        """Steps start..steps cut into [from, to) segments that end at every checkpoint step
        (multiples of --checkpoint-every) and are at most `longest` steps long."""
        every, segments, step = self.params["checkpoint_every"], [], start
        while step < self.steps:
            stop = self.steps
            if every:
                stop = min(stop, every * (step // every + 1))
            if longest:
                stop = min(stop, step + longest)
            segments.append((step, stop))
            step = stop
        return segments

    def is_checkpoint(self, step: int) -> bool:
        every = self.params["checkpoint_every"]
        return bool(every) and step % every == 0 and step < self.steps


def split(first: int, stop: int, parts: int) -> list[tuple[int, int]]:
    """[first, stop) cut into `parts` contiguous pieces, the first `remainder` one longer."""
    size, remainder = divmod(stop - first, parts)
    bounds = [first]
    for part in range(parts):
        bounds.append(bounds[-1] + size + (part < remainder))
    return list(zip(bounds[:-1], bounds[1:], strict=False))


def own_edges(blocks: list[tuple[int, int]], n: int) -> list[tuple[int, int]]:
    """Extends the first block to index 0 and the last to n (the fixed boundary lines)."""
    owned = list(blocks)
    owned[0] = (0, owned[0][1])
    owned[-1] = (owned[-1][0], n)
    return owned


def result(field: np.ndarray, resumed_from: int) -> dict:
    return {"field": field, "resumed_from_step": np.array(resumed_from, dtype=np.int64)}


def charge_loop(ctx: RunContext, wall: float, busy: dict[str, float], writes: float = 0.0) -> None:
    """Records each worker's busy (kernel) time and splits a loop's wall time, already counted as
    `compute`, for variants whose workers cannot time phases themselves: checkpoint writes done
    inside the loop become `write`; the busiest worker's kernel time stays `compute`; the rest,
    time the busiest worker spent not computing (barriers, halo slices and transfers,
    scheduling), becomes `communicate`."""
    for worker, seconds in busy.items():
        ctx.add_busy(worker, seconds)
    kernel = max(busy.values(), default=0.0)
    waiting = max(0.0, wall - writes - kernel)
    ctx.phases.seconds["compute"] -= waiting + writes
    ctx.phases.seconds["communicate"] += waiting
    ctx.phases.seconds["write"] += writes


class Stopwatch:
    """Kernel seconds of one worker (its busy time)."""

    def __init__(self):
        self.seconds = 0.0

    def __enter__(self):
        self._began = time.perf_counter()
        return self

    def __exit__(self, *_):
        self.seconds += time.perf_counter() - self._began
