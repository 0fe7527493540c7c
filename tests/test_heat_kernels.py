"""The heat kernels (parbench.kernels.heat) at the edges of their input: empty and inverted
rectangles, a single column, rows longer than a NumPy chunk, more rows than a chunk holds, the
source of the compiled kernel run with Python's index checks, kernel names, and the python
kernel's grid limit. The reference is the 5-point update written out below with plain NumPy."""

from __future__ import annotations

import numpy as np
import pytest

from heat_cases import KERNELS, job
from parbench.errors import UsageError
from parbench.kernels import heat as kernels

CX, CY = 0.21, 0.17


def textbook_step(src: np.ndarray, dst: np.ndarray, i0: int, i1: int, j0: int, j1: int) -> np.ndarray:
    """dst with the rectangle [i0, i1) x [j0, j1) updated as the module docstring states,
    dst = c + (cx ((up + down) - 2c) + cy ((left + right) - 2c)), in that order (so the bits
    agree), on whole arrays at once; every other cell as it was."""
    out = dst.copy()
    c = src[i0:i1, j0:j1]
    up, down = src[i0 - 1 : i1 - 1, j0:j1], src[i0 + 1 : i1 + 1, j0:j1]
    left, right = src[i0:i1, j0 - 1 : j1 - 1], src[i0:i1, j0 + 1 : j1 + 1]
    out[i0:i1, j0:j1] = c + (CX * ((up + down) - 2.0 * c) + CY * ((left + right) - 2.0 * c))
    return out


def stepped(kernel: str, src: np.ndarray, i0: int, i1: int, j0: int, j1: int) -> np.ndarray:
    dst = np.full_like(src, -1.0)
    kernels.make(kernel, CX, CY)(src, dst, i0, i1, j0, j1)
    return dst


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize(
    "rectangle",
    [(1, 12, 5, 5), (1, 12, 7, 4), (5, 5, 1, 10), (8, 3, 1, 10)],
    ids=["no-columns", "columns-inverted", "no-rows", "rows-inverted"],
)
def test_empty_rectangles_change_nothing(kernel, rectangle):
    """A rectangle with no columns (j1 == j0, or j1 < j0) or no rows changes no cell and raises
    nothing: a kernel that divided by the width, or sized buffers by a negative width, fails."""
    src = np.random.default_rng(1).random((13, 11))
    assert (stepped(kernel, src, *rectangle) == -1.0).all()


@pytest.mark.parametrize("kernel", KERNELS)
def test_sub_rectangles_away_from_the_edges(kernel):
    """A rectangle starting at column 3 and row 4 (not at 1, where j0 - 1 == 0 and i0 - 1 == 0
    would hide a wrong offset), and a single column."""
    src = np.random.default_rng(2).random((13, 11))
    for rectangle in [(4, 9, 3, 8), (2, 11, 6, 7)]:
        want = textbook_step(src, np.full_like(src, -1.0), *rectangle)
        assert np.array_equal(stepped(kernel, src, *rectangle), want), rectangle


def test_compiled_kernel_source_reads_only_inside_its_slices():
    """Numba checks no index: a row slice one cell too short would silently read the cell after
    it. Run as plain Python (every index checked) the compiled kernel's source must give the
    same bits on a rectangle away from the edges and on the whole interior."""
    src = np.random.default_rng(3).random((9, 12))
    for rectangle in [(1, 8, 1, 11), (3, 6, 4, 9)]:
        dst = np.full_like(src, -1.0)
        kernels._step_compiled(src, dst, *rectangle, CX, CY)
        assert np.array_equal(dst, textbook_step(src, np.full_like(src, -1.0), *rectangle)), rectangle


def test_numpy_rows_longer_than_a_chunk():
    """Rows of more cells than NUMPY_CHUNK_CELLS: each chunk is then one row, and the scratch
    buffers hold one row each (not two, not none)."""
    width = kernels.NUMPY_CHUNK_CELLS + 5
    src = np.random.default_rng(4).random((5, width + 2))
    stepper = kernels.make("numpy", CX, CY)
    dst = np.full_like(src, -1.0)
    stepper(src, dst, 1, 4, 1, width + 1)
    assert np.array_equal(dst, textbook_step(src, np.full_like(src, -1.0), 1, 4, 1, width + 1))
    assert [a.shape for pair in stepper.scratch.values() for a in pair] == [(1, width), (1, width)]


def test_numpy_single_column_taller_than_half_a_chunk():
    """One column of NUMPY_CHUNK_CELLS / 2 + 10 rows: a chunk of one-cell rows is
    NUMPY_CHUNK_CELLS rows, so the whole column is one chunk and its scratch must hold it."""
    rows = kernels.NUMPY_CHUNK_CELLS // 2 + 10
    src = np.random.default_rng(5).random((rows + 2, 3))
    want = textbook_step(src, np.full_like(src, -1.0), 1, rows + 1, 1, 2)
    assert np.array_equal(stepped("numpy", src, 1, rows + 1, 1, 2), want)


def test_numpy_scratch_stays_within_a_chunk():
    """The scratch buffers exist to stay in cache: on 2048-cell rows each holds one chunk,
    NUMPY_CHUNK_CELLS cells, not a chunk per column or a row per cell."""
    src = np.random.default_rng(6).random((40, 2050))
    stepper = kernels.make("numpy", CX, CY)
    dst = np.full_like(src, -1.0)
    stepper(src, dst, 1, 39, 1, 2049)
    assert np.array_equal(dst, textbook_step(src, np.full_like(src, -1.0), 1, 39, 1, 2049))
    sizes = [a.size for pair in stepper.scratch.values() for a in pair]
    assert sizes == [kernels.NUMPY_CHUNK_CELLS, kernels.NUMPY_CHUNK_CELLS]


@pytest.mark.parametrize("name", ["cuda", "rust", "Numpy", ""])
def test_unknown_kernel_names_are_refused(name):
    """Only the three names select a kernel: names that sort before or after them ("cuda",
    "rust") are refused with the name in the message, not taken for a neighbour."""
    with pytest.raises(ValueError, match=f"^unknown heat kernel {name!r}$"):
        kernels.make(name, CX, CY)


def test_python_kernel_grid_limit_is_128_by_128_cells():
    """The python kernel takes grids of up to 128 x 128 = 16384 cells: 128 x 128 is accepted,
    128 x 129 refused with the limit in the message; numpy takes any size."""
    assert job("python", nx=128, ny=128).kernel == "python"
    with pytest.raises(UsageError, match=r"at most 16384 cells, got 128 x 129"):
        job("python", nx=128, ny=129)
    assert job("numpy", nx=128, ny=129).kernel == "numpy"
