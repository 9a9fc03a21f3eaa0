"""Sampling: which scenario numbers are uncertain, and samples of them.

Uncertain inputs
    Every scenario number with a ``distribution``: the ``facility``, ``finance`` and
    ``platforms`` sections and the serving share (as :func:`gigawatt.pipeline.gather_inputs`
    collects them), a ramp step's facility power (``ramp.2026H2.facility_gw``), the frontier
    run (``training.tokens``, ``training.max_site_facility_gw``, detection and restart
    times), the demand section (``demand.user_growth_per_year``, ...) and the deal terms
    (``investment.usd_per_tranche``, ...), and a build-out's capital and supply (the total of
    ``buildout.capital_usd`` or ``buildout.platforms.<id>.supply_racks``, every period scaled
    with it) and the share of its sites' power that arrives (``buildout.site_power_share``).
    Each has a path, its distribution, its central value and the field's accepted range.
Latin hypercube
    ``N`` samples: one stratum of ``1/N`` per sample and input, strata paired at random
    (``scipy.stats.qmc.LatinHypercube``), mapped through each distribution's inverse CDF, and
    clipped to the field's range (normal and lognormal tails can leave it; counted).
Rank correlation
    With a ``correlation`` block the strata are re-paired by the Iman-Conover method (Iman &
    Conover 1982, "A distribution-free approach to inducing rank correlation among input
    variables", Commun. Stat. B 11(3)): van der Waerden scores of the ranks are given the
    target correlation through Cholesky factors, and each input's samples are reordered to
    the ranks of its correlated scores. Marginals (every stratum) are kept exactly; the rank
    correlation matches the target to within sampling error.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gigawatt.errors import GigawattError
from gigawatt.pipeline.inputs import Inputs
from gigawatt.scenario.schema import (
    DELAY_LIMIT,
    Amounts,
    Assumption,
    Buildout,
    Demand,
    Distribution,
    Facility,
    Finance,
    Investment,
    Platform,
    Scenario,
    Serving,
    Training,
    accepted_range,
)
from gigawatt.validation import Frozen


class SweepError(GigawattError):
    """A sweep cannot run as asked."""


RAMP_GW_RANGE = (0.0, 1e6)
"""Accepted range of a ramp step's cumulative facility power, GW."""
RAMP_DELAY_RANGE = (0.0, float(DELAY_LIMIT))
"""Accepted range of a ramp step's delay, half-years."""
AMOUNT_RANGE = (0.0, 1e15)
"""Accepted range of the total of a build-out's amounts (capital in USD, supply in racks)."""
SECTIONS: dict[str, type[Frozen]] = {
    "facility": Facility, "finance": Finance, "platforms": Platform, "serving": Serving,
    "training": Training, "demand": Demand, "investment": Investment}


@dataclass(frozen=True)
class Uncertain:
    """One uncertain input: its sweep path, distribution, central value and accepted range."""

    path: str
    distribution: Distribution
    central: float
    low: float
    high: float


def field_range(path: str) -> tuple[float, float]:
    """The accepted ``[low, high]`` of the scenario field at a sweep path."""
    section, *rest = path.split(".")
    if section == "ramp":
        return RAMP_DELAY_RANGE if path.endswith(".delay_half_years") else RAMP_GW_RANGE
    if path == "buildout.site_power_share":
        span = accepted_range(Buildout, "site_power_share")
        return span.low, span.high
    if section == "buildout":
        return AMOUNT_RANGE
    if section not in SECTIONS:
        raise KeyError(path)
    span = accepted_range(SECTIONS[section], rest[-1])
    return span.low, span.high


def ramp_path(period: str) -> str:
    """The sweep path of a ramp step's facility power."""
    return f"ramp.{period}.facility_gw"


def delay_path(period: str) -> str:
    """The sweep path of a ramp step's delay, half-years."""
    return f"ramp.{period}.delay_half_years"


def uncertain_inputs(scenario: Scenario, inputs: Inputs) -> dict[str, Uncertain]:
    """Every uncertain number of the scenario, by sweep path (sorted)."""
    found: dict[str, tuple[Distribution, float]] = {
        p: (d, inputs.values[p]) for p, d in inputs.distributions.items()}
    for step in scenario.ramp.steps if scenario.ramp else ():
        if step.distribution is not None:
            found[ramp_path(step.period)] = (step.distribution, step.facility_gw)
        if step.delay_half_years is not None:  # central: the plan's own date
            found[delay_path(step.period)] = (step.delay_half_years, 0.0)
    share = scenario.buildout.site_power_share if scenario.buildout else None
    if share is not None and share.distribution is not None:
        found["buildout.site_power_share"] = (share.distribution, share.value)
    for path, amounts in buildout_amounts(scenario).items():
        if amounts.distribution is not None:
            found[path] = (amounts.distribution, amounts.total)
    for section in ("training", "demand", "investment"):
        block = getattr(scenario, section)
        for name in type(block).model_fields if block is not None else ():
            value = getattr(block, name)
            if isinstance(value, Assumption) and value.distribution is not None:
                found[f"{section}.{name}"] = (value.distribution, value.value)
    out = {}
    for path in sorted(found):
        dist, central = found[path]
        low, high = field_range(path)
        out[path] = Uncertain(path, dist, central, low, high)
    return out


def buildout_amounts(scenario: Scenario) -> dict[str, Amounts]:
    """The build-out's amounts by sweep path: ``buildout.capital_usd`` and
    ``buildout.platforms.<id>.supply_racks`` (none without a build-out)."""
    b = scenario.buildout
    if b is None:
        return {}
    return {"buildout.capital_usd": b.capital_usd,
            **{f"buildout.platforms.{k}.supply_racks": p.supply_racks
               for k, p in b.platforms.items()}}


def scaled_amounts(per_period: Mapping[str, float], total: float) -> dict[str, float]:
    """Amounts per period scaled so that they sum to ``total``: each times ``total / sum``."""
    given = float(sum(per_period.values()))
    return {k: float(a) * (float(total) / given) for k, a in per_period.items()}


def _ppf(dist: Distribution, u: np.ndarray) -> np.ndarray:
    """Inverse CDF of a distribution at probabilities ``u``."""
    from scipy import stats

    p = dist.params
    if dist.form == "uniform":
        return p[0] + u * (p[1] - p[0])
    if dist.form == "triangular":
        lo, mode, hi = p
        if hi == lo:
            return np.full_like(u, lo)
        return stats.triang.ppf(u, (mode - lo) / (hi - lo), loc=lo, scale=hi - lo)
    if dist.form == "normal":
        return stats.norm.ppf(u, loc=p[0], scale=p[1]) if p[1] > 0 else np.full_like(u, p[0])
    if dist.form == "lognormal":
        return p[0] * np.exp(p[1] * stats.norm.ppf(u))
    choices = np.asarray(p, dtype=float)
    return choices[np.minimum((u * len(choices)).astype(int), len(choices) - 1)]


class Marginal:
    """A distribution with the ``ppf`` method ``scipy.stats.sobol_indices`` asks of ``dists``."""

    def __init__(self, dist: Distribution) -> None:
        self.dist = dist

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Inverse CDF at ``u``."""
        return _ppf(self.dist, np.asarray(u, dtype=float))


def correlate_ranks(u: np.ndarray, target: np.ndarray, columns: Sequence[int]) -> np.ndarray:
    """Re-pair the columns ``columns`` of ``u`` to the rank correlation ``target``
    (Iman-Conover; see the module docstring). ``target`` must be positive definite."""
    from scipy import stats

    n = len(u)
    if n < 3 or not columns:
        return u
    cols = list(columns)
    ranks = np.argsort(np.argsort(u[:, cols], axis=0), axis=0)
    scores = stats.norm.ppf((ranks + 1) / (n + 1))
    # remove the sample correlation the random pairing left, then impose the target
    current = np.corrcoef(scores, rowvar=False)
    try:
        p = np.linalg.cholesky(target)
        q = np.linalg.cholesky(current)
    except np.linalg.LinAlgError:
        return u
    correlated = scores @ np.linalg.inv(q).T @ p.T
    out = u.copy()
    for j, col in enumerate(cols):
        order = np.argsort(np.argsort(correlated[:, j]))
        out[:, col] = np.sort(u[:, col])[order]
    return out


def latin_hypercube(distributions: Sequence[Distribution], n: int, rng: np.random.Generator,
                    correlation: tuple[Sequence[int], np.ndarray] | None = None
                    ) -> np.ndarray:
    """``(n, d)`` samples, one column per distribution, by Latin hypercube.

    ``correlation``: the column indices and the rank correlation matrix among them.
    """
    from scipy.stats import qmc

    if not distributions:
        return np.zeros((n, 0))
    u = qmc.LatinHypercube(d=len(distributions), rng=rng).random(n)
    if correlation is not None:
        u = correlate_ranks(u, correlation[1], correlation[0])
    return np.column_stack([_ppf(d, u[:, j]) for j, d in enumerate(distributions)])


def correlation_of(scenario: Scenario, paths: Sequence[str]
                   ) -> tuple[list[int], np.ndarray] | None:
    """The scenario's rank correlation block as column indices into ``paths``.

    Raises
    ------
    SweepError
        naming ``correlation.inputs`` when an input is not uncertain in this scenario.
    """
    block = scenario.correlation
    if block is None:
        return None
    missing = [p for p in block.inputs if p not in paths]
    if missing:
        raise SweepError(f"correlation.inputs: {missing[0]!r} is not an uncertain input of "
                         f"scenario {scenario.name}; accepted: {', '.join(paths) or 'none'}")
    return [list(paths).index(p) for p in block.inputs], np.array(block.matrix, dtype=float)


def clip_to_ranges(paths: Sequence[str], samples: np.ndarray) -> tuple[np.ndarray, dict[str, int]]:
    """Samples clipped to each field's accepted range, and how many were clipped per field."""
    out = samples.copy()
    clipped = {}
    for j, path in enumerate(paths):
        low, high = field_range(path)
        outside = (out[:, j] < low) | (out[:, j] > high)
        if outside.any():
            clipped[path] = int(outside.sum())
            out[:, j] = np.clip(out[:, j], low, high)
    return out, clipped


def with_values(scenario: Scenario, values: Mapping[str, float]) -> Scenario:
    """The scenario with the given paths set to new central values (distributions kept)."""
    data = scenario.model_dump()
    delays: dict[str, int] = {}
    for path, value in values.items():
        if path.startswith("ramp."):
            period, name = path.split(".")[1:3]
            if name == "delay_half_years":
                delays[period] = round(value)
                continue
            for step in data["ramp"]["steps"]:
                if step["period"] == period:
                    step["facility_gw"] = float(value)
            continue
        *parents, last = path.split(".")
        node = data
        for part in parents:
            if node.get(part) is None:
                node[part] = {}
            node = node[part]
        current = node.get(last)
        if isinstance(current, dict) and "per_period" in current:  # a build-out's amounts
            node[last] = {**current, "per_period": scaled_amounts(current["per_period"], value)}
            continue
        node[last] = {**current, "value": float(value)} if isinstance(current, dict) else {
            "value": float(value), "status": "input"}
    if data.get("ramp"):
        # the ramp is cumulative: a step sampled above a later one raises the later one
        steps = data["ramp"]["steps"]
        for before, after in itertools.pairwise(steps):
            after["facility_gw"] = max(after["facility_gw"], before["facility_gw"])
        if any(delays.values()):
            data["ramp"]["steps"] = delayed_steps(steps, delays)
    return Scenario.model_validate(data)


def delayed_steps(steps: list[dict[str, Any]], delays: Mapping[str, int]
                  ) -> list[dict[str, Any]]:
    """The ramp with each step moved ``delays[period]`` half-years later: at each half-year
    where a step lands, the most power of the steps reached by then, with the platform of the
    step that gives it (as :func:`gigawatt.sweep.stages.sampled_ramp`)."""
    from gigawatt.pipeline.schedule import period_label
    from gigawatt.scenario.checks import half_year_index

    moved = [(half_year_index(s["period"]) + delays.get(s["period"], 0), j)
             for j, s in enumerate(steps)]
    out = []
    for at in sorted({k for k, _ in moved}):
        reached = [j for k, j in moved if k <= at]
        best = max(reached, key=lambda j: (steps[j]["facility_gw"], -j))
        out.append({**steps[best], "period": period_label(at),
                    "facility_gw": steps[best]["facility_gw"], "delay_half_years": None})
    return out


def chunks(n: int, parts: int) -> list[slice]:
    """``n`` samples in at most ``parts`` contiguous, nearly equal, non-empty slices."""
    edges = np.linspace(0, n, max(1, min(parts, n)) + 1).astype(int)
    return [slice(a, b) for a, b in itertools.pairwise(edges) if b > a]
