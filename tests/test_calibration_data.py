"""The calibration records beside the repository are readable and carry their sources."""

import pytest

from gigawatt.calibration import records
from gigawatt.errors import GigawattError


@pytest.mark.parametrize("kind", ["training", "inference", "reliability"])
def test_records_have_sources(kind):
    rows = records(kind)
    assert rows
    assert all(r["source"] and r["id"] for r in rows)


def test_unknown_kind():
    with pytest.raises(GigawattError, match="accepted: training, inference, reliability"):
        records("weather")
