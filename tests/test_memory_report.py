"""Memory in the report: each point's median peak memory and memory per worker, the two memory
figures, and the answer naming the thriftier of two variants that tie on time when one needs
several times the other's memory. Runs are made up with known times and memory, so each
expectation is worked out by hand."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from parbench.report import analysis, figures, verdict

NO_PHASES = pd.DataFrame(columns=["run", "phase", "seconds"])
NO_BUSY = pd.DataFrame(columns=["run", "worker", "busy_s", "workers"])
SERIAL = [1.00, 1.02, 0.98, 1.01, 0.99, 1.00]


def runs_of(points: dict) -> pd.DataFrame:
    """Good runs of pi (numpy): {(variant, workers): ([total seconds], [peak MiB]) per repeat}."""
    rows = []
    for (variant, workers), (times, mib) in points.items():
        for repeat, (total, peak) in enumerate(zip(times, mib, strict=True), 1):
            rows.append(
                dict(run=f"{variant}/w{workers}-r{repeat}", problem="pi", size="s", kernel="numpy",
                     variant=variant, workers=workers, nodes=1, repeat=repeat, scale=1, status="ok",
                     total_s=total, compute_s=total, load_average=0.5, cpus="2", memory_mib=peak,
                     memory_method="pss")
            )  # fmt: skip
    return pd.DataFrame(rows)


def steady(value: float, seed: int) -> list[float]:
    return list(value + np.random.default_rng(seed).uniform(-0.01, 0.01, 6) * value)


def answer_of(runs: pd.DataFrame) -> str:
    points = analysis.points(runs, NO_PHASES, NO_BUSY)
    ((_, sentences),) = verdict.answers(points)["pi"]
    return " ".join(sentences)


def test_a_point_has_its_median_peak_memory_and_memory_per_worker():
    runs = runs_of(
        {
            ("serial", 1): (SERIAL, [80, 90, 100, 85, 95, 300]),
            ("processes", 2): (steady(0.5, 1), [200, 210, 190, 220, 180, 205]),
        }
    )
    points = analysis.points(runs, NO_PHASES, NO_BUSY).set_index(["variant", "workers"])
    serial, pool = points.loc[("serial", 1)], points.loc[("processes", 2)]
    assert serial["memory_mib"] == 92.5 and serial["memory_max_mib"] == 300  # median, not mean
    assert pool["memory_mib"] == 202.5 and pool["memory_min_mib"] == 180
    assert pool["memory_per_worker_mib"] == 202.5 / 2


def test_variants_that_tie_are_told_apart_by_memory_when_one_needs_several_times_more():
    answer = answer_of(
        runs_of(
            {
                ("serial", 1): (SERIAL, [80] * 6),
                ("threads", 2): (steady(0.50, 2), [90] * 6),
                ("processes", 2): (steady(0.505, 3), [250] * 6),
            }
        )
    )
    assert "threads and processes tie" in answer or "processes and threads tie" in answer
    assert "memory can decide: at 2 workers, threads needs 90 MiB against 250 MiB for processes" in answer


def test_memory_is_not_mentioned_when_it_does_not_change_the_choice():
    close = {
        ("serial", 1): (SERIAL, [80] * 6),
        ("threads", 2): (steady(0.50, 2), [150] * 6),
        ("processes", 2): (steady(0.505, 3), [250] * 6),  # 1.7x: not several times
    }
    assert "memory" not in answer_of(runs_of(close))
    apart = {
        ("serial", 1): (SERIAL, [80] * 6),
        ("threads", 2): (steady(0.80, 2), [90] * 6),  # clearly slower: speed decides
        ("processes", 2): (steady(0.50, 3), [250] * 6),
    }
    assert "memory" not in answer_of(runs_of(apart))


def test_the_memory_figures_draw_each_variants_median_and_its_share_per_worker():
    runs = runs_of(
        {
            ("serial", 1): (SERIAL, [80] * 6),
            ("processes", 2): (steady(0.5, 1), [200] * 6),
        }
    )
    points = analysis.points(runs, NO_PHASES, NO_BUSY)
    whole = json.loads(figures.memory(points).to_json())
    shared = json.loads(figures.memory(points, per_worker=True).to_json())
    rows = [row for data in whole["datasets"].values() for row in data if row.get("variant") == "processes"]
    assert rows and {row["memory_mib"] for row in rows} == {200} and rows[0]["memory_per_worker_mib"] == 100
    assert "memory_per_worker_mib" in json.dumps(shared["spec"]["layer"][0]["encoding"]["y"])
    assert "memory_mib" in json.dumps(whole["spec"]["layer"][0]["encoding"]["y"])


def test_studies_from_before_memory_was_recorded_draw_no_memory_figure():
    runs = runs_of({("serial", 1): (SERIAL, [80] * 6)}).drop(columns=["memory_mib", "memory_method"])
    points = analysis.points(runs, NO_PHASES, NO_BUSY)
    assert figures.memory(points) is None
