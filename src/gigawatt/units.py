"""The one place for unit constants and conversions.

The core computes in SI: watts, FLOP/s, bytes, seconds, US dollars. Catalog and
scenario files use the customary unit named in each field (``tdp_w``,
``bf16_dense_tflops``, ``hbm_gb``, ``rack_power_kw``); these helpers turn them
into SI and back. Decimal prefixes only: a TFLOP/s is 1e12 FLOP/s and a GB of
HBM is 1e9 bytes, as vendors quote them.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np

KILO = 1e3
MEGA = 1e6
GIGA = 1e9
TERA = 1e12
PETA = 1e15
EXA = 1e18

HOURS_PER_YEAR = 8760.0
"""Hours in a 365-day year, the basis for annual energy and opex."""
SECONDS_PER_HOUR = 3600.0
HOURS_PER_DAY = 24.0
SECONDS_PER_DAY = 86400.0
DAYS_PER_YEAR = 365.0
MILLI = 1e-3

T = TypeVar("T", float, np.ndarray)

Param = float | np.ndarray
"""A model input: one number, or an array (for example one value per sample)."""


def tflops_to_flops(tflops: T) -> T:
    """TFLOP/s -> FLOP/s."""
    return tflops * TERA


def flops_to_eflops(flops: T) -> T:
    """FLOP/s -> EFLOP/s."""
    return flops / EXA


def kw_to_w(kw: T) -> T:
    """kW -> W."""
    return kw * KILO


def w_to_mw(w: T) -> T:
    """W -> MW."""
    return w / MEGA


def mw_to_w(mw: T) -> T:
    """MW -> W."""
    return mw * MEGA


def kw_to_mw(kw: T) -> T:
    """kW -> MW."""
    return kw / KILO


def mw_to_gw(mw: T) -> T:
    """MW -> GW."""
    return mw / KILO


def gw_to_mw(gw: T) -> T:
    """GW -> MW."""
    return gw * KILO


def usd_to_musd(usd: T) -> T:
    """US dollars -> million US dollars."""
    return usd / MEGA


def musd_to_usd(musd: T) -> T:
    """million US dollars -> US dollars."""
    return musd * MEGA


def days_to_hours(days: T) -> T:
    """days -> hours."""
    return days * HOURS_PER_DAY


def gw_to_w(gw: T) -> T:
    """GW -> W."""
    return gw * GIGA


def w_to_gw(w: T) -> T:
    """W -> GW."""
    return w / GIGA


def gb_to_bytes(gb: T) -> T:
    """GB (decimal) -> bytes; also GB/s -> bytes/s (NVLink is quoted in GB/s)."""
    return gb * GIGA


def tb_to_bytes(tb: T) -> T:
    """TB (decimal) -> bytes; also TB/s -> bytes/s."""
    return tb * TERA


BITS_PER_BYTE = 8.0


def bytes_to_gb(n: T) -> T:
    """bytes -> GB (decimal)."""
    return n / GIGA


def ms_to_s(ms: T) -> T:
    """milliseconds -> seconds."""
    return ms * MILLI


def s_to_ms(s: T) -> T:
    """seconds -> milliseconds."""
    return s / MILLI


def per_day_to_per_s(x: T) -> T:
    """a rate per day -> the same rate per second (``x / 86400``)."""
    return x / SECONDS_PER_DAY


def per_s_to_per_day(x: T) -> T:
    """a rate per second -> the same rate per day (``x * 86400``)."""
    return x * SECONDS_PER_DAY


def gbps_to_bytes_per_s(gbps: T) -> T:
    """Gb/s (network line rate) -> bytes/s."""
    return gbps * GIGA / BITS_PER_BYTE


def flops_to_tflops(flops: T) -> T:
    """FLOP/s -> TFLOP/s."""
    return flops / TERA


def bytes_to_pb(n: T) -> T:
    """bytes -> PB (decimal)."""
    return n / PETA


def annual_energy_twh(average_power_w: T) -> T:
    """Energy over a 365-day year at a constant average power: W -> TWh/year.

    ``E = P * 8760 h``.
    """
    return average_power_w * HOURS_PER_YEAR / TERA


def twh_to_kwh(twh: T) -> T:
    """TWh -> kWh."""
    return twh * GIGA


def twh_to_mwh(twh: T) -> T:
    """TWh -> MWh."""
    return twh * MEGA


def kg_to_mt(kg: T) -> T:
    """kilograms -> million tonnes."""
    return kg / GIGA


def litres_to_billion(litres: T) -> T:
    """litres -> billion litres."""
    return litres / GIGA


SECONDS_PER_MINUTE = 60.0
MINUTES_PER_DAY = SECONDS_PER_DAY / SECONDS_PER_MINUTE
SECONDS_PER_YEAR = SECONDS_PER_DAY * DAYS_PER_YEAR
"""Seconds in a 365-day year, the basis of failure rates quoted per year."""


def minutes_to_s(minutes: T) -> T:
    """minutes -> seconds."""
    return minutes * SECONDS_PER_MINUTE


def s_to_minutes(s: T) -> T:
    """seconds -> minutes."""
    return s / SECONDS_PER_MINUTE


def hours_to_s(hours: T) -> T:
    """hours -> seconds."""
    return hours * SECONDS_PER_HOUR


def s_to_hours(s: T) -> T:
    """seconds -> hours."""
    return s / SECONDS_PER_HOUR


def days_to_s(days: T) -> T:
    """days -> seconds."""
    return days * SECONDS_PER_DAY


def s_to_days(s: T) -> T:
    """seconds -> days."""
    return s / SECONDS_PER_DAY


def w_to_kw(w: T) -> T:
    """W -> kW."""
    return w / KILO


def gbps_to_tbps(gbps: T) -> T:
    """Gb/s -> Tb/s (also GB/s -> TB/s: the same decimal factor)."""
    return gbps / KILO
