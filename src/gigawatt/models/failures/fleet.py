"""A fleet of GPUs: failures and part swaps per day, and the spares that keep them served.

Every part of every GPU counts (all scale-out ports, all hosts), in cohorts of racks that share
a system and an age. Cohort ``j``'s expected failures of class ``c`` on day ``d`` are
``r_jc (H(a_j + d + 1) - H(a_j + d))`` (``H`` the cumulative intensity of
:mod:`~gigawatt.models.failures.rates`; ``a_j`` the age at day 0, or settled racks). Sums of
independent Poisson counts are Poisson, so the simulator draws one count per trial, day and
class; a failure needs a swap with the class's replace fraction (a binomial draw).

Spares of a part, for swap demand ``m`` per day and a resupply lead time ``L`` days: a base-stock
``S`` serves a swap from stock when fewer than ``S`` are on order, which for Poisson demand
happens with probability ``P(Poisson(m L) <= S - 1)``; the spares are the smallest ``S`` meeting
the target availability.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gigawatt import units
from gigawatt.models.failures.errors import ReliabilityError
from gigawatt.models.failures.job import MEMORY_BUDGET_BYTES, check_trials
from gigawatt.models.failures.rates import check_rates, cumulative_intensity
from gigawatt.models.failures.stats import poisson_quantile


@dataclass(frozen=True)
class Fleet:
    """Cohorts of racks and their failure streams (plain arrays).

    Attributes
    ----------
    classes : failure class ids; ``part`` the part each swaps ("" for none).
    rate_per_s : failures per second on settled racks, shape ``(cohorts, classes)``.
    replace_fraction : share of each class's failures fixed by a swap, shape ``(classes,)``.
    rack_age_s : each cohort's rack age at day 0, s; NaN for settled racks.
    infant_shape, burn_in_s : each cohort's Weibull shape and burn-in age, s.
    """

    classes: tuple[str, ...]
    part: tuple[str, ...]
    rate_per_s: np.ndarray
    replace_fraction: np.ndarray
    rack_age_s: np.ndarray
    infant_shape: np.ndarray
    burn_in_s: np.ndarray

    def __post_init__(self) -> None:
        check_rates(np.asarray(self.rate_per_s, dtype=float), "failure rate")

    def expected_per_day(self, days: int) -> np.ndarray:
        """Expected failures per day and class, summed over cohorts, shape ``(days, classes)``."""
        edges = units.days_to_s(np.arange(days + 1, dtype=float))
        out = np.zeros((days, len(self.classes)))
        for j in range(self.rate_per_s.shape[0]):
            age = self.rack_age_s[j]
            if np.isnan(age):
                exposure = np.diff(edges)
            else:
                exposure = np.diff(cumulative_intensity(age + edges, float(self.infant_shape[j]),
                                                        float(self.burn_in_s[j])))
            out += exposure[:, None] * self.rate_per_s[j][None, :]
        return out


@dataclass(frozen=True)
class FleetSimulation:
    """Per-trial daily counts: failures and swaps per class, shape ``(trials, days, classes)``."""

    failures: np.ndarray
    swaps: np.ndarray


def simulate_fleet(fleet: Fleet, days: int, trials: int, rng: np.random.Generator,
                   memory_budget_bytes: int = MEMORY_BUDGET_BYTES) -> FleetSimulation:
    """Draw daily failures and swaps of ``trials`` independent years (or ``days``) of a fleet.

    Vectorised over trials, days and classes; a million GPUs for a year and 1,000 trials is
    two arrays of 1,000 x 365 x classes counts.
    """
    if days < 1:
        raise ReliabilityError(f"days: {days} is not accepted; accepted: at least 1")
    check_trials(trials, 2 * 8 * days * len(fleet.classes), memory_budget_bytes)
    expected = fleet.expected_per_day(days)
    # Classes a fleet never sees (per-job, planned) are drawn as zeros, not as Poisson(0).
    active = np.flatnonzero(expected.sum(axis=0) > 0)
    failures = np.zeros((trials, *expected.shape), dtype=np.int64)
    swaps = np.zeros_like(failures)
    if active.size:
        drawn = rng.poisson(expected[:, active], size=(trials, days, active.size))
        failures[:, :, active] = drawn
        swaps[:, :, active] = rng.binomial(drawn, fleet.replace_fraction[active])
    return FleetSimulation(failures=failures, swaps=swaps)


def spares_needed(swaps_per_day: float, lead_days: float, availability: float) -> int:
    """Smallest stock ``S`` with ``P(Poisson(swaps_per_day x lead_days) <= S - 1) >= target``."""
    if not 0 < availability < 1:
        raise ReliabilityError(f"target_availability: {availability:g} is not accepted; "
                               "accepted: 0 < availability < 1")
    mean = swaps_per_day * lead_days
    if mean <= 0:
        return 0
    return poisson_quantile(mean, availability) + 1
