"""The comparison on constructed tables with known verdicts: a figure reproduced, one not, one
undecided, a claim about shape, a point beyond the machine, a point whose runs failed verification,
and the headline and machine differences they add up to. Each verdict rests on the measured
interval (parbench.stats) against the tolerance band, so the tables hold six tight repeats a point."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from parbench import stats
from parbench.reproduce import compare, plan, reported

PARAMS = {"samples": 100000, "chunk_size": 10000}


def study(series: list[dict], **top) -> reported.ReportedStudy:
    return reported.validate(
        {
            "name": "made-up",
            "title": "made up",
            "source": {"citation": "a test", "link": "https://example.org", "date": "2026"},
            "machine": {
                "description": "a bigger machine",
                "cores_per_node": 64,
                "software": {"python": "3.9"},
            },
            **top,
            "series": series,
        }
    )


def one_series(variant: str, points: list[dict], **more) -> dict:
    return {
        "label": variant,
        "problem": "pi",
        "parameters": PARAMS,
        "kernel": "numpy",
        "variant": variant,
        "points": points,
        **more,
    }


def tables(measured: dict[tuple[str, int], list[float]], failed=(), samples=PARAMS["samples"]):
    """Timing rows (a compute and a total phase per run) and run rows with their status."""
    timings, runs = [], []
    for (variant, workers), seconds in measured.items():
        for repeat, total in enumerate(seconds, 1):
            run = f"pi/s/numpy/{variant}/w{workers}-r{repeat}"
            status = "mismatch" if (variant, workers) in failed else "ok"
            runs.append({"run": run, "status": status})
            labels = {"run": run, "problem": "pi", "size": "s", "kernel": "numpy", "variant": variant}
            labels.update(
                workers=workers, status=status, **{"param.samples": samples, "param.chunk_size": 10000}
            )
            timings.append({**labels, "phase": "startup", "seconds": 0.1})
            timings.append({**labels, "phase": "compute", "seconds": total - 0.1})
            timings.append({**labels, "phase": "total", "seconds": total})
    return pd.DataFrame(timings), pd.DataFrame(runs)


MEASURED = {
    ("serial", 1): [1.0, 1.01, 0.99, 1.0, 1.02, 0.98],  # median 1.0
    ("processes", 2): [0.55, 0.551, 0.549, 0.55, 0.552, 0.548],  # median 0.55: speed-up 1.82
    ("threads", 2): [1.0, 0.99, 1.01, 1.0, 1.02, 0.98],  # median 1.0: no speed-up
}
TWO_CORES = plan.Place(cores=2)


def by_point(table: pd.DataFrame) -> dict:
    return {(r.series, r.workers, r.figure): r for r in table.itertuples()}


def test_known_verdicts():
    s = study(
        [
            one_series("processes", [{"workers": 2, "speedup": 1.9}, {"workers": 8, "speedup": 7.5}]),
            one_series(
                "threads",
                [
                    {"workers": 2, "speedup": 1.9},  # the source saw a speed-up; this machine does not
                    {
                        "workers": 4,
                        "claim": {"says": "no speed-up", "figure": "speedup", "bounds": {"max": 1.2}},
                    },
                ],
                label="threads-number",
            ),
            one_series(
                "threads",
                [
                    {
                        "workers": 2,
                        "claim": {"says": "no speed-up", "figure": "speedup", "bounds": {"max": 1.2}},
                    }
                ],
                label="threads-claim",
            ),
        ]
    )
    table = compare.compare(s, TWO_CORES, *tables(MEASURED))
    rows = by_point(table)
    reproduced = rows["processes", 2, "speedup"]
    assert reproduced.verdict == "reproduced"
    assert reproduced.measured == pytest.approx(1.0 / 0.55)
    assert reproduced.ratio == pytest.approx((1.0 / 0.55) / 1.9)
    assert reproduced.measured_time_s == pytest.approx(0.55) and reproduced.runs == 6
    assert reproduced.measured_low < reproduced.measured < reproduced.measured_high  # the ratio's interval
    assert 1.9 * 0.8 < reproduced.measured_low and reproduced.measured_high < 1.9 * 1.2
    assert reproduced.tolerance == "-20 % / +20 %"
    beyond = rows["processes", 8, "speedup"]
    assert beyond.verdict == "not comparable here (needs 8 cores, this machine has 2)"
    assert pd.isna(beyond.measured) and beyond.reported == 7.5  # kept, never dropped
    assert rows["threads-number", 2, "speedup"].verdict == "not reproduced"
    assert rows["threads-number", 4, "speedup"].verdict.startswith("not comparable here (needs 4 cores")
    claim = rows["threads-claim", 2, "speedup"]
    assert claim.verdict == "reproduced" and claim.says == "no speed-up" and claim.tolerance == "<= 1.2"
    headline = compare.headline(table)
    assert headline == {
        "verdict": "partly (2 of 3 points reproduced, 1 not, 0 undecided)",
        "changes": {},  # the file has no repeats of its own
        "reproduced": 2,
        "not_reproduced": 1,
        "undecided": 0,
        "judged": 3,
        "not_comparable": 2,
        "points": 5,
    }


def test_a_tolerance_decides_and_times_are_judged_only_when_asked():
    tight = study(
        [
            one_series(
                "processes", [{"workers": 2, "speedup": 1.9, "tolerance": {"lower": -0.02, "upper": 0.02}}]
            )
        ]
    )
    assert compare.compare(tight, TWO_CORES, *tables(MEASURED))["verdict"].tolist() == ["not reproduced"]
    timed = study(
        [
            one_series(
                "processes", [{"workers": 2, "time": 0.5}], baseline={"time": 0.95}, judge=["speedup", "time"]
            )
        ]
    )
    rows = by_point(compare.compare(timed, TWO_CORES, *tables(MEASURED)))
    assert rows["processes", 2, "speedup"].reported == pytest.approx(1.9)
    assert rows["processes", 2, "time"].measured == pytest.approx(0.55)
    assert rows["processes", 2, "time"].verdict == "reproduced"  # 0.55 within 0.5 +20 %
    shown_only = study([one_series("processes", [{"workers": 2, "time": 0.5, "speedup": 1.9}])])
    (row,) = compare.compare(shown_only, TWO_CORES, *tables(MEASURED)).itertuples()
    assert (
        row.figure == "speedup" and row.reported_time_s == 0.5 and row.measured_time_s == pytest.approx(0.55)
    )


def test_the_timer_picks_the_phases():
    s = study([one_series("processes", [{"workers": 2, "speedup": 2.0}], timer="compute")])
    (row,) = compare.compare(s, TWO_CORES, *tables(MEASURED)).itertuples()
    assert row.measured == pytest.approx(0.9 / 0.45)  # compute phases: (1.0 - 0.1) / (0.55 - 0.1)


def test_runs_that_failed_verification_are_not_measured_and_count_against():
    s = study([one_series("processes", [{"workers": 2, "speedup": 1.8}])])
    table = compare.compare(s, TWO_CORES, *tables(MEASURED, failed=[("processes", 2)]))
    assert table["verdict"].tolist() == ["not measured"]
    assert compare.headline(table)["verdict"] == "not reproduced"


def test_runs_are_matched_by_parameters():
    s = study([one_series("processes", [{"workers": 2, "speedup": 1.8}])])
    table = compare.compare(s, TWO_CORES, *tables(MEASURED, samples=999))
    assert table["verdict"].tolist() == ["not measured"]


@pytest.mark.parametrize(
    ("cores", "verdict"),
    [(2, "reproduced"), (1, "not comparable")],
)
def test_headline_all_or_nothing(cores, verdict):
    s = study([one_series("processes", [{"workers": 2, "speedup": 1.8}])])
    table = compare.compare(s, plan.Place(cores=cores), *tables(MEASURED))
    assert compare.headline(table)["verdict"] == verdict


def test_nodes_beyond_the_machine():
    s = study([one_series("processes", [{"workers": 2, "nodes": 2, "speedup": 1.8}])])
    (row,) = compare.compare(s, plan.Place(cores=64), *tables(MEASURED)).itertuples()
    assert row.verdict == "not comparable here (needs 2 nodes, this machine has 1)"
    assert plan.wanted(s, plan.Place(cores=64)) == [("pi", "made-up-1", "numpy", "serial", 1)]


def test_machine_differences_list_both_sides():
    here = compare.this_machine(
        [
            {
                "versions": {"python": "3.11.7", "numpy": "2.4.0"},
                "framework": {"mpi_vendor": "MPICH 5.0.2"},
                "machine": {"cpus": "2", "cpu_model": "Some CPU"},
                "load_average": 5.5,
            }
        ],
        TWO_CORES,
    )
    rows = {
        r["what"]: r
        for r in compare.machine_differences({"cores_per_node": 64, "software": {"python": "3.9"}}, here)
    }
    assert rows["cores per node"] == {"what": "cores per node", "reported": "64", "here": "2"}
    assert rows["python"]["reported"] == "3.9" and rows["python"]["here"] == "3.11.7"
    assert rows["mpi"]["reported"] == "not reported" and rows["mpi"]["here"] == "MPICH 5.0.2"
    assert rows["CPU"]["here"] == "Some CPU"
    assert rows["highest load average during a run"]["here"] == "5.5"
    (warning,) = compare.warnings(here)
    assert "load average up to 5.5 on 2 cores" in warning
    assert compare.warnings({**here, "highest_load": 1.5}) == []


def interval(low: float, high: float) -> stats.Interval:
    return stats.Interval((low + high) / 2, low, high, 6)


LOW, HIGH = 1.9 * (1 - 0.1), 1.9 * (1 + 0.2)  # the band of 1.9 with -10 % / +20 %
BELOW, ABOVE = 1 - 1e-9, 1 + 1e-9


@pytest.mark.parametrize(
    ("measured", "verdict"),
    [
        (interval(LOW, 1.9), "reproduced"),  # from the lower bound in
        (interval(LOW * BELOW, 1.9), "undecided"),  # straddles it
        (interval(1.0, LOW * BELOW), "not reproduced"),  # wholly below it
        (interval(1.9, HIGH), "reproduced"),  # up to the upper bound
        (interval(1.9, HIGH * ABOVE), "undecided"),  # straddles it
        (interval(HIGH * ABOVE, 3.0), "not reproduced"),  # wholly above it
        (interval(LOW * BELOW, HIGH * ABOVE), "undecided"),  # wider than the band
    ],
)
def test_both_bounds_of_a_tolerance_decide(measured, verdict):
    band = compare.tolerance_band(1.9, {"lower": -0.1, "upper": 0.2})
    assert band == (pytest.approx(LOW), pytest.approx(HIGH))
    assert compare.judge(measured, band).verdict == verdict


@pytest.mark.parametrize(
    ("bounds", "inside", "straddling", "outside"),
    [
        ({"min": 1.5}, [(1.5, 1.6), (50, 99.0)], [(1.5 * BELOW, 1.6)], [(-1.0, 1.5 * BELOW)]),
        ({"max": 0.8}, [(0.7, 0.8), (-5.0, 0.0)], [(0.7, 0.8 * ABOVE)], [(0.8 * ABOVE, 2.0)]),
        (
            {"min": 0.5, "max": 0.9},
            [(0.5, 0.9)],
            [(0.4, 0.6), (0.8, 1.0)],
            [(0.0, 0.5 * BELOW), (0.9 * ABOVE, 5)],
        ),
    ],
)
def test_both_bounds_of_a_claim_decide(bounds, inside, straddling, outside):
    band = compare.claim_band(bounds)
    for cases, verdict in ((inside, "reproduced"), (straddling, "undecided"), (outside, "not reproduced")):
        assert [compare.judge(interval(*c), band).verdict for c in cases] == [verdict] * len(cases)


def test_too_few_repeats_leave_a_point_undecided_saying_how_many_would_decide():
    few = {k: v[:3] for k, v in MEASURED.items()}
    s = study([one_series("processes", [{"workers": 2, "speedup": 1.9}])])
    (row,) = compare.compare(s, TWO_CORES, *tables(few)).itertuples()
    assert row.verdict == "undecided" and row.repeats_needed == stats.MIN_REPEATS
    assert row.measured == pytest.approx(1.0 / 0.55) and pd.isna(row.measured_low)
    assert compare.headline(compare.compare(s, TWO_CORES, *tables(few)))["verdict"] == "undecided"


def test_a_noisy_point_on_the_edge_is_undecided_with_the_repeats_to_decide():
    noisy = {**MEASURED, ("processes", 2): [0.45, 0.5, 0.55, 0.6, 0.65, 0.5]}  # median 0.525
    s = study(
        [
            one_series(
                "processes", [{"workers": 2, "speedup": 1.6, "tolerance": {"lower": -0.1, "upper": 0.1}}]
            )
        ]
    )
    (row,) = compare.compare(s, TWO_CORES, *tables(noisy)).itertuples()
    assert row.measured_low < 1.6 * 1.1 < row.measured_high  # straddles the upper edge
    assert row.verdict == "undecided" and row.repeats_needed > 6


def test_the_headline_counts_all_three():
    table = pd.DataFrame(
        {
            "series": ["a", "b", "c", "c", "d", "e"],
            "workers": [2, 2, 2, 2, 2, 4],
            "verdict": ["reproduced", "not reproduced", "reproduced", "undecided", "not measured",
                        "not comparable here (needs 4 cores, this machine has 2)"],
        }
    )  # fmt: skip
    assert compare.headline(table) == {
        "verdict": "partly (1 of 4 points reproduced, 2 not, 1 undecided)",
        "changes": {},
        "reproduced": 1,
        "not_reproduced": 2,
        "undecided": 1,
        "judged": 4,
        "not_comparable": 1,
        "points": 5,
    }


def test_efficiency_is_the_speedup_per_worker():
    s = study([one_series("processes", [{"workers": 2, "efficiency": 0.9}], judge=["efficiency"])])
    (row,) = compare.compare(s, TWO_CORES, *tables(MEASURED)).itertuples()
    assert row.figure == "efficiency" and row.measured == pytest.approx((1.0 / 0.55) / 2)
    assert row.verdict == "reproduced" and row.ratio == pytest.approx((1.0 / 0.55) / 2 / 0.9)


def test_only_the_series_problem_kernel_and_verified_runs_are_measured():
    """Rows of other problems and kernels (named to sort before and after the series' own) and of
    runs in any state but ok are left out: slower look-alikes would move the medians."""
    timings, runs = tables(MEASURED)
    strangers, stranger_runs = [], []
    for column, value in (
        ("problem", "amdahl"),
        ("problem", "zeta"),
        ("kernel", "numba"),
        ("kernel", "python"),
    ):
        other = timings.assign(**{column: value, "run": timings["run"] + value})
        strangers.append(other.assign(seconds=other["seconds"] * 10))
        stranger_runs.append(runs.assign(run=runs["run"] + value))
    for status in ("mismatch", "timed out"):  # before and after "ok"
        other = timings.assign(run=timings["run"] + status, seconds=timings["seconds"] * 10)
        strangers.append(other)
        stranger_runs.append(runs.assign(run=runs["run"] + status, status=status))
    mixed = pd.concat([timings, *strangers]), pd.concat([runs, *stranger_runs])
    s = study([one_series("processes", [{"workers": 2, "speedup": 1.9}])])
    (row,) = compare.compare(s, TWO_CORES, *mixed).itertuples()
    assert row.measured == pytest.approx(1.0 / 0.55) and row.runs == 6


def test_a_series_matches_numbers_within_rounding_and_other_values_exactly():
    timings = pd.DataFrame(
        {
            "problem": "heat",
            "kernel": "numpy",
            "param.dt": [0.25, 0.25 * (1 + 1e-11), 0.25 * (1 + 1e-8), 0.25 * (1 - 1e-8), 0.0],
            "param.init": ["b.dat", "b.dat", "b.dat", "b.dat", "a.dat"],
            "param.flag": ["True", "True", "True", "True", "False"],
            "param.zero": [0.0, 1e-10, 0.0, 0.0, 2e-9],
            "param.big": [1000.0, 1000.0 * (1 + 5e-10), 1000.0 * (1 + 2e-9), 999.0, 1000.0],
        }
    )

    def rows(**parameters):
        series = SimpleNamespace(problem="heat", kernel="numpy", parameters=parameters)
        return compare.of_series(timings, series).index.tolist()

    assert rows(dt=0.25) == [0, 1]  # 1e-9 relative
    assert rows(init="b.dat") == [0, 1, 2, 3] and rows(init="a.dat") == [4] and rows(init="c.dat") == []
    assert rows(flag=True) == [0, 1, 2, 3]  # a yes/no is matched as a word, not as 1 or 0
    assert rows(zero=0.0) == [0, 1, 2, 3]  # near zero, 1e-9 absolute
    assert rows(big=1000.0) == [0, 1, 4]  # 1e-9 of the value
    assert rows(missing=1) == []  # a parameter the tables do not have matches no run


def test_points_without_runs_and_the_texts():
    s = study([one_series("processes", [{"workers": 8, "speedup": 7.5}])])
    (row,) = compare.compare(s, TWO_CORES, *tables(MEASURED)).itertuples()
    assert row.runs == 0 and pd.isna(row.measured_time_s)
    assert compare.tolerance_text({"lower": -1.0, "upper": 1.0}) == "-100 % / +100 %"
    assert compare.tolerance_text({"lower": -0.05, "upper": 0.5}) == "-5 % / +50 %"


def test_a_load_of_exactly_the_cores_is_no_warning_and_the_cores_come_from_the_runs():
    assert compare.warnings({"highest_load": 2.0, "cores_per_node": 2}) == []
    assert compare.warnings({"highest_load": 2.01, "cores_per_node": 2})
    for cpus, cores in (("4", 4), (None, 2), ("", 2), ("many", 2)):
        record = {"machine": {"cpus": cpus}} if cpus is not None else {"machine": {}}
        assert compare.this_machine([record], TWO_CORES)["cores_per_node"] == cores, cpus


def test_against_another_studys_repeats_each_point_is_faster_slower_same_or_unknown():
    """An exported study carries each point's repeats: this study's runs of the point are judged
    against them by a rank test and a minimum effect (parbench.stats.change)."""
    here = MEASURED[("processes", 2)]  # about 0.55 s
    slower_there = [t * 1.3 for t in here]  # the other machine took 30 % longer: here is faster
    points = [
        {"workers": 2, "time": 0.7, "times": slower_there},
        {"workers": 1, "time": 1.0, "times": MEASURED[("serial", 1)]},  # the same runs: same
    ]
    s = study(
        [
            one_series("processes", points[:1], judge=["time"]),
            one_series("serial", points[1:], label="serial", judge=["time"]),
        ]
    )
    table = compare.compare(s, TWO_CORES, *tables(MEASURED))
    rows = by_point(table)
    assert rows["processes", 2, "time"].change == "faster"
    assert rows["processes", 2, "time"].change_detail.startswith("0.769x, p = ")
    assert rows["serial", 1, "time"].change == "same"
    assert compare.headline(table)["changes"] == {"faster": 1, "slower": 0, "same": 1, "unknown": 0}
    few = study(
        [one_series("processes", [{"workers": 2, "time": 0.7, "times": slower_there[:2]}], judge=["time"])]
    )
    assert compare.compare(few, TWO_CORES, *tables(MEASURED))["change"].tolist() == ["unknown"]


def test_a_change_needs_repeats_on_both_sides_and_one_time_here_is_unknown():
    """No repeats in the file, or none here (a point not measured, or measured by no verified
    run): no change at all. A single time here is still compared: unknown, not left blank."""
    there = [1.0, 1.1, 0.9, 1.05, 0.95]
    assert compare.change_of(there, None) == {"change": "", "change_detail": ""}
    assert compare.change_of(there, np.array([])) == {"change": "", "change_detail": ""}
    assert compare.change_of([], np.array([1.0])) == {"change": "", "change_detail": ""}
    assert compare.change_of(there, np.array([1.0]))["change"] == "unknown"
