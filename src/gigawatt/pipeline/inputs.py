"""Inputs stage: a scenario resolved against the catalog, with the schedule it implies.

Every number the later stages use is gathered by its scenario path (``facility.pue``,
``platforms.vr-nvl72.rack_power_kw``), with its distribution where it is uncertain and its
source for the assumptions table.

The schedule comes from the scenario's ``ramp`` (facility power per half-year, one platform
added in each step) or, when the scenario lists sites under ``buildout``, from the build-out
optimiser (:mod:`gigawatt.buildout`): racks of every platform at every site by quarter,
folded into half-years of whole racks. Either way the later stages see racks or power per
platform per period.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from gigawatt import units
from gigawatt.catalog import Accelerator, Catalog, Site, System, load_catalog
from gigawatt.errors import GigawattError, InfeasibleError
from gigawatt.pipeline.schedule import Schedule, build_schedule, schedule_from_sites
from gigawatt.pipeline.serving import kind_assumptions, serving_rates
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

if TYPE_CHECKING:
    from gigawatt.buildout import BuildoutProblem, BuildoutResult


PLATFORM_FIELDS = ("rack_power_kw", "rack_price_usd")


@dataclass(frozen=True)
class AssumptionRow:
    """One number the plan rests on, and where it comes from."""

    field: str
    value: float
    status: str
    source: str
    origin: str


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
    serving_rates: dict[str, dict[str, float]]
    serving_tp: dict[str, dict[str, int]]
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
            if getattr(block, name) is None:  # an optional figure left out (finance.wacc)
                continue
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
        price = site_weighted(schedule, [s.electricity_usd_per_mwh for s in sites],
                               values["facility.electricity_usd_per_mwh"])
        rows[:0] = _buildout_rows(scenario.buildout, sites)
    else:
        assert scenario.ramp is not None
        steps = scenario.ramp.steps
        schedule = build_schedule([s.period for s in steps], [s.facility_gw for s in steps],
                                  [s.system for s in steps])
        rows.insert(0, _provenance_row("ramp", float(steps[-1].facility_gw), scenario.ramp))
    rates: dict[str, dict[str, float]] = {}
    tps: dict[str, dict[str, int]] = {}
    if scenario.serving is not None and scenario.demand is not None:
        _take("serving.share_of_fleet", scenario.serving.share_of_fleet, values, distributions,
              rows)
        for name in type(scenario.demand).model_fields:
            value = getattr(scenario.demand, name)
            if isinstance(value, Assumption):
                rows.append(_row(f"demand.{name}", value, "scenario"))
        rows.extend(_row(path, a, "scenario") for path, a in kind_assumptions(scenario.demand))
        rates, tps = serving_rates(catalog, [s.id for s in systems], scenario.serving,
                                   scenario.demand)
    return Inputs(schedule, systems, tuple(catalog.accelerator_of(s) for s in systems),
                  values, distributions, tuple(rows), catalog, scenario.network,
                  scenario.serving, scenario.demand, rates, tps, optimised, sites, price)


def _row(path: str, a: Assumption, origin: str) -> AssumptionRow:
    return _provenance_row(path, a.value, a, origin)


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
    if b.site_power_share is not None:
        rows.append(_row("buildout.site_power_share", b.site_power_share, "scenario"))
    rows += [AssumptionRow(f"sites.{s.id}.max_facility_mw", s.max_facility_mw, s.status,
                           s.source, f"catalog:{s.id}") for s in sites]
    return rows


def _optimise(scenario: Scenario, catalog: Catalog, values: Mapping[str, float]
              ) -> tuple[BuildoutProblem, BuildoutResult]:
    """The build-out programme at the central values, solved."""
    from gigawatt.buildout import BuildoutError, optimise_buildout

    problem = buildout_problem(scenario, catalog, values)
    try:
        return problem, optimise_buildout(problem)
    except BuildoutError as exc:
        raise _in_scenario(exc, scenario.name) from None


BUILDOUT_FIGURES = ("facility.build_usd_per_mw_it", "facility.utilisation",
                    "facility.it_overhead_fraction", "investment.usd_per_tranche",
                    "investment.gw_per_tranche", "investment.cap_usd")
"""The scenario numbers the build-out programme reads, besides each of its platforms'
``rack_power_kw`` and ``rack_price_usd`` and the build-out's own capital and supply (see
:func:`buildout_paths`)."""


def buildout_paths(scenario: Scenario) -> tuple[str, ...]:
    """Every path of a number the build-out programme depends on (none without one)."""
    if scenario.buildout is None:
        return ()
    ids = tuple(scenario.buildout.platforms)
    return (BUILDOUT_FIGURES + tuple(f"platforms.{k}.{name}" for k in ids
                                     for name in PLATFORM_FIELDS)
            + ("buildout.capital_usd", "buildout.site_power_share")
            + tuple(f"buildout.platforms.{k}.supply_racks" for k in ids))


def buildout_problem(scenario: Scenario, catalog: Catalog, values: Mapping[str, float]
                     ) -> BuildoutProblem:
    """The build-out programme of a scenario at ``values`` (paths of :func:`buildout_paths`
    that ``values`` lacks take the scenario's own figure)."""
    from gigawatt.buildout import BuildoutError
    from gigawatt.buildout.inputs import problem_from_catalog
    from gigawatt.pipeline.scaleout import network_usd_per_rack

    b, inv = scenario.buildout, scenario.investment
    assert b is not None

    def deal(name: str) -> float:
        assert inv is not None
        return float(values.get(f"investment.{name}", getattr(inv, name).value))

    ids = list(b.platforms)
    try:
        return problem_from_catalog(
            catalog, sites=b.sites, platforms=ids, first_quarter=b.first_quarter,
            last_quarter=b.last_quarter,
            supply_racks={k: p.supply_racks.per_period for k, p in b.platforms.items()},
            capital_usd=b.capital_usd.per_period,
            build_usd_per_mw_it=values["facility.build_usd_per_mw_it"],
            objective=b.objective,
            target_gw=b.target.facility_gw if b.target else None,
            target_quarter=b.target.quarter if b.target else None,
            tranche_usd_per_gw=(deal("usd_per_tranche") / deal("gw_per_tranche")
                                if inv else 0.0),
            tranche_cap_usd=deal("cap_usd") if inv else 0.0,
            utilisation=values["facility.utilisation"], precision=b.precision,
            it_overhead_fraction=values["facility.it_overhead_fraction"],
            release={k: p.release for k, p in b.platforms.items() if p.release},
            rack_power_kw={k: values[f"platforms.{k}.rack_power_kw"] for k in ids},
            # the programme's rack price includes the rack's share of the scale-out fabric
            rack_usd={k: values[f"platforms.{k}.rack_price_usd"]
                      + network_usd_per_rack(catalog, k) for k in ids},
            committed_mw={k: a.value for k, a in b.committed_mw.items()},
            site_power_share=float(values.get(
                "buildout.site_power_share",
                b.site_power_share.value if b.site_power_share is not None else 1.0)))
    except BuildoutError as exc:
        raise _in_scenario(exc, scenario.name) from None


def _in_scenario(exc: GigawattError, name: str) -> GigawattError:
    """The same error, its one line prefixed with the scenario and the field: the target for
    an infeasible build-out (what cannot be met), else the section."""
    field = "buildout.target" if isinstance(exc, InfeasibleError) else "buildout"
    message = f"scenario {name}: {field}: {exc}"
    shortfalls = getattr(exc, "shortfalls", None)
    return type(exc)(message, shortfalls) if shortfalls is not None else type(exc)(message)


def _schedule_from_buildout(p: BuildoutProblem, r: BuildoutResult) -> Schedule:
    from gigawatt.buildout.quarters import quarter_index

    return schedule_from_sites(
        [quarter_index(q) for q in p.quarters], p.sites.names, p.platforms.names,
        r.racks_added, units.mw_to_w(p.rack_facility_mw()), units.kw_to_w(p.platforms.rack_kw),
        units.mw_to_w(p.sites.power_mw), units.mw_to_w(r.halls_started_mw))


def site_weighted(schedule: Schedule, per_site: Sequence[float], fallback: ArrayLike
                  ) -> np.ndarray:
    """A per-site figure averaged over the sites by the power each has online, per period
    (``(samples, periods)`` for a schedule per sample); ``fallback`` where none is online
    (a number, or an ``(S, 1)`` column)."""
    assert schedule.sites is not None
    online = schedule.sites.facility_w  # (..., sites, periods)
    total = online.sum(axis=-2)
    weighted = np.asarray(per_site, dtype=float) @ online
    out = np.broadcast_to(np.asarray(fallback, dtype=float), total.shape).copy()
    return np.divide(weighted, total, out=out, where=total > 0)


def _take(path: str, a: Assumption, values: dict[str, float],
          distributions: dict[str, Distribution], rows: list[AssumptionRow]) -> None:
    values[path] = a.value
    if a.distribution is not None:
        distributions[path] = a.distribution
    rows.append(_row(path, a, "scenario"))
