"""Failures, checkpointing and goodput of training jobs, and failures of whole fleets.

The models take plain arrays: :class:`Job` with :func:`simulate_job` and the closed forms
(:func:`expected_breakdown`, :func:`expected_goodput`, :func:`optimal_interval_s`,
:func:`young_interval_s`), and
:class:`Fleet` with :func:`simulate_fleet`. :mod:`gigawatt.estimates.reliability` binds them
to catalog systems and operations profiles.
"""

from gigawatt.models.failures.errors import ReliabilityError
from gigawatt.models.failures.fleet import Fleet, FleetSimulation, simulate_fleet, spares_needed
from gigawatt.models.failures.job import (
    CATEGORIES,
    MODES,
    Job,
    JobSimulation,
    expected_breakdown,
    expected_fractions,
    expected_goodput,
    optimal_interval_s,
    simulate_job,
    young_interval_s,
)
from gigawatt.models.failures.rates import FailureRates

__all__ = [
    "CATEGORIES",
    "MODES",
    "FailureRates",
    "Fleet",
    "FleetSimulation",
    "Job",
    "JobSimulation",
    "ReliabilityError",
    "expected_breakdown",
    "expected_fractions",
    "expected_goodput",
    "optimal_interval_s",
    "simulate_fleet",
    "simulate_job",
    "spares_needed",
    "young_interval_s",
]
