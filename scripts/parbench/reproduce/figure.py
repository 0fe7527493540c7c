"""The Reproduction section's figure: for each series, the reported and the measured curve of its
judged figure on the same axes (a static PNG beside the report's interactive chart). Points this
machine cannot run appear as reported markers only; a band shows each reported value's tolerance."""

from __future__ import annotations

import matplotlib
import pandas as pd

matplotlib.use("Agg")  # no display on compute nodes

import matplotlib.pyplot as plt  # noqa: E402

from parbench.reproduce.compare import REPRODUCED  # noqa: E402
from parbench.reproduce.reported import ReportedStudy  # noqa: E402

LABELS = {"speedup": "speed-up", "efficiency": "efficiency", "time": "time (s)"}


def draw(reported: ReportedStudy, table: pd.DataFrame, headline: dict, path) -> None:
    panels = [
        (s, f)
        for s in reported.series
        for f in dict.fromkeys(table.loc[table["series"] == s.label, "figure"])
    ]
    if not panels:
        figure, ax = plt.subplots(figsize=(6, 1.6))
        ax.axis("off")
        ax.text(0.5, 0.5, f"{reported.name}: no reported figures to compare", ha="center", va="center")
    else:
        figure, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.4), squeeze=False)
        for ax, (series, name) in zip(axes[0], panels, strict=False):
            panel(ax, series, table[(table["series"] == series.label) & (table["figure"] == name)], name)
        figure.suptitle(f"{reported.title}: {headline['verdict']}", fontsize="medium")
        figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def panel(ax, series, rows: pd.DataFrame, name: str) -> None:
    rows = rows.sort_values("workers")
    says = rows["says"].fillna("").astype(str)
    reported = rows.dropna(subset=["reported"])
    if not reported.empty:
        bounded = reported.dropna(subset=["lower", "upper"])
        ax.errorbar(
            bounded["workers"],
            bounded["reported"],
            yerr=[
                -bounded["reported"] * bounded["lower"].astype(float),
                bounded["reported"] * bounded["upper"].astype(float),
            ],
            fmt="s--",
            color="0.35",
            capsize=4,
            label="reported (with tolerance)",
        )
    for _, row in rows[says != ""].iterrows():
        bound = row["tolerance"]  # e.g. "<= 1.2"
        value = float(bound.split()[-1])
        ax.hlines(
            value,
            row["workers"] / 1.3,
            row["workers"] * 1.3,
            colors="0.35",
            linestyles="--",
            label=f"claim: {bound}",
        )
    measured = rows.dropna(subset=["measured"])
    if not measured.empty:
        ax.plot(measured["workers"], measured["measured"], "o-", color="tab:blue", label="measured here")
        missed = measured[measured["verdict"] != REPRODUCED]
        if not missed.empty:
            ax.plot(
                missed["workers"], missed["measured"], "x", color="tab:red", markersize=10, label="missed"
            )
    if name == "speedup" and len(rows):
        top = int(rows["workers"].max())
        ax.plot([1, top], [1, top], ":", color="0.6", label="ideal")
    ax.set_xscale("log", base=2)
    ticks = sorted({int(w) for w in rows["workers"]})
    ax.set_xticks(ticks, [str(t) for t in ticks])
    ax.set_xlim(min(ticks) / 1.5, max(ticks) * 1.5)
    ax.minorticks_off()
    ax.grid(True, color="0.9")
    ax.set_xlabel("workers")
    ax.set_ylabel(LABELS[name])
    ax.set_title(series.label, fontsize="small")
    ax.legend(fontsize="x-small")
