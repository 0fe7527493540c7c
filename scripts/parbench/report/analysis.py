"""The numbers behind the report: speed-up, efficiency, serial fractions, overheads, load
imbalance and the fastest variant, computed from the collected tables (pandas only, so they are
easy to test).

A *case* is one problem at one size with one kernel: runs are only compared within a case. A
variant that brings its own engine instead of the problem's kernels (Spark's JVM group-by, kernel
`jvm`) joins the case of the problem's default kernel, so it is compared with the others; its own
kernel stays in the `kernel` column and labels its points.
Wall time is the run's own `total` phase (the program's wall clock from start to result on disk),
which leaves out the interpreter's and the launcher's start-up; the process wall time from
Snakemake's benchmark is kept in the tables as `process_s`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from parbench import registry, stats
from parbench.timing import PHASES

CASE = ["problem", "size", "case_kernel"]
# A point whose repeats spread more than this share of their median is unstable (docs/statistics.md).
UNSTABLE_SPREAD = 0.25
POINT = [*CASE, "kernel", "variant", "workers"]


def case_kernel(problem: str, kernel: str) -> str:
    """The kernel of the case a run is compared in: its own, or for an engine of its own (a kernel
    that is not one of the problem's) the problem's default kernel."""
    known = registry.PROBLEMS.get(problem)
    if known is None or kernel in known.kernels:
        return kernel
    return known.default_kernel


def with_case(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    if frame.empty:
        return frame.assign(case_kernel=[], case=[])
    frame["case_kernel"] = [case_kernel(p, k) for p, k in zip(frame["problem"], frame["kernel"], strict=True)]
    frame["case"] = frame["problem"] + " " + frame["size"].astype(str) + " (" + frame["case_kernel"] + ")"
    return frame


def good_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """Runs that finished and match their reference: the only ones measured."""
    return with_case(runs[runs["status"] == "ok"])


def of_good_runs(frame: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """The rows of a per-run table (timings, worker busy times) that belong to good runs."""
    return frame[frame["run"].isin(runs.loc[runs["status"] == "ok", "run"])]


def baselines(runs: pd.DataFrame, seconds: str = "total_s") -> pd.DataFrame:
    """Per case, the median time (column `seconds`) of the serial variant, or, without serial
    runs, of each variant's own single-worker runs. Columns: CASE..., variant, baseline_s."""
    ok = good_runs(runs)
    serial = ok[(ok["variant"] == registry.BASELINE) & (ok["workers"] == 1)]
    by_case = serial.groupby(CASE, as_index=False)[seconds].median().rename(columns={seconds: "baseline_s"})
    own = ok[ok["workers"] == 1].groupby([*CASE, "kernel", "variant"], as_index=False)[seconds].median()
    own = own.rename(columns={seconds: "own_baseline_s"})
    return by_case, own


def speedups(runs: pd.DataFrame, weak: bool = False, seconds: str = "total_s") -> pd.DataFrame:
    """One row per good run with speed-up and efficiency against the serial baseline, from the
    wall time (`total_s`) or one phase (`compute_s`: what the parallel work itself gains).
    Strong scaling: S = T1 / Tp, E = S / p. Weak scaling (the size grows with p): E = T1 / Tp and
    the scaled speed-up S = p * E."""
    ok = good_runs(runs)
    if ok.empty:
        return ok.assign(baseline_s=[], speedup=[], efficiency=[])
    by_case, own = baselines(runs, seconds)
    ok = ok.merge(by_case, on=CASE, how="left").merge(own, on=[*CASE, "kernel", "variant"], how="left")
    ok["baseline_s"] = ok["baseline_s"].fillna(ok["own_baseline_s"])
    ratio = ok["baseline_s"] / ok[seconds]
    if weak:
        ok["efficiency"] = ratio
        ok["speedup"] = ok["workers"] * ratio
    else:
        ok["speedup"] = ratio
        ok["efficiency"] = ratio / ok["workers"]
    return ok.drop(columns=["own_baseline_s"])


def serial_fractions(scaled: pd.DataFrame, weak: bool = False) -> pd.DataFrame:
    """Per case and variant, the serial fraction that explains its speed-ups.
    Strong scaling: Karp-Flatt e(p) = (1/S - 1/p) / (1 - 1/p) at the largest p, and Amdahl's f
    fitted over every run with p > 1 by least squares of 1/S - 1/p = f (1 - 1/p).
    Weak scaling: Gustafson's s = (p - S) / (p - 1), its mean over p > 1 as the fit."""
    rows = []
    multi = scaled[(scaled["workers"] > 1) & scaled["speedup"].notna()]
    for (case, variant), group in multi.groupby(["case", "variant"]):
        p, s = group["workers"].to_numpy(float), group["speedup"].to_numpy(float)
        top = group[group["workers"] == group["workers"].max()]
        p_top, s_top = float(top["workers"].iloc[0]), float(top["speedup"].median())
        if weak:
            per_run = (p - s) / (p - 1)
            fitted, at_top = float(per_run.mean()), (p_top - s_top) / (p_top - 1)
        else:
            x, y = 1 - 1 / p, 1 / s - 1 / p
            fitted = float((x * y).sum() / (x * x).sum())
            at_top = (1 / s_top - 1 / p_top) / (1 - 1 / p_top)
        rows.append(
            {
                "case": case,
                "variant": variant,
                "max_workers": int(p_top),
                "speedup_at_max": s_top,
                "karp_flatt_at_max" if not weak else "gustafson_at_max": at_top,
                "fitted_serial_fraction": fitted,
                "runs": len(group),
            }
        )
    return pd.DataFrame(rows)


def medians(runs: pd.DataFrame) -> pd.DataFrame:
    """Median, min and max wall time and repeats per point."""
    ok = good_runs(runs)
    grouped = ok.groupby(["case", *POINT])["total_s"]
    table = grouped.agg(median_s="median", min_s="min", max_s="max", repeats="count").reset_index()
    return table


def fastest(runs: pd.DataFrame) -> pd.DataFrame:
    """Per case and worker count: the variant with the lowest median wall time, and the runner-up."""
    table = medians(runs)
    rows = []
    for (case, workers), group in table.groupby(["case", "workers"]):
        ranked = group.sort_values("median_s")
        best = ranked.iloc[0]
        row = {
            "case": case,
            "workers": int(workers),
            "fastest": best["variant"],
            "median_s": best["median_s"],
            "variants_compared": len(ranked),
        }
        if len(ranked) > 1:
            second = ranked.iloc[1]
            row["runner_up"] = second["variant"]
            row["runner_up_s"] = second["median_s"]
        rows.append(row)
    return pd.DataFrame(rows)


def overheads(timings: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """Median seconds per phase for each point, plus `other` (total minus the named phases)."""
    timings = with_case(of_good_runs(timings, runs))
    wide = timings.pivot_table(index=["run", "case", "variant", "workers"], columns="phase", values="seconds")
    wide = wide.reindex(columns=[*PHASES, "total"], fill_value=0.0).fillna(0.0)
    wide["other"] = (wide["total"] - wide[list(PHASES)].sum(axis=1)).clip(lower=0.0)
    return wide.groupby(["case", "variant", "workers"]).median().reset_index()


def imbalance(worker_busy: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """Per run, the busiest worker's time over the mean: 1 is perfect balance. A run lists only
    the workers that did work; its other workers (up to `workers`) join here at 0 s, since a worker
    left idle is imbalance too."""
    busy = with_case(with_idle_workers(of_good_runs(worker_busy, runs)))
    if busy.empty:
        return busy.assign(worker_index=[])
    busy["worker_index"] = busy.groupby("run").cumcount()
    stats = busy.groupby("run")["busy_s"].agg(["max", "mean"])
    busy = busy.merge((stats["max"] / stats["mean"].replace(0, np.nan)).rename("imbalance"), on="run")
    return busy


def with_idle_workers(busy: pd.DataFrame) -> pd.DataFrame:
    """`busy` plus a row of 0 s, named `idle-worker-K`, for each worker a run had but that did no
    work (a run's rows number at least its `workers` then)."""
    idle = []
    for _, rows in busy.groupby("run", sort=False):
        first = rows.iloc[0].to_dict()
        for k in range(int(first["workers"]) - len(rows)):
            idle.append({**first, "worker": f"idle-worker-{k}", "busy_s": 0.0})
    if not idle:
        return busy.copy()
    return pd.concat([busy, pd.DataFrame(idle, columns=busy.columns)], ignore_index=True)


def run_imbalance(worker_busy: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """Per good run: the busiest worker's busy seconds, the mean over all its workers (the idle
    ones at 0 s), and their ratio (1 is perfect balance). Columns: run, busy_max_s, busy_mean_s,
    imbalance."""
    busy = with_idle_workers(of_good_runs(worker_busy, runs))
    stats = busy.groupby("run")["busy_s"].agg(busy_max_s="max", busy_mean_s="mean").reset_index()
    stats["imbalance"] = stats["busy_max_s"] / stats["busy_mean_s"].replace(0, np.nan)
    return stats


def points(runs: pd.DataFrame, timings: pd.DataFrame, worker_busy: pd.DataFrame, weak: bool = False):
    """One row per point (case, kernel, variant, workers) of the good runs: wall time (median, min,
    max), speed-up and efficiency (median, min, max over repeats), the compute phase's speed-up,
    the nodes, median seconds per phase (with `other`) and the median load imbalance."""
    scaled = speedups(runs, weak)
    if scaled.empty:
        return scaled
    compute = speedups(runs, weak, seconds="compute_s")[["run", "speedup"]]
    scaled = scaled.merge(compute.rename(columns={"speedup": "compute_speedup"}), on="run", how="left")
    scaled = scaled.merge(run_imbalance(worker_busy, runs), on="run", how="left")
    if "nodes" not in scaled:  # tables from before runs across nodes
        scaled["nodes"] = 1
    key = ["case", *POINT]
    table = scaled.groupby(key, dropna=False).agg(
        median_s=("total_s", "median"),
        min_s=("total_s", "min"),
        max_s=("total_s", "max"),
        repeats=("total_s", "count"),
        baseline_s=("baseline_s", "first"),
        speedup=("speedup", "median"),
        speedup_min=("speedup", "min"),
        speedup_max=("speedup", "max"),
        efficiency=("efficiency", "median"),
        efficiency_min=("efficiency", "min"),
        efficiency_max=("efficiency", "max"),
        compute_speedup=("compute_speedup", "median"),
        imbalance=("imbalance", "median"),
        nodes=("nodes", "max"),
    )
    table = table.reset_index()
    table = table.merge(memory(runs), on=["case", *POINT], how="left")
    table = table.merge(intervals(runs, weak), on=["case", *POINT], how="left")
    table = table.merge(instability(runs), on=["case", *POINT], how="left")
    if of_good_runs(timings, runs).empty:  # no phase timings: nothing to break down
        return table
    phases = overheads(timings, runs)
    if not phases.empty:
        names = [*PHASES, "other"]
        table = table.merge(
            phases[["case", "variant", "workers", *names]], on=["case", "variant", "workers"], how="left"
        )
    return table


def memory(runs: pd.DataFrame) -> pd.DataFrame:
    """Per point: the median, smallest and largest peak memory of its runs (all their processes,
    PSS: parbench.memory), and the median per worker. Empty columns for runs measured before
    parbench recorded memory."""
    good = good_runs(runs)
    key = ["case", *POINT]
    if "memory_mib" not in good:
        good = good.assign(memory_mib=np.nan)
    good = good.assign(memory_mib=pd.to_numeric(good["memory_mib"], errors="coerce"))
    table = good.groupby(key, dropna=False).agg(
        memory_mib=("memory_mib", "median"),
        memory_min_mib=("memory_mib", "min"),
        memory_max_mib=("memory_mib", "max"),
    )
    table = table.reset_index()
    table["memory_per_worker_mib"] = table["memory_mib"] / table["workers"]
    return table


def baseline_samples(runs: pd.DataFrame, seconds: str = "total_s") -> dict[tuple, np.ndarray]:
    """Per case (and per case, kernel and variant for variants without a serial run), the times
    the speed-up divides: the serial runs', as `baselines` takes their median."""
    ok = good_runs(runs)
    serial = ok[(ok["variant"] == registry.BASELINE) & (ok["workers"] == 1)]
    samples = {tuple(key): group[seconds].to_numpy(float) for key, group in serial.groupby(CASE)}
    for key, group in ok[ok["workers"] == 1].groupby([*CASE, "kernel", "variant"]):
        samples.setdefault(tuple(key), group[seconds].to_numpy(float))
    return samples


def intervals(runs: pd.DataFrame, weak: bool = False) -> pd.DataFrame:
    """Per point, the intervals (parbench.stats: percentile bootstrap at stats.LEVEL) of its
    median wall time, of its speed-up (the ratio of the baseline's median to the point's) and of
    its efficiency; NaN, with `interval` saying why, when a point has too few repeats."""
    ok = good_runs(runs)
    samples = baseline_samples(runs)
    rows = []
    for key, group in ok.groupby(["case", *POINT]):
        point = dict(zip(["case", *POINT], key, strict=True))
        times = group["total_s"].to_numpy(float)
        time = stats.median_interval(times)
        case = tuple(point[c] for c in CASE)
        baseline = samples.get(case, samples.get((*case, point["kernel"], point["variant"])))
        row = {**point, "time_low": time.low, "time_high": time.high}
        ratio = stats.speedup_interval(baseline, times) if baseline is not None else None
        if ratio is not None:
            workers = float(point["workers"])
            # Weak scaling: the ratio is the efficiency T1 / Tp, and the scaled speed-up p times it.
            speedup, efficiency = (
                (ratio.scaled(workers), ratio) if weak else (ratio, ratio.scaled(1 / workers))
            )
            row.update(
                speedup_low=speedup.low,
                speedup_high=speedup.high,
                efficiency_low=efficiency.low,
                efficiency_high=efficiency.high,
            )
        limit = min(time, ratio, key=lambda i: i.repeats) if ratio is not None else time
        row["interval"] = (
            f"{stats.LEVEL:.0%} interval from {limit.repeats} repeats" if limit.known else limit.why
        )
        rows.append(row)
    columns = ["case", *POINT, "time_low", "time_high", "speedup_low", "speedup_high"]
    columns += ["efficiency_low", "efficiency_high", "interval"]
    return (
        pd.DataFrame(rows)
        .reindex(columns=columns)
        .astype({c: float for c in columns if c.endswith(("_low", "_high"))})
    )


def instability(runs: pd.DataFrame) -> pd.DataFrame:
    """Per point, whether its numbers are unstable and why: its repeats spread more than
    UNSTABLE_SPREAD of their median, or a run ended on a machine busier than its cores (load
    average above them: the run shared its cores)."""
    ok = good_runs(runs)
    rows = []
    for key, group in ok.groupby(["case", *POINT]):
        times = group["total_s"].to_numpy(float)
        reasons = []
        spread = (times.max() - times.min()) / np.median(times) if len(times) > 1 else 0.0
        if spread > UNSTABLE_SPREAD:
            reasons.append(f"its repeats spread {spread:.0%} of their median")
        if "load_average" in group and "cpus" in group:
            cpus = pd.to_numeric(group["cpus"], errors="coerce")
            busy = group["load_average"] > cpus
            if busy.any():
                worst = group.loc[busy, "load_average"].max()
                cores = int(cpus[busy].max())
                reasons.append(f"the machine was busier than its {cores} cores (load {worst:.1f})")
        rows.append({**dict(zip(["case", *POINT], key, strict=True)), "unstable": "; ".join(reasons)})
    return pd.DataFrame(rows, columns=["case", *POINT, "unstable"])
