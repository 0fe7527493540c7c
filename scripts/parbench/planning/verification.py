"""Which runs a study verifies and collects, and in which parts: the inputs of the workflow's
verify_part, verify, collect and gate rules. Worked out once per Snakemake invocation, since every
one of those rules asks (a study may have 100,000 runs)."""

from __future__ import annotations

import functools
from dataclasses import asdict
from pathlib import Path

from parbench.planning import plan


class Verification:
    """The verification plan of `study` (a plan.Study) in the working directory."""

    def __init__(self, study: plan.Study):
        self.study = study

    @functools.cached_property
    def cases(self) -> dict[str, list[plan.Run]]:
        """The runs to verify by case; with allow_missing, only the runs that have finished (a
        case with none is left out), so a report can be built after a study in which some runs
        failed (`--keep-going`)."""
        cases = {}
        for case, runs in self.study.cases().items():
            if self.study.config["allow_missing"]:
                runs = [run for run in runs if finished(run)]
            if runs:
                # Grouped by reference: a part keeps one reference in memory at a time.
                cases[case] = sorted(runs, key=lambda run: (run.scale, run.id))
        return cases

    @functools.cached_property
    def _parts(self) -> dict[str, list[list[plan.Run]]]:
        # Once per case, not once per part's input function: a case may have thousands of parts.
        return {case: plan.verification_parts(runs) for case, runs in self.cases.items()}

    def parts(self, case: str) -> list[list[plan.Run]]:
        return self._parts[case]

    def part_inputs(self, case: str, part: int) -> dict[str, list[str] | str]:
        """The files a verification part reads: each run's result and timing record (collect
        reads the records and benchmarks the status file names) and the references; and the
        previous part's status, so that a case's parts run one after another."""
        runs = self.parts(case)[part - 1]
        inputs: dict[str, list[str] | str] = {
            "results": [run.path(plan.RESULT) for run in runs],
            "records": [run.path(plan.RECORD) for run in runs],
            "benchmarks": [run.path(plan.RUN_BENCHMARK) for run in runs],
            "references": sorted({self.study.reference(run) for run in runs}),
        }
        if part > 1:
            inputs["previous"] = part_status(runs[0], part - 1)
        return inputs

    def part_description(self, case: str, part: int) -> list[dict]:
        """A part's runs, each with its labels and files: what its status file keeps."""
        return [self.description(run) for run in self.parts(case)[part - 1]]

    def description(self, run: plan.Run) -> dict:
        """A run's labels and files, stored in its case's status file for collection."""
        return {
            "id": run.id,
            **asdict(run),
            "result": run.path(plan.RESULT),
            "reference": self.study.reference(run),
            "record": run.path(plan.RECORD),
            "benchmark": run.path(plan.RUN_BENCHMARK),
            "log": run.path(plan.RUN_LOG),
        }

    def part_statuses(self, case: str) -> list[str]:
        """The status files of a case's parts, which its status file joins."""
        parts = self.parts(case)
        return [part_status(runs[0], number) for number, runs in enumerate(parts, start=1)]

    def case_statuses(self) -> list[str]:
        """The status file of every case: what collect and the gate read."""
        return [runs[0].path(plan.CASE_STATUS) for runs in self.cases.values()]

    def missing_runs(self) -> list[dict]:
        """The runs without a verified result, with their labels as the plan gives them."""
        present = {run.id for runs in self.cases.values() for run in runs}
        return [{"run": run.id, **asdict(run)} for run in self.study.runs() if run.id not in present]


def finished(run: plan.Run) -> bool:
    return all(Path(run.path(path)).exists() for path in (plan.RESULT, plan.RECORD))


def part_status(run: plan.Run, part: int) -> str:
    """The status file of part `part` of the case of `run`."""
    return plan.PART_STATUS.format(problem=run.problem, size=run.size, kernel=run.kernel, part=part)
