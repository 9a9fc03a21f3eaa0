"""Each unit conversion, checked against a value worked out by hand."""

import numpy as np
import pytest

from gigawatt import units


@pytest.mark.parametrize(
    ("func", "given", "expected"),
    [
        (units.tflops_to_flops, 989.0, 9.89e14),
        (units.flops_to_eflops, 3.6e18, 3.6),
        (units.kw_to_w, 190.0, 190_000.0),
        (units.w_to_mw, 2.5e6, 2.5),
        (units.mw_to_w, 259.0, 2.59e8),
        (units.kw_to_mw, 190.0, 0.19),
        (units.mw_to_gw, 1200.0, 1.2),
        (units.gw_to_mw, 1.4, 1400.0),
        (units.usd_to_musd, 7.8e6, 7.8),
        (units.musd_to_usd, 15_000.0, 1.5e10),
        (units.days_to_hours, 91.0, 2184.0),
        (units.gw_to_w, 1.5, 1.5e9),
        (units.w_to_gw, 8.7e9, 8.7),
        (units.gb_to_bytes, 288.0, 2.88e11),
        (units.bytes_to_pb, 3e15, 3.0),
        (units.tb_to_bytes, 4.8, 4.8e12),
        (units.bytes_to_gb, 1.41e11, 141.0),
        (units.ms_to_s, 200.0, 0.2),
        (units.s_to_ms, 0.0125, 12.5),
        (units.per_day_to_per_s, 86_400.0, 1.0),
        (units.per_s_to_per_day, 2.0, 172_800.0),
        (units.gbps_to_bytes_per_s, 400.0, 5e10),  # a 400G NIC moves 50 GB/s
        (units.flops_to_tflops, 3.12e14, 312.0),
        (units.annual_energy_twh, 1e9, 8.76),  # 1 GW for a year
        (units.twh_to_kwh, 1.0, 1e9),
        (units.twh_to_mwh, 2.0, 2e6),
        (units.kg_to_mt, 5e9, 5.0),
        (units.litres_to_billion, 3e9, 3.0),
        (units.minutes_to_s, 2.5, 150.0),
        (units.s_to_minutes, 150.0, 2.5),
        (units.hours_to_s, 7.9, 28_440.0),
        (units.s_to_hours, 28_440.0, 7.9),
        (units.days_to_s, 47.7, 4_121_280.0),
        (units.s_to_days, 4_121_280.0, 47.7),
        (units.per_s_to_per_day, 1 / 3600, 24.0),  # once an hour
    ],
)
def test_conversion(func, given, expected):
    assert func(given) == pytest.approx(expected, rel=1e-12)


def test_conversions_work_on_arrays():
    assert np.allclose(units.gw_to_w(np.array([1.0, 2.0])), [1e9, 2e9])


def test_round_trips():
    assert units.w_to_gw(units.gw_to_w(3.3)) == pytest.approx(3.3)
    assert units.flops_to_eflops(units.tflops_to_flops(1e6)) == pytest.approx(1.0)
    assert units.s_to_ms(units.ms_to_s(40.0)) == pytest.approx(40.0)
    assert units.per_s_to_per_day(units.per_day_to_per_s(7e9)) == pytest.approx(7e9)


def test_minutes_per_day():
    assert units.MINUTES_PER_DAY == 1440.0
