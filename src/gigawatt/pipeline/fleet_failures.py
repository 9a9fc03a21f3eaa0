"""Fleet-failures stage: failures and GPU replacements per day across each period's fleet."""

from __future__ import annotations

import numpy as np

from gigawatt.pipeline.evaluate import Evaluation
from gigawatt.pipeline.inputs import Inputs


def fleet_failures(inputs: Inputs, ev: Evaluation, profile: str) -> dict[str, np.ndarray]:
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
