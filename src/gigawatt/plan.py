"""Compose the stages into a PlanResult: schedule -> size -> economics -> claims.

Each stage is a pure function on numbers and arrays; this module only gathers
the scenario's and catalog's figures into arrays, calls the stages in order and
keeps every assumption it used, with its source, for the report.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np

from gigawatt import units
from gigawatt.catalog import Catalog, System, load_catalog
from gigawatt.claims import ClaimCheck, PlatformShare, check_claims
from gigawatt.economics import (
    Costs,
    Tranches,
    estimate_costs,
    investment_per_period,
    tranche_schedule,
)
from gigawatt.scenario.checks import check_scenario
from gigawatt.scenario.schema import Assumption, Scenario
from gigawatt.schedule import Schedule, build_schedule
from gigawatt.sizing import PRECISIONS, Fleet, size_fleet
from gigawatt.version import __version__

PLATFORM_FIELDS = ("rack_power_kw", "rack_price_usd", "network_usd_per_rack")


@dataclass(frozen=True)
class AssumptionRow:
    """One number the plan rests on, and where it comes from."""

    field: str
    value: float
    status: str
    source: str
    origin: str


@dataclass(frozen=True)
class PlanResult:
    """Everything ``gigawatt plan`` computes for one scenario."""

    scenario: Scenario
    schedule: Schedule
    fleet: Fleet
    costs: Costs
    tranches: Tranches
    investment_usd: np.ndarray
    claims: tuple[ClaimCheck, ...]
    assumptions: tuple[AssumptionRow, ...]
    headline: dict[str, Any]

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
        rows = []
        for k, period in enumerate(s.periods):
            system = s.systems[s.system_index[k]] if s.system_index[k] >= 0 else None
            row: dict[str, Any] = {"period": period, "system_added": system}
            row.update({name: _scalar(col[k]) for name, col in cols.items()})
            rows.append(row)
        return rows

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``gigawatt plan --json`` (keys per DESIGN.md)."""
        return {
            **self.headline,
            "timeline": self.timeline(),
            "tranches": [
                {"threshold_gw": _scalar(t), "amount_usd": _scalar(a), "release_date": _iso(d)}
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


def _scalar(x: Any) -> float | int | None:
    v = float(x)
    if np.isnan(v):
        return None
    return int(v) if v.is_integer() and abs(v) < 2**53 else v


def _iso(d: np.datetime64) -> str | None:
    return None if np.isnat(d) else str(d.astype("datetime64[D]"))


def _jsonable(x: Any) -> Any:
    return x.isoformat() if isinstance(x, dt.date) else x


def _platform_value(scenario: Scenario, system: System, name: str) -> tuple[float, AssumptionRow]:
    """A platform figure from the scenario's override, else from the catalog entry."""
    override = scenario.platforms.get(system.id)
    chosen: Assumption | None = getattr(override, name) if override else None
    if chosen is not None:
        return chosen.value, _row(f"platforms.{system.id}.{name}", chosen, "scenario")
    value = getattr(system, name)
    span = system.ranges.get(name)
    status = span.status if span else system.status
    source = system.source + (f" (range {span.low:g}-{span.high:g}: {span.note})" if span else "")
    return float(value), AssumptionRow(f"platforms.{system.id}.{name}", float(value), status,
                                       source, f"catalog:{system.id}")


def _row(path: str, a: Assumption, origin: str) -> AssumptionRow:
    text = "; ".join(t for t in (a.source, a.note) if t) or "given without a source"
    return AssumptionRow(path, a.value, a.status, text, origin)


def _scenario_rows(scenario: Scenario) -> list[AssumptionRow]:
    rows = []
    for section in ("facility", "finance", "investment"):
        block = getattr(scenario, section)
        if block is None:
            continue
        for name in type(block).model_fields:
            value = getattr(block, name)
            if isinstance(value, Assumption):
                rows.append(_row(f"{section}.{name}", value, "scenario"))
    return rows


def plan(scenario: Scenario, catalog: Catalog | None = None) -> PlanResult:
    """Run the whole pipeline on a validated scenario.

    Parameters
    ----------
    scenario : a validated scenario (see ``load_scenario``); its cross-checks are rerun here.
    catalog : the equipment catalog; the built-in one by default.
    """
    catalog = catalog or load_catalog()
    check_scenario(scenario, catalog, f"scenario {scenario.name}")
    fac, fin = scenario.facility, scenario.finance
    steps = scenario.ramp.steps
    schedule = build_schedule([s.period for s in steps], [s.facility_gw for s in steps],
                              [s.system for s in steps])

    systems = [catalog.system(sid) for sid in schedule.systems]
    accs = [catalog.accelerator_of(s) for s in systems]
    platform_rows: list[AssumptionRow] = []
    per_system: dict[str, list[float]] = {name: [] for name in PLATFORM_FIELDS}
    for system in systems:
        for name in PLATFORM_FIELDS:
            value, row = _platform_value(scenario, system, name)
            per_system[name].append(value)
            platform_rows.append(row)

    gather = np.maximum(schedule.system_index, 0)

    def by_period(values: list[float]) -> np.ndarray:
        return np.asarray(values, dtype=float)[gather]

    peaks = {p: by_period([units.tflops_to_flops(getattr(a, f"{p}_dense_tflops") or 0.0)
                           for a in accs]) for p in PRECISIONS}
    pue = fac.pue.value
    fleet = size_fleet(
        added_facility_w=schedule.added_facility_w,
        facility_w=schedule.facility_w,
        pue=pue,
        it_overhead_fraction=fac.it_overhead_fraction.value,
        rack_power_w=by_period([units.kw_to_w(v) for v in per_system["rack_power_kw"]]),
        packages_per_rack=by_period([s.packages_per_rack for s in systems]),
        dies_per_package=by_period([a.dies for a in accs]),
        packages_per_domain=by_period([s.nvlink_domain_packages for s in systems]),
        peak_flops_per_package=peaks,
        hbm_bytes_per_package=by_period([units.gb_to_bytes(a.hbm_gb) for a in accs]),
    )
    costs = estimate_costs(
        added_racks=fleet.added_racks,
        added_it_w=schedule.added_facility_w / pue,
        facility_w=schedule.facility_w,
        packages=fleet.packages,
        rack_price_usd=by_period(per_system["rack_price_usd"]),
        network_usd_per_rack=by_period(per_system["network_usd_per_rack"]),
        build_usd_per_mw_it=fac.build_usd_per_mw_it.value,
        utilisation=fac.utilisation.value,
        electricity_usd_per_mwh=fac.electricity_usd_per_mwh.value,
        pue=pue,
        wue_l_per_kwh=fac.wue_l_per_kwh.value,
        grid_kg_co2_per_kwh=fac.grid_kg_co2_per_kwh.value,
        depreciation_years=fin.depreciation_years.value,
        facility_life_years=fin.facility_life_years.value,
        maintenance_fraction_per_year=fin.maintenance_fraction_per_year.value,
    )

    inv = scenario.investment
    thresholds_gw, amounts = (
        tranche_schedule(inv.usd_per_tranche.value, inv.gw_per_tranche.value, inv.cap_usd.value)
        if inv else (np.zeros(0), np.zeros(0))
    )
    tranches = Tranches(thresholds_gw, amounts,
                        schedule.crossing_dates(units.gw_to_w(thresholds_gw)))
    investment = investment_per_period(tranches.release_dates, amounts, schedule.starts,
                                       schedule.ends)
    first_gw = schedule.crossing_dates(np.array([units.gw_to_w(1.0)]))[0]

    headline = _headline(scenario, schedule, fleet, costs, tranches, first_gw)
    shares = _platform_shares(schedule, fleet, costs, per_system, pue,
                              fac.it_overhead_fraction.value, systems, [a.dies for a in accs])
    claim_values = {**headline, "first_gw_date": None if np.isnat(first_gw)
                    else dt.date.fromisoformat(str(first_gw))}
    ramp_row = AssumptionRow(
        "ramp", float(steps[-1].facility_gw), scenario.ramp.status,
        "; ".join(t for t in (scenario.ramp.source, scenario.ramp.note) if t)
        or "given without a source", "scenario")
    return PlanResult(
        scenario=scenario,
        schedule=schedule,
        fleet=fleet,
        costs=costs,
        tranches=tranches,
        investment_usd=investment,
        claims=check_claims(scenario.claims, claim_values, shares),
        assumptions=tuple([ramp_row, *_scenario_rows(scenario), *platform_rows]),
        headline=headline,
    )


def _headline(scenario: Scenario, schedule: Schedule, fleet: Fleet, costs: Costs,
              tranches: Tranches, first_gw: np.datetime64) -> dict[str, Any]:
    facility_gw = float(units.w_to_gw(schedule.facility_w[-1]))
    capex = float(costs.capex_usd.sum())
    vendor = float(costs.capex_systems_usd.sum() + costs.capex_network_usd.sum())
    per_gw = (lambda x: x / facility_gw) if facility_gw > 0 else (lambda x: float("nan"))
    return {
        "scenario": scenario.name,
        "title": scenario.title,
        "gigawatt_version": __version__,
        "first_period": schedule.periods[0],
        "last_period": schedule.periods[-1],
        "facility_gw": facility_gw,
        "it_gw": float(units.w_to_gw(fleet.it_w[-1])),
        "racks": _scalar(fleet.racks[-1]),
        "gpus": _scalar(fleet.packages[-1]),
        "gpu_dies": _scalar(fleet.dies[-1]),
        "nvlink_domains": _scalar(fleet.domains[-1]),
        **{f"{p}_eflops": float(units.flops_to_eflops(fleet.peak_flops[p][-1]))
           for p in PRECISIONS},
        "hbm_pb": float(units.bytes_to_pb(fleet.hbm_bytes[-1])),
        "capex_usd": capex,
        "capex_systems_usd": float(costs.capex_systems_usd.sum()),
        "capex_network_usd": float(costs.capex_network_usd.sum()),
        "capex_facility_usd": float(costs.capex_facility_usd.sum()),
        "capex_usd_per_gw": per_gw(capex),
        "vendor_usd_per_gw": per_gw(vendor),
        "opex_electricity_usd_per_year": float(costs.opex_electricity_usd_per_year[-1]),
        "opex_maintenance_usd_per_year": float(costs.opex_maintenance_usd_per_year[-1]),
        "opex_usd_per_year": float(costs.opex_usd_per_year[-1]),
        "usd_per_gpu_hour": _scalar(costs.usd_per_gpu_hour[-1]),
        "investment_usd": tranches.released_usd,
        "tranches_released": int((~np.isnat(tranches.release_dates)).sum()),
        "first_gw_date": _iso(first_gw),
        "energy_twh_per_year": float(costs.energy_twh_per_year[-1]),
        "water_gl_per_year": float(costs.water_gl_per_year[-1]),
        "emissions_mt_co2_per_year": float(costs.emissions_mt_co2_per_year[-1]),
    }


def _platform_shares(schedule: Schedule, fleet: Fleet, costs: Costs,
                     per_system: dict[str, list[float]], pue: float, overhead: float,
                     systems: list[System], dies_per_package: list[int]) -> list[PlatformShare]:
    shares = []
    for i, system in enumerate(systems):
        mask = schedule.system_index == i
        packages = float(fleet.added_packages[mask].sum())
        rack_kw = per_system["rack_power_kw"][i]
        shares.append(PlatformShare(
            system=system.id,
            facility_gw=float(units.w_to_gw(schedule.added_facility_w[mask].sum())),
            rack_power_kw=rack_kw,
            packages=packages,
            dies=packages * dies_per_package[i],
            facility_kw_per_package=rack_kw * (1 + overhead) * pue / system.packages_per_rack,
            vendor_usd=float((costs.capex_systems_usd + costs.capex_network_usd)[mask].sum()),
            capex_usd=float(costs.capex_usd[mask].sum()),
        ))
    return shares
