"""Network stage: the scale-out fabric of each platform's GPUs, period by period.

Each platform's GPUs online at the end of a period form one pool, sized as rail-optimised
fat trees by :func:`gigawatt.estimates.fabric.size_networks` (split into equal fabrics beyond a
switch's three-tier reach). Fabrics grow with their pools, so the network capex of a period
is the growth of the cumulative fabric capex: ``capex_k = C(G_k) - C(G_{k-1})`` summed over
platforms. Power, transceivers and switches are those of the fabrics online at period end.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from gigawatt.catalog import Catalog
from gigawatt.estimates.fabric import size_networks


@dataclass(frozen=True)
class NetworkTimeline:
    """The compute fabric over periods (arrays of shape ``(..., periods)``;
    ``capex_usd_by_system`` has a platform axis before the period axis)."""

    capex_usd: np.ndarray
    power_w: np.ndarray
    transceivers: np.ndarray
    switches: np.ndarray
    largest_cluster_gpus: np.ndarray
    capex_usd_by_system: np.ndarray


def size_plan_network(catalog: Catalog, system_ids: Sequence[str],
                      packages_by_system: Sequence[np.ndarray],
                      switches: Mapping[str, str] | None = None,
                      oversubscription: float = 1.0, cpo: bool = False) -> NetworkTimeline:
    """Fabrics for each platform's pool of GPUs online at the end of each period.

    Parameters
    ----------
    catalog : the equipment catalog (systems, switches, optics).
    system_ids : the platforms, one per pool.
    packages_by_system : GPU packages of each platform online at each period end, count;
        arrays of equal shape ``(..., periods)``.
    switches : system ID -> switch ID, where not the system's reference switch.
    oversubscription : leaf oversubscription, >= 1.
    cpo : co-packaged optics on every switch.
    """
    switches = switches or {}
    shape = np.shape(packages_by_system[0])
    totals = {k: np.zeros(shape) for k in ("capex", "power", "transceivers", "switches")}
    largest = np.zeros(shape)
    capex_by_system = []
    for system_id, packages in zip(system_ids, packages_by_system, strict=True):
        gpus = np.rint(np.asarray(packages, dtype=float)).ravel()
        design = size_networks(catalog, [system_id], gpus,
                               switch_ids=[switches.get(system_id)],
                               oversubscription=oversubscription, cpo=cpo)
        totals["capex"] += design.capex_usd.reshape(shape)
        capex_by_system.append(np.diff(design.capex_usd.reshape(shape), axis=-1, prepend=0.0))
        totals["power"] += design.power_w.reshape(shape)
        totals["transceivers"] += design.transceivers.reshape(shape)
        totals["switches"] += design.switches.reshape(shape)
        largest = np.maximum(largest, design.largest_cluster_gpus.reshape(shape))
    return NetworkTimeline(
        capex_usd=np.diff(totals["capex"], axis=-1, prepend=0.0),
        power_w=totals["power"],
        transceivers=totals["transceivers"],
        switches=totals["switches"],
        largest_cluster_gpus=largest,
        capex_usd_by_system=np.stack(capex_by_system, axis=-2),
    )


REFERENCE_CLUSTER_GPUS = 100_000
"""Pool size at which a per-rack network cost is quoted for linear models (the optimiser)."""


def network_usd_per_rack(catalog: Catalog, system_id: str,
                         gpus: int = REFERENCE_CLUSTER_GPUS) -> float:
    """Scale-out fabric capex per rack of a platform, from a fabric of ``gpus`` GPUs.

    ``C(G) / G * packages_per_rack``: a linear stand-in for the fabric's cost where a model
    must be linear in racks (the build-out programme).
    """
    system = catalog.system(system_id)
    design = size_networks(catalog, [system_id], np.array([float(gpus)]))
    return float(design.capex_usd[0]) / gpus * system.packages_per_rack
