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
    # acceptance bound is 25%.
    "rel-meta-mttf-8gpu": 0.25,
    "rel-meta-mttf-1024gpu": 0.25,
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
        print("\nreliability calibration: model against each record")
        for row in fit:
            print(f"  {row['record']:26s} measured {row['measured']:9.4g} model "
                  f"{row['model']:9.4g} error {row['error']:+7.1%}  {row['quantity']}")
    by_id = {row["record"]: row for row in fit}
    for record, tolerance in TOLERANCE.items():
        assert abs(by_id[record]["error"]) < tolerance, by_id[record]
    # Meta's ETTR > 0.9 for 2,048-4,096-GPU jobs comes from its formula on the node hardware
    # rate alone; with every interruption the job MTTF records imply, the model stays below it.
    assert by_id["rel-meta-ettr"]["model"] < by_id["rel-meta-ettr"]["measured"]


def test_every_constant_names_records_that_exist():
    ids = {r["id"] for r in records("reliability")}
    for name, constant in calibration_file().constants.items():
        assert constant.records and set(constant.records) <= ids, name


def test_production_profile_is_derived_from_the_lemon_node_record_not_tuned():
    """A large job that fails 14% of the time on research clusters fails 4% in production."""
    stats = next(r for r in records("reliability") if r["id"] == "rel-meta-ops-stats")
    before = stats["large_job_failure_rate_before_lemon_detection"]
    after = stats["large_job_failure_rate_after_lemon_detection"]
    for gpus in (512, 1024, 16384):
        research = job_reliability(gpus, "a100-sxm-80gb", 30, profile="research", trials=0)
        production = job_reliability(gpus, "a100-sxm-80gb", 30, trials=0)
        hours = -math.log(1 - before) * research.mtti_hours  # P(failure) = 14% on research
        assert 1 - math.exp(-hours / production.mtti_hours) == pytest.approx(after)
