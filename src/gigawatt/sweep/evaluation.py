"""Evaluation: the plan's outputs for many samples, vectorised or one plan per sample.

``vectorised``
    The analytic stages (:func:`gigawatt.pipeline.evaluate`) run once on ``(S, 1)`` columns
    of the sampled inputs; the ramp, the frontier run, failures, tranches and the first-GW
    date on sample arrays (:mod:`gigawatt.sweep.stages`). Sampled demand numbers enter the
    serving stage as columns too; sampled tokens per request (whole tokens) re-run the
    serving search once per distinct pair. An optimised build-out whose programme reads a
    sampled input is solved per sample (:mod:`gigawatt.sweep.buildouts`).
``process`` / ``ray``
    The whole scalar pipeline (:func:`gigawatt.pipeline.plan`) once per sample in worker
    processes; the reference the vectorised path is tested against.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from types import SimpleNamespace
from typing import Any

import numpy as np

from gigawatt import units
from gigawatt.pipeline import evaluate, outputs, plan
from gigawatt.pipeline.inputs import Inputs
from gigawatt.pipeline.serving import serving_rates
from gigawatt.scenario.schema import Scenario
from gigawatt.sweep.sampling import with_values
from gigawatt.sweep.stages import (
    crossing_days,
    fleet_rates_per_gpu,
    frontier_outputs,
    released_usd,
    sampled_ramp,
)

OUTPUTS = ("gpus", "gpu_dies", "fp8_eflops", "capex_usd", "capex_usd_per_gw",
           "usd_per_gpu_hour", "opex_usd_per_year", "energy_twh_per_year", "water_gl_per_year",
           "emissions_mt_co2_per_year")
"""Headline outputs of the analytic stages a sweep summarises."""
SCHEDULE_OUTPUTS = ("facility_gw", "first_gw_date", "fleet_failures_per_day",
                    "gpu_replacements_per_day")
"""Outputs of the schedule and the fleet's failures."""
INVESTMENT_OUTPUTS = ("investment_usd",)
SERVING_OUTPUTS = ("weekly_users_servable", "output_tokens_per_day",
                   "usd_per_million_output_tokens")
TRAINING_OUTPUTS = ("training_days", "training_goodput", "largest_job_goodput")
"""Outputs of the frontier run on the last period's best single-site job."""
DATE_OUTPUTS = ("first_gw_date",)
"""Outputs that are dates: held as day numbers (days since 1970-01-01), NaN if never."""
INTEGER_PATHS = ("demand.input_tokens_per_request", "demand.output_tokens_per_request")
"""Inputs that are whole numbers: samples are rounded (and every ``*.delay_half_years``)."""


def is_integer(path: str) -> bool:
    """Whether samples of ``path`` are rounded to whole numbers."""
    return path in INTEGER_PATHS or path.endswith(".delay_half_years")


def output_names(scenario: Scenario) -> tuple[str, ...]:
    """The outputs a sweep of this scenario reports."""
    return (OUTPUTS + SCHEDULE_OUTPUTS
            + (INVESTMENT_OUTPUTS if scenario.investment is not None else ())
            + (SERVING_OUTPUTS if scenario.serving is not None else ())
            + (TRAINING_OUTPUTS if scenario.training is not None else ()))


def day_number(value: Any) -> float:
    """An ISO date (or a date) as days since 1970-01-01; NaN for None."""
    if value is None:
        return float("nan")
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    return float((day - dt.date(1970, 1, 1)).days)


def iso_day(day: float) -> str | None:
    """Inverse of :func:`day_number` (rounded down to a whole day); None for NaN/inf."""
    if not np.isfinite(day):
        return None
    return (dt.date(1970, 1, 1) + dt.timedelta(days=int(np.floor(day)))).isoformat()


def scalar_outputs(scenario: Scenario, paths: Sequence[str], rows: np.ndarray) -> np.ndarray:
    """Run the whole scalar pipeline once per row; ``(rows, outputs)``."""
    names = output_names(scenario)
    out = np.empty((len(rows), len(names)))
    for i, row in enumerate(rows):
        headline = plan(with_values(scenario, dict(zip(paths, row, strict=True)))).headline
        out[i] = [day_number(headline[k]) if k in DATE_OUTPUTS
                  else np.nan if headline.get(k) is None else headline[k] for k in names]
    return out


def _sampled(values: dict[str, Any], section: Any, prefix: str) -> Any:
    """A duck-typed copy of a scenario section whose numbers (``.value``) are the sampled
    columns: the stages read only ``.value`` and plain attributes."""
    fields = {}
    for name in type(section).model_fields:
        current = getattr(section, name)
        key = f"{prefix}.{name}"
        fields[name] = (SimpleNamespace(value=values[key]) if key in values
                        and hasattr(current, "value") else current)
    return SimpleNamespace(**fields)


def _serving_rates(inputs: Inputs, demand: Any, n: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Tokens/s per GPU of each kind and platform, as ``(S, 1)`` columns when tokens per
    request are sampled (one serving search per distinct pair). A demand that lists its
    kinds takes their shapes, not the user fields' tokens: its rates do not move."""
    assert inputs.serving is not None and inputs.demand is not None
    if inputs.demand.kinds:
        return inputs.serving_rates, inputs.serving_tp
    names = ("input_tokens_per_request", "output_tokens_per_request")
    pair = np.column_stack([np.broadcast_to(np.asarray(
        getattr(demand, k).value, dtype=float).reshape(-1), (n,)) for k in names])
    uniq, inverse = np.unique(pair, axis=0, return_inverse=True)
    ids = [s.id for s in inputs.systems]
    found = []
    for tin, tout in uniq:
        d = inputs.demand.model_copy(update={
            k: getattr(inputs.demand, k).model_copy(update={"value": float(v)})
            for k, v in zip(names, (tin, tout), strict=True)})
        found.append(serving_rates(inputs.catalog, ids, inputs.serving, d))
    inverse = inverse.reshape(-1)
    kinds = list(found[0][0])
    rates = {kind: {i: np.array([f[0][kind][i] for f in found])[inverse][:, None] for i in ids}
             for kind in kinds}
    return rates, found[0][1]


Restage = Callable[[Inputs, np.ndarray, Mapping[str, Any]], Inputs]
"""``(inputs, samples, values) -> inputs`` with a schedule per sample (an optimised
build-out solved per sample: :meth:`gigawatt.sweep.buildouts.Solver.restage`)."""


def vectorised_outputs(scenario: Scenario, inputs: Inputs, paths: Sequence[str],
                       samples: np.ndarray, restage: Restage | None = None
                       ) -> dict[str, np.ndarray]:
    """Every output of :func:`output_names` for each row of ``samples``, on arrays;
    ``restage`` gives each sample its own schedule."""
    n = len(samples)
    values: dict[str, Any] = dict(inputs.values)
    for j, path in enumerate(paths):
        values[path] = samples[:, j:j + 1]
    staged = inputs if restage is None else restage(inputs, samples, values)
    if any(p.startswith("ramp.") for p in paths):
        staged = dataclasses.replace(staged, schedule=sampled_ramp(
            scenario, inputs.schedule, {p: samples[:, j] for j, p in enumerate(paths)}, n))
    if inputs.demand is not None and any(p.startswith("demand.") for p in paths):
        demand = _sampled(values, inputs.demand, "demand")
        changes: dict[str, Any] = {"demand": demand}
        if any(p in paths for p in INTEGER_PATHS):
            changes["serving_rates"], changes["serving_tp"] = _serving_rates(inputs, demand, n)
        staged = dataclasses.replace(staged, **changes)
    schedule = staged.schedule
    ev = evaluate(staged, values)
    raw = outputs(schedule, ev)

    def column(x: Any) -> np.ndarray:
        return np.broadcast_to(np.asarray(x, dtype=float).reshape(-1) if np.size(x) in (1, n)
                               else np.asarray(x, dtype=float), (n,)).copy()

    out = {k: column(raw[k]) for k in OUTPUTS + (SERVING_OUTPUTS if scenario.serving else ())}
    final_w = column(np.asarray(schedule.facility_w)[..., -1])
    out["facility_gw"] = units.w_to_gw(final_w)
    out["first_gw_date"] = crossing_days(schedule, np.broadcast_to(
        schedule.facility_w, (n, len(schedule.periods))), units.gw_to_w(1.0))
    profile = scenario.training.profile if scenario.training else "production"
    per_fail, per_swap = fleet_rates_per_gpu(inputs, profile)
    gpus_last = np.broadcast_to(np.asarray(ev.fleet.packages_by_system)[..., :, -1],
                                (n, len(inputs.systems)))
    out["fleet_failures_per_day"] = gpus_last @ per_fail
    out["gpu_replacements_per_day"] = gpus_last @ per_swap
    inv = scenario.investment
    if inv is not None:
        def term(name: str) -> np.ndarray:
            return column(values.get(f"investment.{name}", getattr(inv, name).value))

        out["investment_usd"] = released_usd(final_w, term("usd_per_tranche"),
                                             term("gw_per_tranche"), term("cap_usd"))
    if scenario.training is not None:
        out.update({k: v for k, v in frontier_outputs(scenario, staged, ev, values, n).items()
                    if k in TRAINING_OUTPUTS})
    return {k: out[k] for k in output_names(scenario)}
