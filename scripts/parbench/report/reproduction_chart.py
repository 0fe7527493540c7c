"""The Reproduction section's chart (Vega-Lite, built with Altair in the report's style): one
panel per series and judged figure, the reported curve (grey squares, dashed, with its tolerance
band) and the measured one (blue dots) on the same log-2 axis of workers; points not comparable
here show the reported value only; hovering a point shows its verdict. The same specification is
the report's interactive chart and, through vl-convert, the reproduction's PNG."""

from __future__ import annotations

import altair as alt
import pandas as pd

LABELS = {"speedup": "speed-up", "efficiency": "efficiency", "time": "time (s)"}
SOURCES = alt.Scale(domain=["reported", "measured here"], range=["#7f7f7f", "#1f77b4"])


def bound_of(row) -> float | None:
    """A claim's bound as a number (its tolerance text is "<= 1.2", ">= 1.5" or "between a and b")."""
    says = row.says if isinstance(row.says, str) else ""
    if not says:
        return None
    return float(str(row.tolerance).split()[-1])


def long_form(table: pd.DataFrame) -> pd.DataFrame:
    """One row per series, figure, workers and source (reported or measured), with the verdict,
    the reported value's tolerance (low, high) and a claim's bound."""
    rows = []
    for row in table.itertuples():
        panel = f"{row.series}: {LABELS[row.figure]}"
        low = row.reported * (1 + row.lower) if pd.notna(row.reported) and pd.notna(row.lower) else None
        high = row.reported * (1 + row.upper) if pd.notna(row.reported) and pd.notna(row.upper) else None
        common = {"panel": panel, "workers": int(row.workers), "verdict": row.verdict, "says": row.says}
        if pd.notna(row.reported):
            rows.append(
                {**common, "source": "reported", "value": float(row.reported), "low": low, "high": high}
            )
        if pd.notna(row.measured):
            rows.append({**common, "source": "measured here", "value": float(row.measured)})
        bound = bound_of(row)
        if bound is not None:
            rows.append({**common, "source": "claim", "value": None, "bound": bound})
    columns = ["panel", "workers", "source", "value", "low", "high", "bound", "verdict", "says"]
    return pd.DataFrame(rows, columns=columns)


def curves(table: pd.DataFrame, title: str | None = None) -> alt.TopLevelMixin:
    """The chart of a comparison's point-by-point table; `title` heads it (the PNG's, which
    stands alone outside the report)."""
    from parbench.report import figures

    data = long_form(table)
    if data.empty:
        return (
            alt.Chart(pd.DataFrame({"text": ["no reported figures to draw"]})).mark_text().encode(text="text")
        )
    workers = sorted(int(w) for w in table["workers"].unique())
    panels = list(dict.fromkeys(data["panel"]))
    columns, width = figures.layout(len(panels))
    low, high = workers[0], workers[-1]
    x = alt.X(
        "workers:Q",
        scale=alt.Scale(
            type="log", base=2, domain=[low / 1.3, high * 1.3] if low != high else [low / 2, high * 2]
        ),
        axis=alt.Axis(values=workers, grid=True, labelOverlap=True),
        title="workers",
    )
    tooltip = [
        alt.Tooltip("source:N"),
        alt.Tooltip("workers:Q"),
        alt.Tooltip("value:Q", format=figures.TOOLTIP_FORMAT),
        alt.Tooltip("verdict:N"),
    ]
    base = alt.Chart(data).encode(x=x)
    grey = "#7f7f7f"
    tolerance = (
        base.transform_filter("datum.source == 'reported' && isValid(datum.low)")
        .mark_rule(color=grey, strokeWidth=2, opacity=0.6)
        .encode(
            y=alt.Y("low:Q"),
            y2="high:Q",
            tooltip=[alt.Tooltip("low:Q", format=".3~g"), alt.Tooltip("high:Q", format=".3~g")],
        )
    )
    claims = (
        base.transform_filter("datum.source == 'claim'")
        .mark_tick(color=grey, thickness=2, size=40, orient="horizontal")
        .encode(y=alt.Y("bound:Q"), tooltip=[alt.Tooltip("says:N"), alt.Tooltip("bound:Q")])
    )
    sources = ["reported", "measured here"]
    lines = (
        base.transform_filter("datum.source != 'claim'")
        .mark_line(point=alt.OverlayMarkDef(size=80, filled=True))
        .encode(
            y=alt.Y("value:Q", title="reported and measured"),
            color=alt.Color(
                "source:N",
                scale=alt.Scale(domain=sources, range=[grey, "#1f77b4"]),
                legend=alt.Legend(title=None),
            ),
            strokeDash=alt.StrokeDash(
                "source:N", scale=alt.Scale(domain=sources, range=[[5, 3], [1, 0]]), legend=None
            ),
            shape=alt.Shape(
                "source:N", scale=alt.Scale(domain=sources, range=["square", "circle"]), legend=None
            ),
            tooltip=tooltip,
        )
    )
    missed = (
        base.transform_filter("datum.source == 'measured here' && datum.verdict != 'reproduced'")
        .mark_point(shape="M-1,-1L1,1M1,-1L-1,1", size=220, color="#d62728", strokeWidth=2.5)
        .encode(y="value:Q", tooltip=tooltip)
    )
    layered = alt.layer(tolerance, claims, lines, missed).properties(width=width, height=figures.PANEL_HEIGHT)
    chart = layered.facet(facet=alt.Facet("panel:N", title=None, sort=panels), columns=columns)
    if title:
        chart = chart.properties(title=title)
    return chart.resolve_scale(y="independent").configure(**figures.CONFIG)
