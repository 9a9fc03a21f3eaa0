"""The HTML report: charts, tables, assumptions, and nothing loaded from the internet."""

from __future__ import annotations

import re

from gigawatt.report.charts import plan_figures
from gigawatt.report.html import render_html, write_html


def test_report_is_self_contained(announced_plan):
    page = render_html(announced_plan.to_dict())
    assert page.count("<script") >= 4
    assert not re.search(r"<script[^>]+src=", page), "no external scripts"
    assert not re.search(r"<link[^>]+href=\"?https?:", page), "no external styles"
    assert "Plotly.newPlot" in page


def test_report_lists_claims_and_every_assumption(announced_plan):
    d = announced_plan.to_dict()
    page = render_html(d)
    assert "Claims check" in page and "10 GW is 4-5 million GPUs" in page
    for a in d["assumptions"]:
        assert a["field"] in page
    assert "Investment tranches" in page


def test_charts_cover_power_gpus_capex_compute(announced_plan):
    figs = plan_figures(announced_plan.to_dict())
    assert set(figs) == {"power", "gpus", "capex", "compute", "network", "serving", "training",
                         "yardstick", "roadmap"}
    # the roadmap chart has one bar per platform that serves, in order of availability
    bars = figs["roadmap"].data[0]
    assert len(bars.x) >= 5 and list(bars.y) == [
        b["serve_tokens_per_s_per_mw"] for b in announced_plan.to_dict()["gigawatt_buys"]
        if b.get("serve_tokens_per_s_per_mw")]
    capex_names = {t.name for t in figs["capex"].data}
    assert {"cumulative capex", "cumulative investment tranches"} <= capex_names


def test_write_is_whole(tmp_path, announced_plan):
    path = write_html(announced_plan.to_dict(), tmp_path / "sub" / "r.html")
    assert path.read_text().endswith("</html>")
    assert not list(tmp_path.rglob("*.tmp"))
