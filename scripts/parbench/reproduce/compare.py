"""The comparison of a reported study with measured runs: ratios, not seconds. Each reported
figure (speed-up or efficiency against the series' own baseline; a time only where the file asks)
is set beside the measured runs' median and its confidence interval (parbench.stats), and judged
against its tolerance band three ways: reproduced when the whole interval lies inside the band, not
reproduced when it lies outside, undecided when it straddles an edge or there were too few repeats
for an interval (with the repeats that would decide it). Points this machine cannot run are marked
"not comparable here (needs N cores)", never dropped and never run oversubscribed. One headline
verdict sums it up, counting all three, with the machines' differences beside it."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from parbench import registry, stats
from parbench.reproduce import plan
from parbench.reproduce.reported import ReportedStudy, Series

REPRODUCED, NOT_REPRODUCED, UNDECIDED = stats.REPRODUCED, stats.NOT_REPRODUCED, stats.UNDECIDED
NOT_MEASURED = "not measured"
# Which phases stand for the source's timer (parbench/reproduce/reported.schema.yaml, timer).
TIMERS = {"total": ("total",), "work": ("distribute", "compute", "communicate"), "compute": ("compute",)}
COLUMNS = [
    "study",
    "series",
    "variant",
    "workers",
    "figure",
    "reported",
    "measured",
    "measured_low",
    "measured_high",
    "ratio",
    "lower",
    "upper",
    "tolerance",
    "verdict",
    "reported_time_s",
    "measured_time_s",
    "runs",
    "repeats_needed",
    "change",
    "change_detail",
    "says",
]


def of_series(timings: pd.DataFrame, series: Series) -> pd.DataFrame:
    """The timing rows of runs of the series' problem and kernel with the parameters it gives
    (runs are matched by their parameters, not by size names, so any study's tables will do)."""
    rows = timings[(timings["problem"] == series.problem) & (timings["kernel"] == series.kernel)]
    for name, value in series.parameters.items():
        column = f"param.{name}"
        if column not in rows:
            return rows.iloc[0:0]
        if isinstance(value, int | float) and not isinstance(value, bool):
            numbers = pd.to_numeric(rows[column], errors="coerce")
            rows = rows[(numbers - value).abs() <= 1e-9 * max(abs(value), 1.0)]
        else:
            rows = rows[rows[column].astype(str) == str(value)]
    return rows


def measured_times(timings: pd.DataFrame, runs: pd.DataFrame, series: Series) -> dict[tuple, np.ndarray]:
    """Per (variant, workers) of the series' runs that were verified: the seconds of each run by
    the series' timer."""
    good = runs.loc[runs["status"] == "ok", "run"]
    rows = of_series(timings, series)
    rows = rows[rows["run"].isin(good) & rows["phase"].isin(TIMERS[series.timer])]
    per_run = rows.groupby(["variant", "workers", "run"])["seconds"].sum()
    return {(v, int(w)): group.to_numpy(float) for (v, w), group in per_run.groupby(["variant", "workers"])}


def tolerance_band(reported: float, tolerance: dict) -> tuple[float, float]:
    return reported * (1 + tolerance["lower"]), reported * (1 + tolerance["upper"])


def claim_band(bounds: dict) -> tuple[float, float]:
    return bounds.get("min", -math.inf), bounds.get("max", math.inf)


def judge(measured: stats.Interval, band: tuple[float, float]) -> stats.BandVerdict:
    """The measured interval against the band: reproduced, not reproduced or undecided."""
    return stats.against_band(measured, *band)


def claim_text(bounds: dict) -> str:
    if "min" in bounds and "max" in bounds:
        return f"between {bounds['min']:g} and {bounds['max']:g}"
    return f">= {bounds['min']:g}" if "min" in bounds else f"<= {bounds['max']:g}"


def tolerance_text(tolerance: dict) -> str:
    return f"{100 * tolerance['lower']:+.0f} % / {100 * tolerance['upper']:+.0f} %"


def compare(
    reported: ReportedStudy, place: plan.Place, timings: pd.DataFrame, runs: pd.DataFrame
) -> pd.DataFrame:
    """One row per series, point and judged figure (or claim), in the file's order."""
    rows = []
    for series in reported.series:
        times = measured_times(timings, runs, series)
        baseline = lookup(times, series.baseline_variant, series.baseline_workers)
        for point in series.points:
            rows += point_rows(reported, place, series, point, times, baseline)
    return pd.DataFrame(rows, columns=COLUMNS)


def lookup(times: dict, variant: str, workers: int) -> np.ndarray | None:
    return times.get((variant, 1 if variant == registry.BASELINE else workers))


def point_rows(reported, place, series: Series, point, times, baseline) -> list[dict]:
    common = {
        "study": reported.name,
        "series": series.label,
        "variant": series.variant,
        "workers": point.workers,
        "reported_time_s": point.time,
        "measured_time_s": None,
        "runs": 0,
        "says": "",
    }
    why_not = place.needs(point.workers, point.nodes)
    here = None if why_not else lookup(times, series.variant, point.workers)
    if here is not None:
        common.update(measured_time_s=float(np.median(here)), runs=len(here))
    common.update(change_of(point.times, here))
    if point.claim:
        figures = [(point.claim["figure"], None, point.claim)]
    else:
        figures = [(figure, series.reported(point, figure), None) for figure in series.judge]
    rows = []
    for figure, value, claim in figures:
        measured = measured_figure(figure, point.workers, here, baseline)
        row = {
            **common,
            "figure": figure,
            "reported": value,
            "measured": None if measured is None else measured.estimate,
            "measured_low": None if measured is None else measured.low,
            "measured_high": None if measured is None else measured.high,
            "repeats_needed": None,
        }
        if claim:
            row.update(says=claim["says"], tolerance=claim_text(claim["bounds"]), lower=None, upper=None)
        else:
            row.update(tolerance=tolerance_text(point.tolerance), **point.tolerance)
        row["ratio"] = measured.estimate / value if (measured is not None and value) else None
        if why_not:
            row["verdict"] = why_not
        elif measured is None:
            row["verdict"] = NOT_MEASURED
        else:
            band = claim_band(claim["bounds"]) if claim else tolerance_band(value, point.tolerance)
            judged = judge(measured, band)
            row.update(verdict=judged.verdict, repeats_needed=judged.repeats_needed)
        rows.append(row)
    return rows


def change_of(reported_times, here) -> dict:
    """Where the file has the other study's repeats: this point's time against them, faster,
    slower, same or unknown (parbench.stats.change: a rank test and a minimum effect)."""
    if not reported_times or here is None or len(here) == 0:
        return {"change": "", "change_detail": ""}
    found = stats.change(reported_times, here)
    return {"change": found.verdict, "change_detail": found.reason}


def measured_figure(figure: str, workers: int, here, baseline) -> stats.Interval | None:
    """The measured figure with its interval: a time's median, or the speed-up (efficiency) as
    the ratio of the baseline's median to the point's (per worker)."""
    if here is None:
        return None
    if figure == "time":
        return stats.median_interval(here)
    if baseline is None:
        return None
    speedup = stats.speedup_interval(baseline, here)
    return speedup if figure == "speedup" else speedup.scaled(1 / workers)


def point_verdict(verdicts: list[str]) -> str:
    """A point with several judged figures: not reproduced if any is (a figure not measured
    counts against), else undecided if any is, else reproduced."""
    if any(v in (NOT_REPRODUCED, NOT_MEASURED) for v in verdicts):
        return NOT_REPRODUCED
    return UNDECIDED if UNDECIDED in verdicts else REPRODUCED


def headline(table: pd.DataFrame) -> dict:
    """The study's verdict over its comparable points, counting all three: reproduced (all of
    them), not reproduced (none), undecided (none decided), or partly (k of n points reproduced,
    m not, u undecided); not comparable when no point could run here."""
    points = table.groupby(["series", "workers"], sort=False)["verdict"].agg(list)
    comparable = [point_verdict(v) for v in points if not any(x.startswith("not comparable") for x in v)]
    n = len(comparable)
    k, m, u = (comparable.count(v) for v in (REPRODUCED, NOT_REPRODUCED, UNDECIDED))
    if n == 0:
        verdict = "not comparable"
    elif k == n:
        verdict = REPRODUCED
    elif m == n:
        verdict = NOT_REPRODUCED
    elif u == n:
        verdict = UNDECIDED
    else:
        verdict = f"partly ({k} of {n} points reproduced, {m} not, {u} undecided)"
    return {
        "verdict": verdict,
        "changes": change_counts(table),
        "reproduced": k,
        "not_reproduced": m,
        "undecided": u,
        "judged": n,
        "not_comparable": len(points) - n,
        "points": len(points),
    }


def change_counts(table: pd.DataFrame) -> dict[str, int]:
    """Points per change against the file's own repeats (empty when it has none)."""
    if "change" not in table:
        return {}
    per_point = table.groupby(["series", "workers"], sort=False)["change"].first().fillna("")
    if not (per_point != "").any():
        return {}
    return {v: int((per_point == v).sum()) for v in (stats.FASTER, stats.SLOWER, stats.SAME, stats.UNKNOWN)}


def machine_differences(reported: dict, here: dict) -> list[dict]:
    """What the reported machine and this one have, side by side: cores, nodes, CPU, versions.
    `here` as `this_machine` gives it."""
    rows = [
        ("cores per node", reported.get("cores_per_node"), here.get("cores_per_node")),
        ("nodes", reported.get("nodes"), here.get("nodes")),
        ("CPU", reported.get("cpu"), here.get("cpu")),
    ]
    software = {**dict.fromkeys(reported.get("software", {})), **dict.fromkeys(here.get("software", {}))}
    for name in software:
        rows.append((name, reported.get("software", {}).get(name), here.get("software", {}).get(name)))
    if here.get("highest_load") is not None:
        rows.append(("highest load average during a run", None, f"{here['highest_load']:.1f}"))
    return [
        {
            "what": what,
            "reported": "not reported" if a is None else str(a),
            "here": "unknown" if b is None else str(b),
        }
        for what, a, b in rows
    ]


def warnings(here: dict) -> list[str]:
    """What a reader must know before trusting the verdict: runs that shared their cores."""
    load, cores = here.get("highest_load"), here.get("cores_per_node")
    if load is not None and cores and load > cores:
        return [
            f"This machine was busy while the runs ran (load average up to {load:.1f} on {cores} "
            "cores): the runs shared their cores with other processes, so the measured times, and "
            "the verdict, may say more about that load than about the study. Re-run it on a quiet "
            "machine, or with whole nodes (--profile slurm)."
        ]
    return []


def this_machine(log: list[dict], place: plan.Place) -> dict:
    """This machine as the measured runs recorded it (their provenance), and where they ran."""
    software, cpu, cores, loads = {}, None, place.cores, []
    for record in log:
        versions = record.get("versions", {})
        software.setdefault("python", versions.get("python"))
        software.setdefault("numpy", versions.get("numpy"))
        for key in ("mpi_vendor", "mpi4py", "dask", "distributed", "pyspark", "spark"):
            if record.get("framework", {}).get(key):
                software.setdefault(key.replace("_vendor", ""), record["framework"][key])
        cpu = cpu or record.get("machine", {}).get("cpu_model")
        if isinstance(record.get("load_average"), int | float):
            loads.append(float(record["load_average"]))
        cpus = record.get("machine", {}).get("cpus")
        if cpus and str(cpus).isdigit():
            cores = int(cpus)
    return {
        "cores_per_node": cores,
        "nodes": place.nodes,
        "cpu": cpu,
        "software": {k: v for k, v in software.items() if v},
        "highest_load": max(loads) if loads else None,
    }
