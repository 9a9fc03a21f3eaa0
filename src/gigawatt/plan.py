"""Compose the stages into a PlanResult: schedule -> size -> economics -> claims.

Each stage is a pure function on numbers and arrays; this module only gathers
the scenario's and catalog's figures into arrays, calls the stages in order and
keeps every assumption it used, with its source, for the report.

The schedule comes from the scenario's ``ramp`` (facility power per half-year, one platform
added in each step) or, when the scenario lists sites under ``buildout``, from the build-out
optimiser (:mod:`gigawatt.buildout`): racks of every platform at every site by quarter,
folded into half-years of whole racks. Either way the later stages see racks or power per
platform per period.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from gigawatt import units
from gigawatt.capability import (
    ServingTimeline,
    TrainingTimeline,
    cost_per_million_tokens,
    serve_fleet,
    serving_rates,
    site_gpus,
    train_frontier,
)
from gigawatt.catalog import Accelerator, Catalog, Site, System, load_catalog
from gigawatt.claims import ClaimCheck, PlatformShare, SiteOptics, check_claims
from gigawatt.economics import (
    Costs,
    Tranches,
    estimate_costs,
    investment_per_period,
    tranche_schedule,
)
from gigawatt.errors import GigawattError
from gigawatt.fabric import compare_cpo
from gigawatt.network import NetworkTimeline, size_plan_network
from gigawatt.scenario.checks import check_scenario, installed_systems
from gigawatt.scenario.schema import (
    Amounts,
    Assumption,
    Buildout,
    Demand,
    Distribution,
    Network,
    Ramp,
    Scenario,
    Serving,
    Sourced,
)
from gigawatt.schedule import Schedule, SiteSchedule, build_schedule, schedule_from_sites
from gigawatt.sizing import PRECISIONS, Fleet, size_fleet
from gigawatt.units import Param
from gigawatt.version import __version__

if TYPE_CHECKING:
    from gigawatt.buildout import BuildoutProblem, BuildoutResult

PLATFORM_FIELDS = ("rack_power_kw", "rack_price_usd")
BINDING_SHOWN = 20
"""Binding limits listed in the plan's JSON (``optimiser.binding_count`` counts them all)."""
ROUNDING_NOTE = (
    "the programme's racks are continuous; the plan rounds each site's cumulative racks of "
    "each platform down to whole racks at every half-year end, so no site exceeds its power")


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
                "usd_per_million_output_tokens": _cost_per_mtok(self.stages),
            })
        rows = []
        for k, period in enumerate(s.periods):
            row: dict[str, Any] = {"period": period, "system_added": s.systems_added(k)}
            row.update({name: _scalar(col[k]) for name, col in cols.items()})
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


def _row(path: str, a: Assumption, origin: str) -> AssumptionRow:
    return _provenance_row(path, a.value, a, origin)


@dataclass(frozen=True)
class Inputs:
    """A scenario resolved against the catalog: the schedule, the platforms, and every
    number the stages use by its scenario path (``facility.pue``,
    ``platforms.vr-nvl72.rack_power_kw``), with its distribution where it is uncertain.

    With a ``buildout``, ``buildout`` holds the optimiser's result (solved once, at the
    central values) and ``electricity_usd_per_mwh`` the sites' price per period, weighted by
    the power each site has online.
    """

    schedule: Schedule
    systems: tuple[System, ...]
    accelerators: tuple[Accelerator, ...]
    values: dict[str, float]
    distributions: dict[str, Distribution]
    rows: tuple[AssumptionRow, ...]
    catalog: Catalog
    network: Network
    serving: Serving | None
    demand: Demand | None
    serving_rates: dict[str, float]
    serving_tp: dict[str, int]
    buildout: BuildoutResult | None = None
    sites: tuple[Site, ...] = ()
    electricity_usd_per_mwh: np.ndarray | None = None


def gather_inputs(scenario: Scenario, catalog: Catalog | None = None) -> Inputs:
    """Check a scenario against the catalog and collect what the stages need.

    With a ``buildout``, this solves the build-out programme at the central values.

    Raises
    ------
    InfeasibleBuildout
        when no schedule meets the build-out's limits (its message says what is missing).
    """
    catalog = catalog or load_catalog()
    check_scenario(scenario, catalog, f"scenario {scenario.name}")
    systems = tuple(catalog.system(sid) for sid in installed_systems(scenario))
    values: dict[str, float] = {}
    distributions: dict[str, Distribution] = {}
    rows: list[AssumptionRow] = []
    for section in ("facility", "finance"):
        block = getattr(scenario, section)
        for name in type(block).model_fields:
            _take(f"{section}.{name}", getattr(block, name), values, distributions, rows)
    for system in systems:
        override = scenario.platforms.get(system.id)
        for name in PLATFORM_FIELDS:
            path = f"platforms.{system.id}.{name}"
            chosen: Assumption | None = getattr(override, name) if override else None
            if chosen is not None:
                _take(path, chosen, values, distributions, rows)
                continue
            span = system.ranges.get(name)
            values[path] = float(getattr(system, name))
            rows.append(AssumptionRow(
                path, values[path], span.status if span else system.status,
                system.source + (f" (range {span.low:g}-{span.high:g}: {span.note})"
                                 if span else ""), f"catalog:{system.id}"))
    if scenario.investment:
        for name in ("usd_per_tranche", "gw_per_tranche", "cap_usd"):
            rows.append(_row(f"investment.{name}", getattr(scenario.investment, name),
                             "scenario"))
    optimised: BuildoutResult | None = None
    sites: tuple[Site, ...] = ()
    price: np.ndarray | None = None
    if scenario.buildout is not None:
        sites = tuple(catalog.site(s) for s in scenario.buildout.sites)
        problem, optimised = _optimise(scenario, catalog, values)
        schedule = _schedule_from_buildout(problem, optimised)
        price = _site_weighted(schedule, [s.electricity_usd_per_mwh for s in sites],
                               values["facility.electricity_usd_per_mwh"])
        rows[:0] = _buildout_rows(scenario.buildout, sites)
    else:
        assert scenario.ramp is not None
        steps = scenario.ramp.steps
        schedule = build_schedule([s.period for s in steps], [s.facility_gw for s in steps],
                                  [s.system for s in steps])
        rows.insert(0, _provenance_row("ramp", float(steps[-1].facility_gw), scenario.ramp))
    rates: dict[str, float] = {}
    tps: dict[str, int] = {}
    if scenario.serving is not None and scenario.demand is not None:
        _take("serving.share_of_fleet", scenario.serving.share_of_fleet, values, distributions,
              rows)
        for name in type(scenario.demand).model_fields:
            value = getattr(scenario.demand, name)
            if isinstance(value, Assumption):
                rows.append(_row(f"demand.{name}", value, "scenario"))
        rates, tps = serving_rates(catalog, [s.id for s in systems], scenario.serving,
                                   scenario.demand)
    return Inputs(schedule, systems, tuple(catalog.accelerator_of(s) for s in systems),
                  values, distributions, tuple(rows), catalog, scenario.network,
                  scenario.serving, scenario.demand, rates, tps, optimised, sites, price)


def _provenance_row(path: str, value: float, block: Sourced | Assumption | Ramp,
                    origin: str = "scenario") -> AssumptionRow:
    text = "; ".join(t for t in (block.source, block.note) if t) or "given without a source"
    return AssumptionRow(path, value, block.status, text, origin)


def _buildout_rows(b: Buildout, sites: Sequence[Site]) -> list[AssumptionRow]:
    """The build-out's figures and each site's record, with their sources."""
    amounts: dict[str, Amounts] = {
        **{f"buildout.platforms.{k}.supply_racks": p.supply_racks
           for k, p in b.platforms.items()},
        "buildout.capital_usd": b.capital_usd}
    rows = [_provenance_row("buildout", units.mw_to_gw(sum(s.max_facility_mw for s in sites)),
                            b)]
    if b.target is not None:
        rows.append(_provenance_row("buildout.target.facility_gw", b.target.facility_gw,
                                    b.target))
    rows += [_provenance_row(path, a.total, a) for path, a in amounts.items()]
    rows += [_row(f"buildout.committed_mw.{k}", a, "scenario") for k, a in b.committed_mw.items()]
    rows += [AssumptionRow(f"sites.{s.id}.max_facility_mw", s.max_facility_mw, s.status,
                           s.source, f"catalog:{s.id}") for s in sites]
    return rows


def _optimise(scenario: Scenario, catalog: Catalog, values: Mapping[str, float]
              ) -> tuple[BuildoutProblem, BuildoutResult]:
    """The build-out programme at the central values, solved."""
    from gigawatt.buildout import BuildoutError, optimise_buildout
    from gigawatt.buildout.inputs import problem_from_catalog
    from gigawatt.network import network_usd_per_rack

    b, inv = scenario.buildout, scenario.investment
    assert b is not None
    ids = list(b.platforms)
    try:
        problem = problem_from_catalog(
            catalog, sites=b.sites, platforms=ids, first_quarter=b.first_quarter,
            last_quarter=b.last_quarter,
            supply_racks={k: p.supply_racks.per_period for k, p in b.platforms.items()},
            capital_usd=b.capital_usd.per_period,
            build_usd_per_mw_it=values["facility.build_usd_per_mw_it"],
            objective=b.objective,
            target_gw=b.target.facility_gw if b.target else None,
            target_quarter=b.target.quarter if b.target else None,
            tranche_usd_per_gw=(inv.usd_per_tranche.value / inv.gw_per_tranche.value
                                if inv else 0.0),
            tranche_cap_usd=inv.cap_usd.value if inv else 0.0,
            utilisation=values["facility.utilisation"], precision=b.precision,
            it_overhead_fraction=values["facility.it_overhead_fraction"],
            release={k: p.release for k, p in b.platforms.items() if p.release},
            rack_power_kw={k: values[f"platforms.{k}.rack_power_kw"] for k in ids},
            # the programme's rack price includes the rack's share of the scale-out fabric
            rack_usd={k: values[f"platforms.{k}.rack_price_usd"]
                      + network_usd_per_rack(catalog, k) for k in ids},
            committed_mw={k: a.value for k, a in b.committed_mw.items()})
        return problem, optimise_buildout(problem)
    except BuildoutError as exc:
        raise _in_scenario(exc, scenario.name) from None


def _in_scenario(exc: GigawattError, name: str) -> GigawattError:
    """The same error, its one line prefixed with the scenario and the section."""
    message = f"scenario {name}: buildout: {exc}"
    shortfalls = getattr(exc, "shortfalls", None)
    return type(exc)(message, shortfalls) if shortfalls is not None else type(exc)(message)


def _schedule_from_buildout(p: BuildoutProblem, r: BuildoutResult) -> Schedule:
    from gigawatt.buildout.quarters import quarter_index

    return schedule_from_sites(
        [quarter_index(q) for q in p.quarters], p.sites.names, p.platforms.names,
        r.racks_added, units.mw_to_w(p.rack_facility_mw()), units.kw_to_w(p.platforms.rack_kw),
        units.mw_to_w(p.sites.power_mw), units.mw_to_w(r.halls_started_mw))


def _site_weighted(schedule: Schedule, per_site: Sequence[float], fallback: float
                   ) -> np.ndarray:
    """A per-site figure averaged over the sites by the power each has online, per period."""
    assert schedule.sites is not None
    online = schedule.sites.facility_w
    total = online.sum(axis=0)
    weighted = np.asarray(per_site, dtype=float) @ online
    return np.divide(weighted, total, out=np.full(len(total), fallback), where=total > 0)


def _take(path: str, a: Assumption, values: dict[str, float],
          distributions: dict[str, Distribution], rows: list[AssumptionRow]) -> None:
    values[path] = a.value
    if a.distribution is not None:
        distributions[path] = a.distribution
    rows.append(_row(path, a, "scenario"))


@dataclass(frozen=True)
class Evaluation:
    """The stages' results for one set of values, or for many samples at once."""

    fleet: Fleet
    network: NetworkTimeline
    costs: Costs
    serving: ServingTimeline | None
    serving_peak_to_average: float = 1.0


def evaluate(inputs: Inputs, values: Mapping[str, Param]) -> Evaluation:
    """Size the fleet and its network, cost them and serve with them, for one set of
    values or many samples at once.

    ``values`` maps every path of ``inputs.values`` to a number or an ``(S, 1)`` column;
    with columns, every per-period result has shape ``(S, periods)``.
    """
    schedule, systems, accs = inputs.schedule, inputs.systems, inputs.accelerators

    def platform(name: str) -> np.ndarray:
        return per_system([values[f"platforms.{s.id}.{name}"] for s in systems])

    def fixed(per: Sequence[float]) -> np.ndarray:
        return np.asarray(per, dtype=float)[:, None]

    pue = values["facility.pue"]
    fleet = size_fleet(
        added_facility_w=schedule.added_facility_w_by_system,
        facility_w=schedule.facility_w,
        pue=pue,
        it_overhead_fraction=values["facility.it_overhead_fraction"],
        rack_power_w=units.kw_to_w(platform("rack_power_kw")),
        packages_per_rack=fixed([s.packages_per_rack for s in systems]),
        dies_per_package=fixed([a.dies for a in accs]),
        packages_per_domain=fixed([s.nvlink_domain_packages for s in systems]),
        peak_flops_per_package={
            p: fixed([units.tflops_to_flops(getattr(a, f"{p}_dense_tflops") or 0.0)
                      for a in accs]) for p in PRECISIONS},
        hbm_bytes_per_package=fixed([units.gb_to_bytes(a.hbm_gb) for a in accs]),
        added_racks=schedule.added_racks_by_system,
        it_w=schedule.it_w,
    )
    by_system = [fleet.packages_by_system[..., i, :] for i in range(len(systems))]
    system_ids = [s.id for s in systems]
    network = size_plan_network(
        inputs.catalog, system_ids, by_system,
        switches=inputs.network.switches, oversubscription=inputs.network.oversubscription,
        cpo=inputs.network.co_packaged_optics)
    costs = estimate_costs(
        added_racks_by_system=fleet.added_racks_by_system,
        added_it_w=fleet.added_it_w,
        facility_w=schedule.facility_w,
        packages=fleet.packages,
        rack_price_usd=platform("rack_price_usd"),
        network_capex_usd=network.capex_usd,
        build_usd_per_mw_it=values["facility.build_usd_per_mw_it"],
        utilisation=values["facility.utilisation"],
        electricity_usd_per_mwh=(values["facility.electricity_usd_per_mwh"]
                                 if inputs.electricity_usd_per_mwh is None
                                 else inputs.electricity_usd_per_mwh),
        pue=pue if schedule.it_w is None else _effective_pue(schedule),
        wue_l_per_kwh=values["facility.wue_l_per_kwh"],
        grid_kg_co2_per_kwh=values["facility.grid_kg_co2_per_kwh"],
        depreciation_years=values["finance.depreciation_years"],
        facility_life_years=values["finance.facility_life_years"],
        maintenance_fraction_per_year=values["finance.maintenance_fraction_per_year"],
    )
    serving = None
    if inputs.serving is not None and inputs.demand is not None:
        serving = serve_fleet(system_ids, by_system, schedule.periods, inputs.serving_rates,
                              inputs.serving_tp, values["serving.share_of_fleet"], inputs.demand)
    peak = inputs.demand.peak_to_average.value if inputs.demand is not None else 1.0
    return Evaluation(fleet, network, costs, serving, peak)


def per_system(per: Sequence[Param]) -> np.ndarray:
    """One value per platform as ``(platforms, 1)``, or ``(S, platforms, 1)`` when any value
    is an ``(S, 1)`` column of samples."""
    arrays = [np.asarray(v, dtype=float) for v in per]
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    stacked = np.stack([np.broadcast_to(a, shape) for a in arrays], axis=max(len(shape) - 1, 0))
    return stacked if shape else stacked[:, None]


def _effective_pue(schedule: Schedule) -> np.ndarray:
    """Facility over IT power online, per period (1 where nothing is online)."""
    assert schedule.it_w is not None
    return np.divide(schedule.facility_w, schedule.it_w, out=np.ones(len(schedule.periods)),
                     where=schedule.it_w > 0)


def outputs(schedule: Schedule, ev: Evaluation) -> dict[str, np.ndarray]:
    """Headline quantities at the end of the build-out, one per sample (or 0-d)."""
    fleet, network, costs = ev.fleet, ev.network, ev.costs
    facility_gw = float(units.w_to_gw(schedule.facility_w[-1]))
    capex = costs.capex_usd.sum(axis=-1)
    vendor = (costs.capex_systems_usd + costs.capex_network_usd).sum(axis=-1)
    gw = facility_gw if facility_gw > 0 else float("nan")
    return {
        "it_gw": units.w_to_gw(fleet.it_w[..., -1]),
        "racks": fleet.racks[..., -1],
        "gpus": fleet.packages[..., -1],
        "gpu_dies": fleet.dies[..., -1],
        "nvlink_domains": fleet.domains[..., -1],
        **{f"{p}_eflops": units.flops_to_eflops(fleet.peak_flops[p][..., -1])
           for p in PRECISIONS},
        "hbm_pb": units.bytes_to_pb(fleet.hbm_bytes[..., -1]),
        "capex_usd": capex,
        "capex_systems_usd": costs.capex_systems_usd.sum(axis=-1),
        "capex_network_usd": costs.capex_network_usd.sum(axis=-1),
        "capex_facility_usd": costs.capex_facility_usd.sum(axis=-1),
        "capex_usd_per_gw": capex / gw,
        "vendor_usd_per_gw": vendor / gw,
        "opex_electricity_usd_per_year": costs.opex_electricity_usd_per_year[..., -1],
        "opex_maintenance_usd_per_year": costs.opex_maintenance_usd_per_year[..., -1],
        "opex_usd_per_year": costs.opex_usd_per_year[..., -1],
        "usd_per_gpu_hour": costs.usd_per_gpu_hour[..., -1],
        "energy_twh_per_year": costs.energy_twh_per_year[..., -1],
        "water_gl_per_year": costs.water_gl_per_year[..., -1],
        "emissions_mt_co2_per_year": costs.emissions_mt_co2_per_year[..., -1],
        "network_power_mw": units.w_to_mw(network.power_w[..., -1]),
        "network_power_share_of_it": np.divide(
            network.power_w[..., -1], fleet.it_w[..., -1],
            out=np.full(np.shape(network.power_w[..., -1]), np.nan),
            where=fleet.it_w[..., -1] > 0),
        "transceivers": network.transceivers[..., -1],
        "largest_cluster_gpus": network.largest_cluster_gpus[..., -1],
        **_serving_outputs(ev),
    }


def _serving_outputs(ev: Evaluation) -> dict[str, np.ndarray]:
    s = ev.serving
    if s is None:
        return {}
    return {
        "serving_gpus": s.serving_gpus[..., -1],
        "output_tokens_per_day": s.output_tokens_per_day[..., -1],
        "weekly_users_servable": s.weekly_users_servable[..., -1],
        "demand_weekly_users": np.asarray(s.demand_weekly_users)[..., -1],
        "usd_per_million_output_tokens": _cost_per_mtok(ev)[..., -1],
    }


def _cost_per_mtok(ev: Evaluation) -> np.ndarray:
    assert ev.serving is not None
    return cost_per_million_tokens(ev.serving, ev.costs.usd_per_gpu_hour,
                                   ev.serving_peak_to_average)


def plan(scenario: Scenario, catalog: Catalog | None = None) -> PlanResult:
    """Run the whole pipeline on a validated scenario, at the central value of each input.

    Parameters
    ----------
    scenario : a validated scenario (see ``load_scenario``); its cross-checks are rerun here.
    catalog : the equipment catalog; the built-in one by default.
    """
    inputs = gather_inputs(scenario, catalog)
    schedule = inputs.schedule
    ev = evaluate(inputs, inputs.values)
    training = _training(scenario, inputs, ev)
    failures = _fleet_failures(inputs, ev, scenario.training.profile if scenario.training
                               else "production")

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
    headline = {
        "scenario": scenario.name,
        "title": scenario.title,
        "gigawatt_version": __version__,
        "first_period": schedule.periods[0],
        "last_period": schedule.periods[-1],
        "facility_gw": float(units.w_to_gw(schedule.facility_w[-1])),
        **{k: _scalar(v) for k, v in outputs(schedule, ev).items()},
        "investment_usd": tranches.released_usd,
        "tranches_released": int((~np.isnat(tranches.release_dates)).sum()),
        "first_gw_date": _iso(first_gw),
        **{k: _scalar(v[-1]) for k, v in failures.items()},
        **_training_headline(training),
    }
    claim_values = {**headline, "first_gw_date": None if np.isnat(first_gw)
                    else dt.date.fromisoformat(str(first_gw))}
    shares = _platform_shares(inputs, ev)
    return PlanResult(
        scenario=scenario,
        schedule=schedule,
        stages=ev,
        training=training,
        fleet_reliability=failures,
        tranches=tranches,
        investment_usd=investment,
        claims=check_claims(scenario.claims, claim_values, shares,
                            lambda gpus: _site_optics(inputs, gpus)),
        assumptions=inputs.rows,
        headline=headline,
        buildout=inputs.buildout,
        site_plan=tuple(site_rows(schedule.sites, schedule.periods, inputs.systems,
                                  inputs.sites) if schedule.sites is not None else ()),
    )


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
            "power_available_mw": _scalar(units.w_to_mw(sites.power_w[i, k])),
            "facility_mw": _scalar(units.w_to_mw(sites.facility_w[i, k])),
            "halls_started_mw": _scalar(units.w_to_mw(sites.halls_started_w[i, k])),
            "racks": {p: _scalar(racks[j, k]) for j, p in enumerate(ids)},
            "racks_added": {p: _scalar(added[j, k]) for j, p in enumerate(ids)},
            "gpus": _scalar(gpus[k]),
        } for k, period in enumerate(periods)]
        out.append({
            "site": site.id, "name": site.name, "location": site.location,
            "max_facility_mw": site.max_facility_mw, "pue": site.pue,
            "facility_mw": _scalar(units.w_to_mw(sites.facility_w[i, -1])),
            "gpus": _scalar(gpus[-1]), "schedule": schedule,
        })
    return out


def _pools(ev: Evaluation) -> list[np.ndarray]:
    """GPU packages of each platform online at each period end."""
    return list(ev.fleet.packages_by_system)


def _training(scenario: Scenario, inputs: Inputs, ev: Evaluation) -> TrainingTimeline | None:
    t = scenario.training
    if t is None:
        return None
    v = inputs.values
    sites = inputs.schedule.sites
    caps: list[float | np.ndarray]
    if sites is not None:
        # the largest single site of each platform, period by period
        caps = [sites.racks[:, i].max(axis=0) * s.packages_per_rack
                for i, s in enumerate(inputs.systems)]
    else:
        assert t.max_site_facility_gw is not None
        caps = [site_gpus(t.max_site_facility_gw.value, v["facility.pue"],
                          v["facility.it_overhead_fraction"],
                          v[f"platforms.{s.id}.rack_power_kw"], s.packages_per_rack)
                for s in inputs.systems]
    share = 1.0 - v.get("serving.share_of_fleet", 0.0)
    return train_frontier(inputs.catalog, [s.id for s in inputs.systems], _pools(ev),
                          caps, ev.network.largest_cluster_gpus, share, t)


def _training_headline(t: TrainingTimeline | None) -> dict[str, Any]:
    if t is None:
        return {}
    return {
        "training_system": t.system[-1],
        "training_largest_job_gpus": _scalar(t.largest_job_gpus[-1]),
        "largest_job_goodput": _scalar(t.largest_goodput[-1]),
        "largest_job_interruptions_per_day": _scalar(
            units.MINUTES_PER_DAY / t.largest_mtti_min[-1]),
        "training_interruptions_per_day": _scalar(units.MINUTES_PER_DAY / t.mtti_min[-1]),
        "training_job_gpus": _scalar(t.job_gpus[-1]),
        "training_parallelism": t.parallelism[-1],
        "training_step_time_s": _scalar(t.step_time_s[-1]),
        "training_mfu": _scalar(t.mfu[-1]),
        "training_ideal_days": _scalar(t.ideal_days[-1]),
        "training_goodput": _scalar(t.goodput[-1]),
        "training_mtti_min": _scalar(t.mtti_min[-1]),
        "checkpoint_interval_min": _scalar(t.checkpoint_interval_min[-1]),
        "training_days": _scalar(t.days[-1]),
        "first_period_training_days": _scalar(t.days[0]),
    }


def _fleet_failures(inputs: Inputs, ev: Evaluation, profile: str) -> dict[str, np.ndarray]:
    """Failures and GPU replacements per day across each period's whole fleet."""
    from gigawatt.reliability import fleet_reliability

    pools = _pools(ev)
    failures, swaps = [], []
    for k in range(len(inputs.schedule.periods)):
        gpus = {s.id: int(p[k]) for s, p in zip(inputs.systems, pools, strict=True) if p[k] > 0}
        if not gpus:
            failures.append(0.0)
            swaps.append(0.0)
            continue
        r = fleet_reliability(gpus, profile=profile, catalog=inputs.catalog)
        failures.append(r.failures_per_day)
        swaps.append(r.gpu_replacements_per_day)
    return {"fleet_failures_per_day": np.array(failures),
            "gpu_replacements_per_day": np.array(swaps)}


def _site_optics(inputs: Inputs, gpus: int) -> SiteOptics:
    """Optics power of a ``gpus``-GPU fabric of the scenario's first platform."""
    system = inputs.systems[0]
    switch = inputs.network.switches.get(system.id) or system.scaleout_switch or ""
    o = compare_cpo(inputs.catalog, gpus, system.id, switch or None)
    return SiteOptics(gpus, system.id, switch, units.w_to_mw(o.pluggable_w),
                      units.w_to_mw(o.cpo_w), units.w_to_mw(o.cpo_all_w))


def _platform_shares(inputs: Inputs, ev: Evaluation) -> list[PlatformShare]:
    """Each platform's power, GPUs and money over the whole plan (for the claims' reasons).

    Facility capex is shared among the platforms of a period by the power each adds."""
    schedule, values, fleet, costs = inputs.schedule, inputs.values, ev.fleet, ev.costs
    pue = (values["facility.pue"] if schedule.it_w is None
           else float(_effective_pue(schedule)[-1]))
    overhead = values["facility.it_overhead_fraction"]
    by_system_w = schedule.added_facility_w_by_system
    share = np.divide(by_system_w, schedule.added_facility_w,
                      out=np.zeros_like(by_system_w), where=schedule.added_facility_w > 0)
    shares = []
    for i, (system, acc) in enumerate(zip(inputs.systems, inputs.accelerators, strict=True)):
        packages = float(fleet.added_packages_by_system[i].sum())
        rack_kw = values[f"platforms.{system.id}.rack_power_kw"]
        vendor = float(fleet.added_racks_by_system[i].sum()
                       * values[f"platforms.{system.id}.rack_price_usd"]
                       + ev.network.capex_usd_by_system[i].sum())
        shares.append(PlatformShare(
            system=system.id,
            facility_gw=float(units.w_to_gw(by_system_w[i].sum())),
            rack_power_kw=rack_kw,
            packages=packages,
            dies=packages * acc.dies,
            facility_kw_per_package=rack_kw * (1 + overhead) * pue / system.packages_per_rack,
            vendor_usd=vendor,
            capex_usd=vendor + float((costs.capex_facility_usd * share[i]).sum()),
        ))
    return shares
