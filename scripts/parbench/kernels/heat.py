"""One explicit step of the 2-D heat equation on a rectangle of cells, in three flavours.

Every flavour computes, for each cell (i, j) of the rectangle [i0, i1) x [j0, j1) of `dst`,

    dst = c + (cx * ((up + down) - 2c) + cy * ((left + right) - 2c))

from the cell c of `src` and its four neighbours, in exactly this order, so all three give the same
bits (no fused multiply-add: numba keeps IEEE order without fastmath). Cells outside the rectangle
are left alone: that is how the fixed (Dirichlet) boundary and halo cells stay fixed, and how a
variant updates only its own block. cx = alpha dt / dx^2, cy = alpha dt / dy^2.

A stepper is made once per worker (`make`) and called every step: the NumPy one keeps its scratch
buffers, so a step allocates nothing.
"""

from __future__ import annotations

import numpy as np

from parbench.kernels.jit import njit

# The pure-Python kernel visits every cell in the interpreter: small grids only.
PYTHON_MAX_CELLS = 128 * 128
# NumPy works through the rectangle this many cells at a time, so that its scratch rows stay in
# cache (several times faster than whole-array operations: docs/benchmarks.md).
NUMPY_CHUNK_CELLS = 32 * 1024


def step_python(src, dst, i0, i1, j0, j1, cx, cy):
    """Plain loops over Python floats: holds the GIL throughout."""
    for i in range(i0, i1):
        up, row, down, out = src[i - 1].tolist(), src[i].tolist(), src[i + 1].tolist(), dst[i]
        for j in range(j0, j1):
            c2 = 2.0 * row[j]
            out[j] = row[j] + (cx * ((up[j] + down[j]) - c2) + cy * ((row[j - 1] + row[j + 1]) - c2))


class NumpyStepper:
    """Whole-row slices with `out=` into two preallocated scratch buffers (plus `dst` itself), in
    chunks of rows: no temporaries are created per step."""

    def __init__(self, cx: float, cy: float):
        self.cx, self.cy = cx, cy
        self.scratch: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def buffers(self, width: int, rows: int):
        if width not in self.scratch:
            chunk = max(1, NUMPY_CHUNK_CELLS // max(width, 1))
            self.scratch[width] = (np.empty((chunk, width)), np.empty((chunk, width)))
        a, b = self.scratch[width]
        return a[:rows], b[:rows]

    def __call__(self, src, dst, i0, i1, j0, j1):
        width = j1 - j0
        if width <= 0 or i1 <= i0:
            return
        chunk = max(1, NUMPY_CHUNK_CELLS // width)
        for r0 in range(i0, i1, chunk):
            r1 = min(r0 + chunk, i1)
            x, c2 = self.buffers(width, r1 - r0)
            centre = src[r0:r1, j0:j1]
            out = dst[r0:r1, j0:j1]
            np.multiply(centre, 2.0, out=c2)
            np.add(src[r0 - 1 : r1 - 1, j0:j1], src[r0 + 1 : r1 + 1, j0:j1], out=x)
            np.subtract(x, c2, out=x)
            np.multiply(x, self.cx, out=x)
            np.add(src[r0:r1, j0 - 1 : j1 - 1], src[r0:r1, j0 + 1 : j1 + 1], out=out)
            np.subtract(out, c2, out=out)
            np.multiply(out, self.cy, out=out)
            np.add(x, out, out=out)
            np.add(centre, out, out=out)


def _step_compiled(src, dst, i0, i1, j0, j1, cx, cy):
    # Row by row through 1-D slices: LLVM vectorises this loop, but not the same loop written
    # with 2-D indices into src and dst, which it cannot prove do not overlap (a few times
    # slower: docs/benchmarks.md).
    for i in range(i0, i1):
        up, down = src[i - 1, j0:j1], src[i + 1, j0:j1]
        left, centre, right = src[i, j0 - 1 : j1 - 1], src[i, j0:j1], src[i, j0 + 1 : j1 + 1]
        out = dst[i, j0:j1]
        for j in range(j1 - j0):
            c2 = 2.0 * centre[j]
            out[j] = centre[j] + (cx * ((up[j] + down[j]) - c2) + cy * ((left[j] + right[j]) - c2))


def make(kernel: str, cx: float, cy: float):
    """A callable `step(src, dst, i0, i1, j0, j1)` for one worker."""
    if kernel == "python":
        return lambda src, dst, i0, i1, j0, j1: step_python(src, dst, i0, i1, j0, j1, cx, cy)
    if kernel == "numpy":
        return NumpyStepper(cx, cy)
    if kernel == "numba":
        compiled = njit(_step_compiled)
        return lambda src, dst, i0, i1, j0, j1: compiled(src, dst, i0, i1, j0, j1, cx, cy)
    raise ValueError(f"unknown heat kernel {kernel!r}")


def warm_up(kernel: str) -> None:
    """Compiles (or loads from numba's cache) before anything is timed as compute."""
    grid = np.zeros((3, 3))
    make(kernel, 0.1, 0.1)(grid, grid.copy(), 1, 2, 1, 2)


KERNELS = ("python", "numpy", "numba")
