"""Checkpoints: the whole field after a completed step, in an HDF5 file next to the result.

    <out stem>.checkpoint<out suffix>     e.g. heat.h5 -> heat.checkpoint.h5
      attrs: format = "parbench-heat-checkpoint", format_version, step, and the parameters that
             decide the result (nx, ny, alpha, dx, dy, dt, init, seed)
      field: float64 [nx, ny], the whole grid, fixed boundary included

The file is written under a temporary name and renamed into place, so a run killed at any moment
leaves the previous checkpoint or the new one, never half of one. It does not depend on the
variant or the worker count: a run may resume another variant's checkpoint, and each worker reads
only its own window. A run that finishes removes its checkpoint (a later --force run must compute,
not resume a finished one). The dataset is named `field`, so a checkpoint is also a valid --init.
"""

from __future__ import annotations

import os
from pathlib import Path

import h5py
import numpy as np

from parbench import output
from parbench.errors import UsageError
from parbench.heat.job import HeatJob

FORMAT = "parbench-heat-checkpoint"
FORMAT_VERSION = 1
RESULT_PARAMS = ("nx", "ny", "alpha", "dx", "dy", "dt", "init", "seed")


def path_for(out) -> Path:
    out = Path(out)
    return out.with_name(f"{out.stem}.checkpoint{out.suffix or '.h5'}")


class Checkpoint:
    def __init__(self, job: HeatJob, out):
        self.job = job
        self.path = path_for(out)

    def enabled(self) -> bool:
        return bool(self.job.params["checkpoint_every"])

    def start_step(self) -> int:
        """The step to resume from: that of a checkpoint for these parameters, or 0. A checkpoint
        for other parameters is an error, not something to overwrite silently."""
        if not self.path.exists():
            return 0
        argument = "--out"
        try:
            with h5py.File(self.path, "r") as f:
                attrs = {k: output._plain(v) for k, v in f.attrs.items()}
                shape = f["field"].shape
        except (OSError, KeyError) as error:
            raise UsageError(argument, f"{self.path}: unreadable checkpoint ({error}); remove it") from None
        if attrs.get("format") != FORMAT:
            raise UsageError(argument, f"{self.path}: not a parbench heat checkpoint; remove it")
        for name in RESULT_PARAMS:
            if attrs.get(name) != self.job.params[name]:
                raise UsageError(
                    argument,
                    f"{self.path} is a checkpoint for {name}={attrs.get(name)!r}, not "
                    f"{self.job.params[name]!r}; remove it or choose another --out",
                )
        step = int(attrs["step"])
        if shape != self.job.shape or not 0 < step <= self.job.steps:
            raise UsageError(
                argument,
                f"{self.path}: checkpoint at step {step} of a {shape} grid does not "
                f"fit --steps {self.job.steps}; remove it",
            )
        return step

    def window(self, rows: slice, cols: slice) -> np.ndarray:
        with h5py.File(self.path, "r") as f:
            return np.ascontiguousarray(f["field"][rows, cols])

    def start(self, rows: slice = slice(None), cols: slice = slice(None)) -> tuple[int, np.ndarray]:
        """(step, window of the field) to start from: the checkpoint's, or step 0's."""
        step = self.start_step()
        return step, (self.window(rows, cols) if step else self.job.window(rows, cols))

    def create(self, temporary: Path, step: int) -> None:
        output.remove_stale_temporaries(self.path)
        with h5py.File(temporary, "w") as f:
            f.attrs["format"] = FORMAT
            f.attrs["format_version"] = FORMAT_VERSION
            f.attrs["step"] = step
            for name in RESULT_PARAMS:
                f.attrs[name] = self.job.params[name]
            f.create_dataset("field", shape=self.job.shape, dtype=np.float64)

    @staticmethod
    def write_window(temporary: Path, rows: slice, cols: slice, block: np.ndarray) -> None:
        with h5py.File(temporary, "r+") as f:
            f["field"][rows, cols] = block

    def commit(self, temporary: Path) -> None:
        os.replace(temporary, self.path)

    def write(self, step: int, field: np.ndarray) -> None:
        """The whole field from one process."""
        temporary = output.temporary_name(self.path)
        try:
            self.create(temporary, step)
            self.write_window(temporary, slice(None), slice(None), field)
            self.commit(temporary)
        finally:
            temporary.unlink(missing_ok=True)

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)
