"""The schedule stage: half-year expansion and threshold crossing dates."""

import numpy as np

from gigawatt.schedule import build_schedule


def test_gaps_between_steps_hold_power_and_add_nothing():
    s = build_schedule(["2026H2", "2027H2"], [1.0, 3.0], ["vr-nvl72", "vr-nvl72"])
    assert s.periods == ("2026H2", "2027H1", "2027H2")
    assert np.allclose(s.facility_w, [1e9, 1e9, 3e9])
    assert np.allclose(s.added_facility_w, [1e9, 0.0, 2e9])
    assert list(s.system_index) == [0, -1, 0]


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
