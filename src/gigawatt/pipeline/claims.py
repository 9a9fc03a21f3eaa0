"""The claims check: an announcement's own figures set beside the model's, with the reason.

Each claim names a metric of the plan and the range the claim implies. The
check reports the model's value, whether it lies in the range, and why the two
differ, in terms of the plan's own inputs (packages versus dies, rack power, price).

A claim is checked against a figure computed from *other* inputs, never against the input
that restates it: GPU counts come from facility power and rack power, capex from rack
prices and build costs, the first gigawatt from the published power ramps of the sites
(:func:`buildable_gw_date`), not from the scenario's own ramp. A claim keeps its source's
words (``quote``) and, where sources disagree, the range that spans them (``reading``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from gigawatt import units
from gigawatt.catalog import Site
from gigawatt.estimates.fabric import compare_cpo
from gigawatt.pipeline.evaluate import Evaluation, effective_pue
from gigawatt.pipeline.inputs import Inputs
from gigawatt.scenario.schema import Claim

Value = float | int | str | dt.date | None


@dataclass(frozen=True)
class PlatformShare:
    """One platform's part of the plan, for explaining differences."""

    system: str
    facility_gw: float
    rack_power_kw: float
    packages: float
    dies: float
    facility_kw_per_package: float
    vendor_usd: float
    capex_usd: float


@dataclass(frozen=True)
class ClaimCheck:
    """A claim, the model's figure for it, and the verdict with its reason."""

    id: str
    claim: str
    who: str
    source: str
    metric: str
    low: float | dt.date
    high: float | dt.date | None
    model: Value
    verdict: str
    reason: str
    quote: str | None = None
    reading: str | None = None


def _verdict(value: Value, low: float | dt.date, high: float | dt.date | None) -> str:
    if value is None:
        return "not reached"
    if value < low:  # type: ignore[operator]
        return "below"
    if high is not None and value > high:  # type: ignore[operator]
        return "above"
    return "within"


def _millions(x: float) -> str:
    return f"{x / 1e6:.2f}M"


def _billions(x: float) -> str:
    return f"${x / 1e9:.1f}B"


def _by_platform(shares: Sequence[PlatformShare], per_gw: str) -> str:
    parts = [f"{s.system} {_billions(getattr(s, per_gw) / s.facility_gw)}/GW"
             for s in shares if s.facility_gw > 0]
    return "; ".join(parts)


def _explain(claim: Claim, verdict: str, values: Mapping[str, Value],
             shares: Sequence[PlatformShare]) -> str:
    def num(key: str) -> float:
        v = values[key]
        return float(v) if isinstance(v, int | float) else 0.0

    metric, facility_gw = claim.metric, num("facility_gw")
    if metric in ("gpus", "gpu_dies"):
        packages, dies = num("gpus"), num("gpu_dies")
        per_platform = "; ".join(
            f"{s.system}: {s.rack_power_kw:g} kW racks, {s.facility_kw_per_package:.1f} kW of "
            f"facility power per package, {_millions(s.packages)} packages"
            for s in shares
        )
        lead = (f"The model has {_millions(packages)} packages and {_millions(dies)} dies in "
                f"{facility_gw:g} GW ({per_platform}).")
        if verdict == "within":
            return f"{lead} Consistent."
        low = float(claim.low)  # type: ignore[arg-type]
        high = float(claim.high) if claim.high is not None else None  # type: ignore[arg-type]
        if metric == "gpus" and low <= dies and (high is None or dies <= high):
            return (f"{lead} The claim matches dies, not packages: Rubin packages hold 2 dies and "
                    "Rubin Ultra 4, and NVIDIA's older names (NVL144, NVL576) counted dies.")
        mid = (low + (high if high is not None else low)) / 2
        implied = units.gw_to_w(facility_gw) / units.KILO / mid if mid else float("nan")
        return (f"{lead} The claim implies ~{implied:.1f} kW of facility power per GPU, which fits "
                "GB200/GB300-class power per package or counting dies; rack power of the Rubin "
                "generation is disputed (see the rack_power_kw ranges).")
    if metric == "capex_usd_per_gw":
        split = ", ".join(f"{label} {_billions(num(key) / facility_gw)}" for label, key in (
            ("systems", "capex_systems_usd"), ("networking", "capex_network_usd"),
            ("facility", "capex_facility_usd")))
        return (f"Model capex {_billions(num('capex_usd_per_gw'))}/GW: {split}. By platform: "
                f"{_by_platform(shares, 'capex_usd')}. Read as capex per GW of facility power: "
                "racks at their catalog or scenario price, the scale-out fabric, and building, "
                "power and cooling per MW of IT; land, on-site generation and financing are "
                "left out. Rack prices are estimates with wide ranges.")
    if metric == "first_gw_buildable_date":
        return str(values.get("first_gw_buildable_reason", ""))
    if metric == "vendor_usd_per_gw":
        return (f"Systems plus networking come to {_billions(num('vendor_usd_per_gw'))}/GW. "
                f"By platform: {_by_platform(shares, 'vendor_usd')}. The difference follows the "
                "rack price per kW of rack power.")
    if metric == "first_gw_date":
        if values["first_gw_date"] is None:
            return "The ramp never reaches 1 GW."
        return f"The ramp reaches 1 GW of facility power on {values['first_gw_date']}."
    return (f"Tranches released while the ramp reaches {facility_gw:g} GW: "
            f"{_billions(num('investment_usd'))} in all.")


@dataclass(frozen=True)
class SiteOptics:
    """Optics power of a hypothetical site, for co-packaged-optics claims, MW."""

    gpus: int
    system: str
    switch: str
    pluggable_mw: float
    cpo_switch_side_mw: float
    cpo_all_mw: float


def _site_reason(o: SiteOptics) -> str:
    return (f"A {o.gpus:,}-GPU {o.system} fabric on {o.switch}: pluggable optics "
            f"{o.pluggable_mw:.1f} MW; co-packaged on the switch side (what photonics switches "
            f"do) {o.cpo_switch_side_mw:.1f} MW; co-packaged on every port, NIC side included "
            f"(as a per-port claim counts) {o.cpo_all_mw:.1f} MW.")


def check_claims(claims: Sequence[Claim], values: Mapping[str, Value],
                 shares: Sequence[PlatformShare],
                 site_optics: Callable[[int], SiteOptics] | None = None
                 ) -> tuple[ClaimCheck, ...]:
    """Set each claim beside the model's value of its metric.

    Parameters
    ----------
    claims : the scenario's claims.
    values : the plan's headline figures by name (must hold each plan claim's metric).
    shares : each platform's part of the plan, used to explain differences.
    site_optics : optics power of a site of N GPUs, for the site metrics.
    """
    out = []
    for claim in claims:
        if claim.at_gpus is not None:
            if site_optics is None:
                raise ValueError(f"claim {claim.id}: site metrics need site_optics")
            optics = site_optics(claim.at_gpus)
            value: Value = (optics.pluggable_mw if claim.metric == "site_optics_pluggable_mw"
                            else optics.cpo_all_mw)
            verdict = _verdict(value, claim.low, claim.high)
            reason = _site_reason(optics)
        else:
            value = values[claim.metric]
            verdict = _verdict(value, claim.low, claim.high)
            reason = _explain(claim, verdict, values, shares)
        out.append(ClaimCheck(
            id=claim.id, claim=claim.claim, who=claim.who, source=claim.source,
            metric=claim.metric, low=claim.low, high=claim.high, model=value,
            verdict=verdict, reason=reason, quote=claim.quote, reading=claim.reading,
        ))
    return tuple(out)


def site_optics(inputs: Inputs, gpus: int) -> SiteOptics:
    """Optics power of a ``gpus``-GPU fabric of the scenario's first platform."""
    system = inputs.systems[0]
    switch = inputs.network.switches.get(system.id) or system.scaleout_switch or ""
    o = compare_cpo(inputs.catalog, gpus, system.id, switch or None)
    return SiteOptics(gpus, system.id, switch, units.w_to_mw(o.pluggable_w),
                      units.w_to_mw(o.cpo_w), units.w_to_mw(o.cpo_all_w))


def platform_shares(inputs: Inputs, ev: Evaluation) -> list[PlatformShare]:
    """Each platform's power, GPUs and money over the whole plan (for the claims' reasons).

    Facility capex is shared among the platforms of a period by the power each adds."""
    schedule, values, fleet, costs = inputs.schedule, inputs.values, ev.fleet, ev.costs
    pue = (values["facility.pue"] if schedule.it_w is None
           else float(effective_pue(schedule)[-1]))
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


def buildable_gw_date(sites: Sequence[Site], after: dt.date, gw: float = 1.0
                      ) -> tuple[dt.date | None, str]:
    """The first date the published power ramps of ``sites`` add ``gw`` of facility power
    after ``after`` (a platform's first volume half-year), and the reason in words.

    Each site's ``power_ramp`` is the power it can draw from each date on; power already
    online at ``after`` is taken by earlier platforms, so only what is added later counts:
    ``added(t) = sum_s P_s(t) - P_s(after)``.
    """
    def power_at(site: Site, day: dt.date) -> float:
        steps = [p.facility_mw for p in site.power_ramp if p.date <= day]
        return steps[-1] if steps else 0.0

    live = [s for s in sites if s.stage != "withdrawn"]
    dates = sorted({p.date for s in live for p in s.power_ramp if p.date > after})
    base = {s.id: power_at(s, after) for s in live}
    target_mw = units.gw_to_mw(gw)
    for day in dates:
        added = {s.id: power_at(s, day) - base[s.id] for s in live}
        if sum(added.values()) >= target_mw:
            parts = ", ".join(f"{k} +{v:,.0f} MW" for k, v in added.items() if v > 0)
            return day, (f"The published power ramps of {len(live)} sites add "
                         f"{sum(added.values()):,.0f} MW after {after} by {day} ({parts}); "
                         "power online before then is counted as taken by earlier platforms.")
    total = sum(power_at(s, dates[-1]) - base[s.id] for s in live) if dates else 0.0
    return None, (f"The published power ramps of {len(live)} sites add only {total:,.0f} MW "
                  f"after {after}.")


def buildable_values(claims: Sequence[Claim], inputs: Inputs,
                     ramp_first_gw: Value = None) -> dict[str, Value]:
    """The figures of the buildable-date claims: each from the sites the claim names, after
    the first volume half-year of the scenario's first platform."""
    out: dict[str, Value] = {}
    first = inputs.systems[0].available
    after = dt.date(int(first[:4]), 1 if first.endswith("H1") else 7, 1)
    for claim in claims:
        if claim.metric == "first_gw_buildable_date":
            day, reason = buildable_gw_date([inputs.catalog.site(s) for s in claim.sites],
                                            after)
            out["first_gw_buildable_date"] = day
            out["first_gw_buildable_reason"] = (
                f"{reason} The scenario's own ramp reaches 1 GW on "
                f"{ramp_first_gw or 'no date'}; the check uses the sites, "
                f"not the ramp, and starts from {inputs.systems[0].id}'s first volume "
                f"half-year ({first}).")
    return out
