"""The plan's result: every stage's output for one scenario, and its JSON document."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from gigawatt import units
from gigawatt.pipeline.evaluate import cost_per_mtok
from gigawatt.pipeline.sizing import PRECISIONS

if TYPE_CHECKING:
    from gigawatt.buildout import BuildoutResult
    from gigawatt.catalog import Site, System
    from gigawatt.pipeline.claims import ClaimCheck
    from gigawatt.pipeline.economics import Costs, Tranches
    from gigawatt.pipeline.evaluate import Evaluation
    from gigawatt.pipeline.frontier import TrainingTimeline
    from gigawatt.pipeline.inputs import AssumptionRow
    from gigawatt.pipeline.scaleout import NetworkTimeline
    from gigawatt.pipeline.schedule import Schedule, SiteSchedule
    from gigawatt.pipeline.sizing import Fleet
    from gigawatt.scenario.schema import Scenario


BINDING_SHOWN = 20
"""Binding limits listed in the plan's JSON (``optimiser.binding_count`` counts them all)."""


ROUNDING_NOTE = (
    "the programme's racks are continuous; the plan rounds each site's cumulative racks of "
    "each platform down to whole racks at every half-year end, so no site exceeds its power")


@dataclass(frozen=True)
class PlanResult:
    """Everything ``gigawatt plan`` computes for one scenario."""

    scenario: Scenario
    schedule: Schedule
    stages: Evaluation
    training: TrainingTimeline | None
    fleet_reliability: dict[str, np.ndarray]
    tranches: Tranches
    investment_usd: np.ndarray
    claims: tuple[ClaimCheck, ...]
    assumptions: tuple[AssumptionRow, ...]
    headline: dict[str, Any]
    buildout: BuildoutResult | None = None
    site_plan: tuple[dict[str, Any], ...] = ()

    @property
    def fleet(self) -> Fleet:
        """Racks, GPUs and compute installed per period."""
        return self.stages.fleet

    @property
    def network(self) -> NetworkTimeline:
        """The scale-out fabric per period."""
        return self.stages.network

    @property
    def costs(self) -> Costs:
        """Capex, opex and footprint per period."""
        return self.stages.costs

    def timeline(self) -> list[dict[str, Any]]:
        """One row per half-year: power, equipment and compute cumulative; money in the period."""
        s, f, c = self.schedule, self.fleet, self.costs
        cols: dict[str, np.ndarray] = {
            "facility_gw": units.w_to_gw(s.facility_w),
            "it_gw": units.w_to_gw(f.it_w),
            "racks": f.racks,
            "gpus": f.packages,
            "gpu_dies": f.dies,
            "nvlink_domains": f.domains,
            **{f"{p}_eflops": units.flops_to_eflops(f.peak_flops[p]) for p in PRECISIONS},
            "hbm_pb": units.bytes_to_pb(f.hbm_bytes),
            "network_power_mw": units.w_to_mw(self.network.power_w),
            "transceivers": self.network.transceivers,
            "largest_cluster_gpus": self.network.largest_cluster_gpus,
            "capex_usd": c.capex_usd,
            "capex_systems_usd": c.capex_systems_usd,
            "capex_network_usd": c.capex_network_usd,
            "capex_facility_usd": c.capex_facility_usd,
            "capex_cumulative_usd": np.cumsum(c.capex_usd),
            "investment_usd": self.investment_usd,
            "investment_cumulative_usd": np.cumsum(self.investment_usd),
            "opex_usd_per_year": c.opex_usd_per_year,
            "energy_twh_per_year": c.energy_twh_per_year,
            "usd_per_gpu_hour": c.usd_per_gpu_hour,
        }
        cols.update(self.fleet_reliability)
        if self.training is not None:
            t = self.training
            cols.update({"training_job_gpus": t.job_gpus, "training_days": t.days,
                         "training_ideal_days": t.ideal_days, "training_goodput": t.goodput,
                         "training_mfu": t.mfu})
        if self.stages.serving is not None:
            sv = self.stages.serving
            cols.update({
                "serving_gpus": sv.serving_gpus,
                "output_tokens_per_day": sv.output_tokens_per_day,
                "weekly_users_servable": sv.weekly_users_servable,
                "demand_weekly_users": np.broadcast_to(sv.demand_weekly_users, len(s.periods)),
                "demand_output_tokens_per_day": sv.demand_output_tokens_per_day,
                "served_output_tokens_per_day": sv.served_output_tokens_per_day,
                "serving_capacity_ratio": np.asarray(sv.capacity_ratio),
                "usd_per_million_output_tokens": cost_per_mtok(self.stages),
            })
        rows = []
        for k, period in enumerate(s.periods):
            row: dict[str, Any] = {"period": period, "system_added": s.systems_added(k)}
            row.update({name: json_number(col[k]) for name, col in cols.items()})
            rows.append(row)
        return rows

    def site_schedules(self) -> list[dict[str, Any]]:
        """Per site, what it holds at the end of each half-year (empty for a ramp)."""
        return [dict(row) for row in self.site_plan]

    def optimiser(self) -> dict[str, Any] | None:
        """The optimiser's objective, its value and how the schedule was read back."""
        r = self.buildout
        if r is None:
            return None
        sites = self.schedule.sites
        assert self.scenario.buildout is not None and sites is not None
        return {
            "objective": r.objective,
            "objective_value": r.objective_value,
            "objective_unit": r.objective_unit,
            "precision": self.scenario.buildout.precision,
            "compute_eflop_days": r.compute_eflop_days,
            "first_quarter": r.quarters[0],
            "last_quarter": r.quarters[-1],
            "capex_usd": float(r.capex_usd.sum()),
            "electricity_usd": r.electricity_usd,
            "binding_count": len(r.binding),
            "racks_rounded_down": sites.racks_dropped,
            "note": ROUNDING_NOTE,
            "build_s": r.build_s,
            "solve_s": r.solve_s,
        }

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``gigawatt plan --json`` (keys per DESIGN.md)."""
        return {
            **self.headline,
            "schedule_from": "ramp" if self.buildout is None else "buildout",
            "timeline": self.timeline(),
            "sites": self.site_schedules(),
            "binding": ([b.__dict__ for b in self.buildout.binding[:BINDING_SHOWN]]
                        if self.buildout is not None else []),
            "optimiser": self.optimiser(),
            "tranches": [
                {"threshold_gw": json_number(t), "amount_usd": json_number(a),
                 "release_date": iso_date(d)}
                for t, a, d in zip(self.tranches.threshold_gw, self.tranches.amount_usd,
                                   self.tranches.release_dates, strict=True)
            ],
            "claims": [
                {**c.__dict__, "low": _jsonable(c.low), "high": _jsonable(c.high),
                 "model": _jsonable(c.model)}
                for c in self.claims
            ],
            "assumptions": [a.__dict__ for a in self.assumptions],
        }


def json_number(x: Any) -> float | int | None:
    v = float(x)
    if np.isnan(v):
        return None
    return int(v) if v.is_integer() and abs(v) < 2**53 else v


def iso_date(d: np.datetime64) -> str | None:
    return None if np.isnat(d) else str(d.astype("datetime64[D]"))


def _jsonable(x: Any) -> Any:
    return x.isoformat() if isinstance(x, dt.date) else x


def site_rows(sites: SiteSchedule, periods: Sequence[str], systems: Sequence[System],
              records: Sequence[Site]) -> list[dict[str, Any]]:
    """Per site, at the end of each half-year: power it can draw, facility power of its racks,
    racks of each platform (whole, cumulative and added), GPU packages, new halls started."""
    out = []
    ids = [s.id for s in systems]
    per_rack = np.array([s.packages_per_rack for s in systems], dtype=float)
    for i, site in enumerate(records):
        racks = sites.racks[i]
        added = np.diff(racks, axis=1, prepend=0.0)
        gpus = per_rack @ racks
        schedule = [{
            "period": period,
            "power_available_mw": json_number(units.w_to_mw(sites.power_w[i, k])),
            "facility_mw": json_number(units.w_to_mw(sites.facility_w[i, k])),
            "halls_started_mw": json_number(units.w_to_mw(sites.halls_started_w[i, k])),
            "racks": {p: json_number(racks[j, k]) for j, p in enumerate(ids)},
            "racks_added": {p: json_number(added[j, k]) for j, p in enumerate(ids)},
            "gpus": json_number(gpus[k]),
        } for k, period in enumerate(periods)]
        out.append({
            "site": site.id, "name": site.name, "location": site.location,
            "max_facility_mw": site.max_facility_mw, "pue": site.pue,
            "facility_mw": json_number(units.w_to_mw(sites.facility_w[i, -1])),
            "gpus": json_number(gpus[-1]), "schedule": schedule,
        })
    return out
