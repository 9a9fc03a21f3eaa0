"""Schedule stage: facility power online per half-year, what each platform adds, and when
thresholds are crossed.

A schedule comes from one of two places:

- a **ramp** (:func:`build_schedule`): cumulative facility power at the end of some
  half-years, each step adding one platform; sizing then turns power into racks;
- the **build-out optimiser** (:func:`schedule_from_sites`): racks of each platform at each
  site per quarter, from the linear programme, folded into half-years as whole racks (the
  programme's racks are continuous: each site's cumulative racks of each platform are rounded
  down at every half-year end, so no site ever draws more than its power).

Power comes online linearly within a half-year, from the previous period's cumulative value
to this period's. The date a threshold ``x`` is crossed in period ``k`` (lasting ``L`` days)
is therefore ``start_k + ceil(L * (x - c_{k-1}) / (c_k - c_{k-1})) - 1`` days, the day on
which the linear ramp first reaches ``x``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gigawatt.scenario.checks import half_year_index
from gigawatt.units import gw_to_w

WHOLE_RACK_TOLERANCE = 1e-6
"""Racks within this of a whole number count as whole (the solver's round-off)."""


def period_label(index: int) -> str:
    """Inverse of :func:`half_year_index`: 4053 -> ``'2026H2'``."""
    return f"{index // 2}H{index % 2 + 1}"


def period_start(index: int) -> np.datetime64:
    """First day of a half-year."""
    year, half = divmod(index, 2)
    return np.datetime64(f"{year}-{'07' if half else '01'}-01", "D")


@dataclass(frozen=True)
class SiteSchedule:
    """What each site holds at the end of each half-year (optimised schedules only).

    Arrays are indexed ``[site, platform, period]`` or ``[site, period]``.
    """

    names: tuple[str, ...]
    racks: np.ndarray
    facility_w: np.ndarray
    power_w: np.ndarray
    halls_started_w: np.ndarray
    racks_dropped: float | np.ndarray
    """Racks the rounding down to whole racks removed, over all sites and platforms (one
    figure per sample for a schedule per sample)."""


@dataclass(frozen=True)
class Schedule:
    """Cumulative facility power at the end of each half-year, and what each platform adds.

    ``added_facility_w_by_system[i, k]`` is the facility power of the racks of ``systems[i]``
    added in period ``k``. ``added_racks_by_system`` holds whole racks when the optimiser
    fixed them (None for a ramp: sizing derives racks from power), and ``it_w`` the IT power
    online when the sites' own PUE fixes it (None: facility power / the scenario's PUE).
    """

    periods: tuple[str, ...]
    starts: np.ndarray
    ends: np.ndarray
    facility_w: np.ndarray
    added_facility_w_by_system: np.ndarray
    systems: tuple[str, ...]
    added_racks_by_system: np.ndarray | None = None
    it_w: np.ndarray | None = None
    sites: SiteSchedule | None = None

    @property
    def added_facility_w(self) -> np.ndarray:
        """Facility power added in each period, all platforms, W."""
        return np.asarray(self.added_facility_w_by_system.sum(axis=0))

    def systems_added(self, k: int) -> list[str]:
        """The platforms that add capacity in period ``k``."""
        added = (self.added_facility_w_by_system if self.added_racks_by_system is None
                 else self.added_racks_by_system)
        return [s for i, s in enumerate(self.systems) if added[i, k] > 0]

    def crossing_dates(self, thresholds_w: np.ndarray) -> np.ndarray:
        """The day cumulative facility power first reaches each threshold (NaT if never)."""
        x = np.asarray(thresholds_w, dtype=float)
        k = np.searchsorted(self.facility_w, x, side="left")
        reached = k < len(self.facility_w)
        kc = np.minimum(k, len(self.facility_w) - 1)
        before = np.where(kc > 0, self.facility_w[kc - 1], 0.0)
        step = self.facility_w[kc] - before
        frac = np.divide(x - before, step, out=np.zeros_like(x), where=reached & (step > 0))
        length = (self.ends[kc] - self.starts[kc]).astype(int)
        offset = np.maximum(np.ceil(np.clip(frac, 0.0, 1.0) * length) - 1, 0).astype(int)
        dates = self.starts[kc] + offset.astype("timedelta64[D]")
        return np.where(reached, dates, np.datetime64("NaT", "D"))


def _calendar(span: np.ndarray) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    return (tuple(period_label(i) for i in span), np.array([period_start(i) for i in span]),
            np.array([period_start(i + 1) for i in span]))


def build_schedule(periods: Sequence[str], facility_gw: Sequence[float],
                   systems: Sequence[str]) -> Schedule:
    """Expand ramp steps into consecutive half-years.

    Parameters
    ----------
    periods : half-year labels of the ramp steps, increasing (``'2026H2'``).
    facility_gw : cumulative facility power at the end of each step's period, GW.
    systems : catalog system ID added in each step's period.

    Periods between steps hold their power constant and add nothing.
    """
    idx = np.array([half_year_index(p) for p in periods])
    span = np.arange(idx[0], idx[-1] + 1)
    pos = np.searchsorted(idx, span, side="right") - 1
    facility_w = gw_to_w(np.asarray(facility_gw, dtype=float)[pos])
    added = np.diff(facility_w, prepend=0.0)
    names = tuple(dict.fromkeys(systems))
    step_system = np.array([names.index(s) for s in systems])[pos]
    is_step = np.isin(span, idx)
    by_system = np.where(is_step & (step_system == np.arange(len(names))[:, None]), added, 0.0)
    labels, starts, ends = _calendar(span)
    return Schedule(periods=labels, starts=starts, ends=ends, facility_w=facility_w,
                    added_facility_w_by_system=by_system, systems=names)


def schedule_from_sites(quarter_index: Sequence[int], site_names: Sequence[str],
                        systems: Sequence[str], racks_added: np.ndarray,
                        rack_facility_w: np.ndarray, rack_it_w: np.ndarray,
                        power_w: np.ndarray, halls_started_w: np.ndarray) -> Schedule:
    """Fold an optimised per-site, per-quarter schedule into half-years of whole racks.

    Parameters
    ----------
    quarter_index : consecutive quarter numbers of the horizon (``4 * year + quarter - 1``).
    site_names, systems : the sites and platforms, in the order of the arrays' axes.
    racks_added : (S, P, Q) racks installed in each quarter, possibly fractional.
    rack_facility_w : (S, P) facility power of one rack of each platform at each site, W
        (rack IT power x the site's PUE).
    rack_it_w : (P,) IT power of one rack with its share of network and storage, W.
    power_w : (S, Q) facility power each site can draw in each quarter, W.
    halls_started_w : (S, Q) facility power of new halls started in each quarter, W.

    Whole racks ``R[s, p, k] = floor(sum of racks_added up to the last quarter of half-year
    k)``; facility power ``F[s, k] = sum_p R[s, p, k] * rack_facility_w[s, p]``; IT power
    ``sum_{s,p} R[s, p, k] * rack_it_w[p]``. Rounding down keeps ``F <= power``.

    With a leading sample axis on ``racks_added``, ``rack_facility_w``, ``rack_it_w``,
    ``power_w`` and ``halls_started_w``, every array of the schedule gets it too (one
    schedule per sample).
    """
    q = np.asarray(quarter_index, dtype=int)
    half = q // 2
    span = np.arange(half[0], half[-1] + 1)
    last = np.searchsorted(half, span, side="right") - 1
    cumulative = np.cumsum(np.maximum(racks_added, 0.0), axis=-1)[..., last]
    whole = np.floor(cumulative + WHOLE_RACK_TOLERANCE)
    site_facility_w = np.einsum("...sp,...spk->...sk", rack_facility_w, whole)
    by_system_w = np.einsum("...sp,...spk->...pk", rack_facility_w, whole)
    in_period = (half[:, None] == span[None, :]).astype(float)
    labels, starts, ends = _calendar(span)
    dropped = np.maximum(cumulative - whole, 0.0)[..., -1].sum(axis=(-2, -1))
    return Schedule(
        periods=labels, starts=starts, ends=ends,
        facility_w=site_facility_w.sum(axis=-2),
        added_facility_w_by_system=np.diff(by_system_w, axis=-1, prepend=0.0),
        systems=tuple(systems),
        added_racks_by_system=np.diff(whole.sum(axis=-3), axis=-1, prepend=0.0),
        it_w=np.einsum("...p,...spk->...k", rack_it_w, whole),
        sites=SiteSchedule(names=tuple(site_names), racks=whole, facility_w=site_facility_w,
                           power_w=power_w[..., last],
                           halls_started_w=halls_started_w @ in_period,
                           racks_dropped=float(dropped) if np.ndim(dropped) == 0 else dropped),
    )
