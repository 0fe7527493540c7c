"""The report's Reproduction section: for each reported study re-run (results/reproduction/), the
headline verdict, the source and how parbench differs from it, the reported and measured curves
on the same axes (report.reproduction_chart), the point-by-point table and the machines side by side.

The report calls `sections(folder, table_html, chart_html)` with its own table and chart
renderers, so the section looks like the rest of the page."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

TABLE_COLUMNS = {
    "series": "series",
    "workers": "workers",
    "figure": "figure",
    "reported": "reported",
    "measured": "measured",
    "measured_low": "interval low",
    "measured_high": "interval high",
    "ratio": "measured / reported",
    "tolerance": "tolerance",
    "verdict": "verdict",
    "repeats_needed": "repeats to decide",
    "change": "time against its repeats",
    "change_detail": "by",
    "reported_time_s": "reported time (s)",
    "measured_time_s": "measured time (s)",
    "runs": "runs",
}


@dataclass(frozen=True)
class Reproduction:
    summary: dict
    table: pd.DataFrame

    @property
    def name(self) -> str:
        return self.summary["name"]


def load(folder) -> list[Reproduction]:
    """Every comparison written to `folder` (NAME.json with NAME.csv beside it), by name."""
    found = []
    for summary_path in sorted(Path(folder).glob("*.json")) if folder else []:
        table_path = summary_path.with_suffix(".csv")
        if table_path.is_file():
            summary = json.loads(summary_path.read_text(encoding="utf-8"))
            found.append(Reproduction(summary, pd.read_csv(table_path)))
    return found


def escape(text) -> str:
    return html.escape(str(text), quote=True)


def headline_html(summary: dict) -> str:
    h = summary["headline"]
    good = h["verdict"] == "reproduced"
    beyond = (
        f" {h['not_comparable']} of its {h['points']} points are not comparable here: they need more "
        "cores or nodes than this machine has, and were not run."
        if h["not_comparable"]
        else ""
    )
    judged = (
        f"Of {h['judged']} points judged here: {h['reproduced']} reproduced, "
        f"{h.get('not_reproduced', h['judged'] - h['reproduced'])} not reproduced, "
        f"{h.get('undecided', 0)} undecided (the measured interval straddles the tolerance, or too "
        "few repeats gave none: the table says how many repeats would decide)."
        if h["judged"]
        else ""
    )
    return (
        f"<p class='{'good' if good else 'bad'}'><strong>Verdict: {escape(h['verdict'])}.</strong> "
        f"{escape(judged)}{escape(beyond)}</p>"
    )


def source_html(summary: dict) -> str:
    source = summary["source"]
    link = source.get("link", "")
    cited = (
        f"<a href='{escape(link)}'>{escape(source['citation'])}</a>"
        if link.startswith("http")
        else escape(source["citation"])
    )
    quote = (
        f"<details><summary>The source's words</summary><pre>{escape(source['quote'])}</pre></details>"
        if source.get("quote")
        else ""
    )
    differs = (
        f"<p><strong>How parbench differs:</strong> {escape(summary['differences'])}</p>"
        if summary.get("differences")
        else ""
    )
    where = f"({escape(source['date'])}); file <code>{escape(summary['file'])}</code>"
    return f"<p>Source: {cited} {where}.</p>{quote}{differs}"


def point_table(table: pd.DataFrame) -> pd.DataFrame:
    shown = table.reindex(columns=list(TABLE_COLUMNS)).rename(columns=TABLE_COLUMNS)
    says = table["says"].fillna("").astype(str)
    shown["figure"] = shown["figure"].where(says == "", shown["figure"] + ": " + says)
    return shown


def machine_table(summary: dict) -> pd.DataFrame:
    return pd.DataFrame(summary["machine_differences"]).rename(
        columns={"what": "", "reported": "reported", "here": "this machine"}
    )


def sections(folder, table_html, chart_html) -> list[tuple[str, str, str]]:
    """(id, title, HTML) of the section and of one part per reproduction; [] when there is none.
    `table_html(frame, name)` and `chart_html(chart_id, chart)` are the report's renderers."""
    from parbench.report import reproduction_chart as chart

    reproductions = load(folder)
    if not reproductions:
        return []
    intro = (
        "<p>Reported scaling results re-run on this machine (docs/reproduce.md): each reported "
        "speed-up or efficiency against the measured one, relative to the same baseline, within "
        "the file's tolerance; times are shown, and judged only where the file asks. Points that "
        "need more cores or nodes than this machine has are marked, not run.</p>"
    )
    summary_rows = pd.DataFrame(
        [
            {"study": r.name, "title": r.summary["title"], "verdict": r.summary["headline"]["verdict"]}
            for r in reproductions
        ]
    )
    parts = [("reproduction", "Reproduction", intro + table_html(summary_rows, "reproduction"))]
    for r in reproductions:
        body = "\n".join(
            [
                headline_html(r.summary),
                *(f"<p class='bad'>{escape(w)}</p>" for w in r.summary.get("warnings", [])),
                source_html(r.summary),
                chart_html(f"reproduction-{r.name}-curves", chart.curves(r.table)),
                "<h4>Point by point</h4>",
                table_html(point_table(r.table), f"reproduction-{r.name}"),
                "<h4>Reported machine and this one</h4>",
                f"<p>As reported: {escape(r.summary['machine']['reported'].get('description', ''))}</p>",
                table_html(machine_table(r.summary), f"reproduction-{r.name}-machines"),
            ]
        )
        parts.append((f"reproduction-{r.name}", r.summary["title"], body))
    return parts
