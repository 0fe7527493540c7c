"""The report in a real browser (headless Chromium, Debian's package): at cluster scale (the
synthetic study of 8 variants x 4 problems x 2 kernels x 10 worker counts up to 512) every chart is
drawn with data, nothing is logged as an error, nothing is fetched but the file itself, and the
layout is readable at 1,280 px: no figure shown at under half its drawn size or running off the
page, no text under 11 px as shown, at most three panels in a row. The layout check is also shown
to fail on the layout the report used to have (one row of panels per figure as a wide PNG)."""

from __future__ import annotations

import base64
import struct
import zlib

import pytest

from browser import chromium, layout_problems  # noqa: F401 (chromium is a fixture)
from parbench.report import page as report_page
from parbench.report import synthetic


@pytest.fixture(scope="module")
def at_scale_page(chromium, tmp_path_factory):  # noqa: F811
    folder = tmp_path_factory.mktemp("report-at-scale-browser")
    study = synthetic.study()
    page = report_page.build(study, study["log"], weak=False, title="parbench study (synthetic, 512 workers)")
    path = folder / "index.html"
    path.write_text(report_page.render(page), encoding="utf-8")
    return chromium.open(path), path, len(page.charts)


def test_every_chart_at_scale_is_drawn_with_data_and_no_errors(at_scale_page, capsys):
    page, path, charts = at_scale_page
    page.keep_screenshot("report-at-scale", capsys)
    state = page.evaluate("window.parbenchCharts")
    assert state == {"total": charts, "rendered": charts, "failed": []}
    measured = page.measure()
    drawn = [item for item in measured["items"] if item["marks"] is not None]
    assert len(drawn) == charts >= 4 * 6
    for item in drawn:
        assert item["marks"] >= 10, item  # lines, points, bars: the data, not only axes
        assert 1 <= item["legends"] <= 2, item  # one legend per figure, not one per panel
    assert page.errors() == []
    assert page.requests() == [path.resolve().as_uri()]  # nothing fetched but the file itself


def test_layout_at_scale_is_readable_on_a_laptop_screen(at_scale_page):
    page, _, _ = at_scale_page
    measured = page.measure()
    assert layout_problems(measured) == []
    assert measured["scroll_width"] <= measured["page_width"]  # no sideways scrolling
    smallest = min(i["smallest_text"] for i in measured["items"] if i["smallest_text"])
    assert smallest >= 12


def test_interactive_parts_work(at_scale_page):
    page, _, _ = at_scale_page
    # The phase figure's menu picks the worker count; its bars follow.
    bars = "document.querySelectorAll('#heat-phases .role-mark path').length"
    before = page.evaluate(bars)
    changed = page.evaluate(
        """(() => { const s = document.querySelector('#heat-phases select');
        s.value = s.options[0].value; s.dispatchEvent(new Event('change')); return s.options.length; })()"""
    )
    assert changed == 10 and before > 0
    page.evaluate("new Promise(r => setTimeout(r, 500))")
    assert page.evaluate(bars) > 0
    # Tables sort by a click on a column's header.
    first = page.evaluate(
        """(() => { const t = document.querySelector('#points table');
        const th = Array.from(t.querySelectorAll('th')).find(h => h.textContent === 'median_s');
        th.click(); th.click(); return Number(t.tBodies[0].rows[0].cells[th.cellIndex].textContent); })()"""
    )
    largest = page.evaluate(
        """(() => { const t = document.querySelector('#points table');
        const i = Array.from(t.querySelectorAll('th')).findIndex(h => h.textContent === 'median_s');
        return Math.max(...Array.from(t.tBodies[0].rows).map(r => Number(r.cells[i].textContent))); })()"""
    )
    assert first == largest
    assert page.errors() == []


def png(width: int, height: int) -> bytes:
    """A plain grey PNG of the given size (what matplotlib wrote, for the layout check)."""
    row = b"\0" + b"\xc8" * width
    raw = zlib.compress(row * height)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IEND", b"")[:0]
        + chunk(b"IDAT", raw)
        + chunk(b"IEND", b"")
    )


def test_the_layout_check_fails_on_the_old_layout(chromium, tmp_path):  # noqa: F811
    """The old report: per figure one row of nine panels, a 3,420 px PNG in a 1,200 px page."""
    image = base64.b64encode(png(3420, 320)).decode()
    old = (
        "<!DOCTYPE html><html><head><style>body { max-width: 1200px; margin: 2em auto; }"
        "img { max-width: 100%; }</style></head><body><h2>Wall time against workers</h2>"
        f"<img alt='Wall time against workers' src='data:image/png;base64,{image}'></body></html>"
    )
    path = tmp_path / "old.html"
    path.write_text(old)
    problems = layout_problems(chromium.open(path).measure())
    assert problems and "drawn 3420 px wide, shown at 1200 px" in problems[0]
