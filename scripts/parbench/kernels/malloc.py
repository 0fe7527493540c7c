"""The same glibc malloc thresholds in every process that runs a kernel.

glibc starts each process with a 128 KiB mmap threshold, raises it (up to 32 MiB) whenever the
process frees a mapped block, and gives free heap back to the OS above twice the threshold. Two
processes running the same kernel could thus allocate differently because of what they had freed
before: the NumPy mandelbrot kernel ran 13-17 % faster in a Spark worker that had just sent 8 MB
of results than in the serial process, and Dask's nanny pins the trim threshold at 64 KiB, which
made kernels up to 3x slower (docs/benchmarks.md). Every process that runs a kernel sets the
thresholds an allocation-heavy process reaches by itself, so variants differ only in how they
parallelise.
"""

from __future__ import annotations

import ctypes

MMAP_THRESHOLD = 32 << 20  # arrays up to 32 MiB come from the heap
TRIM_THRESHOLD = 64 << 20  # up to 64 MiB of free heap is kept for the next task
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # from glibc's malloc.h


def use_steady_thresholds() -> bool:
    """Sets the thresholds for this process and the children it forks later. False where the C
    library has no `mallopt` (macOS) or refuses: the kernels still run, with its defaults."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mmap_set = mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    trim_set = mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    return bool(mmap_set and trim_set)
