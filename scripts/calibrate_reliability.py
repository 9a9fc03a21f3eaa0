"""Calibrate the reliability model's few constants against calibration/reliability.json.

Writes ``src/gigawatt/estimates/data/reliability_calibration.yaml`` and prints the error per record.
Rerun after changing the failure classes or platforms in the catalog:

    python scripts/calibrate_reliability.py [--check]

What it derives, each from the records named:

- node hardware failures per host-day ``H``: Meta RSC-1 and RSC-2 (failures per 1,000
  node-days), weighted by GPU count because the job MTTF records pool both clusters;
- software and infrastructure interruptions per GPU-year ``S``: the one fitted constant,
  least squares in log space over Meta's job MTTF at 8 and 1,024 GPUs, with ``H`` split by the
  catalog's hardware shares;
- the production rate factor: Meta's large-job failure share fell from ``p0`` to ``p1`` with
  lemon-node removal; for Poisson failures ``p = 1 - exp(-lambda T)``, so the rate fell by
  ``ln(1 - p1) / ln(1 - p0)`` whatever the job length ``T``;
- restart times: the midpoint of Meta's 5-20 min restart overhead (research); Lablup's median
  retry interval on a production B200 run (production);
- checkpoint write time: the record's own ETTR formula solved for the write time ``w`` at the
  ETTR it expects with 5-minute checkpoints (2048-4096 GPU jobs on RSC-1).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from gigawatt import units
from gigawatt.catalog import load_catalog
from gigawatt.catalog.calibration import records
from gigawatt.estimates.profiles import Calibration, data_dir
from gigawatt.estimates.reliability import failure_rates
from gigawatt.models.failures.job import expected_fractions

REFERENCE = "hgx-a100"
OUT = data_dir() / "reliability_calibration.yaml"
HEADER = ("# Written by scripts/calibrate_reliability.py from calibration/"
          "reliability.json;\n# do not edit by hand. `fit` is the model against each record "
          "(error = model / measured - 1).\n")


def _range_midpoint(text: str) -> float:
    low, high = (float(x) for x in text.split("-"))
    return (low + high) / 2


def _job_mttf_hours(catalog: Any, gpus: int, constants: Calibration, factor: float = 1.0,
                    system: str = REFERENCE) -> float:
    rates = failure_rates(catalog, system, factor, constants)
    return units.s_to_hours(1.0 / float(rates.job_rate_per_s(gpus).sum()))


def _fit_software(catalog: Any, hardware: float, targets: list[tuple[int, float]]) -> float:
    """``S`` minimising sum (ln MTTF_model - ln MTTF_measured)^2, by golden-section search."""

    def loss(s: float) -> float:
        c = Calibration(REFERENCE, hardware, s)
        return sum(math.log(_job_mttf_hours(catalog, n, c) / h) ** 2 for n, h in targets)

    lo, hi = 0.0, 100.0
    ratio = (math.sqrt(5) - 1) / 2
    for _ in range(200):
        a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
        if loss(a) < loss(b):
            hi = b
        else:
            lo = a
    return (lo + hi) / 2


def calibrate() -> dict[str, Any]:
    """The calibrated constants and the fit table, as written to reliability_calibration.yaml."""
    rec = {r["id"]: r for r in records("reliability")}
    catalog = load_catalog()
    rsc = [rec["rel-meta-rsc1-failure-rate"], rec["rel-meta-rsc2-failure-rate"]]
    gpus = np.array([r["gpu_count"] for r in rsc], dtype=float)
    per_1000 = np.array([r["failures_per_1000_node_days"] for r in rsc])
    hardware = float((gpus * per_1000).sum() / gpus.sum() / 1000.0)

    mttf = [rec["rel-meta-mttf-8gpu"], rec["rel-meta-mttf-1024gpu"]]
    targets = [(int(r["job_gpus"]), float(r["mttf_hours"])) for r in mttf]
    software = _fit_software(catalog, hardware, targets)
    constants = Calibration(REFERENCE, hardware, software)

    ops = rec["rel-meta-ops-stats"]
    before = ops["large_job_failure_rate_before_lemon_detection"]
    after = ops["large_job_failure_rate_after_lemon_detection"]
    production = math.log(1 - after) / math.log(1 - before)

    ettr = rec["rel-meta-ettr"]
    research_restart_min = _range_midpoint(ettr["restart_overhead_min_range"])
    lablup = rec["rel-lablup-b200-504gpu"]
    production_restart_min = float(lablup["median_retry_interval_min"])

    # ETTR = (1 - N_nodes r_f (u0 + dt/2)) / (1 + w/dt), solved for w at dt = 5 min.
    job_gpus = _range_midpoint(ettr["job_gpus_range"])
    nodes = job_gpus / rsc[0]["gpus_per_node"]
    r_f_per_min = units.minutes_to_s(rsc[0]["failures_per_1000_node_days"] / 1000
                                     / units.SECONDS_PER_DAY)
    dt_min = 5.0
    numerator = 1 - nodes * r_f_per_min * (research_restart_min + dt_min / 2)
    write_min = dt_min * (numerator / ettr["ettr_expected_with_5min_checkpoint"] - 1)
    checkpoint_write_s = units.minutes_to_s(write_min)

    fit = [{"record": r["id"], "quantity": f"MTTF of {n}-GPU jobs, hours (research, A100)",
            "measured": h, "model": _job_mttf_hours(catalog, n, constants)}
           for r, (n, h) in zip(mttf, targets, strict=True)]
    b200 = failure_rates(catalog, "hgx-b200", production, constants)
    gpu_classes = [i for i, c in enumerate(b200.classes)
                   if c in ("fail-gpu", "fail-hbm", "fail-nvlink")]
    fit.append({"record": lablup["id"],
                "quantity": "GPU (Xid) failures per GPU-year (production, B200)",
                "measured": lablup["derived_xid_failures_per_gpu_year"],
                "model": float(b200.rate_per_part_s[gpu_classes].sum()
                               * units.SECONDS_PER_YEAR)})
    rate = 1 / units.hours_to_s(_job_mttf_hours(catalog, int(job_gpus), constants))
    interval_s = units.minutes_to_s(ettr["checkpoint_interval_min_assumed"])
    fractions = expected_fractions(rate, interval_s, checkpoint_write_s, 0.0,
                                   units.minutes_to_s(research_restart_min))
    fit.append({"record": ettr["id"],
                "quantity": f"ETTR of {int(job_gpus)}-GPU jobs with 60-min checkpoints (research,"
                            " all interruptions; the record's > 0.9 counts hardware only)",
                "measured": ettr["ettr_gt"], "model": fractions["useful"]})
    for row in fit:
        row["error"] = row["model"] / row["measured"] - 1

    def constant(value: float, recs: list[str], derived: str) -> dict[str, Any]:
        return {"value": float(value), "records": recs, "derived": derived}

    return {
        "reference_system": REFERENCE,
        "constants": {
            "hardware_failures_per_host_day": constant(
                hardware, [r["id"] for r in rsc],
                "GPU-weighted mean of failures per 1,000 node-days, / 1,000"),
            "software_failures_per_gpu_year": constant(
                software, [r["id"] for r in mttf],
                "least squares of ln MTTF over the 8- and 1,024-GPU jobs"),
            "research_rate_factor": constant(1.0, [r["id"] for r in mttf],
                                             "the records are research clusters"),
            "production_rate_factor": constant(
                production, [ops["id"]],
                f"ln(1 - {after}) / ln(1 - {before}): large-job failures with lemon-node removal"),
            "research_restart_min": constant(research_restart_min, [ettr["id"]],
                                             "midpoint of the 5-20 min restart overhead"),
            "production_restart_min": constant(production_restart_min, [lablup["id"]],
                                               "median retry interval"),
            "checkpoint_write_s": constant(
                checkpoint_write_s, [ettr["id"], rsc[0]["id"]],
                "ETTR formula solved for w: 3,072 GPUs, RSC-1 r_f, 12.5 min restart, 5-min "
                "checkpoints, ETTR 0.93"),
        },
        "fit": fit,
    }


def render(data: dict[str, Any]) -> str:
    """reliability_calibration.yaml's text."""
    return HEADER + yaml.safe_dump(data, sort_keys=False, width=100)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if reliability_calibration.yaml differs from a fresh "
                        "calibration")
    args = parser.parse_args()
    data = calibrate()
    text = render(data)
    for row in data["fit"]:
        print(f"{row['record']:28s} {row['quantity'][:60]:60s} measured {row['measured']:9.4g} "
              f"model {row['model']:9.4g} error {row['error']:+.1%}")
    if args.check:
        return 0 if Path(OUT).read_text() == text else 1
    Path(OUT).write_text(text)
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
