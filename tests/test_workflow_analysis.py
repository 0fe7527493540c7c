"""The report's arithmetic on made-up runs with known answers (speed-ups, serial fractions, the
fastest variant, crossover data sizes), and stale-lock detection."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from parbench.report import analysis, crossover


def runs_table(times: dict, status: str = "ok") -> pd.DataFrame:
    """{(variant, workers): [seconds per repeat]} as a runs table of one case."""
    rows = []
    for (variant, workers), seconds in times.items():
        for repeat, total in enumerate(seconds, start=1):
            rows.append(
                {
                    "run": f"pi/s/numpy/{variant}/w{workers}-r{repeat}",
                    "problem": "pi",
                    "size": "s",
                    "kernel": "numpy",
                    "variant": variant,
                    "workers": workers,
                    "repeat": repeat,
                    "status": status,
                    "total_s": total,
                }
            )
    return pd.DataFrame(rows)


def amdahl(f: float, p: int, t1: float = 10.0) -> float:
    return t1 * (f + (1 - f) / p)


def test_speedup_efficiency_and_serial_fraction_recover_amdahl():
    times = {("serial", 1): [10.0, 10.0]}
    times |= {("mpi", p): [amdahl(0.1, p)] for p in (1, 2, 4, 8)}
    scaled = analysis.speedups(runs_table(times))
    eight = scaled[(scaled["variant"] == "mpi") & (scaled["workers"] == 8)].iloc[0]
    assert eight["speedup"] == pytest.approx(1 / (0.1 + 0.9 / 8))
    assert eight["efficiency"] == pytest.approx(0.588235, abs=1e-6)  # (1 / (0.1 + 0.9 / 8)) / 8
    fractions = analysis.serial_fractions(scaled).set_index("variant")
    assert fractions.loc["mpi", "fitted_serial_fraction"] == pytest.approx(0.1)
    assert fractions.loc["mpi", "karp_flatt_at_max"] == pytest.approx(0.1)


def test_weak_scaling_efficiency_and_gustafson_fraction():
    # Times chosen so that the scaled speed-up is Gustafson's p - s (p - 1) with serial fraction s.
    s = 0.2
    times = {("serial", 1): [4.0]}
    times |= {("threads", p): [4.0 * p / (p - s * (p - 1))] for p in (1, 2, 4)}
    scaled = analysis.speedups(runs_table(times), weak=True)
    four = scaled[(scaled["variant"] == "threads") & (scaled["workers"] == 4)].iloc[0]
    assert four["speedup"] == pytest.approx(4 - s * 3)
    assert four["efficiency"] == pytest.approx(0.85)  # (4 - 0.2 x 3) / 4
    fractions = analysis.serial_fractions(scaled, weak=True).set_index("variant")
    assert fractions.loc["threads", "fitted_serial_fraction"] == pytest.approx(s)


def test_fastest_variant_per_worker_count_and_failed_runs_left_out():
    times = {("serial", 1): [3.0], ("threads", 2): [2.0, 2.2], ("mpi", 2): [1.5, 9.0, 1.4]}
    table = runs_table(times)
    fastest = analysis.fastest(table).set_index("workers")
    assert fastest.loc[2, "fastest"] == "mpi" and fastest.loc[2, "runner_up"] == "threads"
    assert fastest.loc[1, "fastest"] == "serial"
    table.loc[table["variant"] == "mpi", "status"] = "mismatch"
    assert analysis.fastest(table).set_index("workers").loc[2, "fastest"] == "threads"


def test_without_serial_runs_the_baseline_is_the_variants_own_single_worker_run():
    scaled = analysis.speedups(runs_table({("dask", 1): [6.0], ("dask", 2): [4.0]}))
    assert scaled.set_index("workers").loc[2, "speedup"] == pytest.approx(1.5)


def test_imbalance_counts_workers_that_did_no_work_as_idle():
    """A record lists only workers that did work; of a 4-worker run where two workers took all
    the work (3 s and 1 s), the busiest is 3 s against a mean of 1 s over all four: imbalance 3."""
    runs = runs_table({("threads", 4): [2.0], ("processes", 2): [2.0]})
    run_of = dict(zip(runs["variant"], runs["run"], strict=True))
    by_variant = {row["variant"]: row for row in runs.drop(columns=["status", "total_s"]).to_dict("records")}
    listed = [("threads", "h:1:thread0", 3.0), ("threads", "h:1:thread1", 1.0),
              ("processes", "h:7:main", 2.0), ("processes", "h:8:main", 2.0)]  # fmt: skip
    busy = pd.DataFrame([{**by_variant[v], "worker": w, "busy_s": s} for v, w, s in listed])
    table = analysis.imbalance(busy, runs)
    threads = table[table["run"] == run_of["threads"]]
    assert sorted(threads["busy_s"]) == [0.0, 0.0, 1.0, 3.0]
    assert sorted(threads["worker_index"]) == [0, 1, 2, 3]
    assert threads["imbalance"].unique().tolist() == [3.0]
    processes = table[table["run"] == run_of["processes"]]
    assert len(processes) == 2 and processes["imbalance"].unique().tolist() == [1.0]


def sized_tables(lines: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Group-by timings and runs tables from exact cost lines:
    {(variant, kernel, workers): (fixed_s, ns_per_row, [rows of each run])}."""
    timings, runs = [], []
    for (variant, kernel, workers), (fixed, ns_per_row, sizes) in lines.items():
        for i, rows in enumerate(sizes):
            run = f"groupby/{rows}/{kernel}/{variant}/w{workers}-r{i}"
            labels = {"run": run, "problem": "groupby", "size": str(rows), "kernel": kernel}
            labels |= {"variant": variant, "workers": workers}
            compute = ns_per_row * 1e-9 * rows
            for phase, seconds in (("compute", compute), ("startup", fixed), ("total", fixed + compute)):
                timings.append({**labels, "phase": phase, "seconds": seconds, "param.rows": rows})
            runs.append({**labels, "status": "ok"})
    return pd.DataFrame(timings), pd.DataFrame(runs)


def test_crossover_is_where_the_fitted_cost_lines_cross():
    sizes = [5_000_000, 20_000_000, 20_000_000]
    timings, runs = sized_tables(
        {
            ("serial", "pandas", 1): (0.2, 30.0, sizes),
            ("dask", "pandas", 1): (1.5, 32.0, sizes),  # not its largest worker count: left out
            ("dask", "pandas", 2): (1.5, 15.0, sizes),
            ("spark", "jvm", 2): (8.0, 40.0, sizes),  # no serial JVM runs: compared with pandas
        }
    )
    # A slow repeat (noise only ever adds time) does not tilt the line: each size's fastest run counts.
    slow = (timings["run"] == "groupby/20000000/pandas/dask/w2-r2") & timings["phase"].isin(
        ["compute", "total"]
    )
    timings.loc[slow, "seconds"] += 1.0
    table = crossover.crossovers(timings, runs, {"groupby": "pandas"}).set_index("variant")
    dask = table.loc["dask"]
    assert dask["workers"] == 2 and dask["sizes_rows"] == "5,000,000; 20,000,000"
    assert dask["runs"] == 3
    assert dask["fixed_s"] == pytest.approx(1.5) and dask["ns_per_row"] == pytest.approx(15.0)
    assert dask["serial_fixed_s"] == pytest.approx(0.2) and dask["serial_ns_per_row"] == pytest.approx(30.0)
    assert dask["crossover_rows"] == pytest.approx(1.3 / 15e-9)
    assert dask["beats_serial"] == "above about 87 M rows"
    spark = table.loc["spark"]
    assert spark["serial_kernel"] == "pandas" and spark["crossover_rows"] == crossover.NEVER
    assert spark["beats_serial"].startswith("never")


def test_crossover_from_one_size_and_without_sized_runs():
    timings, runs = sized_tables(
        {("serial", "arrow", 1): (0.25, 30.0, [4_000_000]), ("mpi", "arrow", 2): (0.2, 16.0, [4_000_000])}
    )
    mpi = crossover.crossovers(timings, runs, {"groupby": "pandas"}).set_index("variant").loc["mpi"]
    assert mpi["ns_per_row"] == pytest.approx(16.0) and mpi["crossover_rows"] == 0.0
    assert mpi["beats_serial"] == "at any size"
    runs.loc[runs["variant"] == "serial", "status"] = "mismatch"  # no verified serial run: no row
    assert crossover.crossovers(timings, runs, {}).empty
    unsized = timings.drop(columns="param.rows")
    assert crossover.crossovers(unsized, runs, {}).empty


def test_crossover_is_unknown_where_the_compute_phase_does_not_grow_with_the_rows():
    sizes = [1_000_000, 4_000_000]
    timings, runs = sized_tables(
        {("serial", "pandas", 1): (0.2, 30.0, sizes), ("spark", "jvm", 2): (8.0, 0.0, sizes)}
    )
    spark = crossover.crossovers(timings, runs, {"groupby": "pandas"}).set_index("variant").loc["spark"]
    assert pd.isna(spark["crossover_rows"]) and spark["beats_serial"].startswith("unknown")


def run_row(variant: str, workers: int, repeat: int, total: float, **labels) -> dict:
    """One run of the runs table (problem pi, size s, kernel numpy unless `labels` say otherwise)."""
    row = {"problem": "pi", "size": "s", "kernel": "numpy", "variant": variant, "workers": workers}
    row |= {"repeat": repeat, "status": "ok", "total_s": total} | labels
    row["run"] = f"{row['problem']}/{row['size']}/{row['kernel']}/{variant}/w{workers}-r{repeat}"
    return row


def test_a_run_joins_the_case_of_its_own_kernel_or_for_an_engine_of_its_own_the_default_kernels():
    """Catches a case_kernel that moves every run to the default kernel (a non-default kernel such
    as numba must keep its own case) or that fails for a problem the registry does not know, and a
    case label that leaves out the size or the kernel ("pi s (numpy)": one case per size)."""
    assert analysis.case_kernel("pi", "numba") == "numba"
    assert analysis.case_kernel("groupby", "arrow") == "arrow"
    assert analysis.case_kernel("groupby", "jvm") == "pandas"  # Spark's own engine
    assert analysis.case_kernel("not-a-problem", "any") == "any"
    runs = pd.DataFrame(
        [
            run_row("serial", 1, 1, 8.0),
            run_row("threads", 2, 1, 4.0),
            run_row("serial", 1, 1, 20.0, size="m"),
            run_row("threads", 2, 1, 5.0, size="m"),
            run_row("serial", 1, 1, 6.0, kernel="numba"),
            run_row("threads", 2, 1, 2.0, kernel="numba"),
        ]
    )
    scaled = analysis.speedups(runs).set_index(["case", "variant"])
    assert sorted(scaled.index.get_level_values("case").unique()) == [
        "pi m (numpy)",
        "pi s (numba)",
        "pi s (numpy)",
    ]
    # by hand: 8 / 4, 20 / 5, 6 / 2
    assert scaled.loc[("pi s (numpy)", "threads"), "speedup"] == pytest.approx(2.0)
    assert scaled.loc[("pi m (numpy)", "threads"), "speedup"] == pytest.approx(4.0)
    assert scaled.loc[("pi s (numba)", "threads"), "speedup"] == pytest.approx(3.0)


def test_the_baseline_is_the_median_of_the_serial_runs_only():
    """Serial runs take 10 s and 14 s (median 12 s); threads and mpi at one worker take 30 s. A
    baseline that also took in single-worker runs of other variants (variants sorting before or
    after "serial", or every single-worker run) would be 14 s or 22 s instead of 12 s."""
    runs = pd.DataFrame(
        [
            run_row("serial", 1, 1, 10.0),
            run_row("serial", 1, 2, 14.0),
            run_row("threads", 1, 1, 30.0),
            run_row("mpi", 1, 1, 30.0),
            run_row("threads", 2, 1, 6.0),
            run_row("mpi", 2, 1, 8.0),
        ]
    )
    scaled = analysis.speedups(runs).set_index(["variant", "workers"])
    assert set(scaled["baseline_s"]) == {12.0}
    assert scaled.loc[("threads", 1), "speedup"] == pytest.approx(0.4)  # 12 / 30
    assert scaled.loc[("threads", 2), "speedup"] == pytest.approx(2.0)  # 12 / 6
    assert scaled.loc[("threads", 2), "efficiency"] == pytest.approx(1.0)  # 2 / 2
    assert scaled.loc[("mpi", 2), "speedup"] == pytest.approx(1.5)  # 12 / 8
    assert scaled.loc[("mpi", 2), "efficiency"] == pytest.approx(0.75)  # 1.5 / 2


def test_runs_of_any_status_but_ok_are_left_out_of_every_table():
    """Only verified runs ("ok") are measured, whatever the other status is called: "mismatch" and
    "missing" sort before "ok", a status such as "timeout" after it, so a test for `>= "ok"`
    instead of `== "ok"` needs one. Each bad run here is fast and odd, so taking it in moves the
    baseline, the speed-up, the phase medians and the imbalance."""
    runs = pd.DataFrame(
        [
            run_row("serial", 1, 1, 8.0),
            run_row("serial", 1, 2, 1.0, status="timeout"),
            run_row("threads", 2, 1, 4.0),
            run_row("threads", 2, 2, 0.5, status="timeout"),
            run_row("threads", 2, 3, 0.5, status="mismatch"),
        ]
    ).assign(compute_s=lambda frame: frame["total_s"] / 2)
    labels = runs.drop(columns=["status", "total_s", "compute_s"]).to_dict("records")
    timings = pd.DataFrame(
        [{**label, "phase": "compute", "seconds": label["repeat"] * 1.0} for label in labels]
        + [{**label, "phase": "total", "seconds": label["repeat"] * 3.0} for label in labels]
    )
    busy = pd.DataFrame([{**label, "worker": "w0", "busy_s": 1.0 * label["repeat"]} for label in labels])
    busy = pd.concat([busy, busy.assign(worker="w1", busy_s=1.0)], ignore_index=True)
    table = analysis.points(runs, timings, busy).set_index("variant")
    assert table.loc["threads", "repeats"] == 1 and table.loc["threads", "median_s"] == 4.0
    assert table.loc["threads", "speedup"] == pytest.approx(2.0)  # 8 / 4
    # the one good threads run: compute 1 s, total 3 s, workers busy 1 s and 1 s
    assert table.loc["threads", "compute"] == 1.0 and table.loc["threads", "other"] == 2.0
    assert table.loc["threads", "imbalance"] == 1.0


def test_weak_scaling_gustafson_fraction_per_run_and_at_the_largest_worker_count():
    """Weak scaling, T1 = 6 s: 2 workers in 8 s and 4 workers in 15 s give E = 6/8 = 0.75 and 0.4,
    scaled speed-ups S = p E = 1.5 and 1.6. Gustafson's s = (p - S) / (p - 1) is 0.5 at p = 2 and
    0.8 at p = 4: mean 0.65, 0.8 at the largest p (4 % 1.6, 4 / 1.6 and 4 // 1.6 are none of them
    4 - 1.6). The single-worker runs (serial's and the variant's own) are left out of the fit:
    (1 - 1) / (1 - 1) is no fraction. The numbers are not on one Gustafson line, so dropping or
    adding a run changes the fit."""
    runs = pd.DataFrame(
        [
            run_row("serial", 1, 1, 6.0),
            run_row("threads", 1, 1, 6.0),
            run_row("threads", 2, 1, 8.0),
            run_row("threads", 4, 1, 15.0),
        ]
    )
    scaled = analysis.speedups(runs, weak=True).set_index("workers")
    assert scaled.loc[4, "efficiency"] == pytest.approx(0.4)
    assert scaled.loc[4, "speedup"] == pytest.approx(1.6)
    fractions = analysis.serial_fractions(scaled.reset_index(), weak=True)
    assert fractions["variant"].tolist() == ["threads"]
    threads = fractions.iloc[0]
    assert threads["max_workers"] == 4 and threads["runs"] == 2
    assert threads["speedup_at_max"] == pytest.approx(1.6)
    assert threads["gustafson_at_max"] == pytest.approx(0.8)
    assert threads["fitted_serial_fraction"] == pytest.approx(0.65)


def phase_rows(run: dict, **seconds: float) -> list[dict]:
    return [{**run, "phase": phase, "seconds": value} for phase, value in seconds.items()]


def test_overheads_fill_phases_a_run_did_not_report_with_zero_and_other_is_never_negative():
    """Median seconds per phase over a point's runs, with `other` = total minus the named phases.
    Threads, two runs: run 1 reports startup 1, distribute 0.5, compute 4, total 7 (other 1.5);
    run 2 startup 2, compute 6, communicate 1, total 10 (other 1). A phase one run did not report
    counts 0 s for it, and one no run reported (write, teardown) is 0 s: medians startup 1.5,
    distribute 0.25, compute 5, communicate 0.5, write 0, teardown 0, total 8.5, other 1.25.
    Processes: startup 1 and compute 3 within a total of 3.5 (clocks read apart): other is 0,
    not -0.5."""
    runs = pd.DataFrame(
        [
            run_row("threads", 2, 1, 7.0),
            run_row("threads", 2, 2, 10.0),
            run_row("processes", 2, 1, 3.5),
        ]
    )
    labels = runs.drop(columns=["status", "total_s"]).to_dict("records")
    timings = pd.DataFrame(
        phase_rows(labels[0], startup=1.0, distribute=0.5, compute=4.0, total=7.0)
        + phase_rows(labels[1], startup=2.0, compute=6.0, communicate=1.0, total=10.0)
        + phase_rows(labels[2], startup=1.0, compute=3.0, total=3.5)
    )
    table = analysis.overheads(timings, runs).set_index("variant")
    threads = table.loc["threads"]
    assert threads["case"] == "pi s (numpy)" and threads["workers"] == 2
    want = {"startup": 1.5, "distribute": 0.25, "compute": 5.0, "communicate": 0.5}
    want |= {"write": 0.0, "teardown": 0.0, "total": 8.5, "other": 1.25}
    assert threads[list(want)].to_dict() == pytest.approx(want)
    assert table.loc["processes", "other"] == 0.0
    assert table.loc["processes", "write"] == 0.0


def busy_rows(run: dict, *seconds: float) -> list[dict]:
    """The busy times a run's record lists: only the workers that did work."""
    return [{**run, "worker": f"w{index}", "busy_s": value} for index, value in enumerate(seconds)]


def test_imbalance_of_a_run_that_lists_one_of_its_workers_and_a_fractional_ratio():
    """A 3-worker run listing 3 s and 1 s: mean over all three workers 4/3 s, imbalance 3 / (4/3)
    = 2.25 (a floor division would say 2). A 2-worker run listing one worker busy 2 s: the idle
    one joins at 0 s (copied from the run's only listed row), imbalance 2 / 1 = 2."""
    runs = pd.DataFrame([run_row("threads", 3, 1, 2.0), run_row("processes", 2, 1, 2.0)])
    labels = runs.drop(columns=["status", "total_s"]).to_dict("records")
    busy = pd.DataFrame(busy_rows(labels[0], 3.0, 1.0) + busy_rows(labels[1], 2.0))
    table = analysis.imbalance(busy, runs)
    threads = table[table["variant"] == "threads"]
    assert sorted(threads["busy_s"]) == [0.0, 1.0, 3.0]
    assert threads["imbalance"].tolist() == pytest.approx([2.25] * 3)
    processes = table[table["variant"] == "processes"]
    assert processes["worker"].tolist() == ["w0", "idle-worker-0"]
    assert processes["busy_s"].tolist() == [2.0, 0.0]
    assert processes["imbalance"].tolist() == [2.0, 2.0]
    assert processes["case"].tolist() == ["pi s (numpy)"] * 2


def test_idle_workers_follow_each_runs_listed_ones_in_the_tables_order_numbered_on():
    """The threads run comes before the processes run in the table (its id sorts after): its idle
    worker is added before the processes run's two, and the added rows are numbered on after the
    listed ones (labels used twice would make `.loc` pick two rows)."""
    runs = pd.DataFrame([run_row("threads", 2, 1, 1.0), run_row("processes", 3, 1, 1.0)])
    labels = runs.drop(columns=["status", "total_s"]).to_dict("records")
    busy = pd.DataFrame(busy_rows(labels[0], 1.0) + busy_rows(labels[1], 2.0))
    assert busy["run"].tolist() == ["pi/s/numpy/threads/w2-r1", "pi/s/numpy/processes/w3-r1"]
    table = analysis.with_idle_workers(busy)
    assert table.index.tolist() == [0, 1, 2, 3, 4]
    assert (
        table["run"].tolist()
        == busy["run"].tolist() + ["pi/s/numpy/threads/w2-r1"] + ["pi/s/numpy/processes/w3-r1"] * 2
    )
    assert table["worker"].tolist() == ["w0", "w0", "idle-worker-0", "idle-worker-0", "idle-worker-1"]
    assert table["busy_s"].tolist() == [1.0, 2.0, 0.0, 0.0, 0.0]


def point_tables() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Serial at 8 s and 10 s (compute 6 s and 8 s); threads on 2 workers at 5, 4 and 6 s (compute
    3.5, 3.5 and 2.8 s), its workers busy (3, 1), (2 listed, one idle) and (1.5, 1.5)."""
    runs = pd.DataFrame(
        [
            run_row("serial", 1, 1, 8.0, compute_s=6.0),
            run_row("serial", 1, 2, 10.0, compute_s=8.0),
            run_row("threads", 2, 1, 5.0, compute_s=3.5),
            run_row("threads", 2, 2, 4.0, compute_s=3.5),
            run_row("threads", 2, 3, 6.0, compute_s=2.8),
        ]
    )
    labels = runs.drop(columns=["status", "total_s", "compute_s"]).to_dict("records")
    timings, busy = [], []
    for label, (_, run) in zip(labels, runs.iterrows(), strict=True):
        total, compute = run["total_s"], run["compute_s"]
        timings += phase_rows(label, startup=0.5, compute=compute, total=total)
        if run["variant"] == "threads":
            timings += phase_rows(label, communicate=0.3)
    busy += busy_rows(labels[0], 6.0) + busy_rows(labels[1], 8.0)
    busy += busy_rows(labels[2], 3.0, 1.0) + busy_rows(labels[3], 2.0) + busy_rows(labels[4], 1.5, 1.5)
    return runs, pd.DataFrame(timings), pd.DataFrame(busy)


def test_points_by_hand_strong_scaling_by_default():
    """Baseline median(8, 10) = 9 s. Threads: wall median 5 (min 4, max 6), speed-ups 9/5, 9/4,
    9/6 = 1.8, 2.25, 1.5 (median 1.8, not the weak-scaling 2 x 1.8), efficiencies 0.9, 1.125,
    0.75; compute speed-ups against median(6, 8) = 7 s: 2, 2, 2.5 (median 2); imbalances 3/2,
    2/1, 1.5/1.5 (median 1.5); one node (the runs table predates nodes); phase medians: startup
    0.5, compute 3.5, communicate 0.3, other median(0.7, -0.3 -> 0, 2.4) = 0.7."""
    runs, timings, busy = point_tables()
    table = analysis.points(runs, timings, busy)
    assert table["variant"].tolist() == ["serial", "threads"]
    threads = table.set_index("variant").loc["threads"]
    want = {"case": "pi s (numpy)", "workers": 2, "median_s": 5.0, "min_s": 4.0, "max_s": 6.0}
    want |= {"repeats": 3, "baseline_s": 9.0, "nodes": 1}
    assert threads[list(want)].to_dict() == want
    want = {"speedup": 1.8, "speedup_min": 1.5, "speedup_max": 2.25}
    want |= {"efficiency": 0.9, "efficiency_min": 0.75, "efficiency_max": 1.125}
    want |= {"compute_speedup": 2.0, "imbalance": 1.5}
    want |= {"startup": 0.5, "distribute": 0.0, "compute": 3.5, "communicate": 0.3, "other": 0.7}
    assert threads[list(want)].to_dict() == pytest.approx(want)
    serial = table.set_index("variant").loc["serial"]
    assert serial["speedup"] == pytest.approx(1.0125)  # median(9 / 8, 9 / 10)
    assert serial["imbalance"] == 1.0
    assert serial["other"] == pytest.approx(1.5)  # median(8 - 6.5, 10 - 8.5)
    # With the nodes recorded, a point shows its largest node count.
    runs["nodes"] = [1, 1, 2, 2, 1]
    assert analysis.points(runs, timings, busy).set_index("variant").loc["threads", "nodes"] == 2


def test_points_without_phase_timings_or_good_runs():
    """No phase timings: the points still have their times and speed-ups, but no phase columns. No
    good run: no points."""
    runs, timings, busy = point_tables()
    table = analysis.points(runs, timings.iloc[:0], busy)
    assert "compute" not in table and "other" not in table
    assert table.set_index("variant").loc["threads", "speedup"] == pytest.approx(1.8)
    assert analysis.points(runs.assign(status="mismatch"), timings, busy).empty


def test_a_point_whose_size_reads_back_empty_is_kept():
    """A size may be named "NA" (the config allows it) and pandas reads that back from the collected
    CSV as empty (NaN): the point must still be there with its wall times, not silently dropped."""
    runs = pd.DataFrame([run_row("serial", 1, 1, 8.0, size="NA"), run_row("threads", 2, 1, 5.0, size="NA")])
    runs = pd.read_csv(io.StringIO(runs.assign(compute_s=1.0).to_csv(index=False)))
    assert runs["size"].isna().all()
    empty = pd.DataFrame(columns=["run", "phase", "seconds"])
    table = analysis.points(runs, empty, pd.DataFrame(columns=["run", "workers", "worker", "busy_s"]))
    assert table["variant"].tolist() == ["serial", "threads"]
    assert table["median_s"].tolist() == [8.0, 5.0]
