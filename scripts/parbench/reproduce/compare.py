"""The comparison of a reported study with measured runs: ratios, not seconds. Each reported
figure (speed-up or efficiency against the series' own baseline; a time only where the file asks)
is set beside the median of the measured runs and judged within its tolerance; points this machine
cannot run are marked "not comparable here (needs N cores)", never dropped and never run
oversubscribed. One headline verdict sums it up, with the machines' differences beside it."""

from __future__ import annotations

import pandas as pd

from parbench import registry
from parbench.reproduce import plan
from parbench.reproduce.reported import ReportedStudy, Series

REPRODUCED, NOT_REPRODUCED, NOT_MEASURED = "reproduced", "not reproduced", "not measured"
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
    "ratio",
    "lower",
    "upper",
    "tolerance",
    "verdict",
    "reported_time_s",
    "measured_time_s",
    "runs",
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


def measured_times(timings: pd.DataFrame, runs: pd.DataFrame, series: Series) -> pd.DataFrame:
    """Per (variant, workers) of the series' runs that were verified: the median seconds by the
    series' timer, and how many runs it is the median of."""
    good = runs.loc[runs["status"] == "ok", "run"]
    rows = of_series(timings, series)
    rows = rows[rows["run"].isin(good) & rows["phase"].isin(TIMERS[series.timer])]
    per_run = rows.groupby(["variant", "workers", "run"])["seconds"].sum()
    return per_run.groupby(["variant", "workers"]).agg(["median", "count"])


def judge(reported: float, measured: float, tolerance: dict) -> str:
    low, high = reported * (1 + tolerance["lower"]), reported * (1 + tolerance["upper"])
    return REPRODUCED if low <= measured <= high else NOT_REPRODUCED


def judge_claim(bounds: dict, measured: float) -> str:
    inside = bounds.get("min", float("-inf")) <= measured <= bounds.get("max", float("inf"))
    return REPRODUCED if inside else NOT_REPRODUCED


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


def lookup(times: pd.DataFrame, variant: str, workers: int) -> tuple[float, int] | None:
    try:
        found = times.loc[(variant, 1 if variant == registry.BASELINE else workers)]
    except KeyError:
        return None
    return float(found["median"]), int(found["count"])


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
    if here:
        common.update(measured_time_s=here[0], runs=here[1])
    if point.claim:
        figures = [(point.claim["figure"], None, point.claim)]
    else:
        figures = [(figure, series.reported(point, figure), None) for figure in series.judge]
    rows = []
    for figure, value, claim in figures:
        measured = measured_figure(figure, point.workers, here, baseline)
        row = {**common, "figure": figure, "reported": value, "measured": measured}
        if claim:
            row.update(says=claim["says"], tolerance=claim_text(claim["bounds"]), lower=None, upper=None)
        else:
            row.update(tolerance=tolerance_text(point.tolerance), **point.tolerance)
        row["ratio"] = measured / value if (measured is not None and value) else None
        if why_not:
            row["verdict"] = why_not
        elif measured is None:
            row["verdict"] = NOT_MEASURED
        elif claim:
            row["verdict"] = judge_claim(claim["bounds"], measured)
        else:
            row["verdict"] = judge(value, measured, point.tolerance)
        rows.append(row)
    return rows


def measured_figure(figure: str, workers: int, here, baseline) -> float | None:
    if here is None:
        return None
    if figure == "time":
        return here[0]
    if baseline is None:
        return None
    speedup = baseline[0] / here[0]
    return speedup if figure == "speedup" else speedup / workers


def headline(table: pd.DataFrame) -> dict:
    """The study's verdict over its points (a point with several judged figures is reproduced
    when all of them are): reproduced, partly (k of n points), not reproduced, or not comparable."""
    points = table.groupby(["series", "workers"], sort=False)["verdict"].agg(list)
    comparable = [v for v in points if not any(x.startswith("not comparable") for x in v)]
    reproduced = sum(all(x == REPRODUCED for x in v) for v in comparable)
    n, k = len(comparable), reproduced
    if n == 0:
        verdict = "not comparable"
    elif k == n:
        verdict = "reproduced"
    elif k == 0:
        verdict = "not reproduced"
    else:
        verdict = f"partly ({k} of {n} points)"
    return {
        "verdict": verdict,
        "reproduced": k,
        "judged": n,
        "not_comparable": len(points) - n,
        "points": len(points),
    }


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
