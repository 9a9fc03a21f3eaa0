"""Demand: people into load, load into GPUs, power and money.

With ``U`` weekly active users, a share ``a`` of them active on a given day, ``q``
requests per active user per day, ``n_in`` and ``n_out`` tokens per request and a
peak-to-average ratio ``p`` (busiest hour over the daily mean):

    requests per day         Q = U a q
    output tokens per day    T = Q n_out               (input tokens: Q n_in)
    peak output tokens/s     T_peak = p T / 86400
    GPUs needed              G = ceil(T_peak / (x t)) t   (x: output tokens/s per GPU,
                                                           t: GPUs per serving replica)
    users servable by G      U = G x 86400 / (p a q n_out)
    cost per 1M out tokens   c = price_gpu_hour / (x 3600 u) 1e6   (u: average load / capacity)

Pure functions on plain numbers or numpy arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gigawatt import units

Num = float | np.ndarray


@dataclass(frozen=True)
class Demand:
    """Who asks for how much: each field per the module docstring."""

    weekly_active_users: float
    daily_active_share: float
    requests_per_active_user_per_day: float
    input_tokens_per_request: float
    output_tokens_per_request: float
    peak_to_average: float

    @property
    def output_tokens_per_user_per_day(self) -> float:
        """Output tokens per weekly active user per day: ``a q n_out``."""
        return (self.daily_active_share * self.requests_per_active_user_per_day
                * self.output_tokens_per_request)


@dataclass(frozen=True)
class Load:
    """The token and request rates a demand puts on the servers."""

    requests_per_day: float
    input_tokens_per_day: float
    output_tokens_per_day: float
    peak_to_average: float

    @property
    def average_output_tokens_per_s(self) -> float:
        """Daily mean output tokens per second."""
        return units.per_day_to_per_s(self.output_tokens_per_day)

    @property
    def peak_output_tokens_per_s(self) -> float:
        """Output tokens per second in the busiest hour, what the fleet is sized for."""
        return self.peak_to_average * self.average_output_tokens_per_s

    @property
    def peak_requests_per_s(self) -> float:
        """Requests per second in the busiest hour."""
        return self.peak_to_average * units.per_day_to_per_s(self.requests_per_day)


def load_from_users(d: Demand) -> Load:
    """Users into load: ``Q = U a q``, ``T = Q n_out``."""
    requests = d.weekly_active_users * d.daily_active_share * d.requests_per_active_user_per_day
    return Load(requests_per_day=requests,
                input_tokens_per_day=requests * d.input_tokens_per_request,
                output_tokens_per_day=requests * d.output_tokens_per_request,
                peak_to_average=d.peak_to_average)


def load_from_tokens(output_tokens_per_day: float, d: Demand) -> Load:
    """A tokens-per-day demand into load, with ``d``'s request shape and peak ratio."""
    requests = output_tokens_per_day / d.output_tokens_per_request
    return Load(requests_per_day=requests,
                input_tokens_per_day=requests * d.input_tokens_per_request,
                output_tokens_per_day=output_tokens_per_day,
                peak_to_average=d.peak_to_average)


def gpus_needed(peak_output_tokens_per_s: Num, tokens_per_s_per_gpu: Num,
                gpus_per_replica: Num = 1) -> Num:
    """GPUs to serve a peak rate, in whole replicas: ``ceil(T_peak / (x t)) t``."""
    per_replica = np.asarray(tokens_per_s_per_gpu, dtype=float) * gpus_per_replica
    return np.ceil(np.asarray(peak_output_tokens_per_s) / per_replica) * gpus_per_replica


def users_servable(gpus: Num, tokens_per_s_per_gpu: Num, d: Demand) -> Num:
    """Weekly active users ``gpus`` can serve at the peak: ``G x 86400 / (p a q n_out)``."""
    daily_tokens = units.per_s_to_per_day(np.asarray(gpus) * tokens_per_s_per_gpu)
    return daily_tokens / (d.peak_to_average * d.output_tokens_per_user_per_day)


def output_tokens_per_day_servable(gpus: Num, tokens_per_s_per_gpu: Num,
                                   peak_to_average: float) -> Num:
    """Daily output tokens ``gpus`` can serve when the busiest hour runs at capacity."""
    return units.per_s_to_per_day(np.asarray(gpus) * tokens_per_s_per_gpu) / peak_to_average


def usd_per_million_output_tokens(usd_per_gpu_hour: Num, tokens_per_s_per_gpu: Num,
                                  utilisation: Num = 1.0) -> Num:
    """Cost of a million output tokens: ``price / (x 3600 u) 1e6``.

    ``utilisation`` is the average load over capacity (``1 / peak_to_average`` for a
    fleet sized for its peak; 1 for a fully loaded GPU).
    """
    tokens_per_hour = np.asarray(tokens_per_s_per_gpu) * units.SECONDS_PER_HOUR * utilisation
    return np.asarray(usd_per_gpu_hour) / tokens_per_hour * units.MEGA


# ---- demand by kind: chat, reasoning, agents, API ---------------------------------------
#
# Each kind k has a request rate Q_k (requests/day, as published at a date and projected by
# a growth rate g_k), a token shape (n_in, n_out visible, n_hid hidden reasoning tokens) and
# latency limits. The GPUs decode n_out + n_hid tokens per request, so per period:
#
#     Q_k(t)               Q_k0 (1 + g_k) ** (t - t_k0)            (t in years)
#     decode tokens/day    D_k = Q_k (n_out + n_hid)
#     peak decode tokens/s P_k = p D_k / 86400
#     GPUs of platform i alone that serve all kinds   n_i = sum_k P_k / x_ki
#     capacity ratio       R = sum_i G_i / n_i          (R >= 1: every request is served)
#     served tokens/day    min(1, R) D_k               (the mix is served in proportion)
#
# x_ki is platform i's decode tokens/s per GPU for kind k's shape within its limits.


def projected(value_at_as_of: Num, growth_per_year: Num, years: Num) -> np.ndarray:
    """A published figure projected by compound growth: ``v (1 + g) ** years``."""
    return np.asarray(value_at_as_of, dtype=float) * (1.0 + np.asarray(growth_per_year)) ** (
        np.asarray(years, dtype=float))


def capacity_ratio(gpus_by_platform: list[Num], peak_tokens_per_s_by_kind: list[Num],
                   rates: np.ndarray) -> np.ndarray:
    """Serving capacity over demand for a mix of kinds on a mix of platforms.

    ``R = sum_i G_i / n_i`` with ``n_i = sum_k P_k / x_ki``: ``n_i`` is the GPUs platform
    ``i`` alone would need for the whole mix, so ``G_i / n_i`` is the share of the demand
    its GPUs cover. A kind a platform cannot serve (``x_ki = 0``) makes ``n_i`` infinite:
    that platform covers none of the mix.

    Parameters
    ----------
    gpus_by_platform : GPUs serving on each platform, count (arrays over periods).
    peak_tokens_per_s_by_kind : peak decode tokens/s of each kind (arrays over periods).
    rates : ``(kinds, platforms)`` decode tokens/s per GPU.
    """
    rates = np.asarray(rates, dtype=float)
    total: Num = 0.0
    for i, g in enumerate(gpus_by_platform):
        need: Num = 0.0
        for k, peak in enumerate(peak_tokens_per_s_by_kind):
            x = rates[k, i]
            need = need + (np.asarray(peak, dtype=float) / x if x > 0
                           else np.full(np.shape(peak), np.inf))
        with np.errstate(divide="ignore", invalid="ignore"):
            cover = np.where(np.asarray(need) > 0, np.asarray(g, dtype=float) / need, np.inf)
        total = total + cover
    return np.asarray(total, dtype=float)
