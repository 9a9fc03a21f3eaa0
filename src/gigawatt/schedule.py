"""Schedule stage: facility power online per half-year, and when thresholds are crossed.

Power comes online linearly within a half-year, from the previous period's
cumulative value to this period's. The date a threshold ``x`` is crossed in
period ``k`` (lasting ``L`` days) is therefore
``start_k + ceil(L * (x - c_{k-1}) / (c_k - c_{k-1})) - 1`` days, the day on
which the linear ramp first reaches ``x``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gigawatt.scenario.checks import half_year_index
from gigawatt.units import gw_to_w


def period_label(index: int) -> str:
    """Inverse of :func:`half_year_index`: 4053 -> ``'2026H2'``."""
    return f"{index // 2}H{index % 2 + 1}"


def period_start(index: int) -> np.datetime64:
    """First day of a half-year."""
    year, half = divmod(index, 2)
    return np.datetime64(f"{year}-{'07' if half else '01'}-01", "D")


@dataclass(frozen=True)
class Schedule:
    """Cumulative facility power at the end of each half-year, and what was added.

    Arrays have one entry per period; ``system_index[k]`` is the index into
    ``systems`` of the platform added in period ``k``, or -1 if none was added.
    """

    periods: tuple[str, ...]
    starts: np.ndarray
    ends: np.ndarray
    facility_w: np.ndarray
    added_facility_w: np.ndarray
    system_index: np.ndarray
    systems: tuple[str, ...]

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
    cumulative_gw = np.asarray(facility_gw, dtype=float)[pos]
    facility_w = gw_to_w(cumulative_gw)
    added = np.diff(facility_w, prepend=0.0)
    names = tuple(dict.fromkeys(systems))
    step_system = np.array([names.index(s) for s in systems])
    is_step = np.isin(span, idx)
    system_index = np.where(is_step, step_system[pos], -1)
    starts = np.array([period_start(i) for i in span])
    ends = np.array([period_start(i + 1) for i in span])
    return Schedule(
        periods=tuple(period_label(i) for i in span),
        starts=starts,
        ends=ends,
        facility_w=facility_w,
        added_facility_w=np.where(is_step, added, 0.0),
        system_index=system_index,
        systems=names,
    )
