"""At what data size a parallel variant, start-up included, beats serial: the crossover estimate
of a data-analytics problem, where Dask's and Spark's seconds of start-up must be paid back by a
lower cost per row.

Each variant's wall time is modelled as a line in the number of rows,

    wall(rows) = fixed + per_row * rows

with `per_row` from its compute phases (their least-squares slope over the sizes measured, or
compute / rows when only one size was) and `fixed` the rest of its wall time: start-up, teardown
and each query's own overheads. Each size counts once, by its fastest run: on a shared machine
noise only ever adds time, and one slow repeat would tilt the slope. The variant beats serial above

    rows* = (fixed - fixed_serial) / (per_row_serial - per_row)

and never if its cost per row is not lower. Where a variant's compute phase did not grow with the
rows measured (Spark's, dominated by each query's own overhead at a few million rows), there is no
cost per row to compare and the crossover is unknown: run larger sizes. Both the study's report
and benchmarks/groupby.py use this model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from parbench import registry
from parbench.report.analysis import of_good_runs

SIZE_PARAM = "rows"  # the parameter that sizes a data-analytics problem
RUN_LINE_COLUMNS = ["problem", "kernel", "variant", "workers", "rows", "compute", "total"]
NEVER = math.inf
UNKNOWN = math.nan


@dataclass(frozen=True)
class CostLine:
    fixed_s: float
    per_row_s: float


def cost_line(rows, compute_s, total_s) -> CostLine:
    """The line through one variant's runs: arrays of rows, compute-phase and wall seconds."""
    rows, compute_s, total_s = (np.asarray(a, dtype=float) for a in (rows, compute_s, total_s))
    if np.unique(rows).size > 1:
        per_row = float(np.polyfit(rows, compute_s, 1)[0])
    else:  # one size: assume the compute phase grows in proportion to the rows
        per_row = float(np.mean(compute_s / rows))
    return CostLine(float(np.median(total_s - per_row * rows)), per_row)


def crossover_rows(variant: CostLine, serial: CostLine) -> float:
    """Rows above which `variant` beats serial: NEVER if its cost per row is not lower, 0.0 if it
    is faster at any size, UNKNOWN if either line has no positive cost per row."""
    if variant.per_row_s <= 0 or serial.per_row_s <= 0:
        return UNKNOWN
    if variant.per_row_s >= serial.per_row_s:
        return NEVER
    return max((variant.fixed_s - serial.fixed_s) / (serial.per_row_s - variant.per_row_s), 0.0)


def describe(rows: float) -> str:
    if math.isnan(rows):
        return "unknown: a compute phase did not grow with the rows measured (run larger sizes)"
    if rows == NEVER:
        return "never (its cost per row is not lower)"
    if rows == 0.0:
        return "at any size"
    return f"above about {rows / 1e6:.2g} M rows"


def run_lines(timings: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """One row per verified run of a problem sized in rows: its labels, rows, compute and wall."""
    column = f"param.{SIZE_PARAM}"
    if column not in timings:
        return pd.DataFrame(columns=RUN_LINE_COLUMNS)
    sized = of_good_runs(timings, runs)
    sized = sized[sized[column].notna()]
    wide = sized.pivot_table(
        index=["run", "problem", "kernel", "variant", "workers", column], columns="phase", values="seconds"
    ).reset_index()
    return wide.rename(columns={column: "rows"}).reindex(columns=RUN_LINE_COLUMNS)


def fastest_per_size(runs: pd.DataFrame) -> pd.DataFrame:
    """The run with the least wall time at each size."""
    return runs.loc[runs.groupby("rows")["total"].idxmin()]


def crossovers(timings: pd.DataFrame, runs: pd.DataFrame, default_kernels: dict[str, str]) -> pd.DataFrame:
    """Per problem sized in rows, kernel and parallel variant at its largest worker count: both
    cost lines and where the variant beats serial. A variant whose kernel has no serial runs (Spark's
    JVM engine) is compared with serial running the problem's default kernel (`default_kernels`)."""
    measured = run_lines(timings, runs)
    rows = []
    for (problem, kernel, variant), group in measured.groupby(["problem", "kernel", "variant"]):
        if variant == registry.BASELINE:
            continue
        serial = measured[(measured["problem"] == problem) & (measured["variant"] == registry.BASELINE)]
        serial_kernel = kernel if kernel in set(serial["kernel"]) else default_kernels.get(problem)
        serial = serial[serial["kernel"] == serial_kernel]
        if serial.empty:
            continue
        at_most_workers = group[group["workers"] == group["workers"].max()]
        top, serial = fastest_per_size(at_most_workers), fastest_per_size(serial)
        line = cost_line(top["rows"], top["compute"], top["total"])
        reference = cost_line(serial["rows"], serial["compute"], serial["total"])
        crossover = crossover_rows(line, reference)
        rows.append(
            {
                "problem": problem,
                "kernel": kernel,
                "variant": variant,
                "workers": int(top["workers"].iloc[0]),
                "sizes_rows": "; ".join(f"{r:,.0f}" for r in sorted(top["rows"].unique())),
                "runs": len(at_most_workers),
                "fixed_s": line.fixed_s,
                "ns_per_row": line.per_row_s * 1e9,
                "serial_kernel": serial_kernel,
                "serial_fixed_s": reference.fixed_s,
                "serial_ns_per_row": reference.per_row_s * 1e9,
                "crossover_rows": crossover,
                "beats_serial": describe(crossover),
            }
        )
    return pd.DataFrame(rows)
