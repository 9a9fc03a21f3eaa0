"""The analytic stages on one set of values: sizing -> scale-out network -> economics -> serving.

:func:`evaluate` runs them in order on the central values (``plan``) or on columns of samples
(``sweep``); :func:`outputs` reads the headline quantities at the end of the build-out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from gigawatt import units
from gigawatt.pipeline.economics import Costs, estimate_costs
from gigawatt.pipeline.inputs import Inputs
from gigawatt.pipeline.scaleout import NetworkTimeline, size_plan_network
from gigawatt.pipeline.schedule import Schedule
from gigawatt.pipeline.serving import ServingTimeline, cost_per_million_tokens, serve_fleet
from gigawatt.pipeline.sizing import PRECISIONS, Fleet, size_fleet
from gigawatt.units import Param


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
        pue=pue if schedule.it_w is None else effective_pue(schedule),
        wue_l_per_kwh=values["facility.wue_l_per_kwh"],
        grid_kg_co2_per_kwh=values["facility.grid_kg_co2_per_kwh"],
        depreciation_years=values["finance.depreciation_years"],
        facility_life_years=values["finance.facility_life_years"],
        maintenance_fraction_per_year=values["finance.maintenance_fraction_per_year"],
        wacc=values.get("finance.wacc"),
    )
    serving = None
    if inputs.serving is not None and inputs.demand is not None:
        serving = serve_fleet(system_ids, by_system, schedule.periods, inputs.serving_rates,
                              inputs.serving_tp, values["serving.share_of_fleet"], inputs.demand,
                              inputs.serving)
    peak = inputs.demand.peak_to_average.value if inputs.demand is not None else 1.0
    return Evaluation(fleet, network, costs, serving, peak)


def per_system(per: Sequence[Param]) -> np.ndarray:
    """One value per platform as ``(platforms, 1)``, or ``(S, platforms, 1)`` when any value
    is an ``(S, 1)`` column of samples."""
    arrays = [np.asarray(v, dtype=float) for v in per]
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    stacked = np.stack([np.broadcast_to(a, shape) for a in arrays], axis=max(len(shape) - 1, 0))
    return stacked if shape else stacked[:, None]


def effective_pue(schedule: Schedule) -> np.ndarray:
    """Facility over IT power online, per period (1 where nothing is online); per sample
    and period for a schedule per sample."""
    assert schedule.it_w is not None
    return np.divide(schedule.facility_w, schedule.it_w,
                     out=np.ones(np.shape(schedule.facility_w)), where=schedule.it_w > 0)


def outputs(schedule: Schedule, ev: Evaluation) -> dict[str, np.ndarray]:
    """Headline quantities at the end of the build-out, one per sample (or 0-d)."""
    fleet, network, costs = ev.fleet, ev.network, ev.costs
    # [..., -1]: a sampled ramp gives every sample its own final power
    facility_gw = np.asarray(units.w_to_gw(schedule.facility_w[..., -1]), dtype=float)
    capex = costs.capex_usd.sum(axis=-1)
    vendor = (costs.capex_systems_usd + costs.capex_network_usd).sum(axis=-1)
    gw = np.where(facility_gw > 0, facility_gw, np.nan)
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
        **({"usd_per_gpu_hour_with_wacc": costs.usd_per_gpu_hour_with_wacc[..., -1]}
           if costs.usd_per_gpu_hour_with_wacc is not None else {}),
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
        "demand_output_tokens_per_day": s.demand_output_tokens_per_day[..., -1],
        "served_output_tokens_per_day": s.served_output_tokens_per_day[..., -1],
        "serving_capacity_ratio": np.asarray(s.capacity_ratio)[..., -1],
        "usd_per_million_output_tokens": cost_per_mtok(ev)[..., -1],
        **({"usd_per_million_output_tokens_with_wacc": cost_per_million_tokens(
            s, ev.costs.usd_per_gpu_hour_with_wacc, ev.serving_peak_to_average)[..., -1]}
           if ev.costs.usd_per_gpu_hour_with_wacc is not None else {}),
    }


def cost_per_mtok(ev: Evaluation) -> np.ndarray:
    assert ev.serving is not None
    return cost_per_million_tokens(ev.serving, ev.costs.usd_per_gpu_hour,
                                   ev.serving_peak_to_average)
