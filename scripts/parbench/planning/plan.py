"""The plan of a study: which runs a validated config asks for, where their files live, and the
command-line options of each. The Snakefile and `parbench collect` share it, so a path or an
option is spelled in one place."""

from __future__ import annotations

import math
import shlex
from dataclasses import asdict, dataclass

from parbench import registry
from parbench.errors import UsageError

# File layout under the working directory (wildcard names match the Run fields). Written out in
# full, one line per file, so that the rules and the collection use the same spelling.
# {span} is empty for a run on one node and `-nN` for a run across N nodes: paths of one-node
# runs stay as they were, and the rules tell the two kinds apart by their path.
RUN = "{problem}/{size}/{kernel}/{variant}/w{workers}{span}-r{repeat}"
RESULT = "results/runs/{problem}/{size}/{kernel}/{variant}/w{workers}{span}-r{repeat}.h5"
RECORD = "results/runs/{problem}/{size}/{kernel}/{variant}/w{workers}{span}-r{repeat}.jsonl"
RUN_LOG = "logs/runs/{problem}/{size}/{kernel}/{variant}/w{workers}{span}-r{repeat}.log"
RUN_BENCHMARK = "results/benchmarks/runs/{problem}/{size}/{kernel}/{variant}/w{workers}{span}-r{repeat}.tsv"
# Verification is by case (every run of one problem, size and kernel), in parts of at most
# VERIFY_PART runs, one job each: Snakemake's work in preparing a job grows with its inputs times
# the jobs that make them, so one job of a case's thousands of runs cost it O(runs²). The case's
# status file joins its parts' and holds the status of each of the case's runs.
CASE = "{problem}/{size}/{kernel}"
CASE_STATUS = "results/verify/{problem}/{size}/{kernel}.json"
CASE_LOG = "logs/verify/{problem}/{size}/{kernel}.log"
VERIFY_PART = 100
PART_STATUS = "results/verify/{problem}/{size}/{kernel}/part{part}.json"
PART_LOG = "logs/verify/{problem}/{size}/{kernel}/part{part}.log"
# The study's outputs, each spelled here only (the rules, the final targets and the help texts
# take them from here).
TIMINGS = "results/timings.csv"
WORKER_BUSY = "results/worker_busy.csv"
RUNS = "results/runs.csv"
TIMINGS_LOG = "results/timings.jsonl"
COLLECTED = {"timings": TIMINGS, "worker_busy": WORKER_BUSY, "runs": RUNS, "log": TIMINGS_LOG}
REPORT_HTML = "results/report/index.html"
REPORT_ITEMS = "results/report/items"
VERIFICATION = "results/verification.txt"
REPRODUCTION_DIR = "results/reproduction"
REFERENCE_RESULT = "results/references/{problem}/{size}/{kernel}/x{scale}.h5"
REFERENCE_RECORD = "results/references/{problem}/{size}/{kernel}/x{scale}.jsonl"
REFERENCE_LOG = "logs/references/{problem}/{size}/{kernel}/x{scale}.log"
REFERENCE_BENCHMARK = "results/benchmarks/references/{problem}/{size}/{kernel}/x{scale}.tsv"
DATASET_DIR = "results/datasets/{problem}/{size}/x{scale}"
DATASET_LOG = "logs/datasets/{problem}/{size}/x{scale}.log"
DATASET_BENCHMARK = "results/benchmarks/datasets/{problem}/{size}/x{scale}.tsv"


@dataclass(frozen=True)
class Run:
    """One timed point of the study."""

    problem: str
    size: str
    kernel: str
    variant: str
    workers: int
    repeat: int
    scale: int = 1  # factor applied to the size's scale_with_workers parameters (weak scaling)
    nodes: int = 1  # the cluster nodes the run spans (config nodes, workers_per_node)

    @property
    def id(self) -> str:
        return self.path(RUN)

    @property
    def case(self) -> str:
        return self.path(CASE)

    def path(self, template: str) -> str:
        return template.format(**asdict(self), span=span(self.nodes))


def verification_parts(runs: list) -> list[list]:
    """A case's runs (in the order given) cut into its verification parts, numbered from 1."""
    return [runs[start : start + VERIFY_PART] for start in range(0, len(runs), VERIFY_PART)]


def span(nodes: int) -> str:
    """The {span} part of a run's paths: '' on one node, '-nN' across N nodes."""
    return f"-n{nodes}" if nodes > 1 else ""


class Study:
    """A validated config (parbench.planning.config.validate) and the registry, as a list of runs."""

    def __init__(self, config: dict, description: dict | None = None):
        self.config = config
        self.description = description or registry.describe()
        self.problems = {entry["name"]: entry for entry in config["problems"]}

    @property
    def weak(self) -> bool:
        return self.config["scaling"] == "weak"

    def scale(self, workers: int) -> int:
        return int(workers) if self.weak else 1

    def settings(self, problem: str, variant: str) -> dict:
        """Workers, repeats, kernels and sizes for one problem and variant, after the overrides
        (applied in order; later entries win)."""
        entry = self.problems[problem]
        chosen = {
            "workers": self.config["workers"],
            "repeats": self.config["repeats"],
            "kernels": entry["kernels"],
            "sizes": list(entry["sizes"]),
            "nodes": self.config.get("nodes", 1),
            "workers_per_node": self.config.get("workers_per_node"),
        }
        for override in self.config.get("overrides", []):
            if variant in override.get("variants", [variant]) and problem in override.get(
                "problems", [problem]
            ):
                chosen.update({k: v for k, v in override.items() if k in chosen})
                if "nodes" in override:  # a fixed node count replaces an earlier workers_per_node
                    chosen["workers_per_node"] = None
        if registry.VARIANTS[variant].baseline:
            chosen["workers"] = [1]  # the serial variant runs on one worker by definition
        return chosen

    def variants(self, problem: str) -> list[str]:
        """The variants a problem runs: its entry's own list, or the study's."""
        return self.problems[problem].get("variants", self.config["variants"])

    def nodes(self, problem: str, variant: str, workers: int) -> int:
        """The nodes a run spans: 1 for variants that cannot span nodes; otherwise
        ceil(workers / workers_per_node) when that is set (strong scaling over nodes), else
        `nodes`, but never more nodes than workers (each node runs at least one)."""
        if not registry.VARIANTS[variant].across_nodes:
            return 1
        s = self.settings(problem, variant)
        if s["workers_per_node"]:
            return math.ceil(workers / s["workers_per_node"])
        return min(s["nodes"], workers)

    def runs(self) -> list[Run]:
        runs = []
        for problem in self.problems:
            for variant in self.variants(problem):
                s = self.settings(problem, variant)
                for kernel in s["kernels"]:
                    if not self.supports(problem, variant, kernel):
                        continue
                    for size in s["sizes"]:
                        for workers in sorted(s["workers"]):
                            for repeat in range(1, s["repeats"] + 1):
                                runs.append(self.run(problem, size, kernel, variant, workers, repeat))
        return runs

    def cases(self) -> dict[str, list[Run]]:
        """The runs grouped by case (CASE: problem, size and kernel), in plan order: the unit of
        verification."""
        grouped: dict[str, list[Run]] = {}
        for run in self.runs():
            grouped.setdefault(run.case, []).append(run)
        return grouped

    def supports(self, problem: str, variant: str, kernel: str) -> bool:
        """Whether `variant` runs `kernel` on `problem` (a variant with its own engine, such as
        Spark's JVM, may run only some kernels); pairs it does not are left out of the study."""
        per_variant = self._spec(problem).get("variant_kernels") or {}
        return kernel in per_variant.get(variant, [kernel])

    def skipped(self) -> list[str]:
        """The variant and kernel pairs the config asks for that a variant does not run."""
        found = []
        for problem in self.problems:
            for variant in self.variants(problem):
                for kernel in self.settings(problem, variant)["kernels"]:
                    if not self.supports(problem, variant, kernel):
                        found.append(f"{problem}: {variant} with the {kernel} kernel")
        return found

    def run(self, problem: str, size: str, kernel: str, variant: str, workers: int, repeat: int) -> Run:
        nodes = self.nodes(problem, variant, workers)
        return Run(problem, size, kernel, variant, workers, repeat, self.scale(workers), nodes)

    def run_from(self, wildcards) -> Run:
        """The Run that Snakemake wildcards name, as the plan makes it (its nodes too)."""
        labels = {key: wildcards[key] for key in ("problem", "size", "kernel", "variant")}
        run = self.run(**labels, workers=int(wildcards["workers"]), repeat=int(wildcards["repeat"]))
        if span(run.nodes) != wildcards["span"]:
            asked = run.path(RUN.replace("{span}", wildcards["span"]))
            raise UsageError("config", f"{asked} is not a run of this study: it runs {run.id}")
        return run

    # --- parameters ---------------------------------------------------------------------------

    def _spec(self, problem: str) -> dict:
        return self.description["problems"][problem]

    def size_values(self, problem: str, size: str, scale: int) -> dict:
        """The size's parameters, the scaled ones multiplied by `scale`, typed as declared."""
        entry = self.problems[problem]
        spec = self._spec(problem)
        declared = {**spec.get("dataset_params", {}), **spec["params"]}
        values = {}
        for name, value in entry["sizes"][size].items():
            if declared[name]["type"] == "int":
                value = int(value)
                if self.weak and name in entry.get("scale_with_workers", []):
                    value *= scale
            values[name] = value
        return values

    def needs_dataset(self, problem: str) -> bool:
        return bool(self._spec(problem).get("dataset_params"))

    def dataset_dir(self, problem: str, size: str, scale: int) -> str:
        return DATASET_DIR.format(problem=problem, size=size, scale=scale)

    def dataset_options(self, problem: str, size: str, scale: int) -> str:
        names = self._spec(problem).get("dataset_params", {})
        values = self.size_values(problem, size, scale)
        return options({k: v for k, v in values.items() if k in names})

    def run_options(self, problem: str, size: str, scale: int) -> str:
        """Problem options of a run (and of its reference): the size's run parameters and, for
        problems with a generated dataset, `--dataset DIR`."""
        names = set(self._spec(problem)["params"]) - ({"dataset"} if self.needs_dataset(problem) else set())
        values = self.size_values(problem, size, scale)
        text = options({k: v for k, v in values.items() if k in names})
        text += self.plugin_options([problem])
        if self.needs_dataset(problem):
            text += " --dataset " + shlex.quote(self.dataset_dir(problem, size, scale))
        return text.strip()

    def plugin_options(self, problems=None) -> str:
        """` --plugin WHERE` for each plug-in among `problems` (default: the study's): every
        command that reads their results or runs them loads them the same way."""
        wheres = dict.fromkeys(
            self._spec(p)["plugin"] for p in (problems or self.problems) if "plugin" in self._spec(p)
        )
        return "".join(f" --plugin {shlex.quote(where)}" for where in wheres)

    def reference_kernel(self, problem: str, kernel: str) -> str:
        """The serial reference runs the same kernel, or the problem's default kernel when the
        serial variant has no such kernel (results must not depend on the kernel)."""
        if self.supports(problem, registry.BASELINE, kernel):
            return kernel
        return self._spec(problem)["default_kernel"]

    def reference(self, run: Run) -> str:
        kernel = self.reference_kernel(run.problem, run.kernel)
        return REFERENCE_RESULT.format(problem=run.problem, size=run.size, kernel=kernel, scale=run.scale)


def options(values: dict) -> str:
    return " ".join(f"--{name.replace('_', '-')} {shlex.quote(str(value))}" for name, value in values.items())
