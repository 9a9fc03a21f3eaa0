"""The reliability model against calibration/reliability.json, record by record.

The calibrated constants ship in estimates/data/reliability_calibration.yaml, written by
scripts/calibrate_reliability.py; these tests rerun the calibration, check the shipped file is
current, and report the model's error per record (run with ``-s`` to see the table).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

from gigawatt.catalog.calibration import records
from gigawatt.estimates.profiles import calibration_file
from gigawatt.estimates.reliability import job_reliability

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import calibrate_reliability  # noqa: E402

TOLERANCE = {
    # Kokolis et al. (Meta FAIR), HPCA 2025, arXiv:2410.21680, Figure 7: job MTTF. The issue's
    # acceptance bound is 25%; these two and the lemon record fix the three constants, so
    # their error checks the algebra.
    "rel-meta-mttf-8gpu": 0.25,
    "rel-meta-mttf-1024gpu": 0.25,
    "rel-meta-ops-stats": 0.01,
    # Lablup/SKT, arXiv:2605.09370: 10 GPU failures, so +-30% from counting alone.
    "rel-lablup-b200-504gpu": 0.30,
}


@pytest.fixture(scope="module")
def fresh() -> dict[str, object]:
    return calibrate_reliability.calibrate()


def test_shipped_calibration_is_current(fresh):
    shipped = (calibrate_reliability.OUT).read_text()
    assert shipped == calibrate_reliability.render(fresh), (
        "reliability_calibration.yaml is stale: run 'python scripts/calibrate_reliability.py'")


def test_error_per_record(fresh, capsys):
    fit = fresh["fit"]
    assert isinstance(fit, list)
    with capsys.disabled():
        print("\nreliability calibration: model against each record (fit: fixes a constant; "
              "test: held out)")
        for row in fit:
            used = "fit " if row["used_in_fit"] else "test"
            print(f"  {row['record']:26s} {used} measured {row['measured']:9.4g} model "
                  f"{row['model']:9.4g} error {row['error']:+7.1%}  {row['quantity']}")
    by_id = {row["record"]: row for row in fit if row["used_in_fit"]}
    for record, tolerance in TOLERANCE.items():
        assert abs(by_id[record]["error"]) < tolerance, by_id[record]
    ettr = [row for row in fit if row["record"] == "rel-meta-ettr"]
    assert len(ettr) == 2 and not any(row["used_in_fit"] for row in ettr)
    research, node_rate = ettr
    # Meta's ETTR > 0.9 for 2,048-4,096-GPU jobs comes from its formula on the node hardware
    # rate: the model with hardware at that rate reaches it (held out: nothing was fitted to
    # it), and with every interruption the research records imply it stays below.
    assert node_rate["model"] > 0.9 * node_rate["measured"]
    assert research["model"] < research["measured"] < node_rate["model"] + 0.05


def test_every_constant_names_records_that_exist():
    ids = {r["id"] for r in records("reliability")}
    for name, constant in calibration_file().constants.items():
        assert constant.records and set(constant.records) <= ids, name


def _unplanned_per_day(gpus: int, **kw: object) -> float:
    r = job_reliability(gpus, "a100-sxm-80gb", 30, trials=0, **kw)  # type: ignore[arg-type]
    return sum(v for k, v in r.interruptions_per_day_by_class.items()
               if k not in ("planned-maintenance", "straggler"))


def test_quarantine_cuts_large_jobs_as_the_lemon_node_record_says_and_acts_on_hardware_only():
    """A 1,024-GPU job that fails 14% of the time without quarantine fails 4% with it; the
    per-job classes are untouched, so the cut deepens with size towards 1 / L."""
    stats = next(r for r in records("reliability") if r["id"] == "rel-meta-ops-stats")
    before = stats["large_job_failure_rate_before_lemon_detection"]
    after = stats["large_job_failure_rate_after_lemon_detection"]
    ratios = []
    for gpus in (512, 1024, 16384):
        research = _unplanned_per_day(gpus, profile="research")
        quarantined = _unplanned_per_day(gpus, profile="research",
                                         operations={"quarantine": True})
        ratios.append(quarantined / research)
        if gpus == 1024:
            days = -math.log(1 - before) / research  # P(failure) = 14% without quarantine
            assert 1 - math.exp(-days * quarantined) == pytest.approx(after, rel=1e-6)
    assert ratios[0] > ratios[1] > ratios[2] > 1 / calibration_file().constants[
        "lemon_factor"].value
    one = job_reliability(1024, "a100-sxm-80gb", 30, trials=0, profile="research")
    two = job_reliability(1024, "a100-sxm-80gb", 30, trials=0, profile="research",
                          operations={"quarantine": True})
    for c in ("fail-job-software", "fail-job-collective", "fail-job-storage",
              "planned-maintenance"):
        assert one.interruptions_per_day_by_class[c] == two.interruptions_per_day_by_class[c]
    assert two.interruptions_per_day_by_class["fail-gpu"] < one.interruptions_per_day_by_class[
        "fail-gpu"]
