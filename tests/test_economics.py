"""The economics stage and investment tranches against hand calculations."""

import numpy as np
import pytest

from gigawatt.pipeline.economics import estimate_costs, investment_per_period, tranche_schedule


def _costs(**over):
    args = dict(
        added_racks_by_system=np.array([[100.0, 0.0]]),
        added_it_w=np.array([20e6, 0.0]),
        facility_w=np.array([25e6, 25e6]),
        packages=np.array([7200.0, 7200.0]),
        rack_price_usd=np.array([[4e6]]),
        network_capex_usd=np.array([100e6, 0.0]),
        build_usd_per_mw_it=10e6,
        utilisation=0.5,
        electricity_usd_per_mwh=100.0,
        pue=1.25,
        wue_l_per_kwh=0.5,
        grid_kg_co2_per_kwh=0.4,
        depreciation_years=5.0,
        facility_life_years=20.0,
        maintenance_fraction_per_year=0.02,
    )
    args.update(over)
    return estimate_costs(**args)


def test_capex_by_category():
    c = _costs()
    assert c.capex_systems_usd[0] == pytest.approx(400e6)
    assert c.capex_network_usd[0] == pytest.approx(100e6)
    assert c.capex_facility_usd[0] == pytest.approx(200e6)  # 20 MW x $10M
    assert c.capex_usd[1] == 0


def test_systems_capex_sums_over_platforms():
    c = _costs(added_racks_by_system=np.array([[100.0, 0.0], [10.0, 20.0]]),
               rack_price_usd=np.array([[4e6], [30e6]]))
    assert c.capex_systems_usd.tolist() == pytest.approx([400e6 + 300e6, 600e6])


def test_site_prices_per_period():
    c = _costs(electricity_usd_per_mwh=np.array([100.0, 50.0]))
    assert c.opex_electricity_usd_per_year.tolist() == pytest.approx([109_500 * 100.0,
                                                                      109_500 * 50.0])


def test_energy_water_emissions():
    c = _costs()
    # 25 MW x 0.5 x 8760 h = 109.5 GWh = 0.1095 TWh
    assert c.energy_twh_per_year[0] == pytest.approx(0.1095)
    assert c.opex_electricity_usd_per_year[0] == pytest.approx(109_500 * 100.0)
    # IT energy 87.6 GWh x 0.5 L/kWh = 43.8 ML = 0.0438 GL
    assert c.water_gl_per_year[0] == pytest.approx(0.0438)
    # 109.5e6 kWh x 0.4 kg = 43.8 kt = 0.0438 Mt
    assert c.emissions_mt_co2_per_year[0] == pytest.approx(0.0438)


def test_cost_per_gpu_hour():
    c = _costs()
    yearly = 500e6 / 5 + 200e6 / 20 + 109_500 * 100.0 + 0.02 * 700e6
    assert c.usd_per_gpu_hour[0] == pytest.approx(yearly / (7200 * 8760))


def test_no_gpus_means_no_unit_cost():
    c = _costs(packages=np.array([0.0, 0.0]))
    assert np.isnan(c.usd_per_gpu_hour).all()


def test_tranches_ten_of_ten_billion():
    gw, usd = tranche_schedule(10e9, 1.0, 100e9)
    assert list(gw) == list(np.arange(1.0, 11.0))
    assert usd.sum() == pytest.approx(100e9)


def test_last_tranche_may_be_partial():
    gw, usd = tranche_schedule(10e9, 1.0, 25e9)
    assert list(gw) == [1.0, 2.0, 3.0]
    assert list(usd) == [10e9, 10e9, 5e9]


def test_investment_falls_in_the_release_period():
    starts = np.array(["2026-07-01", "2027-01-01"], dtype="datetime64[D]")
    ends = np.array(["2027-01-01", "2027-07-01"], dtype="datetime64[D]")
    dates = np.array(["2026-12-31", "2027-01-01", "NaT"], dtype="datetime64[D]")
    out = investment_per_period(dates, np.array([1.0, 2.0, 4.0]), starts, ends)
    assert list(out) == [1.0, 2.0]


def test_capital_recovery_factor():
    from gigawatt.models.finance import capital_recovery_factor

    # zero rate is straight-line; a positive rate always costs more per year
    assert capital_recovery_factor(0.0, 5.0) == pytest.approx(0.2)
    crf = capital_recovery_factor(0.09, 5.0)
    assert crf == pytest.approx(0.09 / (1 - 1.09 ** -5))
    assert crf > 0.2
    # the annuity repays the principal: present value of n payments is 1
    assert sum(crf / 1.09 ** t for t in range(1, 6)) == pytest.approx(1.0)


def test_plan_shows_cost_with_and_without_capital(announced_plan):
    d = announced_plan.to_dict()
    assert d["usd_per_gpu_hour_with_wacc"] > d["usd_per_gpu_hour"] > 0
    ratio = d["usd_per_gpu_hour_with_wacc"] / d["usd_per_gpu_hour"]
    assert d["usd_per_million_output_tokens_with_wacc"] == pytest.approx(
        ratio * d["usd_per_million_output_tokens"])
