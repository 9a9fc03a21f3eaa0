"""The frontier yardstick: the largest run each period's largest single site completes in a
given wall-clock time, next to the named run and to published frontier compute.

For each period the frontier stage (:mod:`gigawatt.pipeline.frontier`) finds the largest
single-site job ``G`` on the platform with the most peak FLOP/s ``F`` per GPU. In ``T``
days (default 90) that job does

    C = G F u g T                                    (u: MFU, g: goodput)

FLOPs, where the goodput ``g`` is the reliability model's for ``G`` GPUs over ``T`` days
with the scenario's operations profile, and the MFU ``u`` is the training search's for the
scenario's model shape on ``G`` GPUs at a global batch that grows with the job as current
practice does (DeepSeek-AI 2024):

    B = 0.292 C ** 0.3271 tokens,  sequences = B / seq_len

(``C`` and ``B`` depend on each other: ``B`` is set from ``C`` at the named run's MFU).
As in the frontier stage, job sizes of 1, 1/2, 1/4 and 1/8 of ``G`` are weighed, since fewer
GPUs fail less often; the size that would do the most FLOPs at the named run's MFU is timed
on the training search, and its own MFU and goodput give ``C``.
The compute-optimal split (Hoffmann et al. 2022) of ``C``: ``C = 6 N D`` with ``D = 20 N``,
so ``N = sqrt(C / 120)`` parameters and ``D = 20 N`` tokens. Published frontier runs and
Epoch AI's 4-5x-a-year trend stand beside it (``estimates/data/frontier_compute.yaml``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from gigawatt import units
from gigawatt.cache import memo
from gigawatt.catalog import Catalog
from gigawatt.catalog.modelfile import load_model
from gigawatt.errors import GigawattError
from gigawatt.pipeline.frontier import JOB_FRACTIONS, TrainingTimeline, _estimate
from gigawatt.pipeline.result import json_number
from gigawatt.scenario.schema import Training
from gigawatt.yamlio import read_yaml

DEFAULT_DAYS = 90.0


@functools.cache
def reference() -> dict[str, Any]:
    """Published frontier compute and the rules (``estimates/data/frontier_compute.yaml``;
    read from the user cache, :func:`gigawatt.cache.memo`, while the file is unchanged)."""
    path = Path(str(resources.files("gigawatt.estimates") / "data" / "frontier_compute.yaml"))
    data: dict[str, Any] = memo("frontier-compute", (),
                                lambda: read_yaml(path, GigawattError))
    return data


def compute_optimal(flops: float) -> tuple[float, float]:
    """Parameters and tokens of a compute-optimal run of ``flops``: ``N = sqrt(C / (6 r))``,
    ``D = r N`` with ``r`` tokens per parameter."""
    rule = reference()["compute_optimal"]
    r, k = rule["tokens_per_parameter"], rule["flops_per_parameter_token"]
    n = float(np.sqrt(flops / (k * r)))
    return n, r * n


def batch_tokens(flops: float) -> float:
    """The global batch, tokens, that grows with the run: ``B = a C ** b``."""
    rule = reference()["batch_rule"]
    return float(rule["coefficient"] * flops ** rule["exponent"])


def trend_flops(year: float) -> float:
    """Epoch AI's frontier trend at ``year``: ``C0 g ** (year - y0)``."""
    t = reference()["trend"]
    return float(t["from_flops"] * t["growth_per_year"] ** (year - t["from_year"]))


@dataclass(frozen=True)
class YardstickRow:
    """The largest run one period's largest site completes in ``days``."""

    period: str
    system: str | None
    gpus: int
    days: float
    mfu: float
    goodput: float
    global_batch: int
    flops: float
    parameters: float
    tokens: float
    trend_flops: float

    def to_dict(self) -> dict[str, Any]:
        return {k: (json_number(v) if isinstance(v, float) else v)
                for k, v in self.__dict__.items()}


def yardstick(catalog: Catalog, training: Training, timeline: TrainingTimeline,
              periods: list[str], days: float = DEFAULT_DAYS) -> list[YardstickRow]:
    """The yardstick per period (module docstring); a period without a job gets zeros."""
    from gigawatt.estimates.reliability import job_reliability

    model = load_model(training.model, catalog)
    rows = []
    for k, period in enumerate(periods):
        system = timeline.system[k]
        gpus = int(timeline.largest_job_gpus[k]) if system else 0
        year = int(period[:4]) + (0.25 if period.endswith("H1") else 0.75)
        if not system or gpus < 1:
            rows.append(YardstickRow(period, None, 0, days, 0.0, 0.0, 0, 0.0, 0.0, 0.0,
                                     trend_flops(year)))
            continue
        acc = catalog.accelerator_of(catalog.system(system))
        peak = units.tflops_to_flops(getattr(acc, f"{training.precision}_dense_tflops") or 0.0)
        mfu0 = float(timeline.mfu[k]) if np.isfinite(timeline.mfu[k]) else 0.3
        # fewer GPUs fail less often: rank the job sizes by the FLOPs they would do at the
        # named run's MFU (the goodput is closed-form and cheap), then time the best on the
        # training search at the batch the rule gives it
        sizes = []
        for fraction in JOB_FRACTIONS:
            n = int(gpus * fraction)
            if n >= 1:
                g = job_reliability(n, system, days, profile=training.profile, trials=0,
                                    catalog=catalog).goodput
                sizes.append((n * peak * mfu0 * g * units.days_to_s(days), n))
        best: YardstickRow | None = None
        for first, n in sorted(sizes, reverse=True):
            batch = max(training.global_batch, int(batch_tokens(first) // training.seq_len))
            run = _estimate(model, system, n, training.seq_len, batch, training.precision,
                            training.tokens.value, catalog)
            if run is None:
                continue
            used, mfu = int(run.search.best.gpus), float(run.search.best.mfu)
            rel = job_reliability(used, system, days, profile=training.profile, trials=0,
                                  catalog=catalog)
            flops = used * peak * mfu * rel.goodput * units.days_to_s(days)
            params, tokens = compute_optimal(flops)
            best = YardstickRow(period, system, used, days, mfu, float(rel.goodput), batch,
                                flops, params, tokens, trend_flops(year))
            break
        rows.append(best or YardstickRow(period, None, 0, days, 0.0, 0.0, 0, 0.0, 0.0, 0.0,
                                         trend_flops(year)))
    return rows


def yardstick_headline(rows: list[YardstickRow]) -> dict[str, Any]:
    """The last period's yardstick, and the published runs beside it."""
    if not rows:
        return {}
    last = rows[-1]
    return {
        "yardstick_days": last.days,
        "yardstick_flops": json_number(last.flops),
        "yardstick_parameters": json_number(last.parameters),
        "yardstick_tokens": json_number(last.tokens),
        "yardstick_gpus": last.gpus,
        "yardstick_mfu": json_number(last.mfu),
        "yardstick_goodput": json_number(last.goodput),
        "yardstick_global_batch": last.global_batch,
        "yardstick_trend_flops": json_number(last.trend_flops),
        "yardstick": [r.to_dict() for r in rows],
        "published_frontier_runs": reference()["runs"],
    }
