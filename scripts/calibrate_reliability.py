"""Calibrate the reliability model's few constants against calibration/reliability.json.

Writes ``src/gigawatt/estimates/data/reliability_calibration.yaml`` and prints the error per record.
Rerun after changing the failure classes or platforms in the catalog:

    python scripts/calibrate_reliability.py [--check]

Structure first: the failure classes and their units (failures.yaml), then three constants
from three records, each equation one mechanism:

- node hardware failures per host-day ``H``: Meta RSC-1 and RSC-2 (failures per 1,000
  node-days), weighted by GPU count because the job MTTF records pool both clusters. It is the
  node average, split over the hardware classes by their shares; ``h(N)`` is what it gives a
  job on ``N`` A100 GPUs (no scale-out classes inside one 8-GPU host).
- The research job rate is ``m(N) = L h(N) + a (N / 8)^beta``: hardware seen ``L`` times the
  node average without lemon-node quarantine (the scheduler puts requeued jobs back on repeat
  offenders), plus the per-job classes (software, configuration, collective hangs, storage)
  per job-day with a weak scale term. With quarantine the large-job rate is
  ``h(N) + a (N / 8)^beta``, and Meta measured it fall to ``q = ln(1 - p1) / ln(1 - p0)`` of
  before (large-job failure share ``p0 = 14%`` to ``p1 = 4%``; for Poisson failures
  ``p = 1 - exp(-lambda T)``, so the ratio holds whatever the job length ``T``). Three
  equations: ``m(8)`` and ``m(1024)`` from the job MTTF records, the ratio at 1,024 GPUs
  (the records' large jobs) from the lemon record, for ``L``, ``a`` and ``beta``.
- restart times: the midpoint of Meta's 5-20 min restart overhead (research); Lablup's median
  retry interval on a production B200 run (production);
- checkpoint write time ``w`` to shared storage: the record's own ETTR formula solved for
  ``w`` at the ETTR it expects with 5-minute checkpoints (2048-4096 GPU jobs on RSC-1); the
  shared-storage bandwidth per GPU is the reference shard (reliability_profiles.yaml) over it.
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
from gigawatt.estimates.profiles import Calibration, data_dir, profiles_file
from gigawatt.estimates.reliability import failure_rates

REFERENCE = "hgx-a100"
JOB_REFERENCE_GPUS = 8
OUT = data_dir() / "reliability_calibration.yaml"
HEADER = ("# Written by scripts/calibrate_reliability.py from calibration/"
          "reliability.json;\n# do not edit by hand. `fit` is the model against each record "
          "(error = model / measured - 1;\n# used_in_fit: the record fixes a constant, so its "
          "error checks the algebra, not the model).\n")


def _range_midpoint(text: str) -> float:
    low, high = (float(x) for x in text.split("-"))
    return (low + high) / 2


def _hardware_per_day(catalog: Any, gpus: int, hardware: float) -> float:
    """``h(N)``: node-average hardware interruptions per day of an A100 job on ``gpus``."""
    c = Calibration(REFERENCE, hardware, 1.0, 0.0, JOB_REFERENCE_GPUS, 0.0)
    rates = failure_rates(catalog, REFERENCE, quarantine=True, constants=c)
    per_day = units.per_s_to_per_day(rates.job_rate_per_s(gpus))
    return float(np.asarray(per_day)[rates.hardware & (rates.slowdown == 0)].sum())


def _job_per_day(catalog: Any, gpus: int, constants: Calibration, quarantine: bool,
                 system: str = REFERENCE) -> float:
    """Interruptions per day of a job (every class that stops it; no planned restarts)."""
    rates = failure_rates(catalog, system, quarantine=quarantine, constants=constants)
    per_day = np.asarray(units.per_s_to_per_day(rates.job_rate_per_s(gpus)))
    return float(per_day[rates.slowdown == 0].sum())


def calibrate() -> dict[str, Any]:
    """The calibrated constants and the fit table, as written to reliability_calibration.yaml."""
    from gigawatt.estimates.reliability import job_reliability

    rec = {r["id"]: r for r in records("reliability")}
    catalog = load_catalog()
    rsc = [rec["rel-meta-rsc1-failure-rate"], rec["rel-meta-rsc2-failure-rate"]]
    gpus = np.array([r["gpu_count"] for r in rsc], dtype=float)
    per_1000 = np.array([r["failures_per_1000_node_days"] for r in rsc])
    hardware = float((gpus * per_1000).sum() / gpus.sum() / 1000.0)

    small, large = rec["rel-meta-mttf-8gpu"], rec["rel-meta-mttf-1024gpu"]
    n_small, n_large = int(small["job_gpus"]), int(large["job_gpus"])
    m_small = units.HOURS_PER_DAY / float(small["mttf_hours"])
    m_large = units.HOURS_PER_DAY / float(large["mttf_hours"])
    ops = rec["rel-meta-ops-stats"]
    before = ops["large_job_failure_rate_before_lemon_detection"]
    after = ops["large_job_failure_rate_after_lemon_detection"]
    ratio = math.log(1 - after) / math.log(1 - before)

    h_small = _hardware_per_day(catalog, n_small, hardware)
    h_large = _hardware_per_day(catalog, n_large, hardware)
    job_large = ratio * m_large - h_large  # a (N_large / 8)^beta
    lemon = (m_large - job_large) / h_large
    job_small = m_small - lemon * h_small  # a, at the reference size
    if not (job_large > 0 and job_small > 0 and lemon >= 1):
        raise SystemExit("calibration: the records give no positive per-job rate or a lemon "
                         f"factor below 1 (a = {job_small:g}, L = {lemon:g})")
    beta = math.log(job_large / job_small) / math.log(n_large / n_small)
    constants = Calibration(REFERENCE, hardware, lemon, job_small, JOB_REFERENCE_GPUS, beta)

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
    shard_gb = profiles_file().reference_checkpoint_gb_per_gpu.value
    shared_gb_per_s = shard_gb / checkpoint_write_s

    fit: list[dict[str, Any]] = [
        {"record": r["id"], "quantity": f"MTTF of {n}-GPU jobs, hours (research, A100)",
         "measured": float(r["mttf_hours"]),
         "model": units.HOURS_PER_DAY / _job_per_day(catalog, n, constants, False),
         "used_in_fit": True}
        for r, n in ((small, n_small), (large, n_large))]
    fit.append({"record": ops["id"],
                "quantity": f"large-job failure rate with / without lemon quarantine "
                            f"({n_large} GPUs, A100)",
                "measured": ratio,
                "model": _job_per_day(catalog, n_large, constants, True)
                / _job_per_day(catalog, n_large, constants, False),
                "used_in_fit": True})
    b200 = failure_rates(catalog, "hgx-b200", quarantine=True, constants=constants)
    gpu_classes = [i for i, (c, p) in enumerate(zip(b200.classes, b200.per, strict=True))
                   if p == "gpu"]
    fit.append({"record": lablup["id"],
                "quantity": "GPU (Xid) failures per GPU-year (quarantined fleet, B200)",
                "measured": lablup["derived_xid_failures_per_gpu_year"],
                "model": float(b200.rate_per_part_s[gpu_classes].sum()
                               * units.SECONDS_PER_YEAR),
                "used_in_fit": True})
    research = job_reliability(int(job_gpus), REFERENCE, 30.0, profile="research",
                               checkpoint_interval_min=ettr["checkpoint_interval_min_assumed"],
                               checkpoint_write_s=checkpoint_write_s, trials=0,
                               catalog=catalog, constants=constants)
    fit.append({"record": ettr["id"],
                "quantity": f"ETTR of {int(job_gpus)}-GPU jobs with 60-min checkpoints (research"
                            " profile, every class; the record's > 0.9 counts hardware at the "
                            "node rate)",
                "measured": ettr["ettr_gt"], "model": research.goodput, "used_in_fit": False})
    node_rate = job_reliability(int(job_gpus), REFERENCE, 30.0, profile="research",
                                operations={"quarantine": True},
                                checkpoint_interval_min=ettr["checkpoint_interval_min_assumed"],
                                checkpoint_write_s=checkpoint_write_s, trials=0,
                                catalog=catalog, constants=constants)
    fit.append({"record": ettr["id"],
                "quantity": f"ETTR of {int(job_gpus)}-GPU jobs with 60-min checkpoints (research"
                            " profile with hardware at the node rate, as the record assumes)",
                "measured": ettr["ettr_gt"], "model": node_rate.goodput, "used_in_fit": False})
    for row in fit:
        row["error"] = row["model"] / row["measured"] - 1

    def constant(value: float, recs: list[str], derived: str) -> dict[str, Any]:
        return {"value": float(value), "records": recs, "derived": derived}

    mttf_ids = [small["id"], large["id"], ops["id"]]
    return {
        "reference_system": REFERENCE,
        "constants": {
            "hardware_failures_per_host_day": constant(
                hardware, [r["id"] for r in rsc],
                "GPU-weighted mean of failures per 1,000 node-days, / 1,000"),
            "lemon_factor": constant(
                lemon, mttf_ids,
                "L = (m(1024) - a s(1024)) / h(1024): hardware a job sees without quarantine, "
                "over the node average"),
            "job_failures_per_day": constant(
                job_small, mttf_ids, "a = m(8) - L h(8): per-job interruptions per job-day at 8 "
                "GPUs"),
            "job_reference_gpus": constant(JOB_REFERENCE_GPUS, [small["id"]],
                                           "the smallest job in the records"),
            "job_scale_exponent": constant(
                beta, mttf_ids, "beta = ln(a s(1024) / a) / ln(1024 / 8), with a s(1024) = "
                f"q m(1024) - h(1024), q = ln(1 - {after}) / ln(1 - {before})"),
            "research_restart_min": constant(research_restart_min, [ettr["id"]],
                                             "midpoint of the 5-20 min restart overhead"),
            "production_restart_min": constant(production_restart_min, [lablup["id"]],
                                               "median retry interval"),
            "checkpoint_write_s": constant(
                checkpoint_write_s, [ettr["id"], rsc[0]["id"]],
                "ETTR formula solved for w: 3,072 GPUs, RSC-1 r_f, 12.5 min restart, 5-min "
                "checkpoints, ETTR 0.93"),
            "shared_storage_gb_per_s_per_gpu": constant(
                shared_gb_per_s, [ettr["id"], rsc[0]["id"]],
                f"the reference shard ({shard_gb:g} GB per GPU) over checkpoint_write_s"),
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
        used = "fit" if row["used_in_fit"] else "test"
        print(f"{row['record']:28s} {row['quantity'][:60]:60s} measured {row['measured']:9.4g} "
              f"model {row['model']:9.4g} error {row['error']:+.1%} ({used})")
    if args.check:
        return 0 if Path(OUT).read_text() == text else 1
    Path(OUT).write_text(text)
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
