"""The training model against the published runs it is calibrated on (calibration).

Each record is compared in its own convention (scripts/calibrate_training.py says which);
tolerance: median absolute error at most 10% and none above 25% over the records in scope.
Run with ``pytest -s`` to see the table.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

import pytest

from gigawatt.catalog.calibration import records
from gigawatt.estimates.train import load_constants

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import calibrate_training


@pytest.fixture(scope="module")
def errors():
    return calibrate_training.errors(load_constants())


def test_error_per_record_within_tolerance(errors, capsys):
    with capsys.disabled():
        print("\ntraining calibration: record, figure, measured, model, error")
        for case, predicted, err in errors:
            print(f"  {case.id:40} {case.measure:24} {case.measured:9.3f} {predicted:9.3f} "
                  f"{err:+7.1%}")
    abs_err = [abs(e) for _, _, e in errors]
    assert statistics.median(abs_err) <= 0.10
    worst = max(errors, key=lambda row: abs(row[2]))
    assert abs(worst[2]) <= 0.25, f"{worst[0].id} is off by {worst[2]:+.1%}"


def test_every_record_is_in_scope_or_has_a_reason(errors):
    covered = {case.id for case, _, _ in errors} | set(calibrate_training.OUT_OF_SCOPE)
    assert covered == {r["id"] for r in records("training")}
    assert len(errors) >= 20
    assert all(reason for reason in calibrate_training.OUT_OF_SCOPE.values())


def test_both_conventions_and_both_gpus_are_covered(errors):
    measures = {case.measure for case, _, _ in errors}
    assert measures == {"hardware_tflops_per_gpu", "mfu", "wall_days"}
    assert {case.gpu for case, _, _ in errors} == {"a100-sxm-80gb", "h100-sxm"}


def test_shipped_constants_are_in_range():
    c = load_constants()
    assert 0 < c.peak_fraction <= 1 and 0 <= c.dp_overlap <= 1
    assert 0 < c.fsdp_bandwidth_fraction <= 1 and c.ridge_multiple > 0
