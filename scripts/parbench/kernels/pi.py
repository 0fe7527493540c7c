"""Monte Carlo pi: count random points of the unit square that fall inside the quarter circle.

The random stream belongs to the chunk, not to the worker: chunk i draws from
`SeedSequence(seed, spawn_key=(i,))`, the i-th child `SeedSequence(seed).spawn()` would give, in
fixed blocks of x then y. So any variant, with any number of workers, counts the same points.
The flavours differ only in how they count.
"""

from __future__ import annotations

import numpy as np

from parbench.kernels.jit import njit

BLOCK = 1 << 16  # points drawn at a time: bounded memory, identical stream for every flavour


def points(seed: int, chunk: int, samples: int):
    """Yields (x, y) arrays of the chunk's points, BLOCK at a time. The two arrays are refilled
    in place (`out=`): allocating 512 KiB arrays per block made glibc map and fault in fresh
    pages every time, which cost as much as drawing the numbers."""
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(chunk,))))
    x, y = np.empty(min(BLOCK, samples)), np.empty(min(BLOCK, samples))
    for start in range(0, samples, BLOCK):
        size = min(BLOCK, samples - start)
        yield rng.random(out=x[:size]), rng.random(out=y[:size])


def hits_python(seed: int, chunk: int, samples: int) -> int:
    """Plain Python loop over the points: holds the GIL."""
    hits = 0
    for x, y in points(seed, chunk, samples):
        for a, b in zip(x.tolist(), y.tolist(), strict=False):
            if a * a + b * b <= 1.0:
                hits += 1
    return hits


def hits_numpy(seed: int, chunk: int, samples: int) -> int:
    hits = 0
    for x, y in points(seed, chunk, samples):
        np.multiply(x, x, out=x)  # in place: the buffers are refilled for the next block anyway
        np.multiply(y, y, out=y)
        hits += int(np.count_nonzero(np.add(x, y, out=x) <= 1.0))
    return hits


def _count_inside(x, y):
    hits = 0
    for k in range(len(x)):
        if x[k] * x[k] + y[k] * y[k] <= 1.0:
            hits += 1
    return hits


def hits_numba(seed: int, chunk: int, samples: int) -> int:
    """Counting compiled without the GIL; NumPy's generator also releases it while it fills."""
    count = njit(_count_inside)
    return sum(int(count(x, y)) for x, y in points(seed, chunk, samples))


HITS = {"python": hits_python, "numpy": hits_numpy, "numba": hits_numba}
