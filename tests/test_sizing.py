"""The sizing stage against a hand calculation."""

import numpy as np
import pytest

from gigawatt.pipeline.sizing import size_fleet


def _fleet(pue=1.25, overhead=0.25, added_w=(1e9, 0.0), **fixed):
    added = np.atleast_2d(np.array(added_w, dtype=float))
    n = added.shape[0]

    def per(value):
        return np.full((n, 1), value)

    return size_fleet(
        added_facility_w=added,
        facility_w=np.cumsum(added.sum(axis=0)),
        pue=pue,
        it_overhead_fraction=overhead,
        rack_power_w=per(200e3),
        packages_per_rack=per(72.0),
        dies_per_package=per(2.0),
        packages_per_domain=per(72.0),
        peak_flops_per_package={"fp4": per(35e15), "fp8": per(17e15), "bf16": per(7e15)},
        hbm_bytes_per_package=per(288e9),
        **fixed,
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


def test_platforms_in_one_period_add_up():
    f = _fleet(added_w=((1e9, 0.0), (0.5e9, 0.5e9)))
    assert f.added_racks_by_system.tolist() == [[3200, 0], [1600, 1600]]
    assert list(f.racks) == [4800, 6400]
    assert f.packages_by_system[:, -1].tolist() == [3200 * 72, 3200 * 72]


def test_samples_of_pue_give_a_row_per_sample():
    f = _fleet(pue=np.array([[1.25], [1.0]]), added_w=((1e9, 0.0), (0.0, 1e9)))
    assert f.racks.tolist() == [[3200, 6400], [4000, 8000]]
    assert f.added_racks_by_system.shape == (2, 2, 2)


def test_racks_given_by_the_optimiser_are_kept():
    # 3 racks whatever the power says; IT power as the sites' PUE fixed it.
    f = _fleet(added_w=((1e9, 0.0),), added_racks=np.array([[3.0, 0.0]]),
               it_w=np.array([0.6e6, 0.6e6]))
    assert list(f.racks) == [3, 3] and list(f.packages) == [216, 216]
    assert list(f.it_w) == [0.6e6, 0.6e6] and list(f.added_it_w) == [0.6e6, 0.0]
