"""The schedule stage: half-year expansion and threshold crossing dates."""

import numpy as np
import pytest

from gigawatt.buildout.quarters import quarter_index
from gigawatt.pipeline.schedule import build_schedule, schedule_from_sites


def test_gaps_between_steps_hold_power_and_add_nothing():
    s = build_schedule(["2026H2", "2027H2"], [1.0, 3.0], ["vr-nvl72", "vr-nvl72"])
    assert s.periods == ("2026H2", "2027H1", "2027H2")
    assert np.allclose(s.facility_w, [1e9, 1e9, 3e9])
    assert np.allclose(s.added_facility_w, [1e9, 0.0, 2e9])
    assert [s.systems_added(k) for k in range(3)] == [["vr-nvl72"], [], ["vr-nvl72"]]
    assert s.added_racks_by_system is None and s.it_w is None and s.sites is None


def test_ramp_power_goes_to_the_platform_of_each_step():
    s = build_schedule(["2027H1", "2027H2", "2028H1"], [1.0, 2.5, 4.0], ["a", "a", "b"])
    assert s.systems == ("a", "b")
    assert np.allclose(s.added_facility_w_by_system, [[1e9, 1.5e9, 0.0], [0.0, 0.0, 1.5e9]])


def _two_sites(racks_added):
    quarters = [quarter_index(q) for q in ("2026Q2", "2026Q3", "2026Q4", "2027Q1")]
    return schedule_from_sites(
        quarters, ["north", "south"], ["a", "b"], np.asarray(racks_added, dtype=float),
        rack_facility_w=np.array([[250e3, 500e3], [300e3, 600e3]]),
        rack_it_w=np.array([200e3, 400e3]),
        power_w=np.full((2, 4), 1e9), halls_started_w=np.array([[1e6, 2e6, 3e6, 4e6],
                                                                [0.0, 0.0, 0.0, 5e6]]))


def test_optimised_racks_fold_into_half_years_of_whole_racks():
    # north: 10.6 racks of a in 2026Q2, 0.5 more in Q3 and Q4 -> 10, 11 whole racks at the
    # ends of 2026H1 and 2026H2; south: 3 racks of b in 2027Q1.
    added = np.zeros((2, 2, 4))
    added[0, 0] = [10.6, 0.5, 0.5, 0.0]
    added[1, 1, 3] = 3.0
    s = _two_sites(added)
    assert s.periods == ("2026H1", "2026H2", "2027H1")
    assert s.sites is not None
    assert s.sites.racks[0, 0].tolist() == [10, 11, 11]
    assert s.sites.racks[1, 1].tolist() == [0, 0, 3]
    assert s.sites.racks_dropped == pytest.approx(0.6)
    assert s.added_racks_by_system.tolist() == [[10, 1, 0], [0, 0, 3]]
    assert s.facility_w.tolist() == pytest.approx([2.5e6, 2.75e6, 2.75e6 + 1.8e6])
    assert s.it_w.tolist() == pytest.approx([2e6, 2.2e6, 2.2e6 + 1.2e6])
    assert np.allclose(s.added_facility_w_by_system, [[2.5e6, 0.25e6, 0.0], [0.0, 0.0, 1.8e6]])
    assert s.sites.halls_started_w.tolist() == [[1e6, 5e6, 4e6], [0.0, 0.0, 5e6]]
    assert [s.systems_added(k) for k in range(3)] == [["a"], ["a"], ["b"]]


def test_solver_round_off_counts_as_a_whole_rack():
    added = np.zeros((2, 2, 4))
    added[0, 0, 0] = 4.0 - 1e-9
    assert _two_sites(added).sites.racks[0, 0, 0] == 4


def test_periods_span_their_half_year():
    s = build_schedule(["2026H1", "2026H2"], [0.5, 1.0], ["a", "b"])
    assert str(s.starts[0]) == "2026-01-01" and str(s.ends[0]) == "2026-07-01"
    assert str(s.starts[1]) == "2026-07-01" and str(s.ends[1]) == "2027-01-01"
    assert s.systems == ("a", "b")


def test_crossing_at_period_end_is_its_last_day():
    s = build_schedule(["2026H2"], [1.0], ["vr-nvl72"])
    assert str(s.crossing_dates(np.array([1e9]))[0]) == "2026-12-31"


def test_crossing_is_interpolated_linearly_within_the_period():
    # 0 -> 2 GW over 2026H2 (184 days): 1 GW is reached halfway, on day 92 (1 Oct, 0-based 91).
    s = build_schedule(["2026H2"], [2.0], ["vr-nvl72"])
    assert str(s.crossing_dates(np.array([1e9]))[0]) == "2026-09-30"


def test_threshold_never_reached_is_nat():
    s = build_schedule(["2026H2"], [1.0], ["vr-nvl72"])
    assert np.isnat(s.crossing_dates(np.array([5e9]))[0])
