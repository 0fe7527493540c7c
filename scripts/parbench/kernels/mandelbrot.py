"""Escape-time counts for rows of the Mandelbrot set, in three flavours with identical arithmetic.

Every flavour iterates z <- z^2 + c in real arithmetic (zr, zi) in the same order, so all give the
same counts: the iteration n at which |z|^2 > 4 first holds, or `maxiter` if it never does.
Pixel centres: x_j = xmin + (xmax - xmin) * (j + 0.5) / width, likewise for rows.
"""

from __future__ import annotations

import numpy as np

from parbench.kernels.jit import njit


def axis(low: float, high: float, n: int, first: int = 0, count: int | None = None) -> np.ndarray:
    """Pixel-centre coordinates first..first+count-1 along an axis of n pixels."""
    count = n - first if count is None else count
    return low + (high - low) * (np.arange(first, first + count) + 0.5) / n


def rows_python(cr: np.ndarray, ci: np.ndarray, maxiter: int) -> np.ndarray:
    """Plain Python loops: holds the GIL all the time, so threads cannot run it in parallel."""
    counts = np.empty((len(ci), len(cr)), dtype=np.int32)
    xs = cr.tolist()
    for r, y in enumerate(ci.tolist()):
        row = counts[r]
        for j, x in enumerate(xs):
            zr = zi = 0.0
            n = 0
            while n < maxiter:
                zr2 = zr * zr
                zi2 = zi * zi
                if zr2 + zi2 > 4.0:
                    break
                zi = 2.0 * zr * zi + y
                zr = zr2 - zi2 + x
                n += 1
            row[j] = n
    return counts


def rows_numpy(cr: np.ndarray, ci: np.ndarray, maxiter: int) -> np.ndarray:
    """Vectorised over a block of pixels. Escaped pixels are dropped from the working arrays, so
    the work shrinks as the block escapes, and buffers are reused (`out=`) so no temporaries are
    made per iteration. Callers pass blocks of a few rows: the working set then stays in cache."""
    height, width = len(ci), len(cr)
    counts = np.full(height * width, maxiter, dtype=np.int32)
    c_re = np.tile(cr, height)
    c_im = np.repeat(ci, width)
    index = np.arange(height * width)
    zr = np.zeros_like(c_re)
    zi = np.zeros_like(c_re)
    zr2 = np.empty_like(c_re)
    zi2 = np.empty_like(c_re)
    modulus = np.empty_like(c_re)
    escaped = np.empty(len(c_re), dtype=bool)
    for n in range(maxiter):
        np.multiply(zr, zr, out=zr2)
        np.multiply(zi, zi, out=zi2)
        np.add(zr2, zi2, out=modulus)
        np.greater(modulus, 4.0, out=escaped)
        if escaped.any():
            counts[index[escaped]] = n
            keep = ~escaped
            c_re, c_im, index = c_re[keep], c_im[keep], index[keep]
            zr, zi, zr2, zi2 = zr[keep], zi[keep], zr2[keep], zi2[keep]
            if len(index) == 0:
                break
            modulus, escaped = modulus[: len(index)], escaped[: len(index)]
        _step(zr, zi, zr2, zi2, c_re, c_im)
    return counts.reshape(height, width)


def _step(zr, zi, zr2, zi2, c_re, c_im) -> None:
    """zi <- 2 zr zi + ci, then zr <- zr^2 - zi^2 + cr, in place. (zr zi) 2 equals (2 zr) zi
    exactly: doubling is exact in binary floating point."""
    np.multiply(zr, zi, out=zi)
    np.multiply(zi, 2.0, out=zi)
    np.add(zi, c_im, out=zi)
    np.subtract(zr2, zi2, out=zr)
    np.add(zr, c_re, out=zr)


def _rows_compiled(cr, ci, maxiter):
    counts = np.empty((len(ci), len(cr)), dtype=np.int32)
    for r in range(len(ci)):
        y = ci[r]
        for j in range(len(cr)):
            x = cr[j]
            zr = 0.0
            zi = 0.0
            n = 0
            while n < maxiter:
                zr2 = zr * zr
                zi2 = zi * zi
                if zr2 + zi2 > 4.0:
                    break
                zi = 2.0 * zr * zi + y
                zr = zr2 - zi2 + x
                n += 1
            counts[r, j] = n
    return counts


def rows_numba(cr: np.ndarray, ci: np.ndarray, maxiter: int) -> np.ndarray:
    """The Python loops compiled by numba, without the GIL."""
    return njit(_rows_compiled)(cr, ci, maxiter)


ROWS = {"python": rows_python, "numpy": rows_numpy, "numba": rows_numba}
