"""The report's arithmetic on made-up runs with known answers (speed-ups, serial fractions, the
fastest variant, crossover data sizes), and stale-lock detection."""

from __future__ import annotations

import pandas as pd
import pytest

from parbench.study import analysis, crossover


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
