"""Runs the comparison of a reported study with a finished study's tables and writes what the
report shows: the point-by-point table (CSV), the headline and machine differences (JSON) and the
reported and measured curves on the same axes (PNG: the report's chart of the comparison, through
vl-convert)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from parbench import output
from parbench.reproduce import compare, plan
from parbench.reproduce.reported import ReportedStudy

# A comparison's files in its output folder (the workflow's: plan.REPRODUCTION_DIR).
TEMPLATES = {"table": "{name}.csv", "summary": "{name}.json", "figure": "{name}.png"}


def read_log(path) -> list[dict]:
    text = Path(path).read_text(encoding="utf-8") if path and Path(path).is_file() else ""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def comparison(reported: ReportedStudy, place: plan.Place, timings, runs, log) -> dict:
    """The table, the headline and the machines side by side, from a study's collected files."""
    table = compare.compare(reported, place, pd.read_csv(timings), pd.read_csv(runs))
    here = compare.this_machine(read_log(log), place)
    return {
        "table": table,
        "summary": {
            "name": reported.name,
            "title": reported.title,
            "file": reported.path,
            "source": reported.source,
            "differences": reported.differences,
            "headline": compare.headline(table),
            "machine": {"reported": reported.machine, "here": here},
            "machine_differences": compare.machine_differences(reported.machine, here),
            "warnings": compare.warnings(here),
            "place": {"cores": place.cores, "nodes": place.nodes},
        },
    }


def write(result: dict, reported: ReportedStudy, out_dir) -> dict[str, Path]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {key: out_dir / template.format(name=reported.name) for key, template in TEMPLATES.items()}
    output.write_text_atomically(paths["table"], result["table"].to_csv(index=False))
    output.write_text_atomically(
        paths["summary"], json.dumps(result["summary"], indent=2, default=str) + "\n"
    )
    from parbench.report import page, reproduction_chart

    title = f"{reported.title}: {result['summary']['headline']['verdict']}"
    png = page.png_of(reproduction_chart.curves(result["table"], title).to_dict())
    output.write_bytes_atomically(paths["figure"], png)
    return paths
