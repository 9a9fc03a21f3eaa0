"""The HTML report: charts, tables, assumptions, and nothing loaded from the internet."""

from __future__ import annotations

import html
import re

import pytest

from gigawatt.catalog.sources import resolve
from gigawatt.report.charts import TOOLBAR_PX, plan_figures
from gigawatt.report.html import (
    PLOTLY_JS,
    plotly_js_path,
    render_html,
    render_sweep_html,
    sweep_figures,
    write_html,
)
from gigawatt.sweep import sweep


@pytest.fixture(scope="module")
def small_sweep(announced):
    return sweep(announced, samples=48, seed=3).to_dict()


def test_report_is_self_contained(announced_plan):
    page = render_html(announced_plan.to_dict())
    assert page.count("<script") >= 4
    # The one script with a src is plotly.js beside the report, by a relative name.
    assert re.findall(r"<script[^>]+src=['\"]?([^'\" >]+)", page) == [PLOTLY_JS]
    assert not re.search(r"<link[^>]+href=\"?https?:", page), "no external styles"
    assert "Plotly.newPlot" in page


def test_report_is_small_and_ships_one_plotly_beside_it(tmp_path, announced_plan, small_sweep):
    plan_page = write_html(announced_plan.to_dict(), tmp_path / "plan.html")
    sweep_page = write_html(small_sweep, tmp_path / "sweep.html", render_sweep_html)
    # plotly.js (4.6 MB) once in the folder, not inside each report (they were 4.7 MB)
    assert (tmp_path / PLOTLY_JS).stat().st_size == plotly_js_path().stat().st_size
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["plan.html", "sweep.html", PLOTLY_JS])
    assert plan_page.stat().st_size < 400_000
    assert sweep_page.stat().st_size < 400_000


def test_report_lists_claims_and_every_assumption(announced_plan):
    d = announced_plan.to_dict()
    page = render_html(d)
    assert "Claims check" in page and "10 GW is 4-5 million GPUs" in page
    for a in d["assumptions"]:
        assert a["field"] in page
    assert "Investment tranches" in page


def test_only_the_verdict_cell_of_a_claim_is_coloured(announced_plan):
    d = announced_plan.to_dict()
    page = render_html(d)
    claims = page.split("<h2>Claims check</h2>")[1].split("</table>")[0]
    assert "<tr class" not in claims
    coloured = re.findall(r'<td class="([^"]+)">([^<]*)</td>', claims)
    assert [text for _, text in coloured] == [c["verdict"] for c in d["claims"]]
    assert {cls for cls, _ in coloured} <= {"within", "below", "above", "not-reached"}


def test_source_addresses_are_links(announced_plan):
    d = announced_plan.to_dict()
    page = render_html(d)
    urls = {m for a in d["assumptions"] for m in re.findall(r"https?://\S+", a["source"] or "")}
    assert urls, "the default scenario cites web sources"
    links = set(re.findall(r'<a href="(https?://[^"]+)"', page))
    for url in urls:
        assert url.rstrip(".,;)") in links or any(url.startswith(link) for link in links), url
    assert not re.search(r"<td>[^<]*https?://", page), "an address left as plain text"


def test_every_cited_source_is_linked_and_listed(announced_plan):
    d = announced_plan.to_dict()
    page = render_html(d)
    cited = [s for c in d["claims"] for s in resolve(c["source"])]
    cited += [s for a in d["assumptions"] for s in resolve(a["source"])]
    numbered = {s.id: s for s in cited if s.id.startswith("S")}
    assert len(numbered) > 10
    listed = page.split("<h2>Sources</h2>")[1]
    texts = " ".join([c["source"] for c in d["claims"]]
                     + [a["source"] or "" for a in d["assumptions"]])
    for sid, source in numbered.items():
        if re.search(rf"\b{sid}\b", texts):  # written out, not inside a range "S76-S80"
            assert re.search(rf'<a href="{re.escape(html.escape(source.url))}"[^>]*>{sid}</a>',
                             page), sid  # the S-number where it is cited links to its source
        assert re.search(rf"<td><a [^>]*>{sid}</a></td>", listed), sid


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


def test_chart_titles_sit_below_the_toolbar(announced_plan, small_sweep):
    figures = [*plan_figures(announced_plan.to_dict()).values(),
               *sweep_figures(small_sweep).values()]
    for fig in figures:
        title, height = fig.layout.title, fig.layout.height
        assert title.yref == "container" and title.yanchor == "top"
        assert round((1 - title.y) * height, 6) >= TOOLBAR_PX, title.text
        assert fig.layout.margin.t >= TOOLBAR_PX + 30  # room for the title line itself


def test_network_chart_sets_cumulative_cost_beside_cumulative_power(announced_plan):
    d = announced_plan.to_dict()
    fig = plan_figures(d)["network"]
    cost, power = fig.data
    assert cost.type == power.type == "scatter"  # no per-period bars against a running total
    assert list(cost.y) == sorted(cost.y) and list(power.y) == sorted(power.y)
    assert cost.y[-1] == pytest.approx(sum(t["capex_network_usd"] for t in d["timeline"]) / 1e9)
    assert fig.layout.yaxis.rangemode == fig.layout.yaxis2.rangemode == "tozero"


def test_tornado_bars_start_at_the_base_value(small_sweep):
    entries = small_sweep["sensitivity"]["capex_usd"]
    base = entries[0]["output_at_base"]
    assert all(e["output_at_base"] == base for e in entries)
    fig = sweep_figures(small_sweep)["tornado-capex_usd"]
    rows = list(reversed(entries))
    for trace, key in zip(fig.data, ("output_at_p10", "output_at_p90"), strict=True):
        assert list(trace.base) == [base] * len(rows)
        ends = [b + x for b, x in zip(trace.base, trace.x, strict=True)]
        assert ends == pytest.approx([e[key] for e in rows])
    assert fig.layout.barmode == "overlay"


def test_histograms_mark_p10_p50_p90(small_sweep):
    figures = sweep_figures(small_sweep)
    for name, q in small_sweep["outputs"].items():
        fig = figures[f"histogram-{name}"]
        lines = [s for s in fig.layout.shapes if s.type == "line"]
        assert [s.x0 for s in lines] == [q["p10"], q["p50"], q["p90"]]
        assert [a.text for a in fig.layout.annotations] == ["P10", "P50", "P90"]


def test_write_is_whole(tmp_path, announced_plan):
    path = write_html(announced_plan.to_dict(), tmp_path / "sub" / "r.html")
    assert path.read_text().endswith("</html>")
    assert not list(tmp_path.rglob("*.tmp"))


def test_largest_job_row_says_what_the_missing_operations_would_reach(announced_plan):
    from gigawatt.report.terminal import headline_rows

    d = announced_plan.to_dict()
    row = next(r for r in headline_rows(d) if r[0] == "Largest single-site job")
    assert f"under {d['operations_profile']} operations" in row[2]
    for step in d["largest_job_operations_needed"]:
        assert step in row[2]
    reached = d["largest_job_goodput_with_operations_needed"]
    assert f"goodput {reached:.1%}" in row[2]
    assert f"up to {d['largest_job_gpus_above_floor_with_operations_needed']:,} GPUs" in row[2]
    # without anything missing, the row stops at the profile
    bare = {**d, "largest_job_operations_needed": []}
    assert "; with" not in next(r for r in headline_rows(bare)
                                if r[0] == "Largest single-site job")[2]
