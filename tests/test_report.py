"""The report's content without a browser: the answer's sentences from runs with a known story,
Spark's group-by in the same case as the others, the one list of items, and what the page holds
for a synthetic study at cluster scale (8 variants x 4 problems x 2 kernels x 10 worker counts up
to 512)."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from parbench.report import analysis, items, synthetic, verdict
from parbench.report import page as report_page
from parbench.timing import PHASES


def story_tables():
    """Mandelbrot at 1 and 4 workers where processes win at 4; dask loses to its start-up,
    threads to the GIL (python kernel), mpi to load imbalance. Phases and busy times exact."""
    runs, timings, busy = [], [], []

    def add(variant, workers, phases, busy_s, kernel="python", problem="mandelbrot"):
        run = f"{problem}/s/{kernel}/{variant}/w{workers}-r1"
        labels = {"run": run, "problem": problem, "size": "s", "kernel": kernel, "variant": variant}
        labels |= {"workers": workers, "nodes": 1, "repeat": 1}
        seconds = dict.fromkeys(PHASES, 0.0) | phases
        total = sum(seconds.values())
        runs.append({**labels, "status": "ok", "total_s": total, "compute_s": seconds["compute"]})
        for phase, value in (*seconds.items(), ("total", total)):
            timings.append({**labels, "phase": phase, "seconds": value})
        for index, value in enumerate(busy_s):
            busy.append({**labels, "worker": f"w{index}", "busy_s": value})

    add("serial", 1, {"compute": 8.0}, [8.0])
    add("processes", 4, {"startup": 0.1, "compute": 2.0}, [2.0] * 4)
    add("dask", 4, {"startup": 3.0, "compute": 2.0}, [2.0] * 4)
    add("threads", 4, {"compute": 8.0}, [8.0] * 4)
    add("mpi", 4, {"startup": 0.1, "compute": 4.0}, [4.0, 1.0, 1.0, 2.0])
    return {"runs": pd.DataFrame(runs), "timings": pd.DataFrame(timings), "worker_busy": pd.DataFrame(busy)}


def test_the_answer_names_the_fastest_with_speedup_and_why_each_other_loses():
    tables = story_tables()
    points = analysis.points(tables["runs"], tables["timings"], tables["worker_busy"])
    ((case, sentences),) = verdict.answers(points)["mandelbrot"]
    assert case == "mandelbrot s (python)"
    assert "with 4 workers, processes is fastest (speed-up 3.81x, efficiency 95%)" in sentences[0]
    why = sentences[1]
    assert why.startswith("At 4 workers, against processes:")
    assert "start-up costs dask 2.9 s (2.9 s behind in all)" in why
    assert "the GIL costs threads 6 s (5.9 s behind in all)" in why
    assert "load imbalance costs mpi 2 s (2 s behind in all)" in why
    losses = verdict.losses(points).set_index("variant")
    assert losses.loc["mpi", "reason_s"] == pytest.approx(4.0 * (1 - 2.0 / 4.0) - 0.0)
    assert set(losses["fastest"]) == {"processes"}


def test_spark_groupby_is_compared_in_the_default_kernels_case_with_its_kernel_as_label():
    runs = pd.DataFrame(
        [
            {
                "run": "g/s/pandas/serial/w1-r1",
                "variant": "serial",
                "kernel": "pandas",
                "workers": 1,
                "total_s": 4.0,
            },
            {
                "run": "g/s/pandas/dask/w2-r1",
                "variant": "dask",
                "kernel": "pandas",
                "workers": 2,
                "total_s": 3.0,
            },
            {"run": "g/s/jvm/spark/w2-r1", "variant": "spark", "kernel": "jvm", "workers": 2, "total_s": 2.0},
        ]
    ).assign(problem="groupby", size="s", status="ok", nodes=1, compute_s=1.0)
    scaled = analysis.speedups(runs).set_index("variant")
    assert scaled.loc["spark", "case"] == scaled.loc["dask", "case"] == "groupby s (pandas)"
    assert scaled.loc["spark", "speedup"] == pytest.approx(2.0)  # against serial pandas
    empty = pd.DataFrame(columns=["run", "phase", "seconds"])
    busy = pd.DataFrame(columns=["run", "worker", "busy_s"])
    points = analysis.points(runs, empty, busy)
    best = verdict.fastest(points).set_index("workers")
    assert best.loc[2, "fastest"] == "spark (jvm)" and best.loc[2, "runner_up"] == "dask"


def test_every_item_is_defined_once_with_title_caption_and_group():
    stems = [item.stem for item in [*items.PER_PROBLEM, *items.STUDY_WIDE]]
    assert len(stems) == len(set(stems)) == len(items.ITEMS)
    for item in items.ITEMS.values():
        assert item.title and len(item.caption) > 40 and item.group
        assert item.kind in ("figure", "table")
    assert items.captions()["speedup"] == items.ITEMS["speedup"].caption


class Wildcards:
    def __init__(self, problem, item):
        self.problem, self.item = problem, item


def test_snakemake_report_categories_are_per_problem_with_labels():
    assert items.category(Wildcards("heat", "speedup")) == "heat (tightly coupled)"
    assert items.category(Wildcards("groupby", "crossover")) == "groupby (data analytics)"
    assert items.category(Wildcards(items.STUDY, "points")) == "Study"
    assert items.subcategory(Wildcards("pi", "phases")) == "Overheads"
    assert items.labels(Wildcards("pi", "phases")) == {
        "problem": "pi",
        "item": "Where the time goes",
        "type": "figure",
    }


@pytest.fixture(scope="module")
def at_scale(tmp_path_factory):
    """The synthetic study at cluster scale, its page and item files."""
    folder = tmp_path_factory.mktemp("report-at-scale")
    study = synthetic.study()
    page = report_page.build(study, study["log"], weak=False, title="synthetic study")
    text = report_page.render(page)
    (folder / "index.html").write_text(text, encoding="utf-8")
    return {"page": page, "text": text, "folder": folder, "study": study}


def test_study_at_scale_has_every_problem_variant_kernel_and_worker_count(at_scale):
    runs = at_scale["study"]["runs"]
    assert runs["variant"].nunique() == 8 and runs["problem"].nunique() == 4
    assert sorted(runs["workers"].unique())[-1] == 512 and runs["workers"].nunique() == 10
    assert (runs.groupby("problem")["kernel"].nunique() >= 2).all()
    assert set(runs.loc[runs["variant"] == "mpi", "nodes"]) == {1, 2, 4, 8, 16}


def chart_specs(at_scale) -> dict:
    found = re.search(
        r"<script type='application/json' id='parbench-specs'>(.*?)</script>", at_scale["text"], re.S
    )
    return json.loads(found.group(1).replace("<\\/", "</"))


def test_at_scale_every_figure_wraps_at_three_panels_fits_the_page_and_keeps_one_colour_per_variant(at_scale):
    specs = chart_specs(at_scale)
    problems = ["mandelbrot", "pi", "heat", "groupby"]
    assert {
        f"{p}-{stem}" for p in problems for stem in ("speedup", "efficiency", "wall_time", "phases")
    } <= set(specs)
    colours = {}
    for chart_id, spec in specs.items():
        assert spec["columns"] <= 3, chart_id
        width = spec["spec"].get("width") or spec["spec"]["layer"][0].get("width")
        assert width * spec["columns"] <= 1040, chart_id
        text = json.dumps(spec)
        for scale in re.findall(r'"field": "variant".*?"scale": (\{.*?\})', text):
            scale = json.loads(scale)
            for variant, colour in zip(scale["domain"], scale["range"], strict=True):
                assert colours.setdefault(variant, colour) == colour, (chart_id, variant)
        assert spec["config"]["axis"]["labelFontSize"] >= 12
    assert len(colours) == 8 and len(set(colours.values())) == 8


def test_at_scale_long_tables_are_filterable_and_downloadable_and_the_page_stays_small(at_scale):
    text = at_scale["text"]
    points = len(at_scale["page"].analysed.points)
    assert points > 500
    assert f"<p>{points} rows. <label>Filter:" in text
    assert "download='points.csv' href='data:text/csv;base64," in text
    assert text.count('class="dataframe sortable"') >= 4 * 3
    assert len(text.encode()) < 8e6
    assert not re.search(r"(src|href)=['\"]?(https?:|//)", text)


def test_item_files_for_snakemake_report(at_scale, tmp_path):
    tables = story_tables()
    page = report_page.build(tables, [], weak=False, title="story")
    report_page.render(page)
    written = {p.relative_to(tmp_path).as_posix() for p in report_page.write_items(page, tmp_path)}
    assert {"mandelbrot/speedup.svg", "mandelbrot/phases.svg", "mandelbrot/fastest.csv"} <= written
    assert {"study/points.csv", "study/problems.csv"} <= written
    assert "mandelbrot/crossover.csv" not in written  # not sized in rows
    svg = (tmp_path / "mandelbrot" / "speedup.svg").read_text()
    assert svg.startswith("<svg") and "processes" in svg


def test_weak_scaling_study_gets_weak_scaling_plots():
    study = synthetic.study(
        problems=("pi",), variants=("serial", "processes", "mpi"), kernels=1, workers=(1, 2, 4, 8), weak=True
    )
    page = report_page.build(study, study["log"], weak=True, title="weak")
    text = report_page.render(page)
    assert "weak" in text and "scaled speed-up" in text
    specs = page.charts
    assert {"pi-speedup", "pi-efficiency", "pi-wall_time"} <= set(specs)
    data = next(iter(specs["pi-wall_time"]["datasets"].values()))
    ideal = {round(row["median_s"], 6) for row in data if row.get("layer") == "ideal"}
    assert len(ideal) == 1  # weak scaling: the ideal wall time is flat, the serial time at one worker
    assert "Gustafson" in json.dumps(specs["pi-serial_fraction"])
    points = page.analysed.points.set_index(["variant", "workers"])
    # Gustafson's scaled speed-up p * T1 / Tp: close to p for a well-scaling variant.
    assert 6 < points.loc[("processes", 8), "speedup"] <= 8.5
