"""Analysis of a sweep's samples: quantiles with their standard errors, the cumulative
distribution, the probability of meeting a target, and what drives each output.

Quantiles
    P10, P50, P90 and the mean. A date output (``first_gw_date``) and the run's days count a
    sample that never gets there (NaN) as later than any other; other outputs skip NaN.
Standard error of a quantile
    Distribution-free, from order statistics: the ``p``-quantile's 95% interval runs from the
    ``N p - 1.96 sqrt(N p (1 - p))``-th to the ``N p + 1.96 sqrt(N p (1 - p))``-th smallest
    sample (the binomial count of samples below it), and the standard error is that width
    over ``2 x 1.96`` (Conover, "Practical Nonparametric Statistics", 3rd ed., section 3.2).
    It assumes independent samples; Latin-hypercube samples are at least as precise, so the
    figure is an upper bound.
Targets
    ``NAME<=VALUE`` (or ``<``, ``>=``, ``>``): the share of samples that meet it, with the
    binomial standard error ``sqrt(p (1 - p) / N)``. A sample where the output is NaN (a
    date never reached, no training run that fits) does not meet it.
Tornado
    Each input at its own P10 and P90 with the others at their central values; inputs ranked
    by the swing ``|y(P90) - y(P10)|``.
Conditional tornado (what drives the P90)
    Regional sensitivity (Spear & Hornberger 1980, "Eutrophication in Peel Inlet II",
    Water Research 14): for the samples whose output is at or beyond its P90, each input's
    distribution is compared with its distribution over all samples by the Kolmogorov-Smirnov
    distance; ``shift`` is the tail's median minus the overall median, over the input's
    P10-P90 range. Inputs ranked by the distance.
First-order index
    ``S_i = Var(E[y | x_i]) / Var(y)``, from ``B`` equal-count bins of ``x_i``
    (``B = min(20, N // 10)``), on the sweep's own samples.
Sobol indices (first-order and total-effect)
    Saltelli's design and estimators as implemented by ``scipy.stats.sobol_indices``
    (Saltelli et al. 2010, "Variance based sensitivity analysis of model output", Computer
    Physics Communications 181: first order by Saltelli 2010, total effect by Jansen 1999),
    on ``n (d + 2)`` extra vectorised evaluations with independent inputs (a correlation
    block is ignored there: the indices assume independence).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gigawatt.sweep.sampling import SweepError

Z95 = 1.959963984540054
"""The standard normal's 97.5% point."""
LATE_WHEN_MISSING = ("first_gw_date", "training_days")
"""Outputs where NaN means "never": ranked after every finite sample."""
OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt}
ALIASES = {"goodput_largest_job": "largest_job_goodput"}
"""Other names accepted for an output in a target."""


def ranked(name: str, y: np.ndarray) -> np.ndarray:
    """The values quantiles are taken over: NaN as +inf where it means never, else dropped."""
    if name in LATE_WHEN_MISSING:
        return np.where(np.isnan(y), np.inf, y)
    return y[~np.isnan(y)]


def quantile_se(sorted_y: np.ndarray, p: float) -> float:
    """Standard error of the ``p``-quantile from order statistics (module docstring)."""
    n = len(sorted_y)
    if n < 2:
        return float("nan")
    half = Z95 * np.sqrt(n * p * (1 - p))
    lo = int(np.clip(np.floor(n * p - half), 0, n - 1))
    hi = int(np.clip(np.ceil(n * p + half), 0, n - 1))
    with np.errstate(invalid="ignore"):  # two 'never' (inf) samples: inf - inf
        width = sorted_y[hi] - sorted_y[lo]
    return float(width / (2 * Z95)) if np.isfinite(width) else float("inf")


def sorted_quantiles(v: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Quantiles at probabilities ``p`` of sorted, non-empty ``v`` (linear interpolation, as
    ``np.percentile``); a quantile that reaches a 'never' (+inf) sample is +inf, where numpy's
    interpolation would give inf - inf = NaN."""
    if np.isfinite(v[-1]):
        return np.asarray(np.percentile(v, 100 * p))
    h = (len(v) - 1) * p
    lo = np.floor(h).astype(int)
    a, b, t = v[lo], v[np.minimum(lo + 1, len(v) - 1)], h - lo
    with np.errstate(invalid="ignore"):
        return np.where(t == 0, a, np.where(np.isinf(b), b, a + (b - a) * t))


def summarise(name: str, y: np.ndarray) -> dict[str, float]:
    """P10, P50, P90, the mean and each quantile's standard error (module docstring)."""
    v = np.sort(ranked(name, y))
    if not len(v):
        nan = float("nan")
        return {"p10": nan, "p50": nan, "p90": nan, "mean": nan}
    out: dict[str, float] = {}
    for key, p in (("p10", 0.1), ("p50", 0.5), ("p90", 0.9)):
        out[key] = float(sorted_quantiles(v, np.array([p]))[0])
    finite = v[np.isfinite(v)]
    out["mean"] = float(finite.mean()) if len(finite) == len(v) else float("nan")
    for key, p in (("p10", 0.1), ("p50", 0.5), ("p90", 0.9)):
        out[f"{key}_se"] = quantile_se(v, p)
    out["missing"] = float(np.isnan(y).sum())
    return out


def cdf(name: str, y: np.ndarray, points: int = 21) -> dict[str, list[float]]:
    """The empirical cumulative distribution at ``points`` evenly spaced probabilities:
    ``{"p": [...], "value": [...]}`` (values of NaN-as-never outputs may be inf)."""
    v = np.sort(ranked(name, y))
    p = np.linspace(0.0, 1.0, points)
    if not len(v):
        return {"p": p.tolist(), "value": [float("nan")] * points}
    values = sorted_quantiles(v, p)
    return {"p": p.tolist(), "value": [float(x) for x in values]}


@dataclass(frozen=True)
class Target:
    """A condition on an output: ``output op value``."""

    text: str
    output: str
    op: str
    value: float


TARGET = re.compile(r"^\s*([A-Za-z0-9_.-]+)\s*(<=|>=|<|>)\s*(\S+)\s*$")


def parse_target(text: str, names: Sequence[str], date_outputs: Sequence[str]) -> Target:
    """``'first_gw_date<=2026-12-31'`` -> a :class:`Target` (dates as day numbers).

    Raises
    ------
    SweepError
        naming ``--target`` for a malformed condition, an unknown output or a bad value.
    """
    from gigawatt.sweep.evaluation import day_number

    m = TARGET.match(text)
    if m is None:
        raise SweepError(f"--target {text!r}: expected OUTPUT<=VALUE (or <, >=, >)")
    name, op, raw = m.groups()
    name = ALIASES.get(name, name)
    if name not in names:
        raise SweepError(f"--target {text!r}: unknown output {name!r}; accepted: "
                         f"{', '.join(names)}")
    try:
        value = day_number(raw) if name in date_outputs else float(raw)
    except ValueError:
        want = "an ISO date (2026-12-31)" if name in date_outputs else "a number"
        raise SweepError(f"--target {text!r}: {raw!r} is not {want}") from None
    return Target(text.strip(), name, op, value)


def probability(target: Target, y: np.ndarray) -> dict[str, Any]:
    """Share of samples meeting the target, with its binomial standard error."""
    met = np.zeros(len(y), dtype=bool)
    ok = ~np.isnan(y)
    met[ok] = OPERATORS[target.op](y[ok], target.value)
    p = float(met.mean()) if len(y) else float("nan")
    return {"target": target.text, "output": target.output, "operator": target.op,
            "probability": p, "standard_error": float(np.sqrt(p * (1 - p) / max(len(y), 1)))}


def tornado(evaluate_rows: Callable[[np.ndarray], dict[str, np.ndarray]], paths: Sequence[str],
            samples: np.ndarray, central: np.ndarray) -> dict[str, list[dict[str, Any]]]:
    """Each input at its P10 and P90, the others central; ranked by swing. Each entry also
    holds the output with every input central (``output_at_base``), where a bar starts."""
    d = len(paths)
    at_base = evaluate_rows(central[None, :])
    if d == 0:
        return {k: [] for k in at_base}
    p10, p90 = np.percentile(samples, [10, 90], axis=0)
    rows = np.tile(central, (2 * d, 1))
    rows[np.arange(d), np.arange(d)] = p10
    rows[d + np.arange(d), np.arange(d)] = p90
    y = evaluate_rows(rows)
    result = {}
    for name, values in y.items():
        low, high = values[:d], values[d:]
        entries: list[dict[str, Any]] = [
            {"input": paths[j], "input_p10": float(p10[j]), "input_p90": float(p90[j]),
             "output_at_p10": float(low[j]), "output_at_p90": float(high[j]),
             "output_at_base": float(at_base[name][0]),
             "swing": float(abs(high[j] - low[j])) if np.isfinite(high[j] - low[j])
             else 0.0} for j in range(d)]
        result[name] = sorted(entries, key=lambda e: -e["swing"])
    return result


def _orders(samples: np.ndarray) -> np.ndarray:
    """Each input's samples in ascending order, as indices ``(d, N)`` (stable)."""
    return np.argsort(samples, axis=0, kind="stable").T


def conditional_tornado(paths: Sequence[str], samples: np.ndarray,
                        outputs: Mapping[str, np.ndarray], quantile: float = 0.9,
                        orders: np.ndarray | None = None) -> dict[str, list[dict[str, Any]]]:
    """What drives each output's P90 (module docstring); needs 20 samples in the tail.

    The Kolmogorov-Smirnov distance between the tail's and all samples' values of an input
    is ``max_i |T_i / n_t - i / N|`` over the input's ascending order, ``T_i`` the tail
    samples among the first ``i``.
    """
    out: dict[str, list[dict[str, Any]]] = {}
    if not paths:
        return out
    orders = _orders(samples) if orders is None else orders
    n = len(samples)
    p10, p50, p90 = np.percentile(samples, [10, 50, 90], axis=0)
    share = np.arange(1, n + 1) / n
    for name, y in outputs.items():
        v = np.where(np.isnan(y), np.inf, y) if name in LATE_WHEN_MISSING else y
        finite = v[~np.isnan(v)]
        if len(finite) < 200:
            continue
        cut = np.percentile(finite, 100 * quantile)
        tail = v >= cut
        count = int(tail.sum())
        if count < 20 or count == n:
            continue
        entries = []
        for j, path in enumerate(paths):
            ks = float(np.max(np.abs(np.cumsum(tail[orders[j]]) / count - share)))
            span = p90[j] - p10[j]
            median_tail = float(np.median(samples[tail, j]))
            entries.append({
                "input": path, "ks_distance": ks,
                "median_in_tail": median_tail, "median_overall": float(p50[j]),
                "shift": float((median_tail - p50[j]) / span) if span > 0 else 0.0})
        out[name] = sorted(entries, key=lambda e: -e["ks_distance"])
    return out


def first_order_indices(x: np.ndarray, y: np.ndarray) -> float:
    """``Var(E[y | x]) / Var(y)`` from equal-count bins of ``x`` (see the module docstring)."""
    keep = np.isfinite(y)
    order = np.argsort(x[keep], kind="stable")
    return float(binned_indices(order, y[keep][None, :])[0])


def binned_indices(order: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """First-order indices of one input for several outputs at once: ``order`` sorts the
    input's ``N`` samples, ``ys`` is ``(outputs, N)``; bins as :func:`first_order_indices`."""
    n = ys.shape[1]
    if n == 0:
        return np.zeros(len(ys))
    bins = max(2, min(20, n // 10))
    base, extra = divmod(n, bins)  # the equal-count split of np.array_split
    sizes = np.full(bins, base)
    sizes[:extra] += 1
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    means = np.add.reduceat(ys[:, order], starts, axis=1) / sizes
    overall = ys.mean(axis=1, keepdims=True)
    var = ys.var(axis=1)
    between = ((means - overall) ** 2 * (sizes / n)).sum(axis=1)
    return np.divide(between, var, out=np.zeros(len(ys)), where=var > 0)


def all_first_order(paths: Sequence[str], samples: np.ndarray,
                    outputs: Mapping[str, np.ndarray], orders: np.ndarray
                    ) -> dict[str, dict[str, float]]:
    """``{output: {input: S_i}}`` for every output with finite values in every sample (the
    others through :func:`first_order_indices`, on their finite samples)."""
    names = list(outputs)
    full = [k for k in names if np.all(np.isfinite(outputs[k]))]
    result: dict[str, dict[str, float]] = {k: {} for k in names}
    ys = np.vstack([outputs[k] for k in full]) if full else np.zeros((0, len(samples)))
    for j, path in enumerate(paths):
        if full:
            for k, s in zip(full, binned_indices(orders[j], ys), strict=True):
                result[k][path] = float(s)
        for k in names:
            if k not in full:
                result[k][path] = first_order_indices(samples[:, j], outputs[k])
    return result


def sobol(evaluate_rows: Callable[[np.ndarray], dict[str, np.ndarray]], paths: Sequence[str],
          marginals: Sequence[Any], base: int, rng: np.random.Generator
          ) -> dict[str, dict[str, dict[str, float]]]:
    """First-order and total-effect Sobol indices of every output (module docstring).

    ``base``: the power-of-two ``n`` of Saltelli's design (``n (d + 2)`` evaluations).
    Returns ``{output: {input: {"first_order": S_i, "total_effect": T_i}}}``; an output
    that does not vary (or is not finite everywhere) is left out.
    """
    from scipy.stats import sobol_indices

    names: list[str] = []

    def func(x: np.ndarray) -> np.ndarray:
        y = evaluate_rows(x.T)
        if not names:
            names.extend(y)
        return np.vstack([y[k] for k in names])

    # scipy evaluates the design in one call; capture it to drop outputs with NaN
    captured: list[np.ndarray] = []

    def checked(x: np.ndarray) -> np.ndarray:
        y = func(x)
        captured.append(y)
        return np.nan_to_num(y, nan=0.0, posinf=0.0, neginf=0.0)

    result = sobol_indices(func=checked, n=base, dists=list(marginals), rng=rng)
    first = np.asarray(result.first_order).reshape(len(names), len(paths))
    total = np.asarray(result.total_order).reshape(len(names), len(paths))
    y = np.hstack(captured)
    out = {}
    for i, name in enumerate(names):
        row = y[i]
        if not np.all(np.isfinite(row)) or np.ptp(row) == 0:
            continue
        out[name] = {p: {"first_order": float(first[i, j]), "total_effect": float(total[i, j])}
                     for j, p in enumerate(paths)}
    return out
