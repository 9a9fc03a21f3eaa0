"""The sizing stage against a hand calculation."""

import numpy as np
import pytest

from gigawatt.sizing import size_fleet


def _fleet(pue=1.25, overhead=0.25, added_w=(1e9, 0.0)):
    n = len(added_w)
    added = np.array(added_w)
    return size_fleet(
        added_facility_w=added,
        facility_w=np.cumsum(added),
        pue=pue,
        it_overhead_fraction=overhead,
        rack_power_w=np.full(n, 200e3),
        packages_per_rack=np.full(n, 72.0),
        dies_per_package=np.full(n, 2.0),
        packages_per_domain=np.full(n, 72.0),
        peak_flops_per_package={"fp4": np.full(n, 35e15), "fp8": np.full(n, 17e15),
                                "bf16": np.full(n, 7e15)},
        hbm_bytes_per_package=np.full(n, 288e9),
    )


def test_one_gigawatt_hand_calculation():
    # 1 GW / 1.25 = 800 MW IT; each rack needs 200 kW x 1.25 = 250 kW -> 3,200 racks.
    f = _fleet()
    assert f.racks[0] == 3200
    assert f.packages[0] == 3200 * 72
    assert f.dies[0] == 3200 * 72 * 2
    assert f.domains[0] == 3200
    assert f.peak_flops["fp4"][0] == pytest.approx(3200 * 72 * 35e15)
    assert f.hbm_bytes[0] == pytest.approx(3200 * 72 * 288e9)
    assert f.it_w[0] == pytest.approx(0.8e9)


def test_racks_never_exceed_the_power():
    f = _fleet(added_w=(1e9 + 200e3, 0.0))  # a fraction of a rack more power buys no rack
    assert f.racks[0] == 3200


def test_totals_are_cumulative():
    f = _fleet(added_w=(1e9, 1e9))
    assert list(f.racks) == [3200, 6400]
    assert list(f.added_racks) == [3200, 3200]
