"""From catalog records to the plain arrays of a build-out problem (the validated edge)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np

from gigawatt.buildout.problem import (
    BuildoutError,
    BuildoutProblem,
    Money,
    Objective,
    Platforms,
    Sites,
    Target,
    rack_it_kw,
)
from gigawatt.buildout.quarters import QUARTER, quarter_index, quarter_label, step_by_quarter
from gigawatt.catalog import Catalog, Site
from gigawatt.catalog.schema import HALF_YEAR
from gigawatt.pipeline.scaleout import network_usd_per_rack
from gigawatt.units import tflops_to_flops

YEAR = re.compile(r"^(\d{4})$")

Precision = Literal["bf16", "fp8", "fp4"]
MONTHS_PER_QUARTER = 3


def half_year_first_quarter(label: str) -> str:
    """``'2026H2'`` -> ``'2026Q3'``: the first quarter of a half-year."""
    match = HALF_YEAR.match(label)
    if match is None:
        raise BuildoutError(f"release: {label!r} is not a half-year; accepted: YYYYH1 or YYYYH2")
    return f"{match.group(1)}Q{1 if match.group(2) == '1' else 3}"


def sites_from_catalog(sites: Sequence[Site], quarters: Sequence[str], *,
                       build_usd_per_mw_it: float,
                       committed_mw: Mapping[str, float] | None = None,
                       power_share: float = 1.0) -> Sites:
    """Sites as arrays over a horizon.

    Power in quarter ``q`` is the last ramp step dated in or before ``q`` (a step counts from
    the quarter that contains its date), times ``power_share`` (the share of it that
    arrives); the lead time rounds up to whole quarters. ``committed_mw`` overrides a site's
    committed capacity (e.g. 0 to charge its halls).
    """
    override = committed_mw or {}
    unknown = sorted(set(override) - {s.id for s in sites})
    if unknown:
        raise BuildoutError(f"committed_mw: unknown sites {unknown}; accepted: the sites listed")
    return Sites(
        names=tuple(s.id for s in sites),
        power_mw=np.array([step_by_quarter([p.date for p in s.power_ramp],
                                           [p.facility_mw for p in s.power_ramp], quarters)
                           for s in sites]).reshape(len(sites), len(quarters))
        * power_share,
        max_mw=np.array([s.max_facility_mw for s in sites]),
        pue=np.array([s.pue for s in sites]),
        lead_quarters=np.array([math.ceil(s.lead_time_months / MONTHS_PER_QUARTER)
                                for s in sites]),
        committed_mw=np.array([override.get(s.id, s.committed_mw) for s in sites]),
        build_usd_per_mw_it=np.full(len(sites), build_usd_per_mw_it),
        electricity_usd_per_mwh=np.array([s.electricity_usd_per_mwh for s in sites]),
    )


def platforms_from_catalog(catalog: Catalog, system_ids: Sequence[str], *,
                           precision: Precision = "fp8", it_overhead_fraction: float = 0.0,
                           release: Mapping[str, str] | None = None,
                           rack_power_kw: Mapping[str, float] | None = None,
                           rack_usd: Mapping[str, float] | None = None) -> Platforms:
    """Platforms from catalog systems, with a scenario's overrides.

    - rack power (kW) = catalog or override x (1 + ``it_overhead_fraction``), the share of IT
      power outside the compute racks;
    - FLOP/s per rack = packages per rack x dense peak of the accelerator at ``precision``;
    - price per rack = override, or catalog rack price + scale-out network per rack;
    - release = override quarter, never before the first quarter of the catalog's
      ``available`` half-year.
    """
    release = release or {}
    power = rack_power_kw or {}
    price = rack_usd or {}
    names, kw, packages, flops, usd, first = [], [], [], [], [], []
    for system_id in system_ids:
        system = catalog.system(system_id)
        accelerator = catalog.accelerator_of(system)
        tflops = getattr(accelerator, f"{precision}_dense_tflops")
        if tflops is None:
            raise BuildoutError(f"precision: {accelerator.id} has no dense {precision} peak in "
                                "the catalog; accepted: bf16, or a precision it lists")
        cost = price.get(system_id)
        if cost is None:
            if system.rack_price_usd is None:
                raise BuildoutError(f"rack_usd[{system_id}]: the catalog has no price for "
                                    "this system; accepted: a price per rack in USD")
            cost = system.rack_price_usd + network_usd_per_rack(catalog, system_id)
        earliest = half_year_first_quarter(system.available)
        quarter = release.get(system_id, earliest)
        try:
            early = quarter_index(quarter) < quarter_index(earliest)
        except ValueError as exc:
            raise BuildoutError(f"release[{system_id}]: {exc}") from None
        if early:
            raise BuildoutError(
                f"release[{system_id}]: {quarter} is before the platform's release "
                f"({system.available}, so {earliest}); accepted: {earliest} or later")
        names.append(system_id)
        kw.append(float(rack_it_kw(power.get(system_id, system.rack_power_kw),
                                   it_overhead_fraction)))
        packages.append(system.packages_per_rack)
        flops.append(system.packages_per_rack * tflops_to_flops(tflops))
        usd.append(cost)
        first.append(quarter)
    return Platforms(names=tuple(names), rack_kw=np.array(kw),
                     packages_per_rack=np.array(packages, dtype=float),
                     rack_flops=np.array(flops), rack_usd=np.array(usd), release=tuple(first))


def quarters_between(first: str, last: str) -> tuple[str, ...]:
    """Every quarter from ``first`` to ``last``, inclusive."""
    a, b = quarter_index(first), quarter_index(last)
    if b < a:
        raise BuildoutError(f"quarters: {last} comes before {first}; accepted: first <= last")
    return tuple(quarter_label(i) for i in range(a, b + 1))


def _quarters_of_period(label: str) -> list[int]:
    if QUARTER.match(label):
        return [quarter_index(label)]
    half = HALF_YEAR.match(label)
    if half:
        first = 4 * int(half.group(1)) + (0 if half.group(2) == "1" else 2)
        return [first, first + 1]
    year = YEAR.match(label)
    if year:
        return [4 * int(year.group(1)) + k for k in range(4)]
    raise BuildoutError(f"period {label!r}: accepted: a year (2027), half-year (2027H1) or "
                        "quarter (2027Q1)")


def per_quarter(amounts: Mapping[str, float], quarters: Sequence[str], field: str) -> np.ndarray:
    """Amounts given per year, half-year or quarter, spread evenly over the horizon's quarters.

    ``{'2027': 4e10}`` puts 1e10 in each quarter of 2027; quarters outside the horizon are
    dropped, quarters not covered get 0. ``field`` names the input in errors.
    """
    start = quarter_index(quarters[0])
    out = np.zeros(len(quarters))
    for label, amount in amounts.items():
        try:
            covered = _quarters_of_period(str(label))
        except BuildoutError as exc:
            raise BuildoutError(f"{field}: {exc}") from None
        for q in covered:
            if 0 <= q - start < len(quarters):
                out[q - start] += amount / len(covered)
    return out


def problem_from_catalog(
    catalog: Catalog, *, sites: Sequence[str], platforms: Sequence[str], first_quarter: str,
    last_quarter: str, supply_racks: Mapping[str, Mapping[str, float]],
    capital_usd: Mapping[str, float], build_usd_per_mw_it: float,
    objective: Objective = "compute", target_gw: float | None = None,
    target_quarter: str | None = None, tranche_usd_per_gw: float = 0.0,
    tranche_cap_usd: float = 0.0, utilisation: float = 1.0, precision: Precision = "fp8",
    it_overhead_fraction: float = 0.0, release: Mapping[str, str] | None = None,
    rack_power_kw: Mapping[str, float] | None = None,
    rack_usd: Mapping[str, float] | None = None,
    committed_mw: Mapping[str, float] | None = None, site_power_share: float = 1.0,
) -> BuildoutProblem:
    """A build-out problem from catalog IDs and a scenario's numbers, checked.

    ``supply_racks`` maps a platform to racks per period and ``capital_usd`` maps a period to
    new capital (periods: years, half-years or quarters, see :func:`per_quarter`).
    """
    quarters = quarters_between(first_quarter, last_quarter)
    unknown = sorted(set(supply_racks) - set(platforms))
    if unknown:
        raise BuildoutError(f"supply_racks: unknown platforms {unknown}; accepted: "
                            f"{', '.join(platforms)}")
    target = None
    if target_gw is not None:
        target = Target(target_gw, target_quarter or last_quarter)
    return BuildoutProblem(
        quarters=quarters,
        sites=sites_from_catalog([catalog.site(s) for s in sites], quarters,
                                 build_usd_per_mw_it=build_usd_per_mw_it,
                                 committed_mw=committed_mw, power_share=site_power_share),
        platforms=platforms_from_catalog(catalog, platforms, precision=precision,
                                         it_overhead_fraction=it_overhead_fraction,
                                         release=release, rack_power_kw=rack_power_kw,
                                         rack_usd=rack_usd),
        supply_racks=np.array([per_quarter(supply_racks.get(p, {}), quarters,
                                           f"supply_racks[{p}]") for p in platforms]),
        money=Money(per_quarter(capital_usd, quarters, "capital_usd"),
                    tranche_usd_per_gw=tranche_usd_per_gw, tranche_cap_usd=tranche_cap_usd),
        objective=objective,
        target=target,
        utilisation=utilisation,
    )
