"""The report's figures, as Vega-Lite charts built with Altair: each function takes one problem's
analysed points and returns a chart, or None when the problem has no data for it.

Every figure follows the same rules, so that it stays readable from two workers on a laptop to
hundreds on a cluster: one panel per case of the problem (size and kernel), at most three in a row
(facets wrap), one legend per figure (click a variant to highlight it, shift-click for more),
values on hover, one colour per variant in every figure, workers on a log-2 axis whose ticks name
the nodes of multi-node points, and text of at least 12 px at the size the page shows it.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from parbench import registry
from parbench.report import verdict
from parbench.timing import PHASES

PAGE_WIDTH = 1040  # pixels a figure may use on the report's 1,200 px page (axes and legend included)
LEGEND_WIDTH = 160
PANEL_GAP = 24
PANEL_HEIGHT = 230
MAX_COLUMNS = 3
FONT_PX = 12
# One colour per variant in every figure (Tableau 10, serial in grey as the baseline).
COLOURS = ["#7f7f7f", "#1f77b4", "#ff7f0e", "#17becf", "#bcbd22", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]
PHASE_COLOURS = ["#8dd3c7", "#fdb462", "#80b1d3", "#fb8072", "#bebada", "#b3de69", "#d9d9d9"]
CONFIG = {
    "font": "DejaVu Sans, Verdana, sans-serif",
    "axis": {"labelFontSize": FONT_PX, "titleFontSize": FONT_PX + 1, "titleFontWeight": "normal"},
    "legend": {"labelFontSize": FONT_PX, "titleFontSize": FONT_PX + 1, "symbolSize": 80},
    "header": {"labelFontSize": FONT_PX + 1, "titleFontSize": FONT_PX + 1},
    "title": {"fontSize": FONT_PX + 2},
    "text": {"fontSize": FONT_PX},
    "view": {"stroke": "#ddd"},
}
TOOLTIP_FORMAT = ".3~g"


def variants() -> list[str]:
    return list(registry.VARIANTS)


def variant_colour(frame: pd.DataFrame, legend: bool | None = True) -> alt.Color:
    """The variant's colour, fixed by its place in the registry so it is the same in every figure;
    the legend lists the variants of `frame`."""
    order = variants()
    present = [v for v in order if v in set(frame["variant"])]
    colours = [(COLOURS * 2)[order.index(v)] for v in present]
    scale = alt.Scale(domain=present, range=colours)
    return alt.Color("variant:N", scale=scale, legend=alt.Legend(title="variant") if legend else None)


def layout(panels: int) -> tuple[int, int]:
    """Columns and the width of each panel, so the figure fits the page at full size."""
    columns = max(1, min(panels, MAX_COLUMNS))
    width = (PAGE_WIDTH - LEGEND_WIDTH - PANEL_GAP * (columns - 1)) // columns
    return columns, min(width, 560)


def with_panel(frame: pd.DataFrame) -> pd.DataFrame:
    """A `panel` column naming the case within its problem, and a `label` naming the variant
    with its own kernel where it is not the case's (Spark's `jvm`)."""
    frame = frame.copy()
    frame["panel"] = "size " + frame["size"].astype(str) + ", kernel " + frame["case_kernel"]
    own = frame["kernel"] != frame["case_kernel"]
    frame["label"] = frame["variant"].where(~own, frame["variant"] + " (" + frame["kernel"] + ")")
    return frame


def workers_axis(points: pd.DataFrame, title: str = "workers") -> alt.X:
    """Workers on a log-2 axis with a tick at every count measured; counts that span nodes are
    labelled with their nodes on a second line."""
    workers = sorted(int(w) for w in points["workers"].unique())
    nodes = points.groupby("workers")["nodes"].max()
    label = "datum.label"
    for w in reversed(workers):
        if nodes.get(w, 1) > 1:
            label = f"datum.value == {w} ? ['{w}', '{int(nodes[w])} nodes'] : {label}"
    axis = alt.Axis(values=workers, labelExpr=label, grid=True, labelOverlap=True)
    low, high = workers[0], workers[-1]
    scale = alt.Scale(
        type="log", base=2, domain=[low / 1.15, high * 1.15] if low != high else [low / 2, high * 2]
    )
    return alt.X("workers:Q", scale=scale, axis=axis, title=title)


def tooltip(*extra) -> list:
    return [
        alt.Tooltip("label:N", title="variant"),
        alt.Tooltip("kernel:N"),
        alt.Tooltip("workers:Q"),
        alt.Tooltip("nodes:Q"),
        *extra,
        alt.Tooltip("median_s:Q", title="wall time (median, s)", format=TOOLTIP_FORMAT),
        alt.Tooltip("repeats:Q"),
        alt.Tooltip("interval:N", title="error bar"),
        alt.Tooltip("unstable:N", title="unstable"),
    ]


COMMON_FIELDS = [
    "panel", "layer", "label", "variant", "kernel", "workers", "nodes", "median_s", "repeats",
    "interval", "unstable",
]  # fmt: skip
UNSTABLE_COLOUR = "#d62728"


def slim(data: pd.DataFrame, fields: list[str]) -> pd.DataFrame:
    """Only the columns a chart uses, numbers to four significant figures: the page carries every
    chart's data, so this keeps it small at hundreds of workers."""
    data = data[[c for c in dict.fromkeys([*COMMON_FIELDS, *fields]) if c in data]].copy()
    for column in data.columns:
        if pd.api.types.is_float_dtype(data[column]):
            values = data[column].to_numpy(dtype=float)
            finite = np.isfinite(values) & (values != 0)
            scale = np.ones_like(values)
            scale[finite] = 10.0 ** (3 - np.floor(np.log10(np.abs(values[finite]))))
            data[column] = np.where(finite, np.round(values * scale) / scale, values)
    return data


def faceted(layers: list, data: pd.DataFrame, panels: int, fields: list[str]):
    """Layers over one data frame (only `fields` and the common ones kept), one panel per case,
    wrapped at three in a row."""
    columns, width = layout(panels)
    chart = alt.layer(*layers, data=slim(data, fields)).properties(width=width, height=PANEL_HEIGHT)
    chart = chart.facet(facet=alt.Facet("panel:N", title=None), columns=columns, spacing=PANEL_GAP)
    return chart.configure(**CONFIG)


def highlight():
    """Click a variant in the legend to pick it out (shift-click for more; double-click resets)."""
    return alt.selection_point(fields=["variant"], bind="legend", name="variant_pick")


def measured_layers(
    frame, y: str, y_min: str | None, y_max: str | None, y_title: str, y_scale, tips, pick, interval=None
):
    """Median line with points and the min-max band over repeats, coloured by variant; with
    `interval` (its low and high columns), each point's confidence interval as an error bar (none
    where too few repeats gave none), and a red ring round every unstable point."""
    base = alt.Chart().transform_filter(alt.datum.layer == "measured")
    x = workers_axis(frame)
    opacity = alt.condition(pick, alt.value(1.0), alt.value(0.12))
    y_enc = alt.Y(f"{y}:Q", title=y_title, scale=y_scale, axis=alt.Axis(format="~g", tickCount=6))
    # The line first: the legend's symbols take their look from the first layer that has one.
    line = base.mark_line(point=alt.OverlayMarkDef(size=50, filled=True), strokeWidth=2)
    layers = [
        line.encode(
            x=x, y=y_enc, color=variant_colour(frame), detail="label:N", opacity=opacity, tooltip=tips
        ).add_params(pick)
    ]
    if y_min and y_max:
        layers.append(
            base.mark_area().encode(
                x=x,
                y=alt.Y(f"{y_min}:Q", scale=y_scale, title=y_title),
                y2=f"{y_max}:Q",
                color=variant_colour(frame),
                detail="label:N",
                opacity=alt.condition(pick, alt.value(0.15), alt.value(0.02)),
            )
        )
    if interval:
        low, high = interval
        layers.append(
            base.transform_filter(f"isValid(datum.{low}) && isFinite(datum.{low})")
            .mark_rule(strokeWidth=3)
            .properties(name="error_bar")
            .encode(
                x=x,
                y=alt.Y(f"{low}:Q", scale=y_scale, title=y_title),
                y2=f"{high}:Q",
                color=variant_colour(frame),
                detail="label:N",
                opacity=opacity,
                tooltip=tips,
            )
        )
    layers.append(
        base.transform_filter("isValid(datum.unstable) && datum.unstable != ''")
        .mark_point(shape="circle", size=260, filled=False, strokeWidth=2, color=UNSTABLE_COLOUR)
        .encode(x=x, y=y_enc, opacity=opacity, tooltip=tips)
        .properties(name="unstable_ring")
    )
    # Spark's own kernel (jvm) named at its last point, so it is not taken for the case's kernel.
    own = base.transform_filter("datum.label != datum.variant").transform_window(
        rank="rank()", sort=[alt.SortField("workers", order="descending")], groupby=["panel", "label"]
    )
    layers.append(
        own.transform_filter(alt.datum.rank == 1)
        .mark_text(align="left", dx=6, dy=-6, fontSize=FONT_PX)
        .encode(x=x, y=y_enc, text="kernel:N", color=variant_colour(frame), opacity=opacity)
    )
    return layers


def reference_layer(frame, y: str, y_scale, dash=(6, 4), colour="black", what="ideal"):
    """A dashed black line from the rows of layer `what` (ideal scaling)."""
    return (
        alt.Chart()
        .transform_filter(alt.datum.layer == what)
        .mark_line(strokeDash=list(dash), color=colour, strokeWidth=1.5)
        .encode(x=workers_axis(frame), y=alt.Y(f"{y}:Q", scale=y_scale), detail="panel:N")
    )


def grid(frame: pd.DataFrame, points_per_panel: int = 24) -> pd.DataFrame:
    """Worker counts spaced evenly on the log-2 axis from 1 to each panel's largest count."""
    rows = []
    for panel, group in frame.groupby("panel"):
        top = float(group["workers"].max())
        for w in np.unique(np.geomspace(1, max(top, 2), points_per_panel)):
            rows.append({"panel": panel, "workers": float(w)})
    return pd.DataFrame(rows)


def ideal_rows(frame: pd.DataFrame, column: str, value) -> pd.DataFrame:
    """The ideal line's rows: `value(workers, panel rows)` over each panel's worker grid."""
    lines = grid(frame)
    panels = {panel: rows for panel, rows in frame.groupby("panel")}
    lines[column] = [value(w, panels[p]) for p, w in zip(lines["panel"], lines["workers"], strict=True)]
    return lines.assign(layer="ideal")


def speedup(points: pd.DataFrame, fits: pd.DataFrame, weak: bool = False):
    """Speed-up against workers (log-log) with the ideal line and each variant's fitted Amdahl
    curve (Gustafson's for weak scaling) drawn over the measured medians."""
    frame = with_panel(points[points["speedup"].notna()])
    if frame.empty:
        return None
    curves = []
    for _, fit in fits.iterrows():
        mine = frame[(frame["case"] == fit["case"]) & (frame["variant"] == fit["variant"])]
        if mine.empty:
            continue
        f = float(fit["fitted_serial_fraction"])
        p = np.geomspace(1, float(mine["workers"].max()), 24)
        s = p - f * (p - 1) if weak else 1 / (f + (1 - f) / p)
        curves.append(
            pd.DataFrame(
                {"workers": p, "speedup": s, "panel": mine["panel"].iloc[0], "variant": fit["variant"]}
            ).assign(label=mine["label"].iloc[0], serial_fraction=f)
        )
    data = pd.concat(
        [
            frame.assign(layer="measured"),
            ideal_rows(frame, "speedup", lambda w, _: w),
            *[c.assign(layer="fit") for c in curves],
        ],
        ignore_index=True,
    )
    data = data[data["speedup"] > 0]
    scale = alt.Scale(type="log", base=2)
    pick = highlight()
    title = "scaled speed-up (p T1 / Tp)" if weak else "speed-up (T serial / T)"
    tips = tooltip(
        alt.Tooltip("speedup:Q", title="speed-up (median)", format=TOOLTIP_FORMAT),
        alt.Tooltip("efficiency:Q", title="efficiency", format=".0%"),
    )
    fit_layer = (
        alt.Chart()
        .transform_filter(alt.datum.layer == "fit")
        .mark_line(strokeDash=[2, 3], strokeWidth=1.5)
        .encode(
            x=workers_axis(frame),
            y=alt.Y("speedup:Q", scale=scale),
            color=variant_colour(frame),
            detail="label:N",
            opacity=alt.condition(pick, alt.value(0.9), alt.value(0.08)),
            tooltip=[
                alt.Tooltip("label:N", title="variant"),
                alt.Tooltip("serial_fraction:Q", title="fitted serial fraction", format=".3~g"),
            ],
        )
    )
    line, *band_and_labels = measured_layers(
        frame,
        "speedup",
        "speedup_min",
        "speedup_max",
        title,
        scale,
        tips,
        pick,
        ("speedup_low", "speedup_high"),
    )
    layers = [line, reference_layer(frame, "speedup", scale), fit_layer, *band_and_labels]
    return faceted(
        layers,
        data,
        frame["panel"].nunique(),
        [
            "speedup",
            "speedup_min",
            "speedup_max",
            "speedup_low",
            "speedup_high",
            "efficiency",
            "serial_fraction",
        ],
    )


def efficiency(points: pd.DataFrame, weak: bool = False):
    """Parallel efficiency against workers with the ideal line at 1."""
    frame = with_panel(points[points["efficiency"].notna()])
    if frame.empty:
        return None
    data = pd.concat(
        [frame.assign(layer="measured"), ideal_rows(frame, "efficiency", lambda w, _: 1.0)], ignore_index=True
    )
    top = max(1.1, float(frame["efficiency_max"].max()) * 1.05)
    scale = alt.Scale(domain=[0, top], nice=False)
    pick = highlight()
    title = "efficiency (T1 / Tp)" if weak else "efficiency (speed-up / workers)"
    tips = tooltip(alt.Tooltip("efficiency:Q", title="efficiency (median)", format=".0%"))
    layers = [
        reference_layer(frame, "efficiency", scale),
        *measured_layers(
            frame, "efficiency", "efficiency_min", "efficiency_max", title, scale, tips, pick,
            ("efficiency_low", "efficiency_high"),
        ),
    ]  # fmt: skip
    fields = ["efficiency", "efficiency_min", "efficiency_max", "efficiency_low", "efficiency_high"]
    return faceted(layers, data, frame["panel"].nunique(), fields)


def wall_time(points: pd.DataFrame, weak: bool = False):
    """Wall time against workers (log-log), band the range over repeats; dashed: ideal, the
    serial time divided by the workers (strong scaling) or the serial time itself (weak scaling:
    a flat line)."""
    frame = with_panel(points)
    if frame.empty:
        return None
    measured = frame.assign(layer="measured")

    def ideal(w, rows):
        base = rows["baseline_s"].dropna()
        return float(base.iloc[0]) if weak else float(base.iloc[0]) / w if len(base) else np.nan

    lines = ideal_rows(frame, "median_s", ideal).dropna(subset=["median_s"])
    data = pd.concat([measured, lines], ignore_index=True)
    scale = alt.Scale(type="log")
    pick = highlight()
    tips = tooltip(
        alt.Tooltip("min_s:Q", title="fastest (s)", format=TOOLTIP_FORMAT),
        alt.Tooltip("max_s:Q", title="slowest (s)", format=TOOLTIP_FORMAT),
    )
    layers = [
        reference_layer(frame, "median_s", scale),
        *measured_layers(
            frame, "median_s", "min_s", "max_s", "wall time (s)", scale, tips, pick, ("time_low", "time_high")
        ),
    ]
    return faceted(layers, data, frame["panel"].nunique(), ["min_s", "max_s", "time_low", "time_high"])


def phases(points: pd.DataFrame):
    """Where the time goes: median seconds per phase of every variant, at the worker count chosen
    in the menu under the figure (the largest by default)."""
    names = [*PHASES, "other"]
    frame = with_panel(points)
    if frame.empty or not set(names) <= set(frame.columns):
        return None
    long = frame.melt(
        id_vars=["panel", "label", "variant", "kernel", "workers", "nodes", "median_s"],
        value_vars=names,
        var_name="phase",
        value_name="seconds",
    )
    long["share"] = long["seconds"] / long["median_s"]
    long["phase_order"] = long["phase"].map({p: i for i, p in enumerate(names)})
    long = slim(long, ["phase", "seconds", "share", "phase_order"])
    workers = sorted(int(w) for w in frame["workers"].unique())
    chosen = alt.param(
        name="workers_shown",
        value=workers[-1],
        bind=alt.binding_select(options=workers, name="workers shown: "),
    )
    order = [v for v in variants() if v in set(frame["variant"])]
    labels = sorted(frame["label"].unique(), key=lambda label: (order.index(label.split(" ")[0]), label))
    columns, width = layout(frame["panel"].nunique())
    bars = (
        alt.Chart(long)
        .transform_filter(alt.datum.workers == chosen)
        .mark_bar()
        .encode(
            y=alt.Y("label:N", sort=labels, title=None),
            x=alt.X("sum(seconds):Q", title="seconds (median per phase)"),
            color=alt.Color(
                "phase:N",
                scale=alt.Scale(domain=names, range=PHASE_COLOURS),
                legend=alt.Legend(title="phase"),
            ),
            order=alt.Order("phase_order:Q"),
            tooltip=[
                alt.Tooltip("label:N", title="variant"),
                alt.Tooltip("workers:Q"),
                alt.Tooltip("nodes:Q"),
                alt.Tooltip("phase:N"),
                alt.Tooltip("seconds:Q", format=TOOLTIP_FORMAT),
                alt.Tooltip("share:Q", title="share of wall time", format=".0%"),
                alt.Tooltip("median_s:Q", title="wall time (median, s)", format=TOOLTIP_FORMAT),
            ],
        )
        .properties(width=width, height=max(120, 24 * len(labels)))
        .add_params(chosen)
    )
    chart = bars.facet(facet=alt.Facet("panel:N", title=None), columns=columns, spacing=PANEL_GAP)
    return chart.resolve_scale(x="independent").configure(**CONFIG)


def imbalance(points: pd.DataFrame):
    """Load imbalance against workers: the busiest worker's compute time over the mean (1 is
    perfect balance); static splits of uneven work rise above it."""
    frame = with_panel(points[points["imbalance"].notna() & (points["workers"] > 1)])
    if frame.empty:
        return None
    data = pd.concat(
        [frame.assign(layer="measured"), ideal_rows(frame, "imbalance", lambda w, _: 1.0)], ignore_index=True
    )
    scale = alt.Scale(zero=False)
    pick = highlight()
    tips = tooltip(alt.Tooltip("imbalance:Q", title="busiest / mean", format=".3~g"))
    layers = [
        reference_layer(frame, "imbalance", scale),
        *measured_layers(frame, "imbalance", None, None, "busiest worker / mean", scale, tips, pick),
    ]
    return faceted(layers, data, frame["panel"].nunique(), ["imbalance"])


MEMORY_FIELDS = ["memory_mib", "memory_min_mib", "memory_max_mib", "memory_per_worker_mib"]


def memory(points: pd.DataFrame, per_worker: bool = False):
    """Peak memory of a run (all its processes, PSS) against workers, median and range over
    repeats; with `per_worker`, the median divided by the workers: what one more worker costs."""
    if "memory_mib" not in points:
        return None
    frame = with_panel(points[points["memory_mib"].notna()])
    if frame.empty:
        return None
    column = "memory_per_worker_mib" if per_worker else "memory_mib"
    band = (None, None) if per_worker else ("memory_min_mib", "memory_max_mib")
    title = "peak memory per worker (MiB)" if per_worker else "peak memory of the run (MiB)"
    scale = alt.Scale(type="log")
    pick = highlight()
    tips = tooltip(
        alt.Tooltip("memory_mib:Q", title="peak memory (median, MiB)", format=".4~g"),
        alt.Tooltip("memory_per_worker_mib:Q", title="per worker (MiB)", format=".4~g"),
    )
    layers = measured_layers(frame, column, *band, title, scale, tips, pick)
    return faceted(layers, frame.assign(layer="measured"), frame["panel"].nunique(), MEMORY_FIELDS)


def serial_fraction(points: pd.DataFrame, weak: bool = False):
    """The serial fraction each point implies: Karp-Flatt's e = (1/S - 1/p) / (1 - 1/p) for strong
    scaling, Gustafson's (p - S) / (p - 1) for weak. Flat: a fixed serial part (Amdahl); rising:
    overheads that grow with the workers."""
    frame = with_panel(points[(points["workers"] > 1) & points["speedup"].notna()])
    if frame.empty:
        return None
    p, s = frame["workers"].astype(float), frame["speedup"]
    frame["serial_fraction"] = (p - s) / (p - 1) if weak else (1 / s - 1 / p) / (1 - 1 / p)
    data = frame.assign(layer="measured")
    scale = alt.Scale(zero=True)
    pick = highlight()
    title = "Gustafson serial fraction" if weak else "Karp-Flatt serial fraction"
    tips = tooltip(alt.Tooltip("serial_fraction:Q", title=title, format=".3~g"))
    layers = measured_layers(frame, "serial_fraction", None, None, title, scale, tips, pick)
    return faceted(layers, data, frame["panel"].nunique(), ["serial_fraction"])


def gil_cases(points: pd.DataFrame) -> pd.DataFrame:
    """Thread-variant points of the sizes measured with a kernel that holds the GIL (python) and
    one that releases it. Where threads ran only code that holds it (a plug-in's Python), the
    other parallel variants' points of that code instead: the same code without the GIL."""
    threads = points[points["variant"].isin(verdict.THREAD_VARIANTS)]
    kernels = threads.groupby("size")["kernel"].agg(set)
    sizes = [s for s, k in kernels.items() if "python" in k and k & set(verdict.GIL_FREE_KERNELS)]
    held_only = [s for s, k in kernels.items() if "python" in k and s not in sizes]
    others = points[
        points["size"].isin(held_only)
        & (points["kernel"] == "python")
        & ~points["variant"].isin(verdict.THREAD_VARIANTS)
        & (points["variant"] != registry.BASELINE)
    ]
    return pd.concat([threads[threads["size"].isin(sizes + held_only)], others], ignore_index=True)


def gil(points: pd.DataFrame):
    """Threads and the GIL: the compute phase's speed-up of the thread variants with each kernel
    (solid: a kernel that releases the GIL; the pure-Python one holds it and cannot speed up),
    or against the other variants running the same Python code (gil_cases)."""
    frame = gil_cases(points)
    frame = frame[frame["compute_speedup"].notna()]
    if frame.empty:
        return None
    frame = with_panel(frame)
    frame["panel"] = "size " + frame["size"].astype(str)
    frame["label"] = frame["variant"] + ", " + frame["kernel"]
    data = pd.concat(
        [frame.assign(layer="measured"), ideal_rows(frame, "compute_speedup", lambda w, _: w)],
        ignore_index=True,
    )
    scale = alt.Scale(type="log", base=2)
    pick = highlight()
    x = workers_axis(frame, "threads" if frame["variant"].isin(verdict.THREAD_VARIANTS).all() else "workers")
    lines = (
        alt.Chart()
        .transform_filter(alt.datum.layer == "measured")
        .mark_line(point=alt.OverlayMarkDef(size=50, filled=True), strokeWidth=2)
        .encode(
            x=x,
            y=alt.Y("compute_speedup:Q", scale=scale, title="compute-phase speed-up vs serial"),
            color=variant_colour(frame),
            strokeDash=alt.StrokeDash("kernel:N", legend=alt.Legend(title="kernel")),
            detail="label:N",
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.12)),
            tooltip=[
                alt.Tooltip("label:N", title="variant, kernel"),
                alt.Tooltip("workers:Q", title="workers"),
                alt.Tooltip("compute_speedup:Q", title="compute speed-up", format=TOOLTIP_FORMAT),
            ],
        )
        .add_params(pick)
    )
    layers = [reference_layer(frame, "compute_speedup", scale), lines]
    return faceted(layers, data, frame["panel"].nunique(), ["compute_speedup"])
