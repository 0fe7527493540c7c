"""The study's report: one HTML file that opens offline (Vega-Lite charts drawn by the Vega
JavaScript inlined once, tables sortable and filterable, long ones downloadable as CSV from the page
itself), plus each figure as SVG and each table as CSV for `snakemake --report`.

The page is a list of sections, each built by one function of SECTIONS from the analysed study
(a Page). To add a section, write `def my_section(page) -> list[Section]` and add it to SECTIONS
where it belongs (an empty list leaves it out). The figures and tables of the per-problem sections
come from parbench.report.items.
"""

from __future__ import annotations

import base64
import html
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import pandas as pd

from parbench import output
from parbench.report import claims, verdict
from parbench.report import items as catalogue
from parbench.results.collect import read_tables

LONG_TABLE_ROWS = 20  # longer tables scroll, get a filter box and a CSV download


@dataclass
class Section:
    id: str
    title: str
    body: str
    level: int = 2


@dataclass
class Page:
    """What the sections are built from."""

    analysed: catalogue.Analysed
    log: list[dict]
    title: str
    charts: dict = field(default_factory=dict)  # chart id -> Vega-Lite spec, filled while building
    reproduction: Path | None = None  # comparisons with reported studies (parbench.reproduce)

    @property
    def weak(self) -> bool:
        return self.analysed.weak

    def chart(self, chart_id: str, chart) -> str:
        """A placeholder the page's script draws `chart` into."""
        self.charts[chart_id] = chart.to_dict(validate=False)
        return f"<div class='vega' id='{chart_id}' data-spec='{chart_id}'></div>"


def escape(text) -> str:
    return html.escape(str(text), quote=True)


def formatted(frame: pd.DataFrame) -> pd.DataFrame:
    """Numbers as a reader wants them: three significant figures, efficiencies in per cent."""
    shown = frame.copy()
    for column in shown.columns:
        values = shown[column]
        if pd.api.types.is_float_dtype(values):
            if column.startswith("efficiency"):
                shown[column] = values.map(lambda v: "" if pd.isna(v) else f"{v:.0%}")
            else:
                shown[column] = values.map(lambda v: "" if pd.isna(v) else f"{v:.3g}")
    return shown.fillna("")


def csv_link(frame: pd.DataFrame, name: str) -> str:
    data = base64.b64encode(frame.to_csv(index=False).encode()).decode("ascii")
    return f"<a download='{escape(name)}.csv' href='data:text/csv;base64,{data}'>{escape(name)}.csv</a>"


def table_html(frame: pd.DataFrame | None, name: str) -> str:
    """A sortable table (click a column's header); a long one also scrolls, has a filter box and
    a link that downloads it as CSV."""
    if frame is None or frame.empty:
        return "<p><em>none</em></p>"
    body = formatted(frame).to_html(index=False, border=0, classes="sortable", escape=True)
    if len(frame) <= LONG_TABLE_ROWS:
        return body
    return (
        f"<div class='long-table'><p>{len(frame)} rows. <label>Filter: <input type='search' "
        f"class='filter' placeholder='e.g. mpi'></label> Download: {csv_link(frame, name)}</p>"
        f"<div class='scroll'>{body}</div></div>"
    )


def figure_html(page: Page, chart_id: str, item: catalogue.Item, chart) -> str:
    return (
        f"<figure><figcaption><strong>{escape(item.title)}.</strong> {escape(item.caption)}</figcaption>"
        f"{page.chart(chart_id, chart)}</figure>"
    )


def built_items(page: Page, problem: str):
    """(item, chart or table) for every per-problem item with data."""
    for item in catalogue.PER_PROBLEM:
        value = item.build(page.analysed, problem)
        if value is not None:
            yield item, value


# --- the sections, in the page's order -----------------------------------------------------------


def verification_section(page: Page) -> list[Section]:
    runs = page.analysed.tables["runs"]
    counts = runs["status"].value_counts().to_dict()
    total, ok = sum(counts.values()), counts.get("ok", 0)
    if ok == total:
        body = f"<p class='good'>All {total} runs finished and match their serial reference.</p>"
    else:
        parts = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        left_out = catalogue.runs_left_out(page.analysed, catalogue.STUDY)
        body = (
            f"<div class='bad'><p><strong>{total - ok} of {total} runs are not in the figures</strong> "
            f"({parts}). A mismatch means the result differs from the serial reference; missing means "
            f"the run did not finish. They are listed below.</p>{table_html(left_out, 'problems')}</div>"
        )
    scaling = "weak" if page.weak else "strong"
    intro = (
        f"<p>Scaling: <strong>{scaling}</strong>. Wall time is each run's own <code>total</code> "
        "phase; a case is one problem at one size with one kernel (Spark's group-by, which runs in "
        "the JVM, joins the case of the problem's default kernel). Speed-up and efficiency are "
        "against the median serial run of the case.</p>"
    )
    return [Section("verification", "Verification", intro + body)]


def answer_section(page: Page) -> list[Section]:
    answers = verdict.answers(page.analysed.points, page.weak)
    if not answers:
        return [Section("answer", "The answer", "<p>No verified runs: nothing to compare.</p>")]
    parts = [
        "<p>Per problem and case: the fastest variant at each worker count, with its speed-up and "
        "efficiency; then, for the others, the reason that costs each the most seconds against the "
        "fastest, from the measured phases (start-up, distribution, communication, load "
        "imbalance, the GIL). Generated from this study's measurements.</p>"
    ]
    for problem, cases in answers.items():
        parts.append(f"<h3><a href='#{escape(problem)}'>{escape(catalogue.problem_title(problem))}</a></h3>")
        for case, sentences in cases:
            panel = case.split(" ", 1)[1]
            parts.append(
                f"<p class='answer'><strong>{escape(panel)}.</strong> "
                + " ".join(map(escape, sentences))
                + "</p>"
            )
    return [Section("answer", "The answer", "\n".join(parts))]


def claims_section(page: Page) -> list[Section]:
    if page.analysed.points.empty:
        return []
    rows = []
    for claim in claims.judged(page.analysed.points):
        kind = {claims.HOLDS: "good", claims.FAILS: "bad"}.get(claim.verdict, "")
        caveat = f"<br><em>Noisy: {escape(claim.noisy)}.</em>" if claim.noisy else ""
        rows.append(
            f"<tr class='claim'><td>{escape(claim.text)}</td>"
            f"<td class='{kind}'><strong>{escape(claim.verdict)}</strong></td>"
            f"<td>{escape(claim.evidence)}{caveat}</td></tr>"
        )
    body = (
        "<p>parbench grew from a course's overview of parallel Python: "
        f"{escape(claims.SOURCE)}. Its claims, in parbench's own words, each judged from this "
        "study's own measurements (a verdict is about this machine and these sizes, not a law):</p>"
        "<table class='claims'><thead><tr><th>the course says</th><th>verdict</th>"
        "<th>what this study shows</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )
    return [Section("claims", "What the course says, and what this machine shows", body)]


def problem_sections(page: Page) -> list[Section]:
    sections = []
    for problem in page.analysed.problems():
        parts = []
        for item, value in built_items(page, problem):
            if item.kind == "figure":
                parts.append(figure_html(page, f"{problem}-{item.stem}", item, value))
            else:
                name = f"{problem}-{item.stem}"
                parts.append(
                    f"<h3 id='{escape(name)}'>{escape(item.title)}</h3>"
                    f"<p class='caption'>{escape(item.caption)}</p>{table_html(value, name)}"
                )
        sections.append(Section(problem, catalogue.problem_title(problem), "\n".join(parts)))
    return sections


def every_point_section(page: Page) -> list[Section]:
    item = catalogue.ITEMS["points"]
    table = item.build(page.analysed, catalogue.STUDY)
    return [
        Section(
            "points",
            item.title,
            f"<p class='caption'>{escape(item.caption)}</p>{table_html(table, 'points')}",
        )
    ]


def provenance(log: list[dict]) -> pd.DataFrame:
    """Machine, software and run provenance, one row per item, with every distinct value seen."""
    found: dict[str, set] = {}

    def add(key, value):
        if value not in ("", None):
            found.setdefault(key, set()).add(str(value))

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
    for package in ("snakemake", "pandas", "altair", "vl-convert-python"):
        try:
            add(f"report: {package}", metadata.version(package))
        except metadata.PackageNotFoundError:
            pass
    if log:
        add("first run (UTC)", min(r.get("start_utc", "") for r in log))
        add("last run (UTC)", max(r.get("end_utc", "") for r in log))
    return pd.DataFrame([{"item": k, "value": ", ".join(sorted(v))} for k, v in sorted(found.items())])


def reproduction_sections(page: Page) -> list[Section]:
    from parbench.report import reproduction as section

    built = section.sections(page.reproduction, table_html, page.chart)
    return [Section(i, title, body, level=2 if i == "reproduction" else 3) for i, title, body in built]


def provenance_section(page: Page) -> list[Section]:
    return [Section("machine", "Machine and software", table_html(provenance(page.log), "provenance"))]


SECTIONS: list[Callable[[Page], list[Section]]] = [
    verification_section,
    answer_section,
    claims_section,
    problem_sections,
    every_point_section,
    reproduction_sections,
    provenance_section,
]

# --- the page ------------------------------------------------------------------------------------

STYLE = """
body { font: 15px/1.45 system-ui, 'DejaVu Sans', sans-serif; margin: 0 auto; max-width: 1200px;
       padding: 0 24px 48px; color: #222; box-sizing: border-box; }
h1 { font-size: 26px; } h2 { font-size: 21px; border-bottom: 1px solid #ddd; margin-top: 2em; }
h3 { font-size: 17px; margin-bottom: 0.3em; }
nav ul { columns: 3; padding-left: 1.2em; }
figure { margin: 1em 0 2.2em; } figcaption, .caption { font-size: 14px; color: #444; }
.vega { overflow-x: auto; margin-top: 0.5em; }
.vega form, .vega .vega-bindings { font-size: 14px; }
table { border-collapse: collapse; font-size: 13px; margin: 0.4em 0 1.2em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: right; }
th { background: #f3f3f3; cursor: pointer; position: sticky; top: 0; }
th[aria-sort=ascending]::after { content: ' \\25B2'; } th[aria-sort=descending]::after { content: ' \\25BC'; }
.scroll { max-height: 420px; overflow: auto; border: 1px solid #ddd; }
.long-table p { font-size: 14px; margin: 0.3em 0; }
.bad { background: #fde8e8; border: 1px solid #e99; padding: 0.5em 1em; }
.good { background: #e8f6e8; border: 1px solid #9c9; padding: 0.5em 1em; }
.answer { max-width: 1100px; }
"""

# Draws every chart (SVG, so text stays sharp and measurable) and makes tables sortable and
# filterable. window.parbenchCharts tells a test how many charts were drawn and which failed.
SCRIPT = """
(function () {
  const specs = JSON.parse(document.getElementById('parbench-specs').textContent);
  const state = window.parbenchCharts = {total: 0, rendered: 0, failed: []};
  for (const el of document.querySelectorAll('.vega')) {
    state.total += 1;
    vegaEmbed(el, specs[el.dataset.spec], {renderer: 'svg', actions: false})
      .then(function () { el.dataset.rendered = 'yes'; state.rendered += 1; })
      .catch(function (error) {
        el.dataset.rendered = 'failed'; state.failed.push(el.id);
        el.textContent = 'This chart could not be drawn: ' + error;
        console.error('chart ' + el.id + ': ' + error);
      });
  }
  function cellValue(row, index) {
    const text = row.cells[index].textContent.trim().replace('%', '');
    const number = Number(text);
    return text !== '' && !Number.isNaN(number) ? number : text.toLowerCase();
  }
  for (const table of document.querySelectorAll('table.sortable')) {
    table.querySelectorAll('th').forEach(function (th, index) {
      th.addEventListener('click', function () {
        const ascending = th.getAttribute('aria-sort') !== 'ascending';
        table.querySelectorAll('th').forEach(function (other) { other.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
        const body = table.tBodies[0];
        const rows = Array.from(body.rows);
        rows.sort(function (a, b) {
          const x = cellValue(a, index), y = cellValue(b, index);
          return (x < y ? -1 : x > y ? 1 : 0) * (ascending ? 1 : -1);
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  }
  for (const input of document.querySelectorAll('input.filter')) {
    const table = input.closest('.long-table').querySelector('table');
    input.addEventListener('input', function () {
      const words = input.value.toLowerCase().split(/\\s+/).filter(Boolean);
      for (const row of table.tBodies[0].rows) {
        const text = row.textContent.toLowerCase();
        row.hidden = !words.every(function (word) { return text.includes(word); });
      }
    });
  }
})();
"""


def script_json(value) -> str:
    """JSON safe inside a <script> element."""
    return json.dumps(value, separators=(",", ":")).replace("</", "<\\/")


def render(page: Page) -> str:
    sections = [section for build in SECTIONS for section in build(page)]
    nav = "".join(
        f"<li><a href='#{escape(s.id)}'>{escape(s.title)}</a></li>" for s in sections if s.level == 2
    )
    body = "\n".join(
        f"<section id='{escape(s.id)}'><h{s.level}>{escape(s.title)}</h{s.level}>\n{s.body}</section>"
        for s in sections
    )
    return "\n".join(
        [
            "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
            "<meta name='viewport' content='width=device-width, initial-scale=1'>",
            f"<title>{escape(page.title)}</title><style>{STYLE}</style></head><body>",
            f"<h1>{escape(page.title)}</h1><nav><ul>{nav}</ul></nav>",
            body,
            f"<script type='application/json' id='parbench-specs'>{script_json(page.charts)}</script>",
            f"<script>{vega_bundle()}</script>",
            f"<script>{SCRIPT}</script>",
            "</body></html>",
        ]
    )


# --- Vega's JavaScript and static figures ---------------------------------------------------------


def vega_lite_version() -> str | None:
    import altair as alt
    import vl_convert

    version = ".".join(alt.VEGALITE_VERSION.split(".")[:2])
    return version if version in vl_convert.get_vegalite_versions() else None


def cache_dir() -> Path:
    root = os.environ.get("PARBENCH_CACHE") or os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "parbench"


def vega_bundle() -> str:
    """Vega, Vega-Lite and vega-embed as one script, from vl-convert (the JavaScript Altair
    inlines). Bundling takes seconds, so the bundle is kept in the user's cache, one file per
    vl-convert and Vega-Lite version."""
    import vl_convert

    version = vega_lite_version()
    path = cache_dir() / f"vega-{vl_convert.__version__}-vl{version}.js"
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        pass
    bundle = vl_convert.javascript_bundle(vl_version=version)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        output.write_text_atomically(path, bundle)
    except OSError:  # a read-only home: bundle again next time
        pass
    return bundle


def svg_of(spec: dict) -> str:
    import vl_convert

    return vl_convert.vegalite_to_svg(spec, vl_version=vega_lite_version())


def png_of(spec: dict) -> bytes:
    import vl_convert

    return vl_convert.vegalite_to_png(spec, vl_version=vega_lite_version(), scale=2)


# --- writing ------------------------------------------------------------------------------------


def build(tables: dict, log: list[dict], weak: bool, title: str, reproduction=None) -> Page:
    return Page(catalogue.Analysed(tables, weak), log, title, reproduction=reproduction)


def write_items(page: Page, items_dir) -> list[Path]:
    """Every item with data as its own file: items_dir/PROBLEM/STEM.svg or .csv, and the
    study-wide tables in items_dir/study/."""
    written = []
    targets = [(problem, catalogue.PER_PROBLEM) for problem in page.analysed.problems()]
    targets.append((catalogue.STUDY, catalogue.STUDY_WIDE))
    for problem, entries in targets:
        folder = Path(items_dir) / problem
        folder.mkdir(parents=True, exist_ok=True)
        for item in entries:
            chart_id = f"{problem}-{item.stem}"
            if item.kind == "figure":
                if chart_id not in page.charts:
                    continue
                text = svg_of(page.charts[chart_id])
            else:
                table = item.build(page.analysed, problem)
                if table is None:
                    continue
                text = table.to_csv(index=False)
            path = folder / f"{item.stem}{item.suffix}"
            output.write_text_atomically(path, text)
            written.append(path)
    return written


def write(
    tables_paths: dict, log_path, weak: bool, html_path, items_dir, title: str, reproduction=None
) -> Page:
    tables = read_tables(tables_paths["timings"], tables_paths["worker_busy"], tables_paths["runs"])
    with open(log_path, encoding="utf-8") as f:
        log = [json.loads(line) for line in f if line.strip()]
    page = build(tables, log, weak, title, reproduction)
    output.write_text_atomically(html_path, render(page))
    if items_dir is not None:
        write_items(page, items_dir)
    return page
