"""The HDF5 result file and the JSON-lines timing log (formats: docs/formats.md).

Writes are atomic: the file is written under a temporary name in the same folder and renamed
into place, so an interrupted run never leaves a file that looks complete.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import tempfile
from pathlib import Path

import h5py
import numpy as np

from parbench.errors import UsageError

FORMAT = "parbench-result"
FORMAT_VERSION = 1
# Record entries that are dicts become HDF5 groups with attributes; the rest root attributes.
GROUPS = ("params", "versions", "framework", "machine", "slurm", "summary", "memory")


def temporary_name(path: Path) -> Path:
    """`.NAME.tmp.HOST.PID` beside `path`: the host and process that write it, so that only a
    temporary of a dead process is ever taken for a leftover (PIDs repeat between hosts sharing
    a file system)."""
    return path.with_name(f".{path.name}.tmp.{socket.gethostname()}.{os.getpid()}")


def write_text_atomically(path, text: str) -> None:
    """Written under a temporary name and renamed, so a killed process never leaves half a file."""
    write_bytes_atomically(path, text.encode("utf-8"))


def write_bytes_atomically(path, data: bytes) -> None:
    path = Path(path)
    temporary = temporary_name(path)
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def remove_stale_temporaries(path: Path) -> None:
    """Removes temporary files that killed runs for the same output left behind: those written
    on this host by a process that no longer runs. Another host's, or a live writer's, stay."""
    prefix = f".{path.name}.tmp.{socket.gethostname()}."
    for leftover in path.parent.glob(f".{path.name}.tmp.*"):
        pid = leftover.name[len(prefix) :] if leftover.name.startswith(prefix) else ""
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            leftover.unlink(missing_ok=True)


def write_result(path: Path, record: dict, result: dict[str, np.ndarray], phases) -> None:
    """Writes the result and the record, timing the write as the `write` phase; the phases and
    total are stored last, after everything else is on disk, then the file is renamed in place."""
    path = Path(path)
    temporary = temporary_name(path)
    try:
        with h5py.File(temporary, "w") as f:
            with phases.phase("write"):
                f.attrs["format"] = FORMAT
                f.attrs["format_version"] = FORMAT_VERSION
                for key, value in record.items():
                    if key in GROUPS:
                        group = f.create_group(key)
                        for name, item in value.items():
                            group.attrs[name] = json.dumps(item) if isinstance(item, dict) else item
                    elif key not in ("phases", "worker_busy"):
                        f.attrs[key] = json.dumps(value) if isinstance(value, list) else value
                results = f.create_group("result")
                for name, array in result.items():
                    results.create_dataset(name, data=array)
                f.flush()
            record["phases"] = phases.as_dict()
            timing = f.create_group("timing")
            for name, seconds in record["phases"].items():
                timing.attrs[name] = seconds
            busy = record["worker_busy"]
            timing.create_dataset("worker_names", data=np.array(list(busy), dtype=h5py.string_dtype()))
            timing.create_dataset("worker_busy", data=np.array(list(busy.values()), dtype=np.float64))
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def read_result(path, argument: str, whole: bool = True) -> tuple[dict, dict[str, np.ndarray]]:
    """Reads a result file; a missing or corrupt one is a UsageError naming `argument`. With
    `whole` false, the record holds only what verification compares (problem and parameters):
    reading every provenance attribute is most of the cost of verifying a small result."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(argument, f"{path}: no such file")
    try:
        with h5py.File(path, "r") as f:
            if f.attrs.get("format") != FORMAT:
                raise UsageError(argument, f"{path}: not a parbench result file")
            if whole:
                record = {key: _plain(value) for key, value in f.attrs.items()}
                for key in GROUPS:
                    if key in f:
                        record[key] = {k: _plain(v) for k, v in f[key].attrs.items()}
                record["phases"] = {k: float(v) for k, v in f["timing"].attrs.items()}
                names = [n.decode() if isinstance(n, bytes) else n for n in f["timing/worker_names"][()]]
                record["worker_busy"] = dict(zip(names, f["timing/worker_busy"][()].tolist(), strict=False))
            else:
                record = {"problem": _plain(f.attrs["problem"])}
                record["params"] = {k: _plain(v) for k, v in f["params"].attrs.items()}
            result = {name: dataset[()] for name, dataset in f["result"].items()}
    except UsageError:
        raise
    except (OSError, KeyError, ValueError) as error:
        raise UsageError(argument, f"{path}: corrupt or unreadable HDF5 ({error})") from None
    return record, result


def _plain(value):
    """HDF5 attributes come back as NumPy scalars; the record uses plain Python values."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, bytes):
        return value.decode()
    return value


def append_timing_log(path, record: dict) -> None:
    """Appends one JSON line; a lock keeps lines whole when several runs share a log."""
    line = json.dumps(record, sort_keys=True) + "\n"
    with open(path, "a", encoding="utf-8") as log:
        fcntl.flock(log, fcntl.LOCK_EX)
        try:
            log.write(line)
            log.flush()
            os.fsync(log.fileno())
        finally:
            fcntl.flock(log, fcntl.LOCK_UN)


def check_output_path(path, argument: str, force: bool) -> Path:
    """Fails before any work when the output cannot or must not be written."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(argument, f"folder {folder} does not exist")
    if not can_create_files_in(folder):
        raise UsageError(argument, f"folder {folder} is not writable")
    if path.is_dir():
        raise UsageError(argument, f"{path} is a folder")
    if path.exists() and not force:
        raise UsageError(argument, f"{path} exists; pass --force to overwrite it")
    return path


def check_log_path(path, argument: str) -> Path:
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(argument, f"folder {folder} does not exist")
    if path.exists() and not (path.is_file() and os.access(path, os.W_OK)):
        raise UsageError(argument, f"{path} is not a writable file")
    if not path.exists() and not can_create_files_in(folder):
        raise UsageError(argument, f"folder {folder} is not writable")
    return path


def can_create_files_in(folder: Path) -> bool:
    """Whether a file can be made in `folder`, found by making one: permission bits do not tell
    for root (to whom os.access says yes almost everywhere), /sys or /proc, or a file system
    that refuses writes on the server's side."""
    if not os.access(folder, os.W_OK | os.X_OK):
        return False
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".parbench-probe-"):
            return True
    except OSError:
        return False
