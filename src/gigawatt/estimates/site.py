"""One site sized from its power: GPUs, racks, IT and facility power, capex, time to build.

``gigawatt site NAME`` sizes a catalog site at its largest facility power with the platform
its published figures name (or a stand-in); ``--power-mw P --system ID`` sizes any site.
With facility power ``F``, PUE ``e``, rack IT power ``P`` plus an overhead share ``o`` for
switches, storage and management, and ``k`` GPUs per rack:

    racks              R = floor(F / e / (P (1 + o)))
    GPUs               R k
    IT power           R P (1 + o)
    facility power     IT power x e                     (at most F)
    capex              R x rack price + scale-out fabric + build cost per MW of IT x IT MW
    time to build      first to last step of the site's published power ramp, or its lead
                       time when only one step is published

The published figures (``Site.published``) stand beside the model's; they are never inputs
except where a site's power had to be estimated from them (the site says so in
``estimated``).
"""

from __future__ import annotations

from typing import Any

from gigawatt import units
from gigawatt.catalog import Catalog, Site, load_catalog
from gigawatt.errors import GigawattError, unknown_id
from gigawatt.scenario import load_scenario
from gigawatt.validation import dump


class SiteError(GigawattError):
    """A site that cannot be sized as asked."""


def _defaults(scenario: str, catalog: Catalog) -> dict[str, float]:
    sc = load_scenario(scenario, catalog)[0]
    f = sc.facility
    return {"pue": f.pue.value, "overhead": f.it_overhead_fraction.value,
            "build_usd_per_mw_it": f.build_usd_per_mw_it.value,
            **{f"price:{sid}": p.rack_price_usd.value for sid, p in sc.platforms.items()
               if p.rack_price_usd is not None}}


def size_site(power_mw: float, system_id: str, pue: float | None = None,
              scenario: str = "openai-nvidia-10gw", catalog: Catalog | None = None
              ) -> dict[str, Any]:
    """A site of ``power_mw`` facility MW filled with ``system_id`` racks (module formulas).

    PUE, IT overhead, build cost and missing rack prices come from ``scenario``.
    """
    from gigawatt.estimates.fabric import size_networks

    catalog = catalog or load_catalog()
    if not power_mw > 0:
        raise SiteError(f"--power-mw {power_mw:g}: accepted: a facility power above 0 MW")
    if system_id not in catalog.systems:
        raise unknown_id("system", system_id, list(catalog.systems))
    system = catalog.systems[system_id]
    d = _defaults(scenario, catalog)
    e = pue if pue is not None else d["pue"]
    if not 1.0 <= e <= 3.0:
        raise SiteError(f"--pue {e:g}: accepted: 1 to 3")
    rack_it_w = units.kw_to_w(system.rack_power_kw) * (1.0 + d["overhead"])
    racks = int(units.mw_to_w(power_mw) / e // rack_it_w)
    gpus = racks * system.packages_per_rack
    it_w = racks * rack_it_w
    price = system.rack_price_usd or d.get(f"price:{system_id}")
    systems_usd = racks * price if price is not None else None
    facility_usd = units.w_to_mw(it_w) * d["build_usd_per_mw_it"]
    network_usd: float | None
    network_note = ""
    try:
        # the plan's rule: one fabric, split into equal fabrics beyond a switch's reach
        net = size_networks(catalog, [system_id], [gpus])
        network_usd = float(net.capex_usd[0])
        cluster = int(net.largest_cluster_gpus[0])
        if cluster < gpus:
            network_note = f"fabrics of up to {cluster:,} GPUs each"
    except GigawattError as exc:
        network_usd, network_note = None, f"network not sized: {exc}"
    capex = (systems_usd + network_usd + facility_usd
             if systems_usd is not None and network_usd is not None else None)
    return {
        "system": system_id, "power_mw": power_mw, "pue": e,
        "racks": racks, "gpus": gpus, "gpu_dies": gpus * catalog.accelerator_of(system).dies,
        "it_mw": units.w_to_mw(it_w), "facility_mw": units.w_to_mw(it_w) * e,
        "capex_usd": capex, "capex_systems_usd": systems_usd, "capex_network_usd": network_usd,
        "capex_facility_usd": facility_usd,
        "basis": (f"racks of {system.rack_power_kw:g} kW + {d['overhead']:.1%} IT overhead at "
                  f"PUE {e:g}; rack price "
                  + (f"${units.usd_to_musd(price):g}M" if price is not None else "unknown")
                  + f"; build ${units.usd_to_musd(d['build_usd_per_mw_it']):g}M per MW of IT "
                  f"(scenario {scenario})"
                  + (f"; {network_note}" if network_note else "")),
    }


def build_months(site: Site) -> float:
    """Months from the first to the last step of the published power ramp (the lead time
    where only one step is published)."""
    ramp = site.power_ramp
    if len(ramp) < 2:
        return float(site.lead_time_months)
    return (ramp[-1].date - ramp[0].date).days / units.DAYS_PER_YEAR * 12.0


def catalog_site(site_id: str, system_id: str | None = None, power_mw: float | None = None,
                 scenario: str = "openai-nvidia-10gw", catalog: Catalog | None = None
                 ) -> dict[str, Any]:
    """A catalog site sized at the power its published figures describe (its largest power
    where they name none, or ``power_mw``), its published figures beside the model's."""
    catalog = catalog or load_catalog()
    if site_id not in catalog.sites:
        raise unknown_id("site", site_id, list(catalog.sites))
    site = catalog.sites[site_id]
    pub = site.published
    chosen = system_id or (pub.system if pub else None)
    if chosen is None:
        what = f" ({pub.accelerators})" if pub else ""
        raise SiteError(f"site {site_id}: its published chips{what} are not a catalog system; "
                        f"give --system, accepted: {', '.join(sorted(catalog.systems))}")
    sized_at = power_mw or (pub.at_facility_mw if pub else None) or site.max_facility_mw
    out = size_site(sized_at, chosen, site.pue, scenario, catalog)
    out.update({
        "site": site.id, "name": site.name, "location": site.location, "tenant": site.tenant,
        "stage": site.stage, "max_facility_mw": site.max_facility_mw,
        "build_months": build_months(site),
        "first_power": str(site.power_ramp[0].date), "full_power": str(site.power_ramp[-1].date),
        "stand_in": bool(pub and pub.stand_in and system_id is None),
        "published": dump(pub, mode="json") if pub else None,
        "model_vs_published": _beside(out, dump(pub) if pub else {}),
    })
    return out


def _beside(model: dict[str, Any], pub: dict[str, Any]) -> dict[str, Any]:
    """Model over the published range's middle, where both exist."""
    out: dict[str, Any] = {}
    capex_key = "capex_facility_usd" if pub.get("capex_scope") == "facility" else "capex_usd"
    for key, low, high in (("gpus", "gpus_low", "gpus_high"),
                           ("facility_mw", "facility_mw_low", "facility_mw_high"),
                           ("capex_usd", "capex_usd_low", "capex_usd_high")):
        lo, hi = pub.get(low), pub.get(high)
        value = model.get(capex_key if key == "capex_usd" else key)
        if lo is None or value is None:
            out[key] = None
            continue
        hi = hi if hi is not None else lo
        mid = (lo + hi) / 2
        out[key] = {"model": value, "published_low": lo, "published_high": hi,
                    "compares": capex_key if key == "capex_usd" else key,
                    "ratio": value / mid if mid else None,
                    "within": lo <= value <= hi}
    return out
