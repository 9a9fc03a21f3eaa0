"""Economics stage: capex by category, opex, unit cost, energy, water, emissions, tranches.

Per period ``k`` (arrays over periods):

    systems capex     sum_i R_ik * rack price_i               (R_ik: racks of platform i added)
    networking capex  growth of the fabric sized for the platforms' GPUs (gigawatt.estimates.fabric)
    facility capex    I_k * build cost per MW of IT        (I_k: IT MW added)
    average power     F * utilisation                      (F: facility power online, W)
    energy            average power * 8760 h, per year
    electricity opex  energy * price                       (per period where sites set it)
    maintenance opex  maintenance share * cumulative capex, per year
    water             energy / PUE * WUE                   (WUE is per kWh of IT energy)
    emissions         energy * grid carbon intensity
    cost per GPU-hour (hardware capex / depreciation years + facility capex / facility life
                       + opex per year) / (GPUs * 8760 h)

Capex falls in the period its capacity comes online. The cost per GPU-hour above leaves
the cost of capital out (straight-line depreciation only); with a WACC ``r`` it is also
given with capital recovered as an annuity over each asset's life ``n``:

    capital recovery factor   CRF(r, n) = r / (1 - (1 + r) ** -n)    (1 / n when r = 0)
    with cost of capital      (hardware capex CRF(r, depreciation) + facility capex
                               CRF(r, facility life) + opex per year) / (GPUs * 8760 h)
Tranches: the investor releases ``usd_per_tranche`` each time cumulative facility
power passes another ``gw_per_tranche``, until ``cap_usd`` is reached.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gigawatt import units
from gigawatt.models.finance import capital_recovery_factor
from gigawatt.units import Param


@dataclass(frozen=True)
class Costs:
    """Money, energy and environment per period; ``capex_*`` in the period, the rest yearly."""

    capex_systems_usd: np.ndarray
    capex_network_usd: np.ndarray
    capex_facility_usd: np.ndarray
    opex_electricity_usd_per_year: np.ndarray
    opex_maintenance_usd_per_year: np.ndarray
    energy_twh_per_year: np.ndarray
    water_gl_per_year: np.ndarray
    emissions_mt_co2_per_year: np.ndarray
    usd_per_gpu_hour: np.ndarray
    usd_per_gpu_hour_with_wacc: np.ndarray | None = None

    @property
    def capex_usd(self) -> np.ndarray:
        """All capex in each period, USD."""
        return self.capex_systems_usd + self.capex_network_usd + self.capex_facility_usd

    @property
    def opex_usd_per_year(self) -> np.ndarray:
        """Yearly opex of the fleet online at the end of each period, USD/year."""
        return self.opex_electricity_usd_per_year + self.opex_maintenance_usd_per_year


def estimate_costs(
    added_racks_by_system: np.ndarray,
    added_it_w: np.ndarray,
    facility_w: np.ndarray,
    packages: np.ndarray,
    rack_price_usd: np.ndarray,
    network_capex_usd: np.ndarray,
    build_usd_per_mw_it: Param,
    utilisation: Param,
    electricity_usd_per_mwh: Param,
    pue: Param,
    wue_l_per_kwh: Param,
    grid_kg_co2_per_kwh: Param,
    depreciation_years: Param,
    facility_life_years: Param,
    maintenance_fraction_per_year: Param,
    wacc: Param | None = None,
) -> Costs:
    """Capex, opex and footprint per period (formulas in the module docstring).

    Parameters
    ----------
    added_racks_by_system : (..., platforms, periods) racks of each platform installed in each
        period, count.
    added_it_w : IT power added in each period, W.
    facility_w : facility power online at the end of each period, W.
    packages : GPU packages online at the end of each period, count.
    rack_price_usd : (..., platforms, 1) price of one rack of each platform, USD.
    network_capex_usd : scale-out fabric capex in each period, USD (``gigawatt.estimates.fabric``).
    build_usd_per_mw_it : building, power and cooling capex, USD per MW of IT.
    utilisation : average draw as a share of nameplate power, 0-1.
    electricity_usd_per_mwh : USD/MWh; a number, or one per period.
    pue : facility power / IT power; a number, or one per period.
    wue_l_per_kwh : water, litres per kWh of IT energy.
    grid_kg_co2_per_kwh : kg CO2 per kWh drawn.
    depreciation_years, facility_life_years : straight-line lives, years.
    maintenance_fraction_per_year : yearly upkeep as a share of cumulative capex.
    wacc : weighted average cost of capital, per year (None: the with-WACC cost is left out).
    """
    systems = np.sum(added_racks_by_system * rack_price_usd, axis=-2)
    network = network_capex_usd
    facility = units.w_to_mw(added_it_w) * build_usd_per_mw_it
    energy_twh = units.annual_energy_twh(facility_w * utilisation)
    energy_kwh = units.twh_to_kwh(energy_twh)
    electricity = units.twh_to_mwh(energy_twh) * electricity_usd_per_mwh
    hardware_cum = np.cumsum(systems + network, axis=-1)
    facility_cum = np.cumsum(facility, axis=-1)
    maintenance = maintenance_fraction_per_year * (hardware_cum + facility_cum)
    yearly = (hardware_cum / depreciation_years + facility_cum / facility_life_years
              + electricity + maintenance)
    gpu_hours = packages * units.HOURS_PER_YEAR
    per_hour = np.divide(yearly, gpu_hours, out=np.full_like(yearly, np.nan), where=gpu_hours > 0)
    with_wacc = None
    if wacc is not None:
        yearly_wacc = (hardware_cum * capital_recovery_factor(wacc, depreciation_years)
                       + facility_cum * capital_recovery_factor(wacc, facility_life_years)
                       + electricity + maintenance)
        with_wacc = np.divide(yearly_wacc, gpu_hours, out=np.full_like(yearly_wacc, np.nan),
                              where=gpu_hours > 0)
    return Costs(
        capex_systems_usd=systems,
        capex_network_usd=network,
        capex_facility_usd=facility,
        opex_electricity_usd_per_year=electricity,
        opex_maintenance_usd_per_year=maintenance,
        energy_twh_per_year=energy_twh,
        water_gl_per_year=units.litres_to_billion(energy_kwh / pue * wue_l_per_kwh),
        emissions_mt_co2_per_year=units.kg_to_mt(energy_kwh * grid_kg_co2_per_kwh),
        usd_per_gpu_hour=per_hour,
        usd_per_gpu_hour_with_wacc=with_wacc,
    )


@dataclass(frozen=True)
class Tranches:
    """Investment tranches: the threshold each is tied to, its amount and release date."""

    threshold_gw: np.ndarray
    amount_usd: np.ndarray
    release_dates: np.ndarray

    @property
    def released_usd(self) -> float:
        """Total released within the schedule, USD."""
        return float(self.amount_usd[~np.isnat(self.release_dates)].sum())


def tranche_schedule(usd_per_tranche: float, gw_per_tranche: float,
                     cap_usd: float) -> tuple[np.ndarray, np.ndarray]:
    """Thresholds (GW) and amounts (USD) of each tranche; the last may be partial."""
    if usd_per_tranche <= 0 or cap_usd <= 0:
        return np.zeros(0), np.zeros(0)
    n = int(np.ceil(cap_usd / usd_per_tranche - 1e-9))
    amounts = np.full(n, usd_per_tranche)
    amounts[-1] = cap_usd - usd_per_tranche * (n - 1)
    return gw_per_tranche * np.arange(1, n + 1), amounts


def investment_per_period(release_dates: np.ndarray, amounts: np.ndarray,
                          starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """USD released in each period ``[start, end)``."""
    inside = (release_dates[None, :] >= starts[:, None]) & (release_dates[None, :] < ends[:, None])
    return np.asarray((inside * amounts[None, :]).sum(axis=1), dtype=float)
