"""The field's two buffers in POSIX shared memory (`multiprocessing.shared_memory`), for the
process variants: every worker maps the same pages, so no field is ever pickled; a worker needs
only the segments' names (a few bytes) to attach."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from multiprocessing import shared_memory

import numpy as np


@dataclass(frozen=True)
class GridHandle:
    """What travels to a worker: the buffers' shape and shared-memory names."""

    shape: tuple[int, int]
    names: tuple[str, str]

    def buffers(self) -> tuple[np.ndarray, np.ndarray]:
        return _attach(self.shape, self.names)


@cache
def _attach(shape, names):
    """Attaches once per process; the mappings stay open for the process's life."""
    segments = [shared_memory.SharedMemory(name=name) for name in names]
    _keep_alive.extend(segments)
    return tuple(np.ndarray(shape, dtype=np.float64, buffer=s.buf) for s in segments)


_keep_alive: list = []


class SharedGrid:
    """Creates the two buffers (the owner, in the parent process) and removes them at the end."""

    def __init__(self, field: np.ndarray):
        self.segments = [shared_memory.SharedMemory(create=True, size=field.nbytes) for _ in range(2)]
        self.handle = GridHandle(field.shape, tuple(s.name for s in self.segments))
        self.buffers = tuple(np.ndarray(field.shape, dtype=np.float64, buffer=s.buf) for s in self.segments)
        for buffer in self.buffers:
            buffer[...] = field  # the fixed boundary must be in both

    def close(self) -> None:
        self.buffers = ()
        for segment in self.segments:
            segment.close()
            segment.unlink()
