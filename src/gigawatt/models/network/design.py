"""The network of a GPU cluster, priced: scale-up domains and the scale-out fat tree.

:func:`gigawatt.models.network.tree.count_tree` counts switches and links; this module adds
the parts and their power and price (:mod:`gigawatt.estimates.fabric` reads them from the
catalog).

For a tree with ``W`` switches, ``X`` switch ports in use (breakout ports once), ``N`` GPUs
with ``m = ceil(g / s)`` NIC ports each and ``Y`` inter-switch cables:

- switch-side transceivers ``T_s = ceil(X_opt / c)`` for cages of ``c`` ports, where
  ``X_opt`` leaves out the switch ends of copper node links; co-packaged optics replace them
  by engines at ``w_cpo`` W and ``$_cpo`` per Gb/s of port, ``X_opt s``.
- NIC-side transceivers ``T_n = N m`` (none on copper node links); transceivers ``T_s + T_n``.
- cables ``N m + Y``; node cables copper (passive DAC, inside the rack) when asked.
- power ``P = W P_switch + T_s P_module + T_n P_nic`` (or the co-packaged engines for ``T_s``).
- capex ``W $_switch + T_s $_module + T_n $_nic + cables``. NICs are left out: they are in
  the system's price.
- a front-end (storage and management) network as a stated fraction ``f`` of this capex and
  power, reported apart from the compute fabric.
- counts beyond one switch's three-tier reach ``M_3`` split, when asked, into
  ``F = ceil(N / M_3)`` equal fabrics of ``ceil(N / F)`` GPUs: the largest cluster.
- scale-up: ``ceil(N / D)`` NVLink domains of ``D`` GPUs, their switch trays, and the
  domain bandwidth ``D x`` NVLink bandwidth per GPU.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from gigawatt import units
from gigawatt.errors import GigawattError, InfeasibleError
from gigawatt.models.network.tree import Tree, count_tree, planes_needed


class FabricError(GigawattError):
    """A fabric the inputs ask for cannot be built, or an input is out of range."""


class InfeasibleFabric(FabricError, InfeasibleError):
    """A well-formed fabric beyond what the switch reaches in three tiers."""


@dataclass(frozen=True)
class Parts:
    """Every per-part figure a fabric needs, as plain numbers or arrays (one per period).

    Power in W, prices in USD, bandwidths in Gb/s; ``*_per_gbps`` per Gb/s of switch port.
    """

    gbps_per_gpu: np.ndarray
    rails: np.ndarray
    radix: np.ndarray
    port_gbps: np.ndarray
    ports_per_cage: np.ndarray
    co_packaged: np.ndarray
    switch_power_w: np.ndarray
    switch_price_usd: np.ndarray
    module_power_w: np.ndarray
    module_price_usd: np.ndarray
    nic_module_power_w: np.ndarray
    nic_module_price_usd: np.ndarray
    cpo_power_w_per_gbps: np.ndarray
    cpo_price_usd_per_gbps: np.ndarray
    fiber_price_usd: np.ndarray
    copper_price_usd: np.ndarray
    domain_gpus: np.ndarray
    trays_per_domain: np.ndarray
    nvlink_gb_per_s: np.ndarray

    def row(self, i: int = 0) -> Parts:
        """One (system, switch) pair as 0-d arrays, to broadcast against any GPU counts."""
        return Parts(**{f.name: getattr(self, f.name)[i] for f in fields(Parts)})


@dataclass(frozen=True)
class FabricDesign:
    """A sized and priced fabric: arrays, one element per GPU count asked for.

    Switch and transceiver counts, cables and money are for all fabrics together when a
    count was split (``fabrics > 1``); ``largest_cluster_gpus`` is one fabric's GPUs.
    """

    gpus: np.ndarray
    tiers: np.ndarray
    planes: np.ndarray
    fabrics: np.ndarray
    largest_cluster_gpus: np.ndarray
    leaf_switches: np.ndarray
    spine_switches: np.ndarray
    core_switches: np.ndarray
    switches: np.ndarray
    nic_ports: np.ndarray
    transceivers_switch_side: np.ndarray
    transceivers_nic_side: np.ndarray
    co_packaged_ports: np.ndarray
    cables: np.ndarray
    copper_cables: np.ndarray
    switch_power_w: np.ndarray
    optics_power_w: np.ndarray
    switch_capex_usd: np.ndarray
    optics_capex_usd: np.ndarray
    cable_capex_usd: np.ndarray
    bisection_gbps: np.ndarray
    max_gpus: np.ndarray
    frontend_power_w: np.ndarray
    frontend_capex_usd: np.ndarray
    nvlink_domains: np.ndarray
    nvlink_switch_trays: np.ndarray
    nvlink_domain_gpus: np.ndarray
    nvlink_gb_per_s_per_gpu: np.ndarray

    @property
    def transceivers(self) -> np.ndarray:
        """Pluggable transceivers, switch and NIC side."""
        return self.transceivers_switch_side + self.transceivers_nic_side

    @property
    def power_w(self) -> np.ndarray:
        """Compute-fabric power: switch boxes plus optics, W."""
        return self.switch_power_w + self.optics_power_w

    @property
    def capex_usd(self) -> np.ndarray:
        """Compute-fabric capex: switches, optics and cables, USD."""
        return self.switch_capex_usd + self.optics_capex_usd + self.cable_capex_usd

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``gigawatt fabric --json`` (keys per DESIGN.md)."""
        g = _plain
        return {
            "gpus": g(self.gpus),
            "tiers": g(self.tiers),
            "planes": g(self.planes),
            "fabrics": g(self.fabrics),
            "largest_cluster_gpus": g(self.largest_cluster_gpus),
            "leaf_switches": g(self.leaf_switches),
            "spine_switches": g(self.spine_switches),
            "core_switches": g(self.core_switches),
            "switches": g(self.switches),
            "nic_ports": g(self.nic_ports),
            "transceivers": g(self.transceivers),
            "transceivers_switch_side": g(self.transceivers_switch_side),
            "transceivers_nic_side": g(self.transceivers_nic_side),
            "co_packaged_ports": g(self.co_packaged_ports),
            "cables": g(self.cables),
            "copper_cables": g(self.copper_cables),
            "power_kw": g(units.w_to_kw(self.power_w)),
            "switch_power_kw": g(units.w_to_kw(self.switch_power_w)),
            "optics_power_kw": g(units.w_to_kw(self.optics_power_w)),
            "capex_usd": g(self.capex_usd),
            "switch_capex_usd": g(self.switch_capex_usd),
            "optics_capex_usd": g(self.optics_capex_usd),
            "cable_capex_usd": g(self.cable_capex_usd),
            "bisection_tbps": g(units.gbps_to_tbps(self.bisection_gbps)),
            "max_gpus_by_tiers": {str(t + 1): g(self.max_gpus[t]) for t in range(3)},
            "frontend": {"power_kw": g(units.w_to_kw(self.frontend_power_w)),
                         "capex_usd": g(self.frontend_capex_usd)},
            "scale_up": {
                "nvlink_domain_gpus": g(self.nvlink_domain_gpus),
                "nvlink_domains": g(self.nvlink_domains),
                "nvlink_switch_trays": g(self.nvlink_switch_trays),
                "nvlink_gb_per_s_per_gpu": g(self.nvlink_gb_per_s_per_gpu),
                "nvlink_domain_tb_per_s": g(units.gbps_to_tbps(
                    self.nvlink_domain_gpus * self.nvlink_gb_per_s_per_gpu)),
            },
        }


def _plain(x: np.ndarray) -> Any:
    """A 0-d array as a Python number (NaN as None); an array as a list of them."""
    a = np.asarray(x)
    if a.ndim:
        return [_plain(v) for v in a]
    v = float(a)
    if np.isnan(v):
        return None
    return int(v) if v.is_integer() and abs(v) < 2**53 else v


def design_fabric(
    gpus: Any,
    parts: Parts,
    planes: Any = 0,
    oversubscription: Any = 1.0,
    cpo: bool = False,
    copper_node_links: bool = False,
    frontend_fraction: float = 0.0,
    split: bool = False,
) -> FabricDesign:
    """Size and price fabrics for GPU counts (formulas in the module docstring).

    Parameters
    ----------
    gpus : GPU packages per fabric, whole numbers >= 0 (an array sizes many at once).
    parts : per-part figures, e.g. from :func:`parts_from_catalog`.
    planes : independent trees; 0 picks the fewest, ``ceil(g / s)``.
    oversubscription : leaf downlink over uplink bandwidth, >= 1.
    cpo : co-packaged optics on the switch side of pluggable-optics switches too.
    copper_node_links : passive copper from GPU to leaf (leaf in the rack): no transceivers.
    frontend_fraction : front-end network as a share of this fabric's capex and power.
    split : where a count is beyond three tiers, size equal fabrics that fit, rather than
        leave the count unreachable (``tiers`` 0, everything else 0).
    """
    n = np.asarray(gpus, dtype=float)
    common = dict(gbps_per_gpu=parts.gbps_per_gpu, radix=parts.radix,
                  port_gbps=parts.port_gbps, rails=parts.rails, planes=planes,
                  oversubscription=oversubscription)
    if not split:
        t = count_tree(n, **common)
        return _price(n, None, t, parts, cpo, copper_node_links, frontend_fraction)
    reach = count_tree(np.ones_like(n), **common).max_gpus[2]
    fabrics = np.ceil(n / np.maximum(reach, 1.0))
    t = count_tree(np.ceil(n / np.maximum(fabrics, 1.0)), **common)
    return _price(n, fabrics, t, parts, cpo, copper_node_links, frontend_fraction)


def _pick(condition: np.ndarray, yes: Any, no: Any) -> Any:
    """``np.where``, without a pass over the arrays when the condition is one value."""
    if np.ndim(condition) == 0:
        return yes if condition else no
    return np.where(condition, yes, no)


def _price(n: np.ndarray, fabrics: np.ndarray | None, t: Tree, parts: Parts, cpo: bool,
           copper: bool, frontend_fraction: float) -> FabricDesign:
    """Parts, power and money of ``t`` (``fabrics`` equal trees where split)."""
    nic_ports = t.node_links * (t.nic_ports_per_gpu / t.planes)
    node_ports = np.ceil(t.node_links / t.breakout)
    inter_ports = 2 * t.inter_switch_cables
    co_packaged = parts.co_packaged | cpo
    # Co-packaged switches have optical ports only: copper reaches no further than the cage.
    copper_here = copper & ~co_packaged
    optical_node_ports = _pick(copper_here, 0.0, node_ports)
    cpo_ports = _pick(co_packaged, optical_node_ports + inter_ports, 0.0)
    modules = _pick(co_packaged, 0.0, np.ceil(optical_node_ports / parts.ports_per_cage)
                    + inter_ports / parts.ports_per_cage)
    nic_modules = _pick(copper_here, 0.0, nic_ports)
    copper_cables = _pick(copper_here, nic_ports, 0.0)
    cables = nic_ports + t.inter_switch_cables
    switches = t.switches

    switch_power = switches * parts.switch_power_w
    optics_power = modules * parts.module_power_w + nic_modules * parts.nic_module_power_w
    switch_capex = switches * parts.switch_price_usd
    optics_capex = modules * parts.module_price_usd + nic_modules * parts.nic_module_price_usd
    if np.any(co_packaged):
        cpo_gbps = cpo_ports * parts.port_gbps
        optics_power = optics_power + cpo_gbps * parts.cpo_power_w_per_gbps
        optics_capex = optics_capex + cpo_gbps * parts.cpo_price_usd_per_gbps
    cable_capex = cables * parts.fiber_price_usd
    if np.any(copper_here):
        cable_capex = cable_capex + copper_cables * (parts.copper_price_usd
                                                     - parts.fiber_price_usd)
    domains = np.ceil(n / parts.domain_gpus)
    def full(x: Any) -> np.ndarray:
        return np.broadcast_to(x, n.shape)

    frontend_power = frontend_capex = full(0.0)
    if frontend_fraction:
        frontend_power = frontend_fraction * (switch_power + optics_power)
        frontend_capex = frontend_fraction * (switch_capex + optics_capex + cable_capex)
    counts = dict(
        leaf_switches=t.leaf, spine_switches=t.spine, core_switches=t.core, switches=switches,
        nic_ports=nic_ports, transceivers_switch_side=full(modules),
        transceivers_nic_side=full(nic_modules), co_packaged_ports=full(cpo_ports),
        cables=cables, copper_cables=full(copper_cables),
        switch_power_w=switch_power, optics_power_w=optics_power,
        switch_capex_usd=switch_capex, optics_capex_usd=optics_capex,
        cable_capex_usd=cable_capex, bisection_gbps=t.bisection_gbps,
        frontend_power_w=frontend_power, frontend_capex_usd=frontend_capex)
    on = t.tiers > 0
    if fabrics is None:
        fabrics = on.astype(float)
    else:
        fabrics = np.where(on, fabrics, 0.0)
        counts = {k: v * fabrics for k, v in counts.items()}
    return FabricDesign(
        gpus=n,
        tiers=t.tiers,
        planes=t.planes,
        fabrics=fabrics,
        largest_cluster_gpus=t.gpus * on,
        max_gpus=t.max_gpus,
        nvlink_domains=domains,
        nvlink_switch_trays=domains * parts.trays_per_domain,
        nvlink_domain_gpus=np.broadcast_to(parts.domain_gpus, n.shape),
        nvlink_gb_per_s_per_gpu=np.broadcast_to(parts.nvlink_gb_per_s, n.shape),
        **counts,
    )


# --- checks of the inputs -----------------------------------------------------------------


def check_gpus(gpus: Any) -> np.ndarray:
    """GPU counts as integers; a fraction, a negative or a non-finite count raises."""
    a = np.asarray(gpus, dtype=float)
    bad = ~np.isfinite(a) | (a != np.round(a))
    if bad.any():
        raise FabricError(f"gpus: {a[bad].flat[0]:g} is not a whole number; accepted: whole "
                          f"numbers of GPUs >= 0")
    if (a < 0).any():
        raise FabricError(f"gpus: {a[a < 0].flat[0]:g} is negative; accepted: whole numbers "
                          f"of GPUs >= 0")
    return a.astype(np.int64)


def check_options(oversubscription: float, rails: int | None, planes: int | None,
                  frontend_fraction: float, gbps_per_gpu: float | None = None) -> None:
    """Fabric options within their ranges, each error naming the option and what is accepted."""
    if gbps_per_gpu is not None and not gbps_per_gpu > 0:
        raise FabricError(f"gbps_per_gpu: {gbps_per_gpu:g} is not accepted; accepted: Gb/s > 0")
    if not oversubscription >= 1.0:
        raise FabricError(f"oversubscription: {oversubscription:g} is below 1; accepted: a "
                          f"ratio >= 1 (1 is non-blocking)")
    if rails is not None and rails < 1:
        raise FabricError(f"rails: {rails} is not accepted; accepted: a whole number >= 1")
    if planes is not None and planes < 1:
        raise FabricError(f"planes: {planes} is not accepted; accepted: a whole number >= 1")
    if not 0.0 <= frontend_fraction <= 1.0:
        raise FabricError(f"frontend_fraction: {frontend_fraction:g} is not accepted; "
                          f"accepted: 0 to 1")


def check_planes(parts: Parts, planes: int | None) -> None:
    """Enough planes for each GPU's bandwidth on the switch's ports."""
    if planes is None:
        return
    need = planes_needed(parts.gbps_per_gpu, parts.port_gbps)
    if (planes < need).any():
        i = int(np.argmax(planes < need))
        raise FabricError(
            f"planes: {planes} cannot carry {parts.gbps_per_gpu[i]:g} Gb/s per GPU on "
            f"{parts.port_gbps[i]:g} Gb/s switch ports; accepted: {need[i]:g} or more")
