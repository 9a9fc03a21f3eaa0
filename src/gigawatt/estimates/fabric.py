"""Fabrics on catalog parts: the edge of :mod:`gigawatt.models.network`.

``size_fabric`` (one fabric) and ``size_networks`` (one per plan period and platform) read
the switches, optics and systems from the catalog and price them with
:func:`~gigawatt.models.network.design.design_fabric`; ``fabric_json`` is the document of
``gigawatt fabric`` and ``GET /api/fabric``; ``compare_cpo`` is the figure of the
co-packaged-optics claim.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from gigawatt.catalog import Catalog, Optic, Switch, System, load_catalog
from gigawatt.catalog.checks import switch_module
from gigawatt.errors import CatalogError, unknown_id
from gigawatt.models.network.design import (
    FabricDesign,
    InfeasibleFabric,
    Parts,
    check_gpus,
    check_options,
    check_planes,
    design_fabric,
)
from gigawatt.models.network.tree import planes_needed

# --- reading the parts from the catalog ------------------------------------------------


def _switch(catalog: Catalog, switch_id: str) -> Switch:
    if switch_id not in catalog.switches:
        raise unknown_id("switch", switch_id, list(catalog.switches))
    switch = catalog.switches[switch_id]
    if switch.power_w is None or switch.price_usd is None:
        raise CatalogError(f"switches.yaml: {switch_id}: power_w and price_usd are needed to "
                           f"size a fabric")
    return switch


def _one_of_form(catalog: Catalog, form: str) -> Optic:
    return next(o for o in catalog.optics.values() if o.form == form)


def _nic_module(catalog: Catalog, gbps: float) -> Optic:
    for optic in catalog.optics.values():
        if optic.form == "pluggable" and optic.ports == 1 and optic.gbps == gbps:
            return optic
    speeds = sorted({o.gbps for o in catalog.optics.values()
                     if o.form == "pluggable" and o.ports == 1})
    raise CatalogError(f"optics.yaml: no single-port pluggable of {gbps:g} Gb/s for the NIC "
                       f"side; present: {', '.join(f'{s:g}' for s in speeds)} Gb/s")


def _system_figure(system: System, name: str, given: float | None, flag: str) -> float:
    value = given if given is not None else getattr(system, name)
    if value is None:
        raise CatalogError(f"systems.yaml: {system.id}.{name} is not given; pass {flag}")
    return float(value)


def parts_from_catalog(
    catalog: Catalog,
    system_ids: Sequence[str],
    switch_ids: Sequence[str | None],
    rails: int | None = None,
    gbps_per_gpu: float | None = None,
) -> Parts:
    """The per-part figures of each (system, switch) pair, as arrays in the order given.

    A switch ID of None takes the system's ``scaleout_switch``. ``rails`` and
    ``gbps_per_gpu`` override the systems' ``scaleout_rails`` and ``scaleout_gbps_per_package``.
    """
    cpo, fiber, copper = (_one_of_form(catalog, f)
                          for f in ("co-packaged", "fiber-cable", "copper-cable"))
    rows: list[dict[str, float]] = []
    for system_id, switch_id in zip(system_ids, switch_ids, strict=True):
        system = catalog.system(system_id)
        acc = catalog.accelerator_of(system)
        sid = switch_id or system.scaleout_switch
        if sid is None:
            raise CatalogError(f"systems.yaml: {system.id}.scaleout_switch is not given; "
                               f"pass --switch")
        switch = _switch(catalog, sid)
        g = _system_figure(system, "scaleout_gbps_per_package", gbps_per_gpu, "--gbps-per-gpu")
        nic_gbps = g / float(planes_needed(g, switch.port_gbps))
        module = switch_module(switch, catalog.optics)
        try:
            nic = _nic_module(catalog, nic_gbps)
        except CatalogError as exc:
            if gbps_per_gpu is None:
                raise
            raise CatalogError(f"--gbps-per-gpu {gbps_per_gpu:g}: {exc}") from None
        trays = system.nvlink_switch_trays_per_domain
        rows.append(dict(
            gbps_per_gpu=g,
            rails=_system_figure(system, "scaleout_rails", rails, "--rails"),
            radix=switch.ports, port_gbps=switch.port_gbps,
            ports_per_cage=switch.ports_per_cage, co_packaged=switch.co_packaged_optics,
            switch_power_w=switch.power_w or 0.0, switch_price_usd=switch.price_usd or 0.0,
            module_power_w=module.power_w if module else 0.0,
            module_price_usd=module.price_usd if module else 0.0,
            nic_module_power_w=nic.power_w, nic_module_price_usd=nic.price_usd,
            cpo_power_w_per_gbps=cpo.power_w / cpo.gbps,
            cpo_price_usd_per_gbps=cpo.price_usd / cpo.gbps,
            fiber_price_usd=fiber.price_usd, copper_price_usd=copper.price_usd,
            domain_gpus=system.nvlink_domain_packages,
            trays_per_domain=float("nan") if trays is None else trays,
            nvlink_gb_per_s=acc.nvlink_gb_per_s,
        ))
    integer = {"rails", "radix", "ports_per_cage", "domain_gpus"}
    columns: dict[str, Any] = {}
    for f in fields(Parts):
        column = np.array([row[f.name] for row in rows])
        columns[f.name] = (column.astype(bool) if f.name == "co_packaged"
                           else column.astype(np.int64) if f.name in integer else column)
    return Parts(**columns)


# --- entry points -------------------------------------------------------------------------


def size_fabric(
    catalog: Catalog,
    gpu_id: str,
    gpus: Any,
    switch_id: str | None = None,
    rails: int | None = None,
    planes: int | None = None,
    oversubscription: float = 1.0,
    cpo: bool = False,
    copper_node_links: bool = False,
    frontend_fraction: float = 0.0,
    gbps_per_gpu: float | None = None,
) -> FabricDesign:
    """One fabric for ``gpus`` GPUs of one type (``gigawatt fabric``); beyond reach raises.

    Parameters
    ----------
    catalog : the equipment catalog.
    gpu_id : a system or accelerator ID (``b200``, ``vr-nvl72``).
    gpus : GPU packages, a whole number >= 0 or an array of them.
    switch_id : the scale-out switch; the system's reference switch by default.
    rails, gbps_per_gpu : override the system's rails and scale-out Gb/s per GPU.
    planes, oversubscription, cpo, copper_node_links, frontend_fraction : see
        :func:`design_fabric`.
    """
    n = check_gpus(gpus)
    check_options(oversubscription, rails, planes, frontend_fraction, gbps_per_gpu)
    system = catalog.resolve_gpu(gpu_id)
    parts = parts_from_catalog(catalog, [system.id], [switch_id], rails, gbps_per_gpu)
    check_planes(parts, planes)
    scalar = parts.row()
    design = design_fabric(n, scalar, planes or 0, oversubscription, cpo, copper_node_links,
                           frontend_fraction)
    out_of_reach = (n > 0) & (design.tiers == 0)
    if out_of_reach.any():
        count = int(n[out_of_reach].flat[0])
        reach = int(np.asarray(design.max_gpus[2]).flat[0])
        sid = switch_id or system.scaleout_switch
        raise InfeasibleFabric(
            f"gpus: {count:,} is beyond the {reach:,} GPUs {sid} reaches in three tiers "
            f"({int(scalar.rails)} rails, {int(np.asarray(design.planes).flat[0])} plane(s), "
            f"oversubscription {oversubscription:g}); accepted: up to {reach:,}")
    return design


def fabric_json(
    gpu: str,
    gpus: int,
    *,
    switch: str | None = None,
    rails: int | None = None,
    planes: int | None = None,
    oversubscription: float = 1.0,
    cpo: bool = False,
    copper_leaf: bool = False,
    gbps_per_gpu: float | None = None,
    frontend_fraction: float = 0.0,
    catalog: Catalog | None = None,
) -> dict[str, Any]:
    """The document of ``gigawatt fabric --json`` and ``GET /api/fabric``.

    The inputs that name the fabric (``gpu``, the ``system`` it resolves to, the
    ``switch`` used, ``oversubscription``, ``cpo``), then :meth:`FabricDesign.to_dict` of
    :func:`size_fabric` on the same inputs (``copper_leaf`` is its ``copper_node_links``).
    """
    catalog = catalog or load_catalog()
    system = catalog.resolve_gpu(gpu)
    design = size_fabric(catalog, gpu, gpus, switch, rails, planes, oversubscription, cpo,
                         copper_leaf, frontend_fraction, gbps_per_gpu)
    return {"gpu": gpu, "system": system.id, "switch": switch or system.scaleout_switch,
            "oversubscription": oversubscription, "cpo": cpo, **design.to_dict()}


def size_networks(
    catalog: Catalog,
    system_ids: Sequence[str],
    gpus: Any,
    switch_ids: Sequence[str | None] | None = None,
    oversubscription: float = 1.0,
    cpo: bool = False,
    frontend_fraction: float = 0.0,
) -> FabricDesign:
    """Networks for a plan: element ``i`` is ``gpus[i]`` GPUs of ``system_ids[i]``.

    Each element is sized as one fabric on ``switch_ids[i]`` (the system's reference switch
    where None), split into equal fabrics where one cannot reach the count in three tiers;
    ``largest_cluster_gpus`` is then the largest single cluster the fabric holds.
    """
    n = check_gpus(gpus)
    check_options(oversubscription, None, None, frontend_fraction)
    switches = list(switch_ids) if switch_ids is not None else [None] * len(system_ids)
    parts = parts_from_catalog(catalog, system_ids, switches)
    return design_fabric(n, parts, 0, oversubscription, cpo, False, frontend_fraction,
                         split=True)


@dataclass(frozen=True)
class OpticsComparison:
    """Optics power of one fabric with pluggable and with co-packaged switch-side optics, W.

    ``cpo_all_w`` also makes the NIC side co-packaged, as a per-port comparison does.
    """

    gpus: int
    pluggable_w: float
    cpo_w: float
    cpo_all_w: float
    transceivers: int


def compare_cpo(catalog: Catalog, gpus: int, gpu_id: str, switch_id: str | None = None
                ) -> OpticsComparison:
    """The model's figure for a co-packaged-optics claim: optics power with and without.

    ``cpo_all_w`` prices NIC-side ports at the co-packaged W per Gb/s as well, which is how
    a per-port claim (all transceivers at ~9 W instead of ~30 W) counts them.
    """
    pluggable = size_fabric(catalog, gpu_id, gpus, switch_id)
    cpo = size_fabric(catalog, gpu_id, gpus, switch_id, cpo=True)
    parts = parts_from_catalog(catalog, [catalog.resolve_gpu(gpu_id).id], [switch_id]).row()
    nic_w = float(pluggable.transceivers_nic_side) * float(parts.nic_module_power_w)
    nic_cpo_w = gpus * float(parts.gbps_per_gpu) * float(parts.cpo_power_w_per_gbps)
    return OpticsComparison(
        gpus=gpus,
        pluggable_w=float(pluggable.optics_power_w),
        cpo_w=float(cpo.optics_power_w),
        cpo_all_w=float(cpo.optics_power_w) - nic_w + nic_cpo_w,
        transceivers=int(pluggable.transceivers),
    )
