"""What the build-out optimiser returns: the schedule, its money and the limits that bind."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from gigawatt.buildout.problem import Objective
from gigawatt.units import mw_to_gw


def _half_year(quarter: str) -> str:
    year, q = quarter.split("Q")
    return f"{year}H{1 if int(q) <= 2 else 2}"

FLOWS = ("capex_usd", "capital_usd", "investment_usd")
"""Timeline columns that are amounts in a period (summed when periods merge)."""

BINDING_SHOWN = 20
"""Binding constraints listed in :meth:`BuildoutResult.to_dict` (all are kept on the result)."""


@dataclass(frozen=True)
class Binding:
    """One limit that holds the plan back, with its shadow price and a sentence for planners.

    ``shadow_price`` is the objective's gain per unit of the limit (EFLOP-days or USD per MW,
    per rack or per USD); ``value`` is that gain for the step named in ``text`` (100 MW,
    100 racks or $1B).
    """

    constraint: str
    where: str
    period: str
    shadow_price: float
    unit: str
    value: float
    text: str


@dataclass(frozen=True)
class BuildoutResult:
    """An optimised build-out schedule.

    Arrays are indexed ``[site, platform, quarter]``, ``[site, quarter]`` or ``[quarter]``.
    Money is in USD per quarter unless named cumulative; power in MW at the facility meter.
    """

    objective: Objective
    objective_value: float
    objective_unit: str
    quarters: tuple[str, ...]
    site_names: tuple[str, ...]
    platform_names: tuple[str, ...]
    racks_added: np.ndarray
    racks: np.ndarray
    gpus: np.ndarray
    facility_mw: np.ndarray
    it_mw: np.ndarray
    halls_started_mw: np.ndarray
    capex_usd: np.ndarray
    capital_usd: np.ndarray
    investment_usd: np.ndarray
    eflops: np.ndarray
    compute_eflop_days: float
    electricity_usd: float
    binding: tuple[Binding, ...]
    build_s: float
    solve_s: float

    @property
    def facility_gw(self) -> float:
        """Facility power online at the end of the horizon, GW."""
        return float(mw_to_gw(self.facility_mw[:, -1].sum()))

    def timeline(self, period: Literal["quarter", "half-year"] = "quarter"
                 ) -> list[dict[str, Any]]:
        """One row per period: power, racks and compute cumulative; money in the period.

        ``period='half-year'`` folds quarters into half-years (``2026H2``) as the plan's
        timeline has them: stocks at the period's last quarter, flows summed.
        """
        cols = {
            "facility_gw": mw_to_gw(self.facility_mw.sum(axis=0)),
            "it_gw": mw_to_gw(self.it_mw.sum(axis=0)),
            "racks": self.racks.sum(axis=(0, 1)),
            "gpus": self.gpus.sum(axis=0),
            "eflops": self.eflops,
            "capex_usd": self.capex_usd,
            "capex_cumulative_usd": np.cumsum(self.capex_usd),
            "capital_usd": self.capital_usd,
            "investment_usd": self.investment_usd,
            "investment_cumulative_usd": np.cumsum(self.investment_usd),
        }
        rows: list[dict[str, Any]] = [{"period": q, **{k: float(v[t]) for k, v in cols.items()}}
                                      for t, q in enumerate(self.quarters)]
        if period == "quarter":
            return rows
        halves: dict[str, dict[str, Any]] = {}
        for row in rows:
            label = _half_year(row["period"])
            flows = {k: halves.get(label, {}).get(k, 0.0) + row[k] for k in FLOWS}
            halves[label] = {**row, **flows, "period": label}
        return list(halves.values())

    def site_schedules(self) -> list[dict[str, Any]]:
        """Per site: facility power and racks of each platform installed, by quarter."""
        out = []
        for s, site in enumerate(self.site_names):
            rows = [{"period": q, "facility_mw": float(self.facility_mw[s, t]),
                     "halls_started_mw": float(self.halls_started_mw[s, t]),
                     "racks": {p: float(self.racks[s, k, t])
                               for k, p in enumerate(self.platform_names)},
                     "racks_added": {p: float(self.racks_added[s, k, t])
                                     for k, p in enumerate(self.platform_names)}}
                    for t, q in enumerate(self.quarters)]
            out.append({"site": site, "facility_mw": float(self.facility_mw[s, -1]),
                        "schedule": rows})
        return out

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready document: headline figures, timeline, per-site schedules, limits."""
        return {
            "objective": self.objective,
            "objective_value": self.objective_value,
            "objective_unit": self.objective_unit,
            "facility_gw": self.facility_gw,
            "racks": float(self.racks[:, :, -1].sum()),
            "gpus": float(self.gpus[:, -1].sum()),
            "capex_usd": float(self.capex_usd.sum()),
            "investment_usd": float(self.investment_usd.sum()),
            "compute_eflop_days": self.compute_eflop_days,
            "electricity_usd": self.electricity_usd,
            "timeline": self.timeline(),
            "sites": self.site_schedules(),
            "binding": [b.__dict__ for b in self.binding[:BINDING_SHOWN]],
            "binding_count": len(self.binding),
            "build_s": self.build_s,
            "solve_s": self.solve_s,
        }
