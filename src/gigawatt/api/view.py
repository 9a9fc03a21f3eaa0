"""What the dashboard draws for a plan: the HTML report's charts and tables, as JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from gigawatt.report import format as fmt
from gigawatt.report import tables
from gigawatt.report.charts import plan_figures
from gigawatt.report.html import sweep_figures
from gigawatt.report.tabular import to_csv
from gigawatt.report.terminal import headline_rows


def plan_view(result: Mapping[str, Any]) -> dict[str, Any]:
    """The report's pieces for a plan result (``PlanResult.to_dict()`` or a stored run's).

    Returns
    -------
    ``figures``: chart name -> plotly figure JSON (``data`` and ``layout``, for
    ``Plotly.newPlot``); ``headline_rows``: ``[quantity, value, basis]`` as in the
    terminal and HTML report; ``claim_rows``: one row per claim with its bounds and the
    model's value formatted, its verdict and the reason; ``tables``: the report's
    ``timeline``, ``sites``, ``binding``, ``tranches``, ``assumptions`` and ``sources``
    tables, each
    ``{columns, rows}`` of formatted cells; ``timeline_csv``: the timeline as
    ``gigawatt runs export --format csv`` writes it.
    """
    named = {"timeline": tables.timeline_table, "sites": tables.sites_table,
             "binding": tables.binding_table, "tranches": tables.tranches_table,
             "assumptions": tables.assumptions_table, "sources": tables.sources_table}
    return {
        "figures": {name: json.loads(fig.to_json()) for name, fig in plan_figures(result).items()},
        "headline_rows": [list(row) for row in headline_rows(result)],
        "claim_rows": [
            {"claim": c["claim"], "who": c["who"], "source": c["source"],
             "claimed": f"{fmt.claimed(c, 'low')} to {fmt.claimed(c, 'high')}",
             "model": fmt.claimed(c, "model"), "verdict": c["verdict"], "reason": c["reason"]}
            for c in result.get("claims", [])
        ],
        "tables": {name: dict(zip(("columns", "rows"), table(result), strict=True))
                   for name, table in named.items()},
        "timeline_csv": to_csv(result.get("timeline", [])),
    }


def sweep_view(result: Mapping[str, Any]) -> dict[str, Any]:
    """The sweep report's charts for a sweep result: ``figures``, name -> plotly JSON
    (tornado charts of sampled sweeps, a histogram per output with P10, P50 and P90)."""
    return {"figures": {name: json.loads(fig.to_json())
                        for name, fig in sweep_figures(result).items()}}
