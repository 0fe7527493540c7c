"""The one list of the report's figures and tables, each with its title, caption and group. It
feeds the HTML report (parbench.report.page), the files the report rule writes
(results/report/items/PROBLEM/STEM.svg or .csv) and the categories, subcategories, labels and
captions of `snakemake --report` (workflow/rules/report.smk). Adding a figure is one entry here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from parbench import registry, stats
from parbench.report import analysis, crossover, figures, verdict

STUDY = "study"  # the items directory of study-wide tables (every point, runs left out, provenance)


@dataclass
class Analysed:
    """Everything the report shows, computed once from the collected tables."""

    tables: dict
    weak: bool
    points: pd.DataFrame = field(init=False)
    fits: pd.DataFrame = field(init=False)
    fastest: pd.DataFrame = field(init=False)
    losses: pd.DataFrame = field(init=False)
    crossover: pd.DataFrame = field(init=False)

    def __post_init__(self):
        runs, timings, busy = self.tables["runs"], self.tables["timings"], self.tables["worker_busy"]
        self.points = analysis.points(runs, timings, busy, self.weak)
        self.fits = analysis.serial_fractions(analysis.speedups(runs, self.weak), self.weak)
        self.fastest = verdict.fastest(self.points) if not self.points.empty else pd.DataFrame()
        self.losses = verdict.losses(self.points) if not self.points.empty else pd.DataFrame()
        kernels = {name: problem.default_kernel for name, problem in registry.PROBLEMS.items()}
        self.crossover = crossover.crossovers(timings, runs, kernels)

    def problems(self) -> list[str]:
        """Problems with verified runs, in the registry's order (others after them)."""
        measured = set(self.points["problem"]) if not self.points.empty else set()
        order = [p for p in registry.PROBLEMS if p in measured]
        return order + sorted(measured - set(order))

    def of(self, frame: pd.DataFrame, problem: str) -> pd.DataFrame:
        if frame.empty or "problem" not in frame and "case" not in frame:
            return frame
        if "problem" in frame:
            return frame[frame["problem"] == problem]
        return frame[frame["case"].str.split(" ").str[0] == problem]


@dataclass(frozen=True)
class Item:
    stem: str  # file name: results/report/items/PROBLEM/STEM.svg (figure) or .csv (table)
    title: str
    caption: str
    group: str  # the subcategory in `snakemake --report`
    build: Callable[[Analysed, str], object]  # (analysed, problem) -> chart, table or None
    kind: str = "figure"

    @property
    def suffix(self) -> str:
        return ".svg" if self.kind == "figure" else ".csv"


def problem_points(a: Analysed, problem: str) -> pd.DataFrame:
    return a.of(a.points, problem)


def fits_of(a: Analysed, problem: str) -> pd.DataFrame:
    return a.of(a.fits, problem)


def fastest_table(a: Analysed, problem: str) -> pd.DataFrame:
    return a.of(a.fastest, problem).drop(columns=["problem"], errors="ignore")


def losses_table(a: Analysed, problem: str) -> pd.DataFrame:
    return a.of(a.losses, problem).drop(columns=["problem"], errors="ignore")


def crossover_table(a: Analysed, problem: str):
    table = a.of(a.crossover, problem)
    return None if table.empty else table


ERROR_BARS = (
    f" Error bars: the {stats.LEVEL:.0%} confidence interval of each point's median (speed-up and "
    "efficiency: of the ratio to the serial median), a percentile bootstrap of its repeats "
    f"(docs/statistics.md); a point with fewer than {stats.MIN_REPEATS} repeats has none, and its "
    "tooltip says so. A red ring marks an unstable point: repeats spread over more than "
    f"{analysis.UNSTABLE_SPREAD:.0%} of their median, or a machine busier than its cores."
)


PER_PROBLEM = [
    Item(
        "speedup",
        "Speed-up",
        "Median speed-up of each variant against the median serial run of the same problem, size "
        "and kernel (a variant's own one-worker run where there is no serial run), on log-2 axes; "
        "the band is the range over repeats, the black dashed line ideal scaling, and each "
        "variant's dotted line the Amdahl curve S = 1 / (f + (1 - f) / p) with its fitted serial "
        "fraction f (for weak scaling the scaled speed-up p T1 / Tp and Gustafson's S = p - f (p - 1))."
        + ERROR_BARS,
        "Scaling",
        lambda a, p: figures.speedup(problem_points(a, p), fits_of(a, p), a.weak),
    ),
    Item(
        "efficiency",
        "Parallel efficiency",
        "Speed-up divided by the workers (for weak scaling T1 / Tp), median and range over repeats; "
        "the dashed line at 1 is ideal scaling." + ERROR_BARS,
        "Scaling",
        lambda a, p: figures.efficiency(problem_points(a, p), a.weak),
    ),
    Item(
        "wall_time",
        "Wall time",
        "Each run's own total phase against the workers (log axes): median and range over repeats. "
        "Dashed: ideal, the serial time divided by the workers (strong scaling) or the serial time "
        "itself (weak scaling, where each worker keeps the same share of a growing problem)." + ERROR_BARS,
        "Scaling",
        lambda a, p: figures.wall_time(problem_points(a, p), a.weak),
    ),
    Item(
        "phases",
        "Where the time goes",
        "Median seconds of each phase per variant at the worker count chosen in the menu under the "
        "figure: "
        "start-up (pools, clusters, JVMs), distribution of the work, compute, communication "
        "(gathering results, exchanges), writing the result, teardown, and other (wall time "
        "outside the named phases). Hover for each phase's share of the wall time.",
        "Overheads",
        lambda a, p: figures.phases(problem_points(a, p)),
    ),
    Item(
        "imbalance",
        "Load imbalance",
        "The busiest worker's compute seconds over the mean of all workers (median over repeats); "
        "1 is perfect balance. Static splits of uneven work rise above it; work handed out on "
        "demand stays near it.",
        "Overheads",
        lambda a, p: figures.imbalance(problem_points(a, p)),
    ),
    Item(
        "memory",
        "Peak memory",
        "The peak memory of each run, all its processes together (the driver or parent, pool "
        "workers, MPI ranks summed, a Dask cluster's scheduler and workers, Spark's JVMs and their "
        "Python workers), against the workers: median and range over repeats. Measured as PSS "
        "(proportional set size): a page shared between processes, such as a library or a forked "
        "worker's untouched copy of its parent, counts once, split among them (docs/formats.md).",
        "Memory",
        lambda a, p: figures.memory(problem_points(a, p)),
    ),
    Item(
        "memory_per_worker",
        "Memory per worker",
        "The median peak memory of each run divided by its workers: falling with the workers where "
        "a fixed cost (an interpreter, a JVM, the data) is shared among them, flat where each "
        "worker brings its own copy.",
        "Memory",
        lambda a, p: figures.memory(problem_points(a, p), per_worker=True),
    ),
    Item(
        "serial_fraction",
        "Serial fraction per worker count",
        "The serial fraction each measured speed-up implies: Karp-Flatt's e = (1/S - 1/p) / "
        "(1 - 1/p) (Gustafson's (p - S) / (p - 1) for weak scaling). Flat: a fixed serial part, "
        "as Amdahl's law assumes; rising with the workers: overheads that grow with them (start-up, "
        "communication).",
        "Scaling",
        lambda a, p: figures.serial_fraction(problem_points(a, p), a.weak),
    ),
    Item(
        "gil",
        "Threads and the GIL",
        "Thread variants with the pure-Python kernel, which holds the global interpreter lock, "
        "against the numba kernel, which releases it: compute-phase speed-up against the serial "
        "run with the same kernel (start-up, such as numba loading its compiled code, left out). "
        "Only a kernel that releases the GIL can scale with threads. Where threads ran only Python "
        "code (a plug-in's), the other variants running the same code stand in for the kernel "
        "that releases it.",
        "Threads and the GIL",
        lambda a, p: figures.gil(problem_points(a, p)),
    ),
    Item(
        "fastest",
        "Fastest variant per worker count",
        "Per case and worker count: the variant with the lowest median wall time, its speed-up and "
        "efficiency, and the runner-up.",
        "Summary",
        fastest_table,
        "table",
    ),
    Item(
        "losses",
        "Why the others lose",
        "Per case and worker count, every variant that is not the fastest: seconds behind the "
        "fastest (behind_s) and the reason that costs it the most seconds against the fastest "
        "(reason_s): start-up (startup and teardown phases), distribution, communication, load "
        "imbalance (compute x (1 - mean / busiest worker)), the GIL (the rest of the compute phase, "
        "for thread variants with a kernel holding it; slower compute for the others), other.",
        "Summary",
        losses_table,
        "table",
    ),
    Item(
        "serial_fraction_fit",
        "Fitted serial fractions",
        "Per case and variant: the speed-up at the largest worker count, the Karp-Flatt metric "
        "there (Gustafson's fraction for weak scaling) and the serial fraction fitted by least "
        "squares over every run with more than one worker (the dotted curves of the speed-up figure).",
        "Scaling",
        lambda a, p: fits_of(a, p),
        "table",
    ),
    Item(
        "crossover",
        "When the start-up pays back",
        "For problems sized in rows (the group-by): each variant's wall time at its largest worker "
        "count modelled as fixed_s seconds plus ns_per_row nanoseconds per row (the slope of its "
        "compute phases; each size's fastest of `runs` runs), beside serial's line (Spark is "
        "compared with serial running the problem's default kernel), and the data size above "
        "which the variant, start-up included, beats serial (beats_serial). crossover_rows is inf "
        "where the variant never wins, 0 where it wins at any size, and empty where a compute phase "
        "did not grow with the rows (unknown). A study with two small sizes and one run only "
        "demonstrates the method: benchmarks/groupby.py measures it with larger sizes and repeats.",
        "Overheads",
        crossover_table,
        "table",
    ),
]


def every_point(a: Analysed, _problem: str) -> pd.DataFrame:
    columns = ["case", "kernel", "variant", "workers", "nodes", "median_s", "min_s", "max_s", "repeats"]
    columns += ["speedup", "efficiency", "imbalance", "memory_mib"]
    return a.points[[c for c in columns if c in a.points]] if not a.points.empty else a.points


def runs_left_out(a: Analysed, _problem: str) -> pd.DataFrame:
    runs = a.tables["runs"]
    bad = runs[runs["status"] != "ok"]
    return bad[[c for c in ("run", "status", "message", "log") if c in bad]].fillna("")


STUDY_WIDE = [
    Item(
        "points",
        "Every point",
        "Per point (case, variant, workers): median, fastest and slowest wall time over repeats, "
        "the repeats, median speed-up, efficiency, load imbalance and peak memory (MiB, PSS).",
        "Every point",
        every_point,
        "table",
    ),
    Item(
        "problems",
        "Runs not in the figures",
        "Runs that failed verification (mismatch: the result differs from the serial reference, "
        "the message names the first difference) or did not finish (missing: see its log). Empty "
        "when every run finished and matched.",
        "Verification",
        runs_left_out,
        "table",
    ),
]
ITEMS = {item.stem: item for item in [*PER_PROBLEM, *STUDY_WIDE]}


def problem_title(problem: str) -> str:
    """`mandelbrot (embarrassingly parallel)`: the problem named by its class."""
    known = registry.PROBLEMS.get(problem)
    problem_class = getattr(known, "problem_class", "") if known else ""
    return f"{problem} ({problem_class})" if problem_class else problem


# What `snakemake --report` shows for results/report/items/{problem}/{item}.{ext}: see report.smk.
def category(wildcards) -> str:
    return "Study" if wildcards.problem == STUDY else problem_title(wildcards.problem)


def subcategory(wildcards) -> str:
    return ITEMS[wildcards.item].group


def labels(wildcards) -> dict:
    item = ITEMS[wildcards.item]
    return {"problem": wildcards.problem, "item": item.title, "type": item.kind}


def captions() -> dict[str, str]:
    return {stem: item.caption for stem, item in ITEMS.items()}
