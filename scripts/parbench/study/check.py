"""Verification inside a study. Each run gets a status file (ok, or mismatch with the first
difference), so the report can show every failed run; the gate then fails the workflow, naming
each run that did not match its serial reference."""

from __future__ import annotations

import json
import sys

from parbench import output
from parbench.verify import Mismatch, verify


def check_run(result, reference, run: dict, status_path) -> dict:
    """Compares one run with its reference and writes its status. A missing or corrupt file is
    a UsageError (raised), never a status: the run has to be produced again."""
    try:
        verify(result, reference)
        status = {"status": "ok", "message": ""}
    except Mismatch as mismatch:
        status = {"status": "mismatch", "message": str(mismatch)}
        print(
            f"parbench: run {run.get('id', result)} does not match {reference}: {mismatch}", file=sys.stderr
        )
    status = {**run, "result": str(result), "reference": str(reference), **status}
    output.write_text_atomically(status_path, json.dumps(status, indent=1, sort_keys=True) + "\n")
    return status


def read_statuses(paths) -> list[dict]:
    statuses = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            statuses.append(json.load(f))
    return statuses


def gate(status_paths, out) -> list[dict]:
    """Returns the mismatched runs; writes `out` (a short summary) only when there are none."""
    statuses = read_statuses(status_paths)
    failed = [s for s in statuses if s["status"] != "ok"]
    if not failed:
        output.write_text_atomically(out, f"all {len(statuses)} verified runs match their serial reference\n")
    return failed
