"""Capability stage: what each period's fleet serves of the demand, kind by kind.

The demand is a list of kinds (chat, reasoning with hidden tokens, agents, API), each with
its published request rate projected by its growth rule, a token shape and latency limits
(:class:`gigawatt.scenario.schema.DemandKind`; a scenario without kinds gets one kind built
from its user fields). A share ``s`` of each platform's GPUs ``G_i`` serves the scenario's
model; ``gigawatt.estimates.infer.serving_capacity`` gives platform ``i``'s decode tokens/s
per GPU ``x_ki`` for kind ``k``'s shape within its limits. Per period
(:func:`gigawatt.models.perf.demand.capacity_ratio`):

    demand, decode tokens/day   D_k = Q_k (n_out + n_hid)
    capacity over demand        R = sum_i s G_i / n_i,  n_i = sum_k p D_k / (86400 x_ki)
    served tokens/day           min(1, R) D_k
    weekly users served         min(1, R) U (1 + g) ** years   (never more than demand)
    capacity, tokens/day        R sum_k D_k                     (kept for the $/M tokens)
    $/M output tokens           (cost per GPU-hour) / (mean x * 3600 / p) * 1e6
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gigawatt import units
from gigawatt.cache import memo
from gigawatt.catalog import Catalog
from gigawatt.catalog.modelfile import load_model
from gigawatt.estimates.infer import serving_capacity
from gigawatt.models.perf.demand import (
    capacity_ratio,
    projected,
    usd_per_million_output_tokens,
)
from gigawatt.models.perf.inference import ServingError
from gigawatt.scenario.checks import half_year_index
from gigawatt.scenario.schema import Assumption, Demand, DemandKind, Serving


@dataclass(frozen=True)
class KindShape:
    """One kind of request as plain numbers (see :class:`DemandKind`)."""

    kind: str
    title: str
    requests_per_day: float
    as_of: str
    growth_per_year: float
    input_tokens: float
    output_tokens: float
    hidden_tokens: float
    ttft_ms: float | None
    tpot_ms: float | None
    users: bool

    @property
    def decode_tokens(self) -> float:
        """Tokens the GPUs decode per request: visible plus hidden."""
        return self.output_tokens + self.hidden_tokens


@dataclass(frozen=True)
class ServingTimeline:
    """Serving capacity and demand per period (arrays of shape ``(..., periods)``;
    ``*_by_kind`` of shape ``(kinds, ..., periods)``)."""

    tokens_per_s_per_gpu: dict[str, float]
    tensor_parallel: dict[str, int]
    serving_gpus: np.ndarray
    output_tokens_per_s: np.ndarray
    output_tokens_per_day: np.ndarray
    weekly_users_servable: np.ndarray
    demand_weekly_users: np.ndarray
    kinds: tuple[KindShape, ...] = ()
    rates_by_kind: dict[str, dict[str, float]] | None = None
    capacity_ratio: np.ndarray | None = None
    demand_tokens_per_day_by_kind: np.ndarray | None = None
    served_tokens_per_day_by_kind: np.ndarray | None = None

    @property
    def demand_output_tokens_per_day(self) -> np.ndarray:
        """Decode tokens (visible and hidden) demanded per day, all kinds."""
        assert self.demand_tokens_per_day_by_kind is not None
        return np.asarray(self.demand_tokens_per_day_by_kind.sum(axis=0))

    @property
    def served_output_tokens_per_day(self) -> np.ndarray:
        """Decode tokens served per day, all kinds: never more than demanded."""
        assert self.served_tokens_per_day_by_kind is not None
        return np.asarray(self.served_tokens_per_day_by_kind.sum(axis=0))


def kind_shapes(demand: Demand, serving: Serving) -> tuple[KindShape, ...]:
    """The demand's kinds as plain numbers; one ``chat`` kind from the user fields when the
    scenario lists none. Latency limits a kind leaves out are the serving section's."""
    if not demand.kinds:
        requests = (demand.weekly_active_users.value * demand.daily_active_share.value
                    * demand.requests_per_active_user_per_day.value)
        return (KindShape("chat", "requests of the weekly users", requests, demand.as_of,
                          demand.user_growth_per_year.value,
                          demand.input_tokens_per_request.value,
                          demand.output_tokens_per_request.value, 0.0, serving.ttft_ms,
                          serving.tpot_ms, True),)
    return tuple(_shape(k, serving) for k in demand.kinds)


def _shape(k: DemandKind, serving: Serving) -> KindShape:
    return KindShape(k.kind, k.title, k.requests_per_day.value, k.as_of,
                     k.growth_per_year.value, k.input_tokens_per_request.value,
                     k.output_tokens_per_request.value, k.hidden_tokens_per_request.value,
                     k.ttft_ms or serving.ttft_ms, k.tpot_ms or serving.tpot_ms, k.users)


def kind_assumptions(demand: Demand) -> list[tuple[str, Assumption]]:
    """Every sourced number of the demand's kinds, by scenario path."""
    out = []
    for k in demand.kinds:
        for name in type(k).model_fields:
            value = getattr(k, name)
            if isinstance(value, Assumption):
                out.append((f"demand.kinds.{k.kind}.{name}", value))
    return out


def serving_rates(catalog: Catalog, system_ids: Sequence[str], serving: Serving,
                  demand: Demand) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, int]]]:
    """Decode tokens/s per GPU and the tensor-parallel size chosen, per kind and platform.

    A kind a platform cannot serve within its limits gets rate 0 (tp 0). With the built-in
    catalog the answer is kept in the user cache (:func:`gigawatt.cache.memo`), keyed by the
    model, the platforms, the precision and every kind's shape and limits: the engine search
    costs about a second, and it does not depend on the ramp, the power or the prices.
    """
    model = load_model(serving.model, catalog)
    shapes = kind_shapes(demand, serving)

    def search() -> tuple[dict[str, dict[str, float]], dict[str, dict[str, int]]]:
        rates: dict[str, dict[str, float]] = {}
        tps: dict[str, dict[str, int]] = {}
        for k in shapes:
            rates[k.kind], tps[k.kind] = {}, {}
            for system_id in system_ids:
                try:
                    est = serving_capacity(
                        model, system_id, serving.precision, k.input_tokens, k.decode_tokens,
                        ttft_s=units.ms_to_s(k.ttft_ms) if k.ttft_ms else None,
                        tpot_s=units.ms_to_s(k.tpot_ms) if k.tpot_ms else None,
                        catalog=catalog)
                    rates[k.kind][system_id], tps[k.kind][system_id] = (
                        est.tokens_per_s_per_gpu, est.tp)
                except ServingError:
                    rates[k.kind][system_id], tps[k.kind][system_id] = 0.0, 0
        return rates, tps

    key = (repr(model), tuple(system_ids), serving.precision,
           tuple((k.kind, k.input_tokens, k.decode_tokens, k.ttft_ms, k.tpot_ms) for k in shapes))
    return memo("serving-rates", key, search, catalog)


def serve_fleet(system_ids: Sequence[str], packages_by_system: Sequence[np.ndarray],
                periods: Sequence[str], rates: dict[str, dict[str, float]],
                tensor_parallel: dict[str, dict[str, int]], share: float | np.ndarray,
                demand: Demand, serving: Serving) -> ServingTimeline:
    """Serving capacity and demand per period (formulas in the module docstring).

    Parameters
    ----------
    system_ids, packages_by_system : each platform and its GPUs online per period.
    periods : half-year labels of the periods.
    rates : decode tokens/s per GPU, per kind and platform (see :func:`serving_rates`).
    tensor_parallel : tensor-parallel size chosen, per kind and platform.
    share : share of the GPUs that serve, 0-1.
    demand, serving : the scenario's demand and serving sections.
    """
    kinds = kind_shapes(demand, serving)
    peak = demand.peak_to_average.value
    index = np.array([half_year_index(p) for p in periods], dtype=float)
    per_day = np.stack([
        projected(k.requests_per_day, k.growth_per_year,
                  (index - half_year_index(k.as_of)) / 2.0) * k.decode_tokens
        for k in kinds])
    gpus_each = [share * np.asarray(p, dtype=float) for p in packages_by_system]
    x = np.array([[rates[k.kind][s] for s in system_ids] for k in kinds])
    ratio = capacity_ratio(gpus_each, [peak * units.per_day_to_per_s(d) for d in per_day], x)
    # per_day is (kinds, periods); ratio gains a leading samples axis in a sweep
    per_day = per_day.reshape((len(kinds),) + (1,) * (ratio.ndim - 1) + per_day.shape[-1:])
    served = np.minimum(1.0, ratio) * per_day
    gpus = sum(gpus_each)
    capacity_per_day = ratio * per_day.sum(axis=0)
    years = (index - half_year_index(demand.as_of)) / 2.0
    demand_users = projected(demand.weekly_active_users.value,
                             demand.user_growth_per_year.value, years)
    first = kinds[0].kind
    return ServingTimeline(
        tokens_per_s_per_gpu=rates[first],
        tensor_parallel=tensor_parallel[first],
        serving_gpus=np.asarray(gpus),
        # the busiest hour runs at capacity: mean rate = peak rate / p
        output_tokens_per_s=np.asarray(peak * units.per_day_to_per_s(capacity_per_day)),
        output_tokens_per_day=np.asarray(capacity_per_day),
        weekly_users_servable=np.minimum(1.0, ratio) * demand_users,
        demand_weekly_users=demand_users,
        kinds=kinds,
        rates_by_kind=rates,
        capacity_ratio=ratio,
        demand_tokens_per_day_by_kind=per_day,
        served_tokens_per_day_by_kind=served,
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


def kind_rows(serving: ServingTimeline) -> list[dict[str, object]]:
    """Each kind at the end of the build-out: its shape, limits, demand, what is served, and
    the decode tokens/s per GPU of each platform for it."""
    from gigawatt.pipeline.result import json_number

    assert serving.demand_tokens_per_day_by_kind is not None
    assert serving.served_tokens_per_day_by_kind is not None
    rows: list[dict[str, object]] = []
    for j, k in enumerate(serving.kinds):
        demand = serving.demand_tokens_per_day_by_kind[j][..., -1]
        rows.append({
            "kind": k.kind, "title": k.title, "users": k.users, "as_of": k.as_of,
            "requests_per_day_as_of": k.requests_per_day,
            "growth_per_year": k.growth_per_year,
            "requests_per_day": json_number(demand / k.decode_tokens),
            "input_tokens_per_request": k.input_tokens,
            "output_tokens_per_request": k.output_tokens,
            "hidden_tokens_per_request": k.hidden_tokens,
            "ttft_ms": k.ttft_ms, "tpot_ms": k.tpot_ms,
            "demand_output_tokens_per_day": json_number(demand),
            "served_output_tokens_per_day": json_number(
                serving.served_tokens_per_day_by_kind[j][..., -1]),
            "hidden_share_of_output": k.hidden_tokens / k.decode_tokens,
            "tokens_per_s_per_gpu": dict((serving.rates_by_kind or {}).get(k.kind, {})),
        })
    return rows
