"""Plotly figures of a plan, built from its JSON document (so the API can serve them too)."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import plotly.graph_objects as go


def _column(result: Mapping[str, Any], key: str, scale: float = 1.0) -> list[float]:
    return [(t[key] or 0.0) / scale for t in result["timeline"]]


TOOLBAR_PX = 34
"""Height of the row at the top of a chart that plotly's toolbar (modebar) takes: titles
are placed below it, so the toolbar never covers them."""


def _title(text: str, height: int) -> dict[str, Any]:
    # In container coordinates, top-anchored just under the toolbar's row, left-aligned.
    return {"text": text, "x": 0.01, "xanchor": "left", "yref": "container",
            "y": 1 - TOOLBAR_PX / height, "yanchor": "top", "font": {"size": 15}}


def _layout(fig: go.Figure, title: str, yaxis: str, log: bool = False) -> go.Figure:
    height = 420
    # The legend sits at the chart's foot in container coordinates, so tick labels that
    # turn sideways on a narrow chart push the plot up instead of running into it.
    fig.update_layout(title=_title(title, height), yaxis_title=yaxis,
                      template="plotly_white", height=height,
                      margin={"t": TOOLBAR_PX + 46, "b": 90},
                      legend={"orientation": "h", "yref": "container", "y": 0.01,
                              "yanchor": "bottom", "x": 0},
                      xaxis={"automargin": True})
    if log:
        fig.update_yaxes(type="log")
    else:  # every quantity charted is a non-negative amount: no axis below zero
        fig.update_yaxes(rangemode="tozero")
    return fig


def power_figure(r: Mapping[str, Any]) -> go.Figure:
    """Facility and IT power online by period, GW."""
    x = _column_periods(r)
    fig = go.Figure([
        go.Bar(x=x, y=_column(r, "facility_gw"), name="facility GW"),
        go.Scatter(x=x, y=_column(r, "it_gw"), name="IT GW", mode="lines+markers"),
    ])
    return _layout(fig, "Power online (cumulative)", "GW")


def gpus_figure(r: Mapping[str, Any]) -> go.Figure:
    """GPU packages and dies online, millions."""
    x = _column_periods(r)
    fig = go.Figure([
        go.Scatter(x=x, y=_column(r, "gpus", 1e6), name="GPU packages (M)", mode="lines+markers"),
        go.Scatter(x=x, y=_column(r, "gpu_dies", 1e6), name="GPU dies (M)", mode="lines+markers"),
    ])
    return _layout(fig, "GPUs installed (cumulative)", "millions")


def capex_figure(r: Mapping[str, Any]) -> go.Figure:
    """Capex by category per period, and cumulative capex against cumulative tranches, $B."""
    x = _column_periods(r)
    fig = go.Figure([
        go.Bar(x=x, y=_column(r, "capex_systems_usd", 1e9), name="systems"),
        go.Bar(x=x, y=_column(r, "capex_network_usd", 1e9), name="networking"),
        go.Bar(x=x, y=_column(r, "capex_facility_usd", 1e9), name="facility"),
        go.Scatter(x=x, y=_column(r, "capex_cumulative_usd", 1e9), name="cumulative capex",
                   mode="lines+markers"),
        go.Scatter(x=x, y=_column(r, "investment_cumulative_usd", 1e9),
                   name="cumulative investment tranches", mode="lines+markers"),
    ])
    fig.update_layout(barmode="stack")
    return _layout(fig, "Capex and investment tranches", "$ billion")


def compute_figure(r: Mapping[str, Any]) -> go.Figure:
    """Peak dense compute at each precision, EFLOP/s (log scale)."""
    x = _column_periods(r)
    fig = go.Figure([
        go.Scatter(x=x, y=_column(r, f"{p}_eflops"), name=p.upper(), mode="lines+markers")
        for p in ("fp4", "fp8", "bf16")
    ])
    return _layout(fig, "Peak compute (dense)", "EFLOP/s", log=True)


def network_figure(r: Mapping[str, Any]) -> go.Figure:
    """Scale-out network installed by the end of each period: its cumulative capex ($B)
    and the power it draws (MW), both cumulative, so the two lines read alike."""
    x = _column_periods(r)
    spent = list(itertools.accumulate(_column(r, "capex_network_usd", 1e9)))
    fig = go.Figure([
        go.Scatter(x=x, y=spent, name="network capex to date ($B)", mode="lines+markers"),
        go.Scatter(x=x, y=_column(r, "network_power_mw"), name="network power online (MW)",
                   mode="lines+markers", yaxis="y2"),
    ])
    fig.update_layout(yaxis2={"title": "MW", "overlaying": "y", "side": "right",
                              "rangemode": "tozero", "showgrid": False})
    return _layout(fig, "Scale-out network installed (cumulative)", "$ billion")


def serving_figure(r: Mapping[str, Any]) -> go.Figure:
    """Output tokens a day served against those demanded (visible plus hidden), trillions."""
    x = _column_periods(r)
    fig = go.Figure([
        go.Scatter(x=x, y=_column(r, "demand_output_tokens_per_day", 1e12), name="demanded",
                   mode="lines+markers"),
        go.Scatter(x=x, y=_column(r, "served_output_tokens_per_day", 1e12), name="served",
                   mode="lines+markers"),
        go.Scatter(x=x, y=_column(r, "output_tokens_per_day", 1e12),
                   name="capacity at the demand's mix", mode="lines", line={"dash": "dot"}),
    ])
    return _layout(fig, "Output tokens a day: served against demanded", "trillions", log=True)


def roadmap_figure(r: Mapping[str, Any]) -> go.Figure:
    """Tokens per second per MW of facility power across generations (gigawatt compare)."""
    rows = [b for b in r.get("gigawatt_buys", []) if b.get("serve_tokens_per_s_per_mw")]
    fig = go.Figure([go.Bar(
        x=[f"{b['platform']} ({b['available']})" for b in rows],
        y=[b["serve_tokens_per_s_per_mw"] for b in rows], name="tokens/s per MW")])
    return _layout(fig, "Serving tokens/s per MW of facility power, by generation",
                   "tokens/s per MW", log=True)


def yardstick_figure(r: Mapping[str, Any]) -> go.Figure:
    """The largest run one site completes in the yardstick's days, beside published runs
    and Epoch AI's trend, FLOPs."""
    rows = r.get("yardstick", [])
    x = [y["period"] for y in rows]
    runs = r.get("published_frontier_runs", [])
    fig = go.Figure([
        go.Scatter(x=x, y=[y["flops"] for y in rows], name="yardstick (largest site)",
                   mode="lines+markers"),
        go.Scatter(x=x, y=[y["trend_flops"] for y in rows], name="Epoch AI trend (4.5x/yr)",
                   mode="lines", line={"dash": "dot"}),
        go.Scatter(x=[f"{run['year']}H2" for run in runs], y=[run["flops"] for run in runs],
                   text=[run["model"] for run in runs], name="published frontier runs",
                   mode="markers+text", textposition="top center"),
    ])
    fig.update_xaxes(categoryorder="category ascending")
    return _layout(fig, "Frontier yardstick: largest run in the yardstick's days", "FLOPs",
                   log=True)


def training_figure(r: Mapping[str, Any]) -> go.Figure:
    """Days to train the frontier run on each period's best job, with and without failures."""
    x = _column_periods(r)
    fig = go.Figure([
        go.Scatter(x=x, y=_column(r, "training_days"), name="with failures",
                   mode="lines+markers"),
        go.Scatter(x=x, y=_column(r, "training_ideal_days"), name="without failures",
                   mode="lines+markers"),
    ])
    return _layout(fig, "Days to train the frontier run", "days")


def _column_periods(r: Mapping[str, Any]) -> list[str]:
    return [t["period"] for t in r["timeline"]]


def plan_figures(r: Mapping[str, Any]) -> dict[str, go.Figure]:
    """Every chart of the plan report, by name."""
    figures = {
        "power": power_figure(r),
        "gpus": gpus_figure(r),
        "capex": capex_figure(r),
        "compute": compute_figure(r),
        "network": network_figure(r),
    }
    rows = r["timeline"]
    if rows and "weekly_users_servable" in rows[0]:
        figures["serving"] = serving_figure(r)
    if rows and "training_days" in rows[0]:
        figures["training"] = training_figure(r)
    if r.get("yardstick"):
        figures["yardstick"] = yardstick_figure(r)
    if r.get("gigawatt_buys"):
        figures["roadmap"] = roadmap_figure(r)
    return figures


QUANTILE_MARKERS = (("p10", "P10", "dot"), ("p50", "P50", "solid"), ("p90", "P90", "dot"))
"""The quantile lines drawn on a histogram: key in the sweep's ``outputs``, label, dash."""


def histogram_figure(name: str, hist: Mapping[str, Any],
                     quantiles: Mapping[str, float] | None = None) -> go.Figure:
    """One output's histogram across sweep samples, with its P10, P50 and P90 marked."""
    edges = hist["edges"]
    centres = [(a + b) / 2 for a, b in itertools.pairwise(edges)]
    widths = [b - a for a, b in itertools.pairwise(edges)]
    fig = go.Figure([go.Bar(x=centres, y=hist["counts"], width=widths, name="samples",
                            showlegend=False)])
    height = 340
    for key, label, dash in QUANTILE_MARKERS:
        if quantiles is None:
            break
        fig.add_vline(x=quantiles[key], line={"dash": dash, "color": "#b3261e", "width": 1.5},
                      annotation={"text": label, "font": {"size": 11, "color": "#b3261e"}},
                      annotation_position="top")
    fig.update_layout(title=_title(f"{name}: distribution over samples", height),
                      xaxis_title=name, yaxis_title="samples", template="plotly_white",
                      height=height, margin={"t": TOOLBAR_PX + 56, "b": 40}, bargap=0.02)
    return fig


def tornado_figure(name: str, entries: list[Mapping[str, Any]],
                   base: float | None = None) -> go.Figure:
    """How far each uncertain input moves one output, between its P10 and P90.

    Each bar spans from the output at the central inputs (``base``) to the output with
    that one input at its P10 (or P90), so the swing is the bar's length. ``base``
    defaults to each entry's ``output_at_base`` (sweeps saved before it was recorded:
    the midpoint of the two ends).
    """
    rows = list(reversed(entries))
    labels = [e["input"] for e in rows]
    bases = [base if base is not None else e.get(
        "output_at_base", (e["output_at_p10"] + e["output_at_p90"]) / 2) for e in rows]
    fig = go.Figure([
        go.Bar(y=labels, x=[e[key] - b for e, b in zip(rows, bases, strict=True)], base=bases,
               name=label, orientation="h",
               customdata=[e[key] for e in rows], hovertemplate="%{customdata:.4g}")
        for key, label in (("output_at_p10", "input at P10"), ("output_at_p90", "input at P90"))
    ])
    height = 150 + 40 * len(rows)
    if bases:
        fig.add_vline(x=bases[0], line={"color": "#444", "width": 1})
    fig.update_layout(title=_title(f"What drives {name} (tornado)", height), xaxis_title=name,
                      template="plotly_white", height=height, barmode="overlay",
                      margin={"t": TOOLBAR_PX + 46, "b": 40, "l": 280},
                      legend={"orientation": "h", "y": -0.15})
    return fig


def cdf_figure(name: str, curve: Mapping[str, Any]) -> go.Figure:
    """One output's cumulative distribution across sweep samples."""
    fig = go.Figure([go.Scatter(x=curve["value"], y=curve["p"], mode="lines+markers",
                                name=name, line_shape="hv")])
    height = 320
    fig.update_layout(title=_title(f"{name}: cumulative distribution", height),
                      xaxis_title=name, yaxis_title="share of samples at or below",
                      template="plotly_white", height=height,
                      margin={"t": TOOLBAR_PX + 46, "b": 40}, yaxis_range=[0, 1])
    return fig
