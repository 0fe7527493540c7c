"""Compare a result with the serial reference: same problem, same parameters, same answer."""

from __future__ import annotations

from parbench import output, registry
from parbench.errors import UsageError
from parbench.params import COMMON_PARAMS


class Mismatch(Exception):
    """The result differs from the reference; the message names the first difference."""


def verify(result_path, reference_path) -> dict:
    """Raises Mismatch (or UsageError for a missing or corrupt file); returns the result's record."""
    record, result = output.read_result(result_path, "RESULT")
    compare(record, result, *output.read_result(reference_path, "REFERENCE"))
    return record


def known_problem(record: dict, source: str = "RESULT"):
    """The record's problem; a plug-in's that is not loaded is named, with how to load it
    (`source`: the argument the record came from)."""
    if record["problem"] not in registry.PROBLEMS and record.get("plugin"):
        raise UsageError(
            source,
            f"{record['problem']} is a problem of the plug-in {record['plugin']}: "
            f"add --plugin {record['plugin']}",
        )
    return registry.problem(record["problem"])


def compare(record: dict, result: dict, reference_record: dict, reference: dict) -> None:
    """Raises Mismatch naming the first difference between a read result and its reference
    (read once, a whole case of runs can be compared with it)."""
    if record["problem"] != reference_record["problem"]:
        raise Mismatch(
            f"problem {record['problem']!r} differs from the reference's {reference_record['problem']!r}"
        )
    problem = known_problem(record)
    for param in problem.params + COMMON_PARAMS:
        if param.tuning:
            continue
        got, want = record["params"].get(param.name), reference_record["params"].get(param.name)
        if got != want:
            raise Mismatch(f"parameter {param.option} is {got!r} but the reference has {want!r}")
    difference = problem.compare(result, reference)
    if difference:
        raise Mismatch(difference)
