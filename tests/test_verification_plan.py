"""The verification plan (parbench.planning.verification): each case's runs in parts of
plan.VERIFY_PART, every run in exactly one part, each part reading its own runs and references
and waiting for the previous part; with allow_missing, only finished runs."""

from __future__ import annotations

import os

import pytest

import results_tree
from parbench.planning import config as study_config
from parbench.planning import plan
from parbench.planning.verification import Verification

PROBLEMS = {"pi": {"tiny": {"samples": 2000, "chunk_size": 500}}}


def study(repeats: int, scaling: str = "strong", allow_missing: bool = False) -> plan.Study:
    config = results_tree.config(PROBLEMS, ["serial", "threads", "mpi"], workers=[1, 2, 3], repeats=repeats)
    config.update(scaling=scaling, allow_missing=allow_missing)
    return plan.Study(study_config.validate(config, results_tree.SCHEMA))


@pytest.fixture
def in_tmp(tmp_path):
    here = os.getcwd()
    os.chdir(tmp_path)
    yield tmp_path
    os.chdir(here)


def test_a_case_is_cut_into_parts_that_hold_every_run_once(in_tmp):
    planned = study(repeats=37)  # (1 + 3 + 3) x 37 = 259 runs: parts of 100, 100 and 59
    verification = Verification(planned)
    (case,) = verification.cases
    parts = verification.parts(case)
    assert [len(part) for part in parts] == [100, 100, 59]
    ids = [run.id for part in parts for run in part]
    assert sorted(ids) == sorted(run.id for run in planned.runs()) and len(set(ids)) == len(ids)
    assert ids == sorted(ids), "runs in order of (scale, id), so parts read one reference at a time"


def test_each_part_reads_its_own_runs_and_waits_for_the_part_before(in_tmp):
    verification = Verification(study(repeats=37))
    (case,) = verification.cases
    parts = verification.parts(case)
    statuses = verification.part_statuses(case)
    assert statuses == [f"results/verify/pi/tiny/numpy/part{n}.json" for n in (1, 2, 3)]
    for number, runs in enumerate(parts, start=1):
        inputs = verification.part_inputs(case, number)
        assert inputs["results"] == [run.path(plan.RESULT) for run in runs]
        assert inputs["records"] == [run.path(plan.RECORD) for run in runs]
        assert inputs["benchmarks"] == [run.path(plan.RUN_BENCHMARK) for run in runs]
        assert inputs["references"] == ["results/references/pi/tiny/numpy/x1.h5"]
        assert inputs.get("previous") == (statuses[number - 2] if number > 1 else None)
        described = verification.part_description(case, number)
        assert [d["id"] for d in described] == [run.id for run in runs]
        assert {d["result"] for d in described} == set(inputs["results"])
    assert verification.case_statuses() == ["results/verify/pi/tiny/numpy.json"]


def test_a_weak_scaling_part_lists_each_reference_its_runs_need(in_tmp):
    verification = Verification(study(repeats=2, scaling="weak"))
    (case,) = verification.cases
    inputs = verification.part_inputs(case, 1)
    assert inputs["references"] == [f"results/references/pi/tiny/numpy/x{scale}.h5" for scale in (1, 2, 3)]
    described = verification.part_description(case, 1)
    assert all(d["reference"].endswith(f"x{d['workers']}.h5") for d in described)


def test_with_allow_missing_only_finished_runs_are_verified_and_the_rest_are_missing(in_tmp):
    planned = study(repeats=2, allow_missing=True)
    done = [run for run in planned.runs() if run.variant != "mpi"]
    for run in done:
        for template in (plan.RESULT, plan.RECORD):
            path = in_tmp / run.path(template)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("")
    half_done = next(run for run in planned.runs() if run.variant == "mpi")
    (in_tmp / half_done.path(plan.RESULT)).parent.mkdir(parents=True, exist_ok=True)
    (in_tmp / half_done.path(plan.RESULT)).write_text("")  # a result without its record
    verification = Verification(planned)
    verified = [run.id for runs in verification.cases.values() for run in runs]
    assert sorted(verified) == sorted(run.id for run in done)
    missing = verification.missing_runs()
    assert sorted(m["run"] for m in missing) == sorted(r.id for r in planned.runs() if r.variant == "mpi")
    assert all(m["variant"] == "mpi" and m["workers"] in (1, 2, 3) for m in missing)


def test_a_part_or_a_case_of_one_run(in_tmp, monkeypatch):
    """Parts of 3 over a case's 7 runs: 3, 3 and a last part of one run, which still waits for
    the part before and has its own status; a case of one run has its status file too."""
    monkeypatch.setattr(plan, "VERIFY_PART", 3)
    verification = Verification(study(repeats=1))
    (case,) = verification.cases
    assert [len(part) for part in verification.parts(case)] == [3, 3, 1]
    last = verification.part_inputs(case, 3)
    assert len(last["results"]) == 1 and last["previous"] == "results/verify/pi/tiny/numpy/part2.json"
    assert verification.part_statuses(case)[-1] == "results/verify/pi/tiny/numpy/part3.json"
    config = results_tree.config(PROBLEMS, ["serial"], workers=[1], repeats=1)
    alone = Verification(plan.Study(study_config.validate(config, results_tree.SCHEMA)))
    assert alone.case_statuses() == ["results/verify/pi/tiny/numpy.json"]
    assert alone.part_statuses("pi/tiny/numpy") == ["results/verify/pi/tiny/numpy/part1.json"]
