"""Plotly figures of a plan, built from its JSON document (so the API can serve them too)."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import plotly.graph_objects as go


def _column(result: Mapping[str, Any], key: str, scale: float = 1.0) -> list[float]:
    return [(t[key] or 0.0) / scale for t in result["timeline"]]


def _layout(fig: go.Figure, title: str, yaxis: str, log: bool = False) -> go.Figure:
    fig.update_layout(title=title, xaxis_title="half-year", yaxis_title=yaxis,
                      template="plotly_white", height=380, margin={"t": 50, "b": 40},
                      legend={"orientation": "h", "y": -0.2})
    if log:
        fig.update_yaxes(type="log")
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
    """Scale-out network capex per period and its power online."""
    x = _column_periods(r)
    fig = go.Figure([
        go.Bar(x=x, y=_column(r, "capex_network_usd", 1e9), name="network capex ($B)"),
        go.Scatter(x=x, y=_column(r, "network_power_mw"), name="network power (MW)",
                   mode="lines+markers", yaxis="y2"),
    ])
    fig.update_layout(yaxis2={"title": "MW", "overlaying": "y", "side": "right"})
    return _layout(fig, "Scale-out network: cost and power", "$ billion")


def serving_figure(r: Mapping[str, Any]) -> go.Figure:
    """Weekly users the serving fleet can serve against the demand, billions."""
    x = _column_periods(r)
    fig = go.Figure([
        go.Scatter(x=x, y=_column(r, "weekly_users_servable", 1e9), name="users servable",
                   mode="lines+markers"),
        go.Scatter(x=x, y=_column(r, "demand_weekly_users", 1e9), name="demand",
                   mode="lines+markers"),
    ])
    return _layout(fig, "Serving capacity against demand (weekly users)", "billions", log=True)


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
    return figures


def histogram_figure(name: str, hist: Mapping[str, Any]) -> go.Figure:
    """One output's histogram across sweep samples."""
    edges = hist["edges"]
    centres = [(a + b) / 2 for a, b in itertools.pairwise(edges)]
    fig = go.Figure([go.Bar(x=centres, y=hist["counts"], name=name)])
    fig.update_layout(title=f"{name}: distribution over samples", xaxis_title=name,
                      yaxis_title="samples", template="plotly_white", height=320,
                      margin={"t": 50, "b": 40}, bargap=0.02)
    return fig


def tornado_figure(name: str, entries: list[Mapping[str, Any]]) -> go.Figure:
    """How far each uncertain input moves one output, between its P10 and P90."""
    rows = list(reversed(entries))
    labels = [e["input"] for e in rows]
    fig = go.Figure([
        go.Bar(y=labels, x=[e["output_at_p10"] for e in rows], name="input at P10",
               orientation="h"),
        go.Bar(y=labels, x=[e["output_at_p90"] for e in rows], name="input at P90",
               orientation="h"),
    ])
    fig.update_layout(title=f"What drives {name} (tornado)", xaxis_title=name,
                      template="plotly_white", height=120 + 40 * len(rows), barmode="group",
                      margin={"t": 50, "b": 40, "l": 280})
    return fig


def cdf_figure(name: str, curve: Mapping[str, Any]) -> go.Figure:
    """One output's cumulative distribution across sweep samples."""
    fig = go.Figure([go.Scatter(x=curve["value"], y=curve["p"], mode="lines+markers",
                                name=name, line_shape="hv")])
    fig.update_layout(title=f"{name}: cumulative distribution", xaxis_title=name,
                      yaxis_title="share of samples at or below", template="plotly_white",
                      height=320, margin={"t": 50, "b": 40}, yaxis_range=[0, 1])
    return fig
