"""Lazy access to numba: importing it costs about half a second, so only the numba kernels pay."""

from functools import cache


@cache
def njit(function):
    """Compiles `function` with numba, releasing the GIL (`nogil=True`) so threads run in parallel;
    `cache=True` lets later processes load the machine code instead of compiling again."""
    import numba

    return numba.njit(nogil=True, cache=True)(function)
