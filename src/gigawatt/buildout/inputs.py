"""From catalog records to the plain arrays of a build-out problem (the validated edge)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np

from gigawatt.buildout.problem import BuildoutError, Platforms, Sites
from gigawatt.buildout.quarters import quarter_index, quarter_label, step_by_quarter
from gigawatt.catalog import Catalog, Site
from gigawatt.catalog.schema import HALF_YEAR
from gigawatt.units import tflops_to_flops

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
                       committed_mw: Mapping[str, float] | None = None) -> Sites:
    """Sites as arrays over a horizon.

    Power in quarter ``q`` is the last ramp step dated in or before ``q`` (a step counts from
    the quarter that contains its date); the lead time rounds up to whole quarters.
    ``committed_mw`` overrides a site's committed capacity (e.g. 0 to charge its halls).
    """
    override = committed_mw or {}
    unknown = sorted(set(override) - {s.id for s in sites})
    if unknown:
        raise BuildoutError(f"committed_mw: unknown sites {unknown}; accepted: the sites listed")
    return Sites(
        names=tuple(s.id for s in sites),
        power_mw=np.array([step_by_quarter([p.date for p in s.power_ramp],
                                           [p.facility_mw for p in s.power_ramp], quarters)
                           for s in sites]).reshape(len(sites), len(quarters)),
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
            cost = system.rack_price_usd + (system.network_usd_per_rack or 0.0)
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
        kw.append(power.get(system_id, system.rack_power_kw) * (1.0 + it_overhead_fraction))
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
