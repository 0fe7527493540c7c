"""The initial field: generated (a hot disc in a cold plate, the CSC course's default) or read
from a file, as any rectangular window of the global grid, so that a worker (an MPI rank) can
read just its own block and no process ever has to hold the whole field to start.

Files: HDF5 (`.h5`, `.hdf5`: the dataset `field`, or a parbench heat result's `result/field`, or
the file's only 2-D dataset) or the course's plain text `.dat`: a header line `# NX NY`, then NX
lines of NY numbers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from parbench.errors import UsageError

ARGUMENT = "--init"
HDF5_SUFFIXES = (".h5", ".hdf5")
# The generated field, in degrees: plate, disc, and the four fixed edges.
PLATE, DISC = 5.0, 65.0
TOP, BOTTOM, LEFT, RIGHT = 85.0, 5.0, 20.0, 70.0


def generated(nx: int, ny: int, rows: slice, cols: slice) -> np.ndarray:
    """Window [rows, cols] of a cold plate with a hot disc in the middle; the edges are held at
    fixed temperatures (the top and bottom rows win at the corners)."""
    i = np.arange(nx)[rows][:, None]
    j = np.arange(ny)[cols][None, :]
    radius2 = (min(nx, ny) / 6.0) ** 2
    inside = (i - (nx - 1) / 2.0) ** 2 + (j - (ny - 1) / 2.0) ** 2 < radius2
    field = np.where(inside, DISC, PLATE)
    field = np.where(j == 0, LEFT, field)
    field = np.where(j == ny - 1, RIGHT, field)
    field = np.where(i == 0, TOP, field)
    field = np.where(i == nx - 1, BOTTOM, field)
    return np.ascontiguousarray(field, dtype=np.float64)


def is_hdf5(path) -> bool:
    return Path(path).suffix.lower() in HDF5_SUFFIXES


def hdf5_dataset(f):
    """The field's dataset in an open HDF5 file."""
    import h5py

    for name in ("field", "result/field"):
        if name in f and isinstance(f[name], h5py.Dataset):
            return f[name]
    found = []
    f.visititems(
        lambda _, item: found.append(item) if isinstance(item, h5py.Dataset) and item.ndim == 2 else None
    )
    if len(found) != 1:
        raise UsageError(ARGUMENT, f"{f.filename}: no dataset 'field' and {len(found)} 2-D datasets")
    return found[0]


def read_dat(path) -> np.ndarray:
    """The course's text format; a bad header or bad numbers are errors naming --init."""
    with open(path, encoding="utf-8", errors="replace") as text:
        header = text.readline().split()
        if len(header) != 3 or header[0] != "#" or not all(h.isdigit() for h in header[1:]):
            raise UsageError(ARGUMENT, f"{path}: first line must be '# NX NY', got {' '.join(header)!r}")
        shape = (int(header[1]), int(header[2]))
        try:
            field = np.loadtxt(text, dtype=np.float64, ndmin=2)
        except ValueError as error:
            raise UsageError(ARGUMENT, f"{path}: unreadable numbers ({error})") from None
    if field.shape != shape:
        raise UsageError(
            ARGUMENT,
            f"{path}: header says {shape[0]} x {shape[1]} but the data is "
            f"{field.shape[0]} x {field.shape[1]}",
        )
    return field


def read_window(path, rows: slice, cols: slice) -> np.ndarray:
    """Window of the field in the file (HDF5 reads only the window from disk)."""
    if is_hdf5(path):
        import h5py

        with h5py.File(path, "r") as f:
            return np.ascontiguousarray(hdf5_dataset(f)[rows, cols], dtype=np.float64)
    return np.ascontiguousarray(read_dat(path)[rows, cols])


def check_file(path: str, nx: int, ny: int) -> None:
    """Every way an initial-field file can be wrong, found before any work starts."""
    if not Path(path).is_file():
        raise UsageError(ARGUMENT, f"{path}: no such file")
    if is_hdf5(path):
        import h5py

        try:
            with h5py.File(path, "r") as f:
                dataset = hdf5_dataset(f)
                shape = dataset.shape
                if len(shape) == 2 and shape == (nx, ny):
                    finite = all(np.isfinite(dataset[r : r + 256]).all() for r in range(0, nx, 256))
        except UsageError:
            raise
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise UsageError(ARGUMENT, f"{path}: corrupt or unreadable HDF5 ({error})") from None
    else:
        field = read_dat(path)
        shape = field.shape
        finite = shape == (nx, ny) and bool(np.isfinite(field).all())
    if tuple(shape) != (nx, ny):
        raise UsageError(
            ARGUMENT, f"{path}: field is {' x '.join(map(str, shape))} but --nx --ny ask for {nx} x {ny}"
        )
    if not finite:
        raise UsageError(ARGUMENT, f"{path}: field has NaN or infinite values")


def write_dat(path, field: np.ndarray) -> None:
    """Writes the course's text format with every digit (repr), so a round trip is exact."""
    with open(path, "w", encoding="utf-8") as text:
        text.write(f"# {field.shape[0]} {field.shape[1]}\n")
        for row in field:
            text.write(" ".join(repr(float(v)) for v in row) + "\n")
