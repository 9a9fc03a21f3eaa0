"""The HTML report of a plan: charts and tables in one file that opens offline.

plotly.js is not inlined (it is 4.6 MB): :func:`write_html` puts one copy,
``plotly.min.js`` from the installed plotly package, next to the report, and the report
loads it by that relative name, so nothing loads from the internet and a folder of
reports shares one copy.
"""

from __future__ import annotations

import html
import shutil
from collections.abc import Callable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from gigawatt.report import format as fmt
from gigawatt.report import tables
from gigawatt.report.charts import cdf_figure, histogram_figure, plan_figures, tornado_figure
from gigawatt.report.terminal import (
    GIGAWATT_BUYS_COLUMNS,
    GIGAWATT_BUYS_NOTE,
    gigawatt_buys_rows,
    headline_rows,
)

PLOTLY_JS = "plotly.min.js"
"""The file name of plotly.js beside a report (the report's one script with a ``src``)."""

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1200px; color: #222;
       padding: 0 1rem; }
h1 { font-size: 1.6rem; } h2 { margin-top: 2rem; border-bottom: 1px solid #ddd; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #eee; padding: 4px 8px; text-align: left; vertical-align: top; }
td.num { text-align: right; white-space: nowrap; }
td.within { color: #137333; font-weight: 600; }
td.below, td.above, td.not-reached { color: #b3261e; font-weight: 600; }
a { overflow-wrap: anywhere; }
.grid { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
@media (max-width: 900px) { .grid { grid-template-columns: 1fr; } }
"""


def _text(value: Any, links: bool) -> str:
    text = str(value)
    if not links:
        return html.escape(text)
    return "".join(
        f'<a href="{html.escape(source.url)}" title="{html.escape(source.title)}" '
        f'rel="noopener noreferrer">{html.escape(piece)}</a>'
        if source else html.escape(piece)
        for piece, source in tables.split_links(text))


def _table(columns: Sequence[str], rows: Sequence[Sequence[Any]], numeric: int = 0,
           cell_class: Callable[[int, int], str] | None = None,
           links: Sequence[int] = ()) -> str:
    """An HTML table; columns ``1..numeric`` right-aligned, ``cell_class(row, column)`` a
    class for one cell, and the columns in ``links`` with their addresses as links."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = []
    for i, row in enumerate(rows):
        cells = []
        for j, v in enumerate(row):
            cls = " ".join(c for c in ("num" if 0 < j <= numeric else "",
                                       cell_class(i, j) if cell_class else "") if c)
            attr = f' class="{cls}"' if cls else ""
            cells.append(f"<td{attr}>{_text(v, j in links)}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (f"<div class='scroll'><table><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table></div>")


def _charts(figures: Sequence[Any]) -> list[str]:
    return [f"<div>{fig.to_html(full_html=False, include_plotlyjs=False, config=CHART_CONFIG)}"
            "</div>" for fig in figures]


CHART_CONFIG = {"displaylogo": False, "responsive": True}
"""plotly's options for every chart of a report and of the dashboard."""


def _head(title: str) -> str:
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{title}</title><style>{STYLE}</style>"
            f"<script src='{PLOTLY_JS}'></script></head><body>")


def render_html(r: Mapping[str, Any]) -> str:
    """The whole report as one HTML document (it loads ``plotly.min.js`` from beside it)."""
    claims_cols, claims = tables.claims_table(r)
    verdicts = [tables.verdict_class(c["verdict"]) for c in r["claims"]]
    title = html.escape(r["title"])
    parts = [
        _head(title),
        f"<h1>{title}</h1><p>Scenario <code>{html.escape(r['scenario'])}</code>, "
        f"{r['first_period']} to {r['last_period']}; gigawatt {r['gigawatt_version']}"
        + (f", run <code>{r['run_id']}</code>" if r.get("run_id") else "") + ".</p>",
        "<h2>Headline</h2>", _table(["quantity", "value", "basis"], headline_rows(r), 1),
        "<h2>Claims check</h2>",
        _table(claims_cols, claims, links=(len(claims_cols) - 1,),
               cell_class=lambda i, j: verdicts[i] if j == tables.VERDICT_COLUMN else ""),
        "<h2>Charts</h2><div class='grid'>", *_charts(list(plan_figures(r).values())),
        "</div>",
        "<h2>Timeline</h2><p>Power, equipment and compute are cumulative at the end of each "
        "half-year; capex and investment fall in the period.</p>",
        _table(*tables.timeline_table(r), 16),
        *_sites_section(r),
        *([f"<h2>What one gigawatt buys, per generation</h2><p>{html.escape(GIGAWATT_BUYS_NOTE)}"
           "</p>", _table(GIGAWATT_BUYS_COLUMNS, gigawatt_buys_rows(r), 2)]
          if r.get("gigawatt_buys") else []),
        "<h2>Investment tranches</h2>", _table(*tables.tranches_table(r), 2),
        "<h2>Assumptions</h2><p>Every number the plan rests on beyond the announcement, with "
        "its status and source.</p>",
        _table(*tables.assumptions_table(r), 1, links=(4,)),
        "<h2>Sources</h2><p>Every source cited above (<code>gigawatt catalog sources</code> "
        "lists them all).</p>",
        _table(*tables.sources_table(r), links=(0, 1, 4)),
        "</body></html>",
    ]
    return "\n".join(parts)


def _sites_section(r: Mapping[str, Any]) -> list[str]:
    opt = r.get("optimiser")
    if not opt:
        return []
    return [
        "<h2>Sites</h2>",
        f"<p>Optimised build-out ({html.escape(opt['objective'])} objective, "
        f"{opt['first_quarter']} to {opt['last_quarter']}); {html.escape(opt['note'])}. "
        "Racks added at each site in each half-year, against the power the site can draw "
        "then.</p>",
        _table(*tables.sites_table(r)),
        "<h2>What limits the plan</h2><p>Limits that bind, worth most first (from the "
        "programme's shadow prices).</p>",
        _table(*tables.binding_table(r)),
    ]


def sweep_figures(d: Mapping[str, Any]) -> dict[str, Any]:
    """The sweep report's charts by name: a tornado per headline output (sampled sweeps),
    each output's cumulative distribution, then its histogram with its P10, P50 and P90."""
    figures: dict[str, Any] = {}
    sensitivity = d.get("sensitivity") or {}
    for name in ("capex_usd", "gpus", "usd_per_gpu_hour"):
        if sensitivity.get(name):
            figures[f"tornado-{name}"] = tornado_figure(name, sensitivity[name])
    for name, curve in (d.get("cdf") or {}).items():
        figures[f"cdf-{name}"] = cdf_figure(name, curve)
    for name, hist in (d.get("histograms") or {}).items():
        figures[f"histogram-{name}"] = histogram_figure(name, hist,
                                                        (d.get("outputs") or {}).get(name))
    return figures


def render_sweep_html(d: Mapping[str, Any]) -> str:
    """The sweep report: quantiles, histograms and tornado charts in one offline page."""
    charts = _charts(list(sweep_figures(d).values()))
    shown = {**d["outputs"], **(d.get("dates") or {})}  # dates as dates, not day numbers
    quantiles = [(name, fmt.value(q["p10"]), fmt.value(q["p50"]), fmt.value(q["p90"]),
                  fmt.value(q["mean"])) for name, q in shown.items()]
    title = f"Sweep of {html.escape(d['scenario'])}"
    parts = [
        _head(title), f"<h1>{title}</h1>",
        f"<p>{d['samples']} samples ({d['design']}, seed {d['seed']}, backend "
        f"{d['backend']}); uncertain inputs: {html.escape(', '.join(d['inputs']))}.</p>",
        *([f"<p>Note: {html.escape(d['note'])}.</p>"] if d.get("note") else []),
        "<h2>Outputs</h2>", _table(["output", "P10", "P50", "P90", "mean"], quantiles, 4),
        *_sweep_answers(d),
        "<h2>Charts</h2><div class='grid'>", *charts, "</div>",
        "</body></html>",
    ]
    return "\n".join(parts)


def _sweep_answers(d: Mapping[str, Any]) -> list[str]:
    """Targets' probabilities, what drives each P90, and the Sobol indices, as tables."""
    parts: list[str] = []
    if d.get("targets"):
        parts += ["<h2>Targets</h2>", _table(
            ["target", "probability", "standard error"],
            [(t["target"], fmt.value(t["probability"]),
              fmt.value(t["standard_error"])) for t in d["targets"]], 2)]
    drivers = d.get("p90_drivers") or {}
    if drivers:
        rows = [(name, e["input"], fmt.value(e["ks_distance"]),
                 fmt.value(e["shift"])) for name, entries in drivers.items()
                for e in entries[:3]]
        parts += ["<h2>What drives each P90</h2><p>Samples at or beyond an output's P90 "
                  "against all samples: Kolmogorov-Smirnov distance of each input, and the "
                  "shift of its median (in P10-P90 widths). Top three per output.</p>",
                  _table(["output", "input", "KS distance", "shift"], rows, 2)]
    indices = d.get("sobol_indices") or {}
    if indices:
        rows = [(name, p, fmt.value(v["first_order"]),
                 fmt.value(v["total_effect"])) for name, by_input in indices.items()
                for p, v in sorted(by_input.items(), key=lambda kv: -kv[1]["total_effect"])[:3]]
        parts += [f"<h2>Sobol indices</h2><p>First-order and total-effect, from "
                  f"{d.get('sobol_evaluations', 0)} evaluations (scipy.stats.sobol_indices). "
                  "Top three per output.</p>",
                  _table(["output", "input", "first order", "total effect"], rows, 2)]
    return parts


def write_html(r: Mapping[str, Any], path: Path,
               render: Callable[[Mapping[str, Any]], str] = render_html) -> Path:
    """Write a report, creating the folder, with ``plotly.min.js`` beside it (copied once
    from the installed plotly package); each file appears whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _place_plotly(path.parent)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(render(r), encoding="utf-8")
    tmp.replace(path)
    return path


def plotly_js_path() -> Path:
    """plotly.js inside the installed plotly package (the report's and the dashboard's)."""
    return Path(str(resources.files("plotly") / "package_data" / PLOTLY_JS))


def _place_plotly(folder: Path) -> None:
    source = plotly_js_path()
    target = folder / PLOTLY_JS
    if target.exists() and target.stat().st_size == source.stat().st_size:
        return  # already there (a folder of reports shares one copy)
    tmp = target.with_suffix(".js.tmp")
    shutil.copyfile(source, tmp)
    tmp.replace(target)
