"""Sizing stage: what the power holds, racks, GPU packages and dies, scale-up domains.

For the facility power ``F`` added in a period with a platform whose rack draws
``P_rack`` and whose racks need a further share ``o`` of IT power outside them
(scale-out network, storage, management):

    IT power      I = F / PUE
    racks         R = floor(I / (P_rack * (1 + o)))
    packages      G = R * packages_per_rack
    dies          D = G * dies_per_package
    domains       N = G / packages_per_domain
    peak FLOP/s   = G * dense peak per package, for each precision
    HBM bytes     = G * HBM per package

Every input is an array over periods (or samples x periods); totals are cumulative sums
along the last axis.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gigawatt.units import Param

PRECISIONS = ("fp4", "fp8", "bf16")


@dataclass(frozen=True)
class Fleet:
    """Installed equipment per period: ``added_*`` in the period, the rest cumulative."""

    it_w: np.ndarray
    added_racks: np.ndarray
    added_packages: np.ndarray
    racks: np.ndarray
    packages: np.ndarray
    dies: np.ndarray
    domains: np.ndarray
    peak_flops: dict[str, np.ndarray]
    hbm_bytes: np.ndarray


def size_fleet(
    added_facility_w: np.ndarray,
    facility_w: np.ndarray,
    pue: Param,
    it_overhead_fraction: Param,
    rack_power_w: np.ndarray,
    packages_per_rack: np.ndarray,
    dies_per_package: np.ndarray,
    packages_per_domain: np.ndarray,
    peak_flops_per_package: dict[str, np.ndarray],
    hbm_bytes_per_package: np.ndarray,
) -> Fleet:
    """Size the fleet installed each period (see the module docstring for the formulas).

    Parameters
    ----------
    added_facility_w, facility_w : facility power added in / online at the end of each period, W.
    pue : power usage effectiveness, facility power / IT power, dimensionless.
    it_overhead_fraction : IT power outside the compute racks as a share of rack power.
    rack_power_w : IT power of one rack of the platform added in each period, W.
    packages_per_rack, dies_per_package, packages_per_domain : per period, counts.
    peak_flops_per_package : dense peak per package by precision, FLOP/s (0 if unsupported).
    hbm_bytes_per_package : HBM capacity per package, bytes.
    """
    added_it_w = added_facility_w / pue
    racks_added = np.floor(added_it_w / (rack_power_w * (1.0 + it_overhead_fraction)))
    packages_added = racks_added * packages_per_rack
    return Fleet(
        it_w=facility_w / pue,
        added_racks=racks_added,
        added_packages=packages_added,
        racks=np.cumsum(racks_added, axis=-1),
        packages=np.cumsum(packages_added, axis=-1),
        dies=np.cumsum(packages_added * dies_per_package, axis=-1),
        domains=np.cumsum(packages_added / packages_per_domain, axis=-1),
        peak_flops={p: np.cumsum(packages_added * peak_flops_per_package[p], axis=-1)
                    for p in PRECISIONS},
        hbm_bytes=np.cumsum(packages_added * hbm_bytes_per_package, axis=-1),
    )
