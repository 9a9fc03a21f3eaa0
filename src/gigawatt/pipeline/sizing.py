"""Sizing stage: what the power holds, racks, GPU packages and dies, scale-up domains.

For the facility power ``F_i`` added in a period for platform ``i``, whose rack draws
``P_i`` and whose racks need a further share ``o`` of IT power outside them (scale-out
network, storage, management):

    IT power      I_i = F_i / PUE
    racks         R_i = floor(I_i / (P_i * (1 + o)))     (or given: the optimiser's racks)
    packages      G_i = R_i * packages_per_rack_i
    dies          D_i = G_i * dies_per_package_i
    domains       N_i = G_i / packages_per_domain_i
    peak FLOP/s   = G_i * dense peak per package, for each precision
    HBM bytes     = G_i * HBM per package

Per-platform inputs have shape ``(..., platforms, periods)`` (or broadcast to it), where
``...`` is an optional sample axis; totals sum over platforms and are cumulative along the
last axis.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gigawatt.units import Param

PRECISIONS = ("fp4", "fp8", "bf16")


@dataclass(frozen=True)
class Fleet:
    """Installed equipment per period: ``added_*`` in the period, the rest cumulative.

    ``*_by_system`` arrays have a platform axis before the period axis; the others are totals
    over platforms.
    """

    it_w: np.ndarray
    added_it_w: np.ndarray
    added_racks_by_system: np.ndarray
    added_packages_by_system: np.ndarray
    packages_by_system: np.ndarray
    racks: np.ndarray
    packages: np.ndarray
    dies: np.ndarray
    domains: np.ndarray
    peak_flops: dict[str, np.ndarray]
    hbm_bytes: np.ndarray

    @property
    def added_racks(self) -> np.ndarray:
        """Racks installed in each period, all platforms."""
        return np.asarray(self.added_racks_by_system.sum(axis=-2))


def _per_platform(x: Param) -> np.ndarray:
    """A per-sample value (a number or an ``(S, 1)`` column) broadcastable against
    ``(..., platforms, periods)``."""
    return np.asarray(x, dtype=float)[..., None]


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
    added_racks: np.ndarray | None = None,
    it_w: np.ndarray | None = None,
) -> Fleet:
    """Size the fleet installed each period (see the module docstring for the formulas).

    Parameters
    ----------
    added_facility_w : (platforms, periods) facility power added for each platform, W.
    facility_w : (periods,) facility power online at the end of each period, W.
    pue : power usage effectiveness, facility power / IT power, dimensionless.
    it_overhead_fraction : IT power outside the compute racks as a share of rack power.
    rack_power_w : (..., platforms, 1) IT power of one rack of each platform, W.
    packages_per_rack, dies_per_package, packages_per_domain : (platforms, 1), counts.
    peak_flops_per_package : dense peak per package by precision, (platforms, 1), FLOP/s
        (0 if unsupported).
    hbm_bytes_per_package : (platforms, 1) HBM capacity per package, bytes.
    added_racks : (platforms, periods) whole racks fixed elsewhere (the build-out optimiser);
        None derives them from power.
    it_w : (periods,) IT power online, when the sites' own PUE fixes it; None: ``F / PUE``.
    """
    if added_racks is None:
        added_it_w = added_facility_w / _per_platform(pue)
        racks_added = np.floor(added_it_w / (rack_power_w * (1.0 + _per_platform(
            it_overhead_fraction))))
        it_online = facility_w / pue
        it_added = added_facility_w.sum(axis=-2) / pue  # -2: a sampled ramp adds a sample axis
    else:
        racks_added = np.asarray(added_racks, dtype=float)
        it_online = np.asarray(it_w if it_w is not None else facility_w / pue, dtype=float)
        it_added = np.diff(it_online, axis=-1, prepend=0.0)
    packages_added = racks_added * packages_per_rack

    def total(per_system: np.ndarray) -> np.ndarray:
        return np.asarray(np.cumsum(per_system.sum(axis=-2), axis=-1))

    return Fleet(
        it_w=np.asarray(it_online),
        added_it_w=np.asarray(it_added),
        added_racks_by_system=racks_added,
        added_packages_by_system=packages_added,
        packages_by_system=np.cumsum(packages_added, axis=-1),
        racks=total(racks_added),
        packages=total(packages_added),
        dies=total(packages_added * dies_per_package),
        domains=total(packages_added / packages_per_domain),
        peak_flops={p: total(packages_added * peak_flops_per_package[p]) for p in PRECISIONS},
        hbm_bytes=total(packages_added * hbm_bytes_per_package),
    )
