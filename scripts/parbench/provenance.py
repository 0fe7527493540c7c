"""Where and with what a run happened: versions, hosts, SLURM job, git commit, UTC times."""

from __future__ import annotations

import datetime
import os
import platform
import socket
import subprocess
from functools import cache
from pathlib import Path

import h5py
import numpy

import parbench


def utc_now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds")


@cache
def git_commit() -> str:
    """The commit of the parbench checkout, '-dirty' when it has uncommitted changes."""
    if os.environ.get("PARBENCH_GIT_COMMIT"):
        return os.environ["PARBENCH_GIT_COMMIT"]
    here = Path(parbench.__file__).resolve().parent
    try:
        head = subprocess.run(
            ["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10
        )
        if head.returncode != 0:
            return "unknown"
        dirty = subprocess.run(
            ["git", "-C", str(here), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return head.stdout.strip() + ("-dirty" if dirty else "")


def slurm() -> dict[str, str]:
    """The SLURM job id and node list, when running under SLURM. Snakemake's jobstep plugin drops
    SLURM_JOB_NODELIST, so the node list is then asked of squeue."""
    job = os.environ.get("SLURM_JOB_ID", "")
    if not job:
        return {"job_id": "", "nodelist": ""}
    nodes = os.environ.get("SLURM_JOB_NODELIST") or os.environ.get("SLURM_NODELIST", "")
    if not nodes:
        try:
            nodes = subprocess.run(
                ["squeue", "-h", "-j", job, "-o", "%N"], capture_output=True, text=True, timeout=10
            ).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            nodes = ""
    return {"job_id": job, "nodelist": nodes}


def versions(kernel: str) -> dict[str, str]:
    found = {
        "parbench": parbench.__version__,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "h5py": h5py.__version__,
        "hdf5": h5py.version.hdf5_version,
    }
    if kernel == "numba":
        import numba

        found["numba"] = numba.__version__
    return found


def machine() -> dict[str, str]:
    return {
        "host": socket.gethostname(),
        "platform": platform.platform(),
        "processor": platform.machine(),
        "cpus": str(os.cpu_count()),
        "cpu_model": cpu_model(),
    }


def load_average() -> float:
    """Runnable processes over about the last minute, taken as the run ends: above the core
    count, the run shared its cores with others and its times say more about them than about it."""
    return round(os.getloadavg()[0], 2)


@cache
def cpu_model() -> str:
    """The CPU's name as Linux reports it (for comparing machines), or '' where it does not."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""
