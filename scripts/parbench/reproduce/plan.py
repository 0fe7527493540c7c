"""The study that re-runs a reported study: exactly its points (and the baselines their speed-ups
are relative to), as a study config the workflow validates like any other, and the points this
machine cannot run (more workers than cores, more nodes than it has), which are never run."""

from __future__ import annotations

from dataclasses import dataclass

from parbench import registry
from parbench.planning import plan
from parbench.reproduce.reported import ReportedStudy, Series

# Keys of the workflow's config that a reproduction keeps from the command line or config file;
# everything that says what to run comes from the reported study.
KEPT = ("mpi_launcher", "max_timed_jobs", "allow_missing", "plugins")


@dataclass(frozen=True)
class Place:
    """Where a reproduction runs: the cores (one a worker) and nodes it may use."""

    cores: int
    nodes: int = 1

    def needs(self, workers: int, nodes: int | None = None) -> str | None:
        """Why a point of `workers` (on `nodes`) cannot be compared here, or None."""
        if workers > self.cores:
            return f"not comparable here (needs {workers} cores, this machine has {self.cores})"
        if nodes and nodes > self.nodes:
            return f"not comparable here (needs {nodes} nodes, this machine has {self.nodes})"
        return None


def size_name(reported: ReportedStudy, series: Series) -> str:
    """One size per distinct parameter set, named after the study (run paths stay apart from
    other studies' sizes of the same name)."""
    sets = []
    for s in reported.series:
        if (s.problem, s.parameters) not in sets:
            sets.append((s.problem, s.parameters))
    return f"{reported.name}-{sets.index((series.problem, series.parameters)) + 1}"


def baseline_key(reported: ReportedStudy, series: Series) -> tuple:
    size = size_name(reported, series)
    return (series.problem, size, series.kernel, series.baseline_variant, series.baseline_workers)


def point_key(reported: ReportedStudy, series: Series, workers: int) -> tuple:
    return (series.problem, size_name(reported, series), series.kernel, series.variant, workers)


def wanted(reported: ReportedStudy, place: Place) -> list[tuple]:
    """The points to run, in the file's order, once each: every series' baseline (when this
    machine can run it) and its comparable points."""
    keys = []
    for series in reported.series:
        if place.needs(series.baseline_workers) is None:
            keys.append(baseline_key(reported, series))
        for point in series.points:
            if place.needs(point.workers, point.nodes) is None:
                keys.append(point_key(reported, series, point.workers))
    return list(dict.fromkeys(keys))


def study_config(reported: ReportedStudy, place: Place, config: dict) -> dict:
    """The workflow config that runs `wanted` (plus the KEPT keys of `config`)."""
    keys = wanted(reported, place) or [baseline_key(reported, reported.series[0])]
    problems = {}
    for series in reported.series:
        entry = problems.setdefault(series.problem, {"name": series.problem, "kernels": [], "sizes": {}})
        if series.kernel not in entry["kernels"]:
            entry["kernels"].append(series.kernel)
        entry["sizes"][size_name(reported, series)] = dict(series.parameters)
    for name, entry in problems.items():
        # Each problem its own variants: asyncio may be wanted for fetch, never for the others.
        entry["variants"] = list(dict.fromkeys(k[3] for k in keys if k[0] == name)) or [registry.BASELINE]
    return {
        **{k: config[k] for k in KEPT if k in config},
        "scaling": "strong",
        "variants": list(dict.fromkeys(k[3] for k in keys)),
        "workers": sorted({k[4] for k in keys}),
        "repeats": reported.repeats,
        "problems": list(problems.values()),
        "overrides": [],
    }


class ReproductionStudy(plan.Study):
    """A validated study config whose runs are exactly the reported study's points."""

    def __init__(self, config: dict, reported: ReportedStudy, place: Place, description: dict | None = None):
        super().__init__(config, description)
        self.reported = reported
        self.place = place

    def runs(self) -> list[plan.Run]:
        runs = []
        for problem, size, kernel, variant, workers in wanted(self.reported, self.place):
            if registry.VARIANTS[variant].baseline:
                workers = 1
            for repeat in range(1, self.config["repeats"] + 1):
                runs.append(self.run(problem, size, kernel, variant, workers, repeat))
        return list(dict.fromkeys(runs))

    def skipped(self) -> list[str]:
        return []


def from_workflow_config(config: dict, local_cores: int | None):
    """For `snakemake --config reproduce=FILE`: the reported study, where it runs and the study
    config that re-runs it. The cores are `reproduce_cores` if given, else this machine's (at most
    `local_cores`, the --cores of a local run). A cluster run (`--profile slurm`) says what its
    allocation offers with reproduce_cores: without it, points beyond this machine's cores are
    marked not comparable (never queued for nodes that may not exist)."""
    import os

    from parbench.reproduce import reported as reported_file

    for key in ("reproduce_cores", "reproduce_nodes"):
        if key in config and (not isinstance(config[key], int) or config[key] < 1):
            raise reported_file.ReportedStudyError(f"{key}: must be an integer >= 1, got {config[key]!r}")
    study = reported_file.load(config["reproduce"])
    cores = config.get("reproduce_cores")
    if cores is None:
        cores = min(local_cores or os.cpu_count(), os.cpu_count())
    place = Place(int(cores), int(config.get("reproduce_nodes", 1)))
    return study, place, study_config(study, place, config)
