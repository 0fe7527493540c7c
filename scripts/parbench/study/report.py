"""The study's report: one self-contained HTML file (figures embedded as base64 PNG, no external
files, opens offline), plus each figure and table as its own file for `snakemake --report`."""

from __future__ import annotations

import base64
import html
import io
import json
from importlib import metadata
from pathlib import Path

import pandas as pd

from parbench import output, registry
from parbench.study import analysis, crossover, figures
from parbench.study.collect import read_tables

FIGURES = {
    "wall_time": (
        "Wall time against workers",
        "Median wall time of each variant (log-log); the band is the full range over repeats.",
    ),
    "speedup_efficiency": (
        "Speed-up and parallel efficiency",
        "Against the median serial run of the same problem, size and kernel (or the variant's own "
        "single-worker run when there is no serial run); dashed: ideal; band: range over repeats.",
    ),
    "overheads": (
        "Where the time goes",
        "Median seconds per phase at the largest worker count: start-up, distribution, compute, "
        "communication, write, teardown; `other` is wall time outside the named phases. Bottom row: "
        "each phase's share of the wall time.",
    ),
    "worker_busy": (
        "Per-worker busy time",
        "Seconds each worker spent computing (first repeat, largest worker count); unequal bars "
        "are load imbalance.",
    ),
    "gil": (
        "Threads and the GIL",
        "Thread variants with the pure-Python kernel, which holds the GIL, against the numba "
        "kernel, which releases it: only the latter can speed up with threads. Compute-phase "
        "speed-up, so that start-up (numba loading its compiled code) does not hide the effect.",
    ),
    "serial_fraction": (
        "Fitted serial fraction",
        "The serial fraction that explains each variant's speed-ups (Amdahl fit over every run "
        "with more than one worker; Gustafson's for weak scaling): start-up and communication "
        "overheads show up here.",
    ),
}
CROSSOVER_TEXT = (
    "For problems sized in rows (the group-by), each variant's wall time at its largest worker "
    "count is modelled as <em>fixed + cost per row &times; rows</em>: the cost per row from its "
    "compute phases (the slope over the sizes measured; compute / rows if only one size was), "
    "<em>fixed</em> the rest of its wall time (start-up, teardown, each query's overheads). Where "
    "the lines cross is the data size above which the variant, start-up included, beats serial: "
    "where Dask's and Spark's start-up is paid back. Columns: <code>fixed_s</code> and "
    "<code>ns_per_row</code> are the variant's line (seconds; nanoseconds per row; each size's "
    "fastest of <code>runs</code> runs), the <code>serial_</code> columns serial's line (Spark "
    "is compared with serial running the problem's default kernel); <code>crossover_rows</code> "
    "is inf where the variant never wins, 0 where it wins at any size, and empty where a compute "
    "phase did not grow with the rows (unknown). With the default study's 1 M and 4 M rows and "
    "one run of Dask and Spark, compute phases of tenths of a second decide it: the table "
    "demonstrates the method, and may even say <em>never</em> for Dask. benchmarks/groupby.py "
    "fits it from 5 M and 20 M rows with repeats (docs/benchmarks.md has the project's own "
    "measurements)."
)

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
img { max-width: 100%; border: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: right; }
th { background: #f3f3f3; }
.bad { background: #fde8e8; border: 1px solid #e99; padding: 0.5em 1em; }
.good { background: #e8f6e8; border: 1px solid #9c9; padding: 0.5em 1em; }
"""


def figure_png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    figures.plt.close(figure)
    return buffer.getvalue()


def table_html(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "<p><em>none</em></p>"
    return frame.to_html(index=False, float_format=lambda x: f"{x:.4g}", border=0, na_rep="")


def provenance(log: list[dict]) -> pd.DataFrame:
    """Machine, software and run provenance, one row per item, with every distinct value seen."""
    items: dict[str, set] = {}

    def add(key, value):
        if value not in ("", None):
            items.setdefault(key, set()).add(str(value))

    for record in log:
        for key, value in record.get("machine", {}).items():
            add(f"machine: {key}", value)
        for key, value in record.get("versions", {}).items():
            add(f"version: {key}", value)
        for key, value in record.get("framework", {}).items():
            add(f"framework ({record['variant']}): {key}", value)
        add("git commit", record.get("git_commit"))
        add("hosts", " ".join(record.get("hosts", [])))
        add("SLURM job", record.get("slurm", {}).get("job_id"))
    for package in ("snakemake", "pandas", "seaborn", "matplotlib"):
        try:
            add(f"report: {package}", metadata.version(package))
        except metadata.PackageNotFoundError:
            pass
    if log:
        add("first run (UTC)", min(r.get("start_utc", "") for r in log))
        add("last run (UTC)", max(r.get("end_utc", "") for r in log))
    return pd.DataFrame([{"item": k, "value": ", ".join(sorted(v))} for k, v in sorted(items.items())])


def problem_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """Runs that failed verification or are missing, with the reason."""
    bad = runs[runs["status"] != "ok"]
    columns = [c for c in ("run", "status", "message", "log") if c in bad]
    return bad[columns].fillna("")


def build(tables: dict, log: list[dict], weak: bool) -> dict:
    runs = tables["runs"]
    scaled = analysis.speedups(runs, weak)
    return {
        "figures": figures.build_all(tables, weak),
        "tables": {
            "fastest": analysis.fastest(runs),
            "serial_fraction": analysis.serial_fractions(scaled, weak),
            "crossover": crossover.crossovers(tables["timings"], runs, default_kernels()),
            "points": analysis.medians(runs),
            "problems": problem_runs(runs),
        },
        "provenance": provenance(log),
        "counts": runs["status"].value_counts().to_dict(),
    }


def default_kernels() -> dict[str, str]:
    return {name: problem.default_kernel for name, problem in registry.PROBLEMS.items()}


def status_html(counts: dict, problems: pd.DataFrame) -> str:
    total = sum(counts.values())
    ok = counts.get("ok", 0)
    if ok == total:
        return f'<p class="good">All {total} runs finished and match their serial reference.</p>'
    parts = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    return (
        f'<div class="bad"><p><strong>{total - ok} of {total} runs are not in the figures</strong> '
        f"({parts}). A mismatch means the result differs from the serial reference; missing means "
        f"the run did not finish. They are listed below.</p>{table_html(problems)}</div>"
    )


def render(built: dict, title: str, scaling: str) -> str:
    parts = [
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
        f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>",
        f"<p>Scaling: <strong>{html.escape(scaling)}</strong>. Wall time is each run's own "
        "<code>total</code> phase; a case is one problem, size and kernel.</p>",
        "<h2>Verification</h2>",
        status_html(built["counts"], built["tables"]["problems"]),
        "<h2>Fastest variant per problem and worker count</h2>",
        table_html(built["tables"]["fastest"]),
    ]
    for stem, figure in built["figures"].items():
        heading, caption = FIGURES[stem]
        data = base64.b64encode(figure_png(figure)).decode("ascii")
        parts += [
            f"<h2 id='{stem}'>{html.escape(heading)}</h2><p>{html.escape(caption)}</p>",
            f"<img alt='{html.escape(heading)}' src='data:image/png;base64,{data}'>",
        ]
        if stem == "serial_fraction":
            parts.append(table_html(built["tables"]["serial_fraction"]))
    if not built["tables"]["crossover"].empty:
        parts += [
            "<h2 id='crossover'>When the start-up pays back</h2>",
            f"<p>{CROSSOVER_TEXT}</p>",
            table_html(built["tables"]["crossover"]),
        ]
    parts += [
        "<h2>Every point</h2><p>Median, fastest and slowest wall time over repeats.</p>",
        table_html(built["tables"]["points"]),
        "<h2>Machine and software</h2>",
        table_html(built["provenance"]),
        "</body></html>",
    ]
    return "\n".join(parts)


def write(tables_paths: dict, log_path, weak: bool, html_path, figures_dir, tables_dir, title: str) -> dict:
    tables = read_tables(tables_paths["timings"], tables_paths["worker_busy"], tables_paths["runs"])
    with open(log_path, encoding="utf-8") as f:
        log = [json.loads(line) for line in f if line.strip()]
    built = build(tables, log, weak)
    figures_dir, tables_dir = Path(figures_dir), Path(tables_dir)
    figures_dir.mkdir(parents=True, exist_ok=True)
    tables_dir.mkdir(parents=True, exist_ok=True)
    # Figure files first (savefig closes nothing); the HTML embeds the same images.
    for stem, figure in built["figures"].items():
        figure.savefig(figures_dir / f"{stem}.png", dpi=100)
    for stem, frame in built["tables"].items():
        output.write_text_atomically(tables_dir / f"{stem}.csv", frame.to_csv(index=False))
    output.write_text_atomically(html_path, render(built, title, "weak" if weak else "strong"))
    return built
