"""Finance: the capital recovery factor that turns capex into a yearly payment."""

from __future__ import annotations

import numpy as np

from gigawatt.units import Param


def capital_recovery_factor(rate: Param, years: Param) -> np.ndarray:
    """Yearly payment that repays 1 USD over ``years`` at ``rate`` (a fraction per year):
    ``r / (1 - (1 + r) ** -n)``, and ``1 / n`` at ``r = 0`` (straight line)."""
    r = np.asarray(rate, dtype=float)
    n = np.asarray(years, dtype=float)
    safe = np.where(r > 0, r, 1.0)
    annuity = safe / (1.0 - (1.0 + safe) ** -n)
    return np.asarray(np.where(r > 0, annuity, 1.0 / n))
