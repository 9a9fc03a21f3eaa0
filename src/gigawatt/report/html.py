"""The HTML report of a plan: charts and tables in one file that opens offline.

plotly.js is embedded once in the file, so nothing loads from the internet.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from gigawatt.report import format as fmt
from gigawatt.report.charts import cdf_figure, histogram_figure, plan_figures, tornado_figure
from gigawatt.report.terminal import headline_rows, site_table_rows

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1200px; color: #222; }
h1 { font-size: 1.6rem; } h2 { margin-top: 2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #eee; padding: 4px 8px; text-align: left; vertical-align: top; }
td.num { text-align: right; white-space: nowrap; }
.within { color: #137333; } .below, .above, .not-reached { color: #b3261e; }
.grid { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
"""


def _table(columns: Sequence[str], rows: Sequence[Sequence[Any]], numeric: int = 0,
           classes: Sequence[str] | None = None) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = []
    for i, row in enumerate(rows):
        cells = "".join(
            f'<td class="num">{html.escape(str(v))}</td>' if 0 < j <= numeric
            else f"<td>{html.escape(str(v))}</td>"
            for j, v in enumerate(row)
        )
        cls = f' class="{classes[i]}"' if classes else ""
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def render_html(r: Mapping[str, Any]) -> str:
    """The whole report as one HTML document."""
    figures = plan_figures(r)
    charts = []
    for i, fig in enumerate(figures.values()):
        charts.append(fig.to_html(full_html=False, include_plotlyjs=(i == 0),
                                  config={"displaylogo": False}))
    timeline = [
        (t["period"], fmt.systems(t["system_added"]), fmt.num(t["facility_gw"]),
         fmt.num(t["it_gw"]),
         fmt.count(t["racks"]), fmt.count(t["gpus"]), fmt.count(t["gpu_dies"]),
         fmt.count(t["nvlink_domains"]), fmt.num(t["fp4_eflops"], 0),
         fmt.num(t["fp8_eflops"], 0), fmt.num(t["bf16_eflops"], 0), fmt.num(t["hbm_pb"], 0),
         fmt.usd(t["capex_usd"]), fmt.usd(t["investment_usd"]), fmt.usd(t["opex_usd_per_year"]),
         fmt.num(t["energy_twh_per_year"], 1), fmt.usd(t["usd_per_gpu_hour"]))
        for t in r["timeline"]
    ]
    tranches = [(fmt.num(t["threshold_gw"], 1), fmt.usd(t["amount_usd"]),
                 t["release_date"] or "not reached") for t in r["tranches"]]
    claims = [(c["claim"], c["who"], fmt.claimed_range(c),
               fmt.claimed(c, "model"), c["verdict"], c["reason"], c["source"])
              for c in r["claims"]]
    assumptions = [(a["field"], fmt.value(a["value"]), a["status"], a["origin"], a["source"])
                   for a in r["assumptions"]]
    title = html.escape(r["title"])
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{title}</h1><p>Scenario <code>{html.escape(r['scenario'])}</code>, "
        f"{r['first_period']} to {r['last_period']}; gigawatt {r['gigawatt_version']}"
        + (f", run <code>{r['run_id']}</code>" if r.get("run_id") else "") + ".</p>",
        "<h2>Headline</h2>", _table(["quantity", "value", "basis"], headline_rows(r), 1),
        "<h2>Claims check</h2>",
        _table(["claim", "who", "claimed", "model", "verdict", "why", "source"], claims,
               classes=[c["verdict"].replace(" ", "-") for c in r["claims"]]),
        "<h2>Charts</h2><div class='grid'>", *[f"<div>{c}</div>" for c in charts], "</div>",
        "<h2>Timeline</h2><p>Power, equipment and compute are cumulative at the end of each "
        "half-year; capex and investment fall in the period.</p>",
        _table(["period", "added", "facility GW", "IT GW", "racks", "GPUs", "dies", "domains",
                "FP4 EF/s", "FP8 EF/s", "BF16 EF/s", "HBM PB", "capex", "investment",
                "opex/yr", "TWh/yr", "$/GPU-h"], timeline, 16),
        *_sites_section(r),
        "<h2>Investment tranches</h2>",
        _table(["threshold GW", "amount", "released"], tranches, 2),
        "<h2>Assumptions</h2><p>Every number the plan rests on beyond the announcement, with "
        "its status and source.</p>",
        _table(["field", "value", "status", "from", "source or note"], assumptions, 1),
        "</body></html>",
    ]
    return "\n".join(parts)


def _sites_section(r: Mapping[str, Any]) -> list[str]:
    opt = r.get("optimiser")
    if not opt:
        return []
    binding = [(b["text"], b["constraint"], b["where"] or "-", b["period"] or "-")
               for b in r.get("binding") or []]
    return [
        "<h2>Sites</h2>",
        f"<p>Optimised build-out ({html.escape(opt['objective'])} objective, "
        f"{opt['first_quarter']} to {opt['last_quarter']}); {html.escape(opt['note'])}. "
        "Racks added at each site in each half-year, against the power the site can draw "
        "then.</p>",
        _table(["site", "period", "power MW", "used MW", "racks added", "GPUs"],
               site_table_rows(r)),
        "<h2>What limits the plan</h2><p>Limits that bind, worth most first (from the "
        "programme's shadow prices).</p>",
        _table(["limit", "kind", "where", "when"], binding),
    ]


def render_sweep_html(d: Mapping[str, Any]) -> str:
    """The sweep report: quantiles, histograms and tornado charts in one offline page."""
    figures = [tornado_figure(name, d["sensitivity"][name])
               for name in ("capex_usd", "gpus", "usd_per_gpu_hour") if d["sensitivity"]]
    figures += [cdf_figure(name, curve) for name, curve in (d.get("cdf") or {}).items()]
    figures += [histogram_figure(name, hist) for name, hist in d["histograms"].items()]
    charts = [fig.to_html(full_html=False, include_plotlyjs=(i == 0),
                          config={"displaylogo": False}) for i, fig in enumerate(figures)]
    shown = {**d["outputs"], **(d.get("dates") or {})}  # dates as dates, not day numbers
    quantiles = [(name, fmt.value(q["p10"]), fmt.value(q["p50"]), fmt.value(q["p90"]),
                  fmt.value(q["mean"])) for name, q in shown.items()]
    title = f"Sweep of {html.escape(d['scenario'])}"
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>",
        f"<style>{STYLE}</style></head><body><h1>{title}</h1>",
        f"<p>{d['samples']} samples ({d['design']}, seed {d['seed']}, backend "
        f"{d['backend']}); uncertain inputs: {html.escape(', '.join(d['inputs']))}.</p>",
        *([f"<p>Note: {html.escape(d['note'])}.</p>"] if d.get("note") else []),
        "<h2>Outputs</h2>", _table(["output", "P10", "P50", "P90", "mean"], quantiles, 4),
        *_sweep_answers(d),
        "<h2>Charts</h2><div class='grid'>", *[f"<div>{c}</div>" for c in charts], "</div>",
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
    """Write a report, creating the folder; the file appears whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(render(r), encoding="utf-8")
    tmp.replace(path)
    return path
