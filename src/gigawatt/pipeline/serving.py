"""Capability stage: what each period's fleet can serve, and how fast it trains.

Serving: a share ``s`` of each platform's GPUs ``G_i`` serves the scenario's model; one
scale-up domain serves together (``gigawatt.estimates.infer.serving_capacity``: the engine
model with Poisson arrivals, the layout chosen for the most output tokens/s per GPU whose p99
TTFT and TPOT meet the scenario's ``serving.ttft_ms`` / ``tpot_ms``), giving ``x_i`` output
tokens/s per GPU. Per period:

    output tokens/s       X = s * sum_i G_i x_i
    tokens/day servable   X * 86400 / p                 (p: peak-to-average; sized for peak)
    weekly users          X * 86400 / (p * a * q * n_out)
    demand (users)        U * (1 + g) ** years since the user count
    $/M output tokens     (cost per GPU-hour) / (mean x * 3600 / p) * 1e6
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gigawatt import units
from gigawatt.catalog import Catalog
from gigawatt.catalog.modelfile import load_model
from gigawatt.estimates.infer import serving_capacity
from gigawatt.models.perf.demand import Demand as DemandModel
from gigawatt.models.perf.demand import (
    output_tokens_per_day_servable,
    usd_per_million_output_tokens,
    users_servable,
)
from gigawatt.scenario.checks import half_year_index
from gigawatt.scenario.schema import Demand, Serving


@dataclass(frozen=True)
class ServingTimeline:
    """Serving capacity and demand per period (arrays of shape ``(..., periods)``)."""

    tokens_per_s_per_gpu: dict[str, float]
    tensor_parallel: dict[str, int]
    serving_gpus: np.ndarray
    output_tokens_per_s: np.ndarray
    output_tokens_per_day: np.ndarray
    weekly_users_servable: np.ndarray
    demand_weekly_users: np.ndarray


def demand_model(d: Demand) -> DemandModel:
    """The scenario's demand section as the serving model's plain numbers."""
    return DemandModel(
        weekly_active_users=d.weekly_active_users.value,
        daily_active_share=d.daily_active_share.value,
        requests_per_active_user_per_day=d.requests_per_active_user_per_day.value,
        input_tokens_per_request=d.input_tokens_per_request.value,
        output_tokens_per_request=d.output_tokens_per_request.value,
        peak_to_average=d.peak_to_average.value,
    )


def serving_rates(catalog: Catalog, system_ids: Sequence[str], serving: Serving,
                  demand: Demand) -> tuple[dict[str, float], dict[str, int]]:
    """Output tokens/s per GPU and the tensor-parallel size chosen, for each platform."""
    model = load_model(serving.model, catalog)
    rates, tps = {}, {}
    for system_id in system_ids:
        est = serving_capacity(
            model, system_id, serving.precision, demand.input_tokens_per_request.value,
            demand.output_tokens_per_request.value,
            ttft_s=units.ms_to_s(serving.ttft_ms) if serving.ttft_ms else None,
            tpot_s=units.ms_to_s(serving.tpot_ms) if serving.tpot_ms else None,
            catalog=catalog)
        rates[system_id], tps[system_id] = est.tokens_per_s_per_gpu, est.tp
    return rates, tps


def serve_fleet(system_ids: Sequence[str], packages_by_system: Sequence[np.ndarray],
                periods: Sequence[str], rates: dict[str, float], tensor_parallel: dict[str, int],
                share: float | np.ndarray, demand: Demand) -> ServingTimeline:
    """Serving capacity and demand per period (formulas in the module docstring).

    Parameters
    ----------
    system_ids, packages_by_system : each platform and its GPUs online per period.
    periods : half-year labels of the periods.
    rates : output tokens/s per GPU of each platform (see :func:`serving_rates`).
    tensor_parallel : tensor-parallel size chosen for each platform.
    share : share of the GPUs that serve, 0-1.
    demand : the scenario's demand section.
    """
    d = demand_model(demand)
    pools = [(share * np.asarray(p, dtype=float), rates[s])
             for s, p in zip(system_ids, packages_by_system, strict=True)]
    gpus = sum(g for g, _ in pools)
    tokens = sum(g * x for g, x in pools)
    per_day = sum(output_tokens_per_day_servable(g, x, d.peak_to_average) for g, x in pools)
    users = sum(users_servable(g, x, d) for g, x in pools)
    years = (np.array([half_year_index(p) for p in periods])
             - half_year_index(demand.as_of)) / 2.0
    demand_users = d.weekly_active_users * (1.0 + demand.user_growth_per_year.value) ** years
    return ServingTimeline(
        tokens_per_s_per_gpu=rates,
        tensor_parallel=tensor_parallel,
        serving_gpus=np.asarray(gpus),
        output_tokens_per_s=np.asarray(tokens),
        output_tokens_per_day=np.asarray(per_day),
        weekly_users_servable=np.asarray(users),
        demand_weekly_users=demand_users,
    )


def cost_per_million_tokens(serving: ServingTimeline, usd_per_gpu_hour: np.ndarray,
                            peak_to_average: float) -> np.ndarray:
    """Cost of a million output tokens at each period's mean rate per serving GPU."""
    per_gpu = np.divide(serving.output_tokens_per_s, serving.serving_gpus,
                        out=np.zeros_like(serving.output_tokens_per_s),
                        where=serving.serving_gpus > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        cost = usd_per_million_output_tokens(usd_per_gpu_hour, per_gpu, 1.0 / peak_to_average)
    return np.where(per_gpu > 0, cost, np.nan)
