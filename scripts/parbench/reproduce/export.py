"""Writes a finished study out as a reported study: its points (problem, parameters, kernel,
variant, worker counts), their median times and speed-ups against serial, the machine and the
software versions its runs recorded, so that someone else can re-run it elsewhere
(`snakemake --config reproduce=FILE`) or compare another study with it (`parbench compare`).

Exported figures carry EXPORT_TOLERANCE, a stated default (docs/reproduce.md): a re-run on a
shared machine varies by +-15 % (docs/benchmarks.md), so the bounds leave room for that."""

from __future__ import annotations

import datetime
import functools
import json

import pandas as pd
import yaml

from parbench import registry
from parbench.planning import schema as config_schema
from parbench.reproduce import compare
from parbench.reproduce.outputs import read_log
from parbench.results import verify

EXPORT_TOLERANCE = {"lower": -0.25, "upper": 0.25}
# Parameters that say nothing about the work (every seed costs the same).
LEFT_OUT = ("seed",)


@functools.cache
def stated_parameters(problem: str) -> frozenset[str]:
    """The parameters a series of `problem` states: what a study's size may set (a run's own
    record also holds what the workflow passed it, such as the group-by's `dataset` path), but
    LEFT_OUT."""
    settable = config_schema.problem_params(registry.describe()["problems"][problem])
    return frozenset(settable) - frozenset(LEFT_OUT)


def cases(log: list[dict], statuses: dict[str, str]) -> dict[tuple, list[dict]]:
    """The verified runs' records by (problem, kernel, parameters)."""
    found: dict[tuple, list[dict]] = {}
    for record in log:
        if statuses.get(record["run"]) != "ok":
            continue
        verify.known_problem(record, "--log")  # a plug-in's problem that is not loaded: say how to load it
        stated = stated_parameters(record["problem"])
        params = {k: v for k, v in sorted(record["params"].items()) if k in stated}
        key = (record["problem"], record["kernel"], json.dumps(params, sort_keys=True))
        found.setdefault(key, []).append(record)
    return found


def median_time(records: list[dict]) -> float:
    return float(pd.Series([r["phases"]["total"] for r in records]).median())


def series_of(problem: str, kernel: str, params: dict, records: list[dict], tolerance: dict) -> list[dict]:
    by_point: dict[tuple, list[dict]] = {}
    for record in records:
        by_point.setdefault((record["variant"], int(record["workers"])), []).append(record)
    serial = by_point.get((registry.BASELINE, 1))
    out = []
    for variant in sorted({v for v, _ in by_point} - {registry.BASELINE}):
        own = by_point.get((variant, 1))
        baseline_variant, base = (registry.BASELINE, serial) if serial else (variant, own)
        if not base:
            continue  # no baseline to express speed-ups against
        base_time = median_time(base)
        points = []
        for (v, workers), runs in sorted(by_point.items()):
            if v != variant:
                continue
            seconds = median_time(runs)
            point = {"workers": workers, "time": round(seconds, 6), "speedup": round(base_time / seconds, 4)}
            # Each repeat's seconds: another study compared with this one is judged faster,
            # slower, the same or unknown by a rank test on them (parbench.stats.change).
            point["times"] = sorted(round(float(r["phases"]["total"]), 6) for r in runs)
            points.append(point)
        out.append(
            {
                "label": f"{problem} {kernel} {variant}",
                "problem": problem,
                "parameters": params,
                "kernel": kernel,
                "variant": variant,
                "baseline": {"variant": baseline_variant, "workers": 1, "time": round(base_time, 6)},
                "tolerance": tolerance,
                "points": points,
            }
        )
    return out


def machine_of(log: list[dict]) -> dict:
    here = compare.this_machine(log, _Nowhere())
    first = log[0] if log else {}
    hosts = sorted({h for r in log for h in r.get("hosts", [])})
    software = dict(here["software"])
    if first.get("versions", {}).get("parbench"):
        software["parbench"] = first["versions"]["parbench"]
    machine = {
        "description": f"exported from a parbench study run on {', '.join(hosts) or 'an unnamed host'}",
        "cores_per_node": here["cores_per_node"],
        "nodes": max((len(r.get("hosts", [])) for r in log), default=1) or 1,
        "cpu": here["cpu"],
        "software": {k: str(v) for k, v in software.items()},
    }
    return {k: v for k, v in machine.items() if v is not None}


class _Nowhere:
    cores = None
    nodes = 1


def export(log_path, runs_path, name: str, title: str, tolerance: dict | None = None) -> dict:
    """The reported study (as plain data, ready for YAML) of a finished study's files."""
    log = read_log(log_path)
    runs = pd.read_csv(runs_path)
    statuses = dict(zip(runs["run"], runs["status"], strict=False))
    tolerance = tolerance or EXPORT_TOLERANCE
    series = []
    for (problem, kernel, params), records in sorted(cases(log, statuses).items()):
        series += series_of(problem, kernel, json.loads(params), records, tolerance)
    commits = sorted({r.get("git_commit", "") for r in log} - {""})
    today = datetime.date.today().isoformat()
    commit = ", ".join(commits) or "unknown"
    return {
        "name": name,
        "title": title,
        "source": {
            "citation": f"parbench study exported by `parbench export` (parbench commit {commit})",
            "link": f"file:{log_path}",
            "date": today,
        },
        "machine": machine_of(log),
        "differences": "none: the same parbench problems and variants (an exported parbench study)",
        "repeats": int(max((runs["repeat"].max() if "repeat" in runs and len(runs) else 1), 1)),
        "timer": "total",
        "series": series,
    }


def write(data: dict, path) -> None:
    from parbench import output

    header = (
        "# A parbench study exported by `parbench export` (docs/reproduce.md). Re-run it with\n"
        f"#   snakemake --cores all --config reproduce={path}\n"
    )
    output.write_text_atomically(path, header + yaml.safe_dump(data, sort_keys=False, width=100))
