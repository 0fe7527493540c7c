"""Verification inside a study, one case at a time: every run of one problem, size and kernel is
compared with its serial reference, a part of the case's runs in one process, which reads each
reference once. The case's status file, joined from its parts', holds each run's status (ok, or
mismatch with the first difference), so the report shows every failed run; the gate then fails
the workflow, naming each run that did not match."""

from __future__ import annotations

import json
import sys

from parbench import output
from parbench.errors import UsageError
from parbench.results.verify import Mismatch, compare


def check_part(runs: list[dict], status_path, log=sys.stderr) -> list[dict]:
    """Compares each run of a verification part (its labels and files, with `result` and
    `reference`) with its reference and writes the part's status file; returns the statuses. A
    missing or corrupt result or reference is a UsageError naming the run (raised), never a
    status: it has to be produced again.
    """
    statuses, references = [], {}
    for run in runs:
        reference_path = run["reference"]
        if reference_path not in references:
            references.clear()  # runs come grouped by reference (a weak-scaling case has several)
            references[reference_path] = output.read_result(reference_path, "REFERENCE")
        try:
            compare(*output.read_result(run["result"], "RESULT", whole=False), *references[reference_path])
            status = {"status": "ok", "message": ""}
        except Mismatch as mismatch:
            status = {"status": "mismatch", "message": str(mismatch)}
        except UsageError as error:
            raise UsageError(f"run {run['id']}", f"{error}; remove it and run the study again") from None
        print(f"{status['status']}: {run['id']} {status['message']}".rstrip(), file=log)
        statuses.append({**run, **status})
    write_statuses(status_path, statuses)
    return statuses


def join_parts(part_paths, status_path, log=sys.stderr) -> list[dict]:
    """Writes the case's status file from its parts' (parbench.planning.plan.verification_parts), the
    runs in the parts' order; returns the statuses."""
    statuses = read_statuses(part_paths)
    failed = sum(status["status"] != "ok" for status in statuses)
    print(f"{len(statuses)} runs in {len(part_paths)} parts: {failed} mismatched", file=log)
    write_statuses(status_path, statuses)
    return statuses


def write_statuses(path, statuses: list[dict]) -> None:
    """A status file, a part's or a case's: what read_statuses reads."""
    output.write_text_atomically(path, json.dumps({"runs": statuses}, indent=0, sort_keys=True) + "\n")


def read_statuses(paths) -> list[dict]:
    """The statuses of every run in the status files `paths`."""
    statuses = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            statuses.extend(json.load(f)["runs"])
    return statuses


def gate(status_paths, out) -> tuple[list[dict], int]:
    """Returns the mismatched runs and the number of runs checked; writes `out` (a short summary)
    only when none mismatched."""
    statuses = read_statuses(status_paths)
    failed = [s for s in statuses if s["status"] != "ok"]
    if not failed:
        output.write_text_atomically(out, verdict_text(failed, len(statuses)) + "\n")
    return failed, len(statuses)


def verdict_text(failed: list[dict], total: int) -> str:
    """The gate's verdict: every run matched, or which did not and why."""
    if failed:
        return failure_text(failed, total)
    return f"all {total} verified runs match their serial reference"


def failure_text(failed: list[dict], total: int) -> str:
    lines = [f"parbench: {len(failed)} of {total} runs do not match their serial reference:"]
    lines += [f"  {status['id']}: {status['message']}" for status in failed]
    return "\n".join(lines)


class VerificationFailed(Exception):
    """Some runs did not match their serial reference; the message names each one."""


def gate_job(status_paths, out, log_path) -> None:
    """The workflow's gate (run inside Snakemake, after the report): writes `out` and the log when
    every run matched; otherwise raises VerificationFailed, naming each run that did not."""
    failed, total = gate(status_paths, out)
    text = verdict_text(failed, total)
    output.write_text_atomically(log_path, text + "\n")
    print(text, file=sys.stderr)
    if failed:
        raise VerificationFailed(text)
