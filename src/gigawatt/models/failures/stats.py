"""Small statistics the reliability models need, on plain numbers (no SciPy)."""

from __future__ import annotations

import math

import numpy as np


def poisson_quantile(mean: float, q: float) -> int:
    """The smallest ``k`` with ``P(Poisson(mean) <= k) >= q``.

    The probabilities are summed in log space over ``mean +- 12 sqrt(mean)``, outside which the
    mass is below 1e-30.
    """
    if not 0 <= q <= 1:
        raise ValueError(f"q = {q} outside [0, 1]")
    if mean <= 0:
        return 0
    spread = 12.0 * math.sqrt(mean) + 12.0
    first = max(0, math.floor(mean - spread))
    k = np.arange(first, math.ceil(mean + spread) + 1)
    # ln k! = ln first! + sum of ln j for j = first + 1 .. k
    log_factorial = math.lgamma(first + 1.0) + np.concatenate(
        [[0.0], np.cumsum(np.log(k[1:].astype(float)))])
    log_pmf = k * math.log(mean) - mean - log_factorial
    cdf = np.cumsum(np.exp(log_pmf))
    index = min(int(np.searchsorted(cdf, q - 1e-12)), len(k) - 1)
    return int(k[index])


def mean_ci95(samples: np.ndarray) -> tuple[float, float]:
    """Normal 95% confidence interval of the mean of independent samples."""
    n = samples.size
    mean = float(samples.mean())
    if n < 2:
        return mean, mean
    half = 1.96 * float(samples.std(ddof=1)) / math.sqrt(n)
    return mean - half, mean + half


def poisson_cdf(k: int, mean: float) -> float:
    """``P(Poisson(mean) <= k)``, summed in log space (0 for ``k < 0``)."""
    if k < 0:
        return 0.0
    if mean <= 0:
        return 1.0
    if k > mean + 12.0 * math.sqrt(mean) + 12.0:
        return 1.0
    j = np.arange(k + 1, dtype=float)
    log_pmf = j * math.log(mean) - mean - np.array([math.lgamma(x + 1.0) for x in j])
    return float(min(1.0, np.exp(log_pmf).sum()))
