"""Reads a reported-study file (YAML) and validates it against reported.schema.yaml (beside this module)
with the registry's names filled in, then checks what a schema cannot say (kernels a variant runs,
figures a judged point needs). A bad file is refused before any run, every error naming its key."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator

from parbench import registry, stats
from parbench.planning import config as study_config
from parbench.planning import schema as config_schema

# Shipped inside the package, so that an installed parbench (a deployed workflow) finds it too.
SCHEMA = Path(__file__).with_name("reported.schema.yaml")
# Stated defaults (docs/reproduce.md): a figure matches within -20 % / +20 % unless the file says
# otherwise; every point runs five times (the fewest that give an interval: parbench.stats).
DEFAULT_TOLERANCE = {"lower": -0.2, "upper": 0.2}
DEFAULT_REPEATS = stats.MIN_REPEATS
DEFAULT_TIMER = "total"


class ReportedStudyError(ValueError):
    """The file is invalid; the message names the file and lists every error, one per line."""


@dataclass(frozen=True)
class Point:
    workers: int
    nodes: int | None
    time: float | None
    speedup: float | None
    efficiency: float | None
    tolerance: dict
    claim: dict | None
    # Each repeat's seconds, where the file has them (an exported study): a rank test then says
    # whether this machine is faster, slower, the same or unknown at the point.
    times: tuple[float, ...] | None = None


@dataclass(frozen=True)
class Series:
    label: str
    problem: str
    parameters: dict
    kernel: str
    variant: str
    timer: str
    baseline_variant: str
    baseline_workers: int
    baseline_time: float | None
    judge: tuple[str, ...]
    points: tuple[Point, ...]

    def reported(self, point: Point, figure: str) -> float | None:
        """The reported value of `figure` at `point`: as given, or derived from reported times
        (speed-up = the baseline's time / the point's; efficiency = speed-up / workers)."""
        if figure == "time":
            return point.time
        speedup = point.speedup
        if speedup is None and point.time and self.baseline_time:
            speedup = self.baseline_time / point.time
        if figure == "speedup":
            return speedup
        if point.efficiency is not None:
            return point.efficiency
        return None if speedup is None else speedup / point.workers


@dataclass(frozen=True)
class ReportedStudy:
    name: str
    title: str
    source: dict
    machine: dict
    differences: str
    repeats: int
    series: tuple[Series, ...]
    path: str


def schema(description: dict | None = None) -> dict:
    """The static schema with the registry's names and, per problem, its parameters' types."""
    description = description or registry.describe()
    with open(SCHEMA, encoding="utf-8") as f:
        filled = yaml.safe_load(f)
    defs = filled["$defs"]
    defs["variant"]["enum"] = list(description["variants"])
    defs["problem_name"]["enum"] = list(description["problems"])
    kernels = {k: None for p in description["problems"].values() for k in config_schema.problem_kernels(p)}
    defs["kernel"]["enum"] = list(kernels)
    defs["series"]["allOf"] = [
        {
            "if": {"properties": {"problem": {"const": name}}, "required": ["problem"]},
            "then": {"properties": {"parameters": config_schema.size_schema(problem)}},
        }
        for name, problem in description["problems"].items()
    ]
    return filled


def semantic_errors(data: dict, description: dict) -> list[str]:
    messages = []
    for i, series in enumerate(data["series"]):
        where = f"series[{i}]"
        problem = description["problems"][series["problem"]]
        kernel = series.get("kernel", problem["default_kernel"])
        baseline = series.get("baseline", {})
        baseline_variant = baseline.get("variant", registry.BASELINE)
        for key, variant in (("variant", series["variant"]), ("baseline.variant", baseline_variant)):
            runs = problem["variant_kernels"].get(variant, problem["kernels"])
            if kernel not in runs:
                messages.append(
                    f"{where}.{key}: {variant} does not run the {kernel!r} kernel of {series['problem']}; "
                    f"its kernels: {', '.join(runs)}"
                )
        if baseline.get("variant") == registry.BASELINE and baseline.get("workers", 1) != 1:
            messages.append(f"{where}.baseline.workers: the serial variant runs on 1 worker")
        seen = set()
        for j, point in enumerate(series["points"]):
            at = f"{where}.points[{j}]"
            if point["workers"] in seen:
                messages.append(f"{at}.workers: {point['workers']} workers are listed twice in this series")
            seen.add(point["workers"])
            claim = point.get("claim")
            if claim:
                bounds = claim["bounds"]
                if "min" in bounds and "max" in bounds and bounds["min"] > bounds["max"]:
                    messages.append(f"{at}.claim.bounds: min {bounds['min']} is above max {bounds['max']}")
                continue
            for figure in series.get("judge", ["speedup"]):
                if reported_figure(series, point, figure) is None:
                    messages.append(
                        f"{at}: series judges {figure} but the point gives no {figure}"
                        + ("" if figure == "time" else " (nor a time with baseline.time to derive it from)")
                        + " and no claim"
                    )
    return messages


def reported_figure(series: dict, point: dict, figure: str) -> float | None:
    baseline_time = series.get("baseline", {}).get("time")
    return _series(series, {"kernel": ""}, baseline_time).reported(_point(point, DEFAULT_TOLERANCE), figure)


def _point(point: dict, tolerance: dict) -> Point:
    return Point(
        workers=point["workers"],
        nodes=point.get("nodes"),
        time=point.get("time"),
        speedup=point.get("speedup"),
        efficiency=point.get("efficiency"),
        tolerance=point.get("tolerance", tolerance),
        claim=point.get("claim"),
        times=tuple(point["times"]) if point.get("times") else None,
    )


def _series(series: dict, defaults: dict, baseline_time=None) -> Series:
    baseline = series.get("baseline", {})
    tolerance = series.get("tolerance", defaults.get("tolerance", DEFAULT_TOLERANCE))
    return Series(
        label=series["label"],
        problem=series["problem"],
        parameters=dict(series.get("parameters", {})),
        kernel=series.get("kernel") or defaults["kernel"],
        variant=series["variant"],
        timer=series.get("timer", defaults.get("timer", DEFAULT_TIMER)),
        baseline_variant=baseline.get("variant", registry.BASELINE),
        baseline_workers=baseline.get("workers", 1),
        baseline_time=baseline.get("time", baseline_time),
        judge=tuple(series.get("judge", ["speedup"])),
        points=tuple(_point(p, tolerance) for p in series["points"]),
    )


def validate(data, path="reported study", description: dict | None = None) -> ReportedStudy:
    """The study the file describes, or ReportedStudyError naming the file and every bad key."""
    description = description or registry.describe()
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise ReportedStudyError(f"{path}: not a reported study (expected a mapping of keys, got {kind})")
    messages = study_config.errors_of(Draft202012Validator(schema(description)), data)
    if not messages:
        messages = semantic_errors(data, description)
    if messages:
        raise ReportedStudyError(f"{path}: invalid reported study:\n  " + "\n  ".join(messages))
    data = copy.deepcopy(data)
    defaults = {
        "tolerance": data.get("tolerance", DEFAULT_TOLERANCE),
        "timer": data.get("timer", DEFAULT_TIMER),
    }
    series = []
    for entry in data["series"]:
        kernel = entry.get("kernel", description["problems"][entry["problem"]]["default_kernel"])
        series.append(_series(entry, {**defaults, "kernel": kernel}))
    return ReportedStudy(
        name=data["name"],
        title=data["title"],
        source=data["source"],
        machine=data["machine"],
        differences=data.get("differences", ""),
        repeats=data.get("repeats", DEFAULT_REPEATS),
        series=tuple(series),
        path=str(path),
    )


def load(path, description: dict | None = None) -> ReportedStudy:
    """Reads and validates a reported-study file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ReportedStudyError(f"{path}: cannot read the reported study ({error.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ReportedStudyError(f"{path}: not valid YAML ({error})") from None
    return validate(data, path, description)
