"""Collection: every verified run's timing record into one tidy table (`results/timings.csv`, one
row per run and phase, with every parameter), the per-worker busy times, one row per run with its
verification status, and the merged timing log.

Only files that Snakemake declared as finished inputs are read (the status files name them), and
every record is checked to be one whole JSON line, so a run killed half-way is never collected.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd

from parbench import output
from parbench.results.check import read_statuses
from parbench.timing import PHASES

LABELS = ["problem", "size", "kernel", "variant", "workers", "nodes", "repeat", "scale"]


RUN_COLUMNS = [
    "run",
    *LABELS,
    "status",
    "hosts",
    "git_commit",
    "start_utc",
    "total_s",
    "compute_s",
    "process_s",
    "max_rss_mb",
    "message",
    "result",
    "log",
    # The machine's load as the run ended and its cores: a load above them marks the point unstable.
    "load_average",
    "cpus",
    # The run's peak memory, all its processes together (PSS: shared pages count once; see
    # parbench.memory), and per node as JSON ({"node1": MiB, ...}) when it spans nodes.
    "memory_mib",
    "memory_per_node_mib",
    "memory_method",
]


class CollectError(RuntimeError):
    pass


def read_record(path) -> dict:
    """The single timing record a run appended to its own log."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    if len(lines) != 1:
        raise CollectError(f"{path}: expected one timing record, found {len(lines)} lines")
    try:
        return json.loads(lines[0])
    except json.JSONDecodeError as error:
        raise CollectError(f"{path}: not a whole JSON record ({error})") from None


def read_benchmark(path) -> dict:
    """Snakemake's benchmark of the job: wall time of the whole command (interpreter and
    launcher start included) and peak memory."""
    if not path or not Path(path).is_file():
        return {"process_s": float("nan"), "max_rss_mb": float("nan")}
    with open(path, encoding="utf-8") as f:
        row = next(csv.DictReader(f, delimiter="\t"))

    def number(key):
        try:
            return float(row.get(key, "nan"))
        except ValueError:  # "-" when Snakemake could not measure it
            return float("nan")

    return {"process_s": number("s"), "max_rss_mb": number("max_rss")}


def collect(status_paths, missing=()) -> dict[str, pd.DataFrame | list]:
    """The tables from the case status files; `missing` are the runs that did not finish, each
    {"run": id, **labels} as the plan gives them (labels left out stay empty)."""
    statuses = read_statuses(status_paths)
    timing_rows, busy_rows, run_rows, log = [], [], [], []
    for status in sorted(statuses, key=lambda s: s["id"]):
        record = read_record(status["record"])
        labels = {key: status[key] for key in LABELS}
        run = {"run": status["id"], **labels}
        params = {f"param.{k}": v for k, v in sorted(record["params"].items())}
        common = {
            **run,
            "status": status["status"],
            "hosts": " ".join(record.get("hosts", [])),
            "git_commit": record.get("git_commit", ""),
            "start_utc": record.get("start_utc", ""),
        }
        for phase in (*PHASES, "total"):
            timing_rows.append(
                {**common, "phase": phase, "seconds": record["phases"].get(phase, 0.0), **params}
            )
        for worker, busy in record.get("worker_busy", {}).items():
            busy_rows.append({**run, "worker": worker, "busy_s": busy})
        run_rows.append(
            {
                **common,
                "total_s": record["phases"]["total"],
                "compute_s": record["phases"].get("compute", float("nan")),
                **read_benchmark(status.get("benchmark")),
                "message": status.get("message", ""),
                "result": status["result"],
                "log": status.get("log", ""),
                "load_average": record.get("load_average", float("nan")),
                "cpus": record.get("machine", {}).get("cpus", ""),
                **memory_columns(record.get("memory")),
            }
        )
        log.append(
            {
                "run": status["id"],
                "size": status["size"],
                "repeat": status["repeat"],
                "status": status["status"],
                **record,
            }
        )
    for run in sorted(missing, key=lambda run: run["run"]):
        labels = {key: run.get(key, "") for key in LABELS}
        run_rows.append({"run": run["run"], **labels, "status": "missing", "message": "no verified result"})
    timing_columns = ["run", *LABELS, "status", "hosts", "git_commit", "start_utc", "phase", "seconds"]
    return {
        "timings": pd.DataFrame(timing_rows, columns=None if timing_rows else timing_columns),
        "worker_busy": pd.DataFrame(busy_rows, columns=["run", *LABELS, "worker", "busy_s"]),
        "runs": pd.DataFrame(run_rows, columns=RUN_COLUMNS),
        "log": log,
    }


def memory_columns(memory: dict | None) -> dict:
    """runs.csv's memory columns from a record's `memory` (none in records older than it)."""
    if not memory:
        return {"memory_mib": float("nan"), "memory_per_node_mib": "", "memory_method": ""}
    return {
        "memory_mib": memory["peak_mib"],
        "memory_per_node_mib": json.dumps(memory["per_node_mib"], sort_keys=True),
        "memory_method": memory["method"],
    }


def summary(collected: dict, timings) -> str:
    runs = collected["runs"]
    counts = runs["status"].value_counts().to_dict() if len(runs) else {}
    return f"collected {len(collected['log'])} runs ({counts}) into {timings}"


def write_csv(frame: pd.DataFrame, path) -> None:
    output.write_text_atomically(path, frame.to_csv(index=False))


def write(collected: dict, timings, worker_busy, runs, merged_log) -> None:
    write_csv(collected["timings"], timings)
    write_csv(collected["worker_busy"], worker_busy)
    write_csv(collected["runs"], runs)
    lines = "".join(json.dumps(r, sort_keys=True) + "\n" for r in collected["log"])
    output.write_text_atomically(merged_log, lines)


def read_tables(timings, worker_busy, runs) -> dict[str, pd.DataFrame]:
    """The collected tables back, as the report reads them."""
    frames = {
        "timings": pd.read_csv(timings),
        "worker_busy": pd.read_csv(worker_busy),
        "runs": pd.read_csv(runs),
    }
    for frame in frames.values():
        for column in ("workers", "nodes", "repeat", "scale"):
            if column in frame and frame[column].notna().all():
                frame[column] = frame[column].astype(int)
    return frames


def collect_job(status_paths, missing, out, log_path) -> None:
    """The workflow's collect (run inside Snakemake): the tables and merged log into `out`'s
    timings, worker_busy, runs and log, and a one-line summary into the job's log."""
    collected = collect(status_paths, missing)
    write(collected, out.timings, out.worker_busy, out.runs, out.log)
    output.write_text_atomically(log_path, summary(collected, out.timings) + "\n")
