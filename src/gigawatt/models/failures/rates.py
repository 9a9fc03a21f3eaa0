"""Failure rates per component class, and the failure intensity of a job or a fleet.

A job on ``N`` GPUs of a system holds ``n_c(N)`` parts of each failure class ``c``:

- ``per = gpu``: ``n_c = N``
- ``per = host``: ``n_c = ceil(N / gpus_per_host)``
- ``per = scaleout_port``: ``n_c = N * ports_per_gpu`` if the job spans more than one NVLink
  domain (``N > domain``), else 0: a job inside one domain never touches the scale-out network.

Its interruption rate is ``lambda(N) = sum_c n_c(N) * r_c`` with ``r_c`` the rate per part.
On the reference platform (an 8-GPU A100 host) ``r_c = share_c * H / u_c`` for hardware classes,
``H`` the node hardware failure rate per host and ``u_c`` the parts of class ``c`` in that host;
the software class has a fitted rate per GPU. Another system multiplies ``r_c`` by its
platform multiplier, and an operations profile by its rate factor.

New racks: the intensity at rack age ``a`` is ``lambda * h(a)`` with the Weibull (power-law)
shape ``k <= 1`` until the burn-in age ``b``: ``h(a) = (a / b) ** (k - 1)`` for ``a < b``, else 1.
Its integral ``H(a) = b / k * (a / b) ** k`` (``a < b``), ``b / k + (a - b)`` after, gives the
expected failures between two ages; ``k = 1`` is the exponential (constant-rate) case.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from gigawatt.models.failures.errors import ReliabilityError

PER_KINDS = ("gpu", "host", "scaleout_port")

T = TypeVar("T", float, np.ndarray)


@dataclass(frozen=True)
class FailureRates:
    """Rates per part of each failure class on one system under one operations profile.

    Attributes
    ----------
    classes : failure class ids, in catalog order.
    per : what each class's part count scales with (``gpu``, ``host``, ``scaleout_port``).
    rate_per_part_s : failures per part per second on settled (burnt-in) racks.
    replace_fraction : share of each class's failures fixed by swapping a part.
    part : the part swapped for each class ("" if none).
    gpus_per_host, scaleout_ports_per_gpu, nvlink_domain_gpus : the system's topology.
    infant_shape : Weibull shape ``k`` of a new rack's failure intensity (1: none).
    burn_in_s : rack age at which the intensity settles, s.
    """

    system: str
    classes: tuple[str, ...]
    per: tuple[str, ...]
    rate_per_part_s: np.ndarray
    replace_fraction: np.ndarray
    part: tuple[str, ...]
    gpus_per_host: int
    scaleout_ports_per_gpu: float
    nvlink_domain_gpus: int
    infant_shape: float
    burn_in_s: float

    def __post_init__(self) -> None:
        rates = np.asarray(self.rate_per_part_s, dtype=float)
        check_rates(rates, "failure rate")
        object.__setattr__(self, "rate_per_part_s", rates)
        object.__setattr__(self, "replace_fraction",
                           np.asarray(self.replace_fraction, dtype=float))
        if not 0 < self.infant_shape <= 1:
            raise ReliabilityError(
                f"infant_shape: {self.infant_shape} is not accepted; accepted: 0 < shape <= 1")

    def parts(self, gpus: int) -> np.ndarray:
        """Parts of each class in a job on ``gpus`` GPUs (see the module formula)."""
        hosts = math.ceil(gpus / self.gpus_per_host)
        spans_domains = gpus > self.nvlink_domain_gpus
        count = {"gpu": float(gpus), "host": float(hosts),
                 "scaleout_port": gpus * self.scaleout_ports_per_gpu if spans_domains else 0.0}
        return np.array([count[p] for p in self.per])

    def job_rate_per_s(self, gpus: int) -> np.ndarray:
        """Interruptions per second of a job on ``gpus`` GPUs, by class: ``n_c(N) r_c``."""
        return self.parts(gpus) * self.rate_per_part_s

    def fleet_rate_per_s(self, gpus: int) -> np.ndarray:
        """Failures per second of every part of ``gpus`` GPUs, by class (all ports counted)."""
        hosts = math.ceil(gpus / self.gpus_per_host)
        count = {"gpu": float(gpus), "host": float(hosts),
                 "scaleout_port": gpus * self.scaleout_ports_per_gpu}
        return np.array([count[p] for p in self.per]) * self.rate_per_part_s


def check_rates(rates: np.ndarray, what: str) -> None:
    """Raise a one-line error for a negative or non-finite rate."""
    bad = ~np.isfinite(rates) | (rates < 0)
    if bad.any():
        raise ReliabilityError(f"{what}: {rates[bad][0]} is not accepted; accepted: a finite "
                               "rate >= 0")


def cumulative_intensity(age_s: T, shape: float, burn_in_s: float) -> T:
    """``H(a)``: expected failures of a unit-rate part from age 0 to ``age_s``, s.

    ``H(a) = b/k (a/b)^k`` for ``a < b``, ``b/k + (a - b)`` after (``k`` shape, ``b`` burn-in).
    """
    if shape == 1.0 or burn_in_s <= 0:
        return age_s
    b = burn_in_s
    early = b / shape * (np.minimum(age_s, b) / b) ** shape
    return early + np.maximum(age_s - b, 0.0)


def inverse_cumulative_intensity(h: np.ndarray, shape: float, burn_in_s: float) -> np.ndarray:
    """``H^-1``: the age at which a unit-rate part has had ``h`` expected failures, s."""
    if shape == 1.0 or burn_in_s <= 0:
        return h
    b = burn_in_s
    knee = b / shape
    early = b * (shape * np.minimum(h, knee) / b) ** (1.0 / shape)
    return np.where(h < knee, early, b + (h - knee))
