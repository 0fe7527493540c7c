"""Numbers that know their noise, in the report: every point's wall time, speed-up and efficiency
carry a confidence interval from its repeats (none, said so, below stats.MIN_REPEATS), a point whose
repeats spread or whose machine was overloaded is marked unstable, and the answer never names a
winner inside the noise: variants whose intervals overlap tie. Runs are made up here, with known
times, so each expectation is worked out by hand; the last test opens a report in Chromium."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from browser import chromium  # noqa: F401 (a fixture)
from parbench import stats
from parbench.report import analysis, synthetic, verdict
from parbench.report import page as report_page

NO_PHASES = pd.DataFrame(columns=["run", "phase", "seconds"])
NO_BUSY = pd.DataFrame(columns=["run", "worker", "busy_s", "workers"])


def runs_of(points: dict, load: float = 0.5, cpus: str = "2") -> pd.DataFrame:
    """Good runs of pi (numpy): {(variant, workers): [total seconds of each repeat]}."""
    rows = []
    for (variant, workers), times in points.items():
        for repeat, total in enumerate(times, 1):
            rows.append(
                dict(run=f"{variant}/w{workers}-r{repeat}", problem="pi", size="s", kernel="numpy",
                     variant=variant, workers=workers, nodes=1, repeat=repeat, scale=1, status="ok",
                     total_s=total, compute_s=total, load_average=load, cpus=cpus)
            )  # fmt: skip
    return pd.DataFrame(rows)


def points_of(runs: pd.DataFrame, weak=False) -> pd.DataFrame:
    return analysis.points(runs, NO_PHASES, NO_BUSY, weak).set_index(["variant", "workers"])


SERIAL = [1.00, 1.02, 0.98, 1.01, 0.99, 1.00]


def test_a_point_with_enough_repeats_has_intervals_of_its_time_speedup_and_efficiency():
    point = points_of(runs_of({("serial", 1): SERIAL, ("mpi", 2): [0.5] * 6})).loc[("mpi", 2)]
    # The point's times do not vary: its time's interval is the point; the speed-up's spreads as
    # the serial median does, never beyond the serial sample's own extremes.
    assert point["time_low"] == point["time_high"] == 0.5
    assert 0.98 / 0.5 <= point["speedup_low"] < point["speedup"] == 2.0 < point["speedup_high"] <= 1.02 / 0.5
    assert point["efficiency_low"] == pytest.approx(point["speedup_low"] / 2)
    assert point["efficiency_high"] == pytest.approx(point["speedup_high"] / 2)
    assert point["interval"] == f"{stats.LEVEL:.0%} interval from 6 repeats"


def test_weak_scaling_takes_the_ratio_as_the_efficiency():
    point = points_of(runs_of({("serial", 1): SERIAL, ("mpi", 4): [1.25] * 6}), weak=True).loc[("mpi", 4)]
    assert point["efficiency"] == pytest.approx(0.8)
    assert point["speedup_low"] == pytest.approx(4 * point["efficiency_low"])
    assert point["efficiency_low"] < 0.8 < point["efficiency_high"]


def test_too_few_repeats_give_no_interval_and_say_so():
    few = stats.MIN_REPEATS - 1
    point = points_of(runs_of({("serial", 1): SERIAL, ("mpi", 2): [0.5, 0.6, 0.55, 0.52][:few]})).loc[
        ("mpi", 2)
    ]
    assert np.isnan(point[["time_low", "time_high", "speedup_low", "efficiency_high"]].astype(float)).all()
    assert point["interval"] == f"{few} repeats: too few for an interval (at least {stats.MIN_REPEATS})"


def test_the_fewest_repeats_of_point_and_baseline_limit_the_speedup():
    point = points_of(runs_of({("serial", 1): SERIAL[:3], ("mpi", 2): [0.5] * 6})).loc[("mpi", 2)]
    assert point["time_low"] == 0.5 and np.isnan(point["speedup_low"])
    assert point["interval"].startswith("3 repeats: too few")


@pytest.mark.parametrize(
    "times, load, cpus, reason",
    [
        ([1.0, 1.0, 1.3], 0.5, "2", "its repeats spread 30% of their median"),
        ([1.0, 1.0, 1.2], 0.5, "2", ""),  # 20 %: within UNSTABLE_SPREAD
        ([1.0, 1.0, 1.0], 2.5, "2", "the machine was busier than its 2 cores (load 2.5)"),
        ([1.0, 1.0, 1.0], 2.0, "2", ""),  # a load of the cores themselves is no overload
    ],
)
def test_unstable_points_are_marked_with_their_reason(times, load, cpus, reason):
    assert analysis.UNSTABLE_SPREAD == 0.25
    point = points_of(runs_of({("serial", 1): times}, load, cpus)).loc[("serial", 1)]
    assert point["unstable"] == reason


def answer_of(runs: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    points = analysis.points(runs, NO_PHASES, NO_BUSY)
    ((_, sentences),) = verdict.answers(points)["pi"]
    return verdict.fastest(points).set_index("workers"), " ".join(sentences)


def test_variants_whose_intervals_overlap_tie_and_the_answer_says_so():
    rng = np.random.default_rng(7)
    table, answer = answer_of(
        runs_of(
            {
                ("serial", 1): SERIAL,
                ("mpi", 2): 0.50 + rng.uniform(-0.01, 0.01, 6),
                ("processes", 2): 0.505 + rng.uniform(-0.01, 0.01, 6),
                ("threads", 2): 0.80 + rng.uniform(-0.01, 0.01, 6),
            }
        )
    )
    best = table.loc[2]
    assert {best["fastest"], *best["tied_with"].split(", ")} == {"mpi", "processes"}  # not threads
    assert "mpi and processes tie" in answer or "processes and mpi tie" in answer
    assert "is fastest" not in answer.split("with 2 workers")[1]
    assert "Variants tie where their 95% intervals of the wall time overlap" in answer


def test_separate_intervals_name_a_winner():
    table, answer = answer_of(
        runs_of({("serial", 1): SERIAL, ("mpi", 2): [0.50, 0.51, 0.49, 0.50, 0.50, 0.51],
                 ("processes", 2): [0.60, 0.61, 0.59, 0.60, 0.60, 0.61]})
    )  # fmt: skip
    assert table.loc[2, "tied_with"] == "" and "with 2 workers, mpi is fastest" in answer
    assert " tie" not in answer


def test_without_intervals_overlapping_ranges_tie_and_the_answer_says_why():
    table, answer = answer_of(
        runs_of({("serial", 1): [1.0, 1.1], ("mpi", 2): [0.50, 0.60], ("processes", 2): [0.55, 0.65]})
    )
    assert table.loc[2, "tied_with"] == "processes"
    assert "their wall times overlap over 2 repeats, too few for an interval" in answer
    table, answer = answer_of(
        runs_of({("serial", 1): [1.0, 1.1], ("mpi", 2): [0.50, 0.54], ("processes", 2): [0.55, 0.65]})
    )
    assert table.loc[2, "tied_with"] == "" and "mpi is fastest" in answer


def test_the_answer_names_unstable_points():
    _, answer = answer_of(runs_of({("serial", 1): SERIAL, ("mpi", 2): [0.5, 0.5, 0.5, 0.5, 0.5, 0.8]}))
    assert "Unstable, so read with care: mpi at 2 workers (its repeats spread 60% of their median)." in answer


def test_the_report_shows_intervals_ties_and_unstable_points_in_a_browser(chromium, tmp_path):  # noqa: F811
    """A made-up study of six repeats a point, one point made unstable: the answer says "tie",
    the speed-up chart draws error bars and a red ring, and every chart is drawn."""
    study = synthetic.study(problems=("pi",), kernels=1, workers=(1, 2, 4), repeats=6)
    runs = study["runs"]
    shaky = runs.index[(runs["variant"] == "threads") & (runs["workers"] == 4) & (runs["repeat"] == 6)]
    runs.loc[shaky, "total_s"] *= 2
    page = report_page.build(study, study["log"], weak=False, title="noise")
    path = tmp_path / "index.html"
    path.write_text(report_page.render(page), encoding="utf-8")
    browser = chromium.open(path)
    state = browser.evaluate("window.parbenchCharts")
    assert state["failed"] == [] and state["rendered"] == state["total"] >= 3
    answer = browser.evaluate("document.querySelector('#answer').innerText")
    assert " tie (" in answer and "Variants tie where" in answer
    assert "Unstable, so read with care: threads at 4 workers" in answer
    speedup = "document.querySelector('#pi-speedup')"
    count = "{}.querySelectorAll('.{} path, .{} line').length"
    assert browser.evaluate(count.format(speedup, "error_bar_marks", "error_bar_marks")) > 0
    assert browser.evaluate(count.format(speedup, "unstable_ring_marks", "unstable_ring_marks")) > 0
    assert browser.errors() == []
