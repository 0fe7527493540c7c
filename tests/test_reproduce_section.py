"""The report's Reproduction section from written comparisons: the headline, the source, the
curves (a Vega-Lite spec with the reported and the measured values), the point-by-point table and
the machines, and a study beyond this machine reading as such."""

from __future__ import annotations

import pandas as pd
from test_reproduce_compare import MEASURED, one_series, study, tables

from parbench.report import reproduction as section
from parbench.reproduce import outputs, plan


def write_comparison(folder, place):
    s = study(
        [
            one_series("processes", [{"workers": 2, "speedup": 1.9}, {"workers": 8, "speedup": 7.5}]),
            one_series(
                "threads",
                [
                    {
                        "workers": 2,
                        "claim": {"says": "no speed-up", "figure": "speedup", "bounds": {"max": 1.2}},
                    }
                ],
            ),
        ]
    )
    timings, runs = tables(MEASURED)
    timings.to_csv(folder / "timings.csv", index=False)
    runs.to_csv(folder / "runs.csv", index=False)
    result = outputs.comparison(s, place, folder / "timings.csv", folder / "runs.csv", None)
    outputs.write(result, s, folder / "reproduction")
    return s


def render(folder):
    charts = {}

    def chart_html(chart_id, chart):
        charts[chart_id] = chart.to_dict()
        return f"<div id='{chart_id}'></div>"

    parts = section.sections(folder, lambda frame, name: frame.to_html(index=False), chart_html)
    return parts, charts


def test_the_section_shows_verdict_source_curves_and_points(tmp_path):
    write_comparison(tmp_path, plan.Place(cores=2))
    parts, charts = render(tmp_path / "reproduction")
    (top_id, top_title, top), (study_id, title, body) = parts
    assert (top_id, top_title, study_id, title) == (
        "reproduction",
        "Reproduction",
        "reproduction-made-up",
        "made up",
    )
    assert "<td>reproduced</td>" in top
    assert "Verdict: reproduced." in body
    assert "Of 2 points judged here: 2 reproduced, 0 not reproduced, 0 undecided" in body
    assert "1 of its 3 points are not comparable here" in body
    assert "not comparable here (needs 8 cores, this machine has 2)" in body
    assert "speedup: no speed-up" in body and "As reported: a bigger machine" in body
    assert "cores per node" in body and ">64<" in body
    spec = charts["reproduction-made-up-curves"]
    values = [row for data in spec["datasets"].values() for row in data]
    sources = {(row["panel"], row["workers"], row["source"]) for row in values}
    assert ("processes: speed-up", 2, "reported") in sources and (
        "processes: speed-up",
        2,
        "measured here",
    ) in sources
    assert ("processes: speed-up", 8, "reported") in sources  # shown though not run here
    assert ("processes: speed-up", 8, "measured here") not in sources
    assert any(row["source"] == "claim" and row["bound"] == 1.2 for row in values)


def test_no_reproduction_no_section(tmp_path):
    assert render(tmp_path / "nothing")[0] == []


def test_a_study_beyond_this_machine_reads_as_not_comparable(tmp_path):
    write_comparison(tmp_path, plan.Place(cores=1))
    (_, _, top), (_, _, body) = render(tmp_path / "reproduction")[0]
    assert "not comparable" in top
    assert "Verdict: not comparable." in body and "3 of its 3 points are not comparable here" in body
    table = pd.read_csv(tmp_path / "reproduction" / "made-up.csv")
    assert table["verdict"].str.startswith("not comparable here (needs").all()
