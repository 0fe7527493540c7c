"""The report's figures (seaborn on matplotlib's file-only Agg backend). Each function takes the
analysed tables and returns a Figure; a figure without data says so in the image itself, so the
report never silently drops a panel."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # no display on compute nodes

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from parbench.study import analysis  # noqa: E402
from parbench.timing import PHASES  # noqa: E402

sns.set_theme(style="whitegrid", context="paper")
SPREAD = ("pi", 100)  # error bands: the full range over repeats
THREAD_VARIANTS = ("threads", "futures-threads")


def empty(message: str):
    figure, ax = plt.subplots(figsize=(6, 1.6))
    ax.axis("off")
    ax.text(0.5, 0.5, message, ha="center", va="center", wrap=True)
    return figure


def grid(cases, rows=1, height=3.2, width=3.8):
    """One column per case."""
    cols = max(len(cases), 1)
    figure, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)
    return figure, axes


def log2_workers(ax, workers):
    ax.set_xscale("log", base=2)
    ticks = sorted(set(int(w) for w in workers))
    ax.set_xticks(ticks, [str(t) for t in ticks])
    ax.minorticks_off()


def palette(variants):
    return dict(
        zip(sorted(variants), sns.color_palette("tab10", n_colors=max(len(variants), 1)), strict=False)
    )


def wall_time(scaled: pd.DataFrame):
    """Wall time against workers, one line per variant, log-log, full range over repeats."""
    if scaled.empty:
        return empty("no verified runs: nothing to plot")
    cases = sorted(scaled["case"].unique())
    figure, axes = grid(cases)
    colours = palette(scaled["variant"].unique())
    for ax, case in zip(axes[0], cases, strict=False):
        data = scaled[scaled["case"] == case]
        sns.lineplot(
            data=data, x="workers", y="total_s", hue="variant", palette=colours, estimator="median",
            errorbar=SPREAD, marker="o", ax=ax,
        )  # fmt: skip
        ax.set_yscale("log")
        log2_workers(ax, data["workers"])
        ax.set(title=case, xlabel="workers", ylabel="wall time (s)")
        ax.legend(fontsize=7)
    figure.tight_layout()
    return figure


def speedup_efficiency(scaled: pd.DataFrame, weak: bool = False):
    """Speed-up (top) and parallel efficiency (bottom) with the ideal line."""
    if scaled.empty or scaled["speedup"].isna().all():
        return empty("no speed-ups: no verified serial or single-worker baseline")
    cases = sorted(scaled["case"].unique())
    figure, axes = grid(cases, rows=2)
    colours = palette(scaled["variant"].unique())
    for col, case in enumerate(cases):
        data = scaled[scaled["case"] == case]
        workers = np.array(sorted(data["workers"].unique()), dtype=float)
        for row, (measure, ideal, label) in enumerate(
            (
                ("speedup", workers, "scaled speed-up" if weak else "speed-up"),
                ("efficiency", workers * 0 + 1, "efficiency"),
            )
        ):
            ax = axes[row][col]
            ax.plot(workers, ideal, linestyle="--", color="black", linewidth=1, label="ideal")
            sns.lineplot(
                data=data, x="workers", y=measure, hue="variant", palette=colours, estimator="median",
                errorbar=SPREAD, marker="o", ax=ax,
            )  # fmt: skip
            log2_workers(ax, data["workers"])
            ax.set(title=case if row == 0 else "", xlabel="workers", ylabel=label)
            ax.legend(fontsize=7)
    figure.tight_layout()
    return figure


def overhead_breakdown(phases: pd.DataFrame):
    """Per phase, for every variant at the largest worker count of each case: median seconds
    (top row) and the share of the wall time (bottom row), so that a slow start-up such as
    Spark's JVM does not hide the other variants' overheads."""
    if phases.empty:
        return empty("no verified runs: no phases to break down")
    cases = sorted(phases["case"].unique())
    figure, axes = grid(cases, rows=2, height=3.6)
    order = [*PHASES, "other"]
    colours = [
        dict(zip(order, sns.color_palette("Set2", n_colors=len(order)), strict=False))[p] for p in order
    ]
    for column, case in enumerate(cases):
        data = phases[phases["case"] == case]
        workers = int(data["workers"].max())
        seconds = data[data["workers"] == workers].set_index("variant")[order]
        shares = seconds.div(seconds.sum(axis=1).replace(0, np.nan), axis=0)
        for row, (table, label) in enumerate(((seconds, "seconds (median)"), (shares, "share of wall time"))):
            ax = axes[row][column]
            table.plot.bar(stacked=True, ax=ax, color=colours, width=0.75, legend=row == 0)
            ax.set(title=f"{case}, {workers} workers" if row == 0 else "", ylabel=label, xlabel="")
            ax.tick_params(axis="x", labelrotation=45)
            if row == 0:
                ax.legend(fontsize=7)
    figure.tight_layout()
    return figure


def worker_busy(busy: pd.DataFrame):
    """Busy seconds of each worker (first repeat, largest worker count): uneven bars are load imbalance."""
    if busy.empty:
        return empty("no per-worker busy times recorded")
    cases = sorted(busy["case"].unique())
    figure, axes = grid(cases, height=3.6)
    for ax, case in zip(axes[0], cases, strict=False):
        data = busy[(busy["case"] == case)]
        data = data[(data["workers"] == data["workers"].max()) & (data["repeat"] == data["repeat"].min())]
        sns.barplot(data=data, x="variant", y="busy_s", hue="worker_index", ax=ax, palette="crest")
        ax.set(title=f"{case}, {int(data['workers'].max())} workers", ylabel="busy (s)", xlabel="")
        ax.tick_params(axis="x", labelrotation=45)
        ax.legend(title="worker", fontsize=7)
    figure.tight_layout()
    return figure


def gil(scaled: pd.DataFrame):
    """Thread variants with the pure-Python kernel (holds the GIL) against the numba kernel (releases it)."""
    data = scaled[
        scaled["variant"].isin(THREAD_VARIANTS) & scaled["kernel"].isin(["python", "numba", "numpy"])
    ]
    pairs = data.groupby(["problem", "size"])["kernel"].agg(lambda k: {"python", "numba"} <= set(k))
    problems = [key for key, both in pairs.items() if both]
    if not problems:
        return empty("the GIL panel needs thread-variant runs with both the python and the numba kernel")
    figure, axes = grid(problems, height=3.4)
    for ax, (problem, size) in zip(axes[0], problems, strict=False):
        sub = data[(data["problem"] == problem) & (data["size"] == size)]
        workers = np.array(sorted(sub["workers"].unique()), dtype=float)
        ax.plot(workers, workers, linestyle="--", color="black", linewidth=1, label="ideal")
        sns.lineplot(
            data=sub, x="workers", y="speedup", hue="kernel", style="variant", estimator="median",
            errorbar=SPREAD, marker="o", ax=ax,
        )  # fmt: skip
        log2_workers(ax, sub["workers"])
        ax.set(
            title=f"{problem} {size}: threads and the GIL",
            xlabel="threads",
            ylabel="compute-phase speed-up vs serial",
        )
        ax.legend(fontsize=7)
    figure.tight_layout()
    return figure


def serial_fraction(fractions: pd.DataFrame, weak: bool = False):
    """The fitted serial fraction per variant (lower is better; 0 is perfectly parallel)."""
    if fractions.empty:
        return empty("no runs with more than one worker: no serial fraction to fit")
    cases = sorted(fractions["case"].unique())
    figure, axes = grid(cases, height=3.4)
    for ax, case in zip(axes[0], cases, strict=False):
        data = fractions[fractions["case"] == case].sort_values("fitted_serial_fraction")
        sns.barplot(data=data, x="variant", y="fitted_serial_fraction", ax=ax, color="tab:blue")
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set(
            title=case,
            xlabel="",
            ylabel="Gustafson serial fraction" if weak else "Amdahl serial fraction (fit)",
        )
        ax.tick_params(axis="x", labelrotation=45)
    figure.tight_layout()
    return figure


def build_all(tables: dict, weak: bool = False) -> dict:
    """Every figure of the report, by file stem, in the report's order."""
    runs, timings, busy = tables["runs"], tables["timings"], tables["worker_busy"]
    scaled = analysis.speedups(runs, weak)
    return {
        "wall_time": wall_time(scaled),
        "speedup_efficiency": speedup_efficiency(scaled, weak),
        "overheads": overhead_breakdown(analysis.overheads(timings, runs)),
        "worker_busy": worker_busy(analysis.imbalance(busy, runs)),
        # The GIL shows in the compute phase; wall time at small sizes is mostly numba's start-up.
        "gil": gil(analysis.speedups(runs, weak, seconds="compute_s")),
        "serial_fraction": serial_fraction(analysis.serial_fractions(scaled, weak), weak),
    }
