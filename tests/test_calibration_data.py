"""The calibration records in the repository are readable, carry their sources, and equal
the project's shared records where those are present (so that updates flow in)."""

import filecmp
from pathlib import Path

import pytest

from gigawatt.catalog.calibration import KINDS, calibration_dir, records
from gigawatt.errors import GigawattError

SHARED = Path(__file__).resolve().parents[2] / "shared" / "calibration"


@pytest.mark.parametrize("kind", KINDS)
def test_records_have_sources(kind):
    rows = records(kind)
    assert rows
    assert all(r["source"] and r["id"] for r in rows)


def test_unknown_kind():
    with pytest.raises(GigawattError, match="accepted: training, training_nvidia, inference"):
        records("weather")


@pytest.mark.skipif(not SHARED.is_dir(), reason="no ../shared beside this clone to compare with")
def test_the_copy_equals_the_shared_records():
    names = sorted(p.name for p in SHARED.iterdir() if p.is_file())
    ours = sorted(p.name for p in calibration_dir().iterdir() if p.is_file())
    assert ours == names
    _, mismatch, errors = filecmp.cmpfiles(SHARED, calibration_dir(), names, shallow=False)
    assert not mismatch and not errors, (
        f"calibration/ differs from {SHARED} in {mismatch + errors}: copy them in "
        "(cp calibration/* calibration/)")
