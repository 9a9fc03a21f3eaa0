"""Fleet-failures stage: failures and GPU replacements per day across each period's fleet, and
the operations the scenario runs its training jobs under.

The scenario's ``operations:`` block (a profile and overrides, sourced) sets how jobs are run;
without it, ``training.profile`` does. :func:`operations_headline` adds what it takes to keep
the largest single-site job above a goodput floor: the operations of the fault-tolerant profile
added one at a time, in the order a fleet would adopt them, until the job clears it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gigawatt.catalog import Catalog
from gigawatt.catalog.modelfile import load_model
from gigawatt.estimates.profiles import OperationsProfile, load_profile, resolve_operations
from gigawatt.pipeline.evaluate import Evaluation
from gigawatt.pipeline.frontier import TrainingTimeline, checkpoint_gb
from gigawatt.pipeline.inputs import AssumptionRow, Inputs
from gigawatt.pipeline.result import json_number
from gigawatt.scenario.schema import Scenario, Training

GOODPUT_FLOOR = 0.9
"""The goodput the plan asks of its largest single-site job."""

LADDER = (
    ("in-memory checkpoints on peers", ("checkpoint_target",)),
    ("fast detection and restart", ("detection_min", "restart_min", "spare_restart_min")),
    ("hot spares per scale-up domain", ("hot_spare_fraction",)),
    ("elastic continuation", ("elastic", "elastic_reconfig_min")),
    ("straggler detection and lemon quarantine", ("straggler_detection_min", "quarantine")),
)
"""Operations added one at a time, each with the fault-tolerant profile's (sourced) figures."""


def operations_of(scenario: Scenario) -> OperationsProfile:
    """The operations profile of the scenario's training jobs, with its overrides."""
    ops = scenario.operations
    if ops is None:
        profile = scenario.training.profile if scenario.training else "production"
        return load_profile(profile)
    source = "; ".join(t for t in (ops.source, ops.note) if t) or ops.status
    return resolve_operations(ops.profile, dict(ops.overrides),
                              f"scenario operations ({ops.status}): {source}")


def operations_rows(ops: OperationsProfile) -> tuple[AssumptionRow, ...]:
    """The profile's figures as rows of the plan's assumptions table."""
    rows = []
    for name, value in ops.parameters().items():
        source = ops.sources.get(name, "")
        status, _, text = source.partition(": ")
        if name == "checkpoint_target":
            continue  # named in the bandwidth rows' source
        if name.startswith("checkpoint_") and name.endswith("_per_gpu") and "gb_per_s" in name:
            text = f"target {ops.checkpoint_target}: {text}"
        status = "calibrated" if status.startswith("calibrated") else status
        rows.append(AssumptionRow(f"operations.{name}", float(value), status or "assumption",
                                  text or source, f"operations profile {ops.name}"))
    return tuple(rows)


def fleet_failures(inputs: Inputs, ev: Evaluation,
                   profile: str | OperationsProfile) -> dict[str, np.ndarray]:
    """Failures and GPU replacements per day across each period's whole fleet."""
    from gigawatt.estimates.reliability import fleet_reliability

    failures, swaps = [], []
    for k in range(len(inputs.schedule.periods)):
        gpus = {s.id: int(p[k]) for s, p in zip(inputs.systems, ev.fleet.packages_by_system,
                                                strict=True) if p[k] > 0}
        if not gpus:
            failures.append(0.0)
            swaps.append(0.0)
            continue
        r = fleet_reliability(gpus, profile=profile, catalog=inputs.catalog)
        failures.append(r.failures_per_day)
        swaps.append(r.gpu_replacements_per_day)
    return {"fleet_failures_per_day": np.array(failures),
            "gpu_replacements_per_day": np.array(swaps)}


def operations_needed(gpus: int, system: str, ops: OperationsProfile, catalog: Catalog,
                      floor: float = GOODPUT_FLOOR, days: float = 30.0
                      ) -> tuple[list[str], float, OperationsProfile]:
    """The steps of :data:`LADDER` a job of ``gpus`` needs beyond ``ops`` to reach ``floor``.

    Returns the steps taken (empty if ``ops`` already suffices), the goodput reached (closed
    form), and the operations at that point; all steps if none suffices.
    """
    from gigawatt.estimates.reliability import job_reliability

    best = load_profile("fault-tolerant").parameters()
    steps: list[str] = []
    current = ops
    goodput = job_reliability(gpus, system, days, profile=current, trials=0,
                              catalog=catalog).goodput
    for name, keys in LADDER:
        if goodput >= floor:
            break
        mine = current.parameters()
        change = {k: best[k] for k in keys if _better(k, best[k], mine[k])}
        if not change:
            continue
        current = resolve_operations(current, change,
                                     "as the fault-tolerant profile (reliability_profiles.yaml)")
        steps.append(name)
        goodput = job_reliability(gpus, system, days, profile=current, trials=0,
                                  catalog=catalog).goodput
    return steps, goodput, current


def _better(key: str, best: Any, mine: Any) -> bool:
    if key == "checkpoint_target":
        return bool(best != mine)
    if isinstance(best, bool):
        return best and not mine
    if key == "hot_spare_fraction":
        return bool(best > mine)
    return bool(best < mine)


def operations_headline(training: TrainingTimeline | None, ops: OperationsProfile,
                        catalog: Catalog, run: Training | None = None) -> dict[str, Any]:
    """The operations profile, and what the largest single-site job needs to stay above 90%
    (a 30-day job; its checkpoint is the frontier model's, ``run``, where given)."""
    out: dict[str, Any] = {"operations_profile": ops.name}
    if training is None or training.system[-1] is None:
        return out
    gpus = int(training.largest_job_gpus[-1])
    system = training.system[-1]
    if gpus < 1:
        return out
    from gigawatt.estimates.reliability import largest_gpus_above

    if run is not None:
        # the model's checkpoint, sharded as it would be on the largest job
        shard = checkpoint_gb(load_model(run.model, catalog)) / gpus
        ops = resolve_operations(ops, {"checkpoint_gb_per_gpu": shard},
                                 f"{run.model}: 14 bytes per parameter over {gpus:,} GPUs")
    steps, goodput, reached = operations_needed(gpus, system, ops, catalog)
    out.update({
        "largest_job_gpus_above_floor": largest_gpus_above(GOODPUT_FLOOR, system, 30.0, ops,
                                                           catalog),
        "largest_job_gpus_above_floor_with_operations_needed": largest_gpus_above(
            GOODPUT_FLOOR, system, 30.0, reached, catalog),
        "largest_job_goodput_floor": GOODPUT_FLOOR,
        "largest_job_operations_needed": steps,
        "largest_job_goodput_with_operations_needed": json_number(goodput),
        "largest_job_reaches_goodput_floor": bool(goodput >= GOODPUT_FLOOR),
    })
    return out
