"""The build-out linear programme, one named block at a time.

Decision variables (continuous: the LP relaxation; rounding to whole racks moves each figure by
less than one rack per site, platform and quarter):

- ``x[s, p, t]`` racks of platform ``p`` energised at site ``s`` in quarter ``t``;
- ``b[s, t]`` MW of facility (halls: building, power, cooling) whose construction starts at
  site ``s`` in quarter ``t``, usable ``L_s`` quarters later;
- ``r[t]`` investor money released by the end of quarter ``t``, in $M.

Racks stay installed to the end of the horizon. Money is in millions of dollars inside the
programme to keep its coefficients within a few orders of magnitude.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from gigawatt.buildout.lp import Assembly, Basis, LinearProgramme, Solution, Term
from gigawatt.buildout.problem import BuildoutProblem
from gigawatt.buildout.quarters import quarter_days
from gigawatt.units import days_to_hours, flops_to_eflops, gw_to_mw, mw_to_gw, usd_to_musd

Goal = Literal["compute", "cost", "reach"]

TIE_BREAK = 1e-7
"""Weight of spending in the compute objective, relative to compute: among schedules with the
same compute, prefer the cheaper one (no idle halls)."""


@dataclass
class BuildoutModel:
    """A build-out problem turned into a linear programme, block by block."""

    problem: BuildoutProblem
    lp: LinearProgramme
    racks: np.ndarray
    halls: np.ndarray
    released: np.ndarray
    rack_mw: np.ndarray
    build_s: float = 0.0

    def build(self, into: Any = None, assembly: Assembly | None = None) -> None:
        """Assemble the matrix and pass it to the solver (a kept HiGHS instance ``into`` and
        an earlier programme's ``assembly``: see :meth:`LinearProgramme.build`)."""
        start = time.perf_counter()
        self.lp.build(into, assembly)
        self.build_s += time.perf_counter() - start

    def solve(self, warm: Basis | None = None) -> Solution:
        """Solve the built programme, from the basis ``warm`` when given."""
        return self.lp.solve(warm)


def remaining_days(problem: BuildoutProblem) -> np.ndarray:
    """(T,) days a rack energised in quarter ``t`` runs before the horizon ends.

    Racks arrive on average mid-quarter: ``D_t / 2 + sum_{u > t} D_u``.
    """
    days = quarter_days(problem.quarters)
    return days / 2 + (days[::-1].cumsum()[::-1] - days)


def create_model(problem: BuildoutProblem, *, goal: Goal = "compute",
                 elastic: bool = False) -> BuildoutModel:
    """The variables: racks (none before a platform's release), halls, released money."""
    start = time.perf_counter()
    s, n_p, t = problem.shape
    sense: Literal["max", "min"] = "min" if goal == "cost" else "max"
    lp = LinearProgramme(sense=sense, elastic=elastic)
    on_sale = np.arange(t)[None, :] >= problem.release_index()[:, None]
    upper = np.where(on_sale[None, :, :], np.inf, 0.0)
    racks = lp.add_variables("racks", (s, n_p, t), upper=np.broadcast_to(upper, (s, n_p, t)))
    halls = lp.add_variables("halls", (s, t))
    released = lp.add_variables("released", (t,),
                                upper=usd_to_musd(problem.money.tranche_cap_usd))
    model = BuildoutModel(problem, lp, racks, halls, released, problem.rack_facility_mw())
    model.build_s = time.perf_counter() - start
    return model


def _installed_mw_terms(m: BuildoutModel, lag: int = 0) -> tuple[np.ndarray, np.ndarray,
                                                                 np.ndarray]:
    """Terms of ``sum_p mw[s, p] * sum_{u <= t - lag} x[s, p, u]``, one row per ``(s, t)``."""
    s, _, t = m.problem.shape
    rows_t, cols_u = np.nonzero(np.tri(t, k=-lag, dtype=bool))
    row = np.arange(s)[:, None, None] * t + rows_t[None, None, :]
    col = m.racks[:, :, cols_u]
    return row, col, m.rack_mw[:, :, None]


def define_site_power_limits(m: BuildoutModel) -> None:
    """Facility power installed at a site never exceeds the power it can draw that quarter.

    ``sum_p mw[s, p] * sum_{u <= t} x[s, p, u] <= Power[s, t]``  (MW)
    """
    s, _, t = m.problem.shape
    m.lp.add_constraints("power", (s, t), [_installed_mw_terms(m)],
                         upper=m.problem.sites.power_mw, elastic=1.0)


def define_site_size_limits(m: BuildoutModel) -> None:
    """New halls fit in the room a site has left: ``sum_t b[s, t] <= Max[s] - Committed[s]``."""
    s = len(m.problem.sites.names)
    sites = m.problem.sites
    m.lp.add_constraints("size", (s,), [(np.arange(s)[:, None], m.halls, 1.0)],
                         upper=sites.max_mw - sites.committed_mw, elastic=1.0)


def define_build_lead_times(m: BuildoutModel) -> None:
    """Racks need halls: committed capacity, or halls started at least ``L_s`` quarters before.

    ``sum_p mw[s, p] * sum_{u <= t} x[s, p, u] - sum_{u <= t - L_s} b[s, u] <= Committed[s]``
    """
    s, _, t = m.problem.shape
    lead = m.problem.sites.lead_quarters
    t_grid, u_grid = np.arange(t)[:, None], np.arange(t)[None, :]
    site, row_t, col_u = np.nonzero(u_grid[None] <= t_grid[None] - lead[:, None, None])
    halls = (site * t + row_t, m.halls[site, col_u], -1.0)
    m.lp.add_constraints("lead_time", (s, t), [_installed_mw_terms(m), halls],
                         upper=np.broadcast_to(m.problem.sites.committed_mw[:, None], (s, t)),
                         elastic=1.0)


def define_supply_limits(m: BuildoutModel) -> None:
    """Racks installed in a quarter never exceed those delivered.

    ``sum_s x[s, p, t] <= Supply[p, t]``  (racks)

    A shortfall is weighed at the facility MW of one rack, so racks and MW compare.
    """
    _, n_p, t = m.problem.shape
    row = np.arange(n_p * t).reshape(n_p, t)[None, :, :]
    per_rack_mw = m.rack_mw.mean(axis=0)
    m.lp.add_constraints("supply", (n_p, t), [(row, m.racks, 1.0)],
                         upper=m.problem.supply_racks, elastic=per_rack_mw.repeat(t))


def _spend_terms(m: BuildoutModel) -> list[Term]:
    """Cumulative spending by the end of each quarter, $M, one row per quarter."""
    p = m.problem
    rows_t, cols_u = np.nonzero(np.tri(len(p.quarters), dtype=bool))
    rack_musd = usd_to_musd(p.platforms.rack_usd)
    hall_musd = usd_to_musd(p.sites.build_usd_per_mw_it / p.sites.pue)
    return [(rows_t[:, None, None], m.racks[:, :, cols_u].transpose(2, 0, 1),
             rack_musd[None, None, :]),
            (rows_t[:, None], m.halls[:, cols_u].T, hall_musd[None, :])]


def money_weight_mw_per_musd(p: BuildoutProblem) -> float:
    """MW one million dollars buys on the average platform (racks only), for phase 1."""
    per_rack_mw = p.rack_facility_mw().mean(axis=0)
    return float(np.mean(per_rack_mw / np.maximum(usd_to_musd(p.platforms.rack_usd), 1e-9)))


def define_capital_limits(m: BuildoutModel) -> None:
    """Spending to date never exceeds capital to date plus investor money released so far.

    ``sum_{u <= t} (sum_{s,p} price_p x[s,p,u] + sum_s hall_s b[s,u]) - r[t] <= sum_{u<=t} C[u]``

    Tranches: money released by deployment, linear in place of the stepwise tranches:
    ``r[t] <= rate * GW installed by the end of quarter t - 1`` and ``r[t] <= cap`` (a column
    bound), so money a gigawatt releases can be spent from the next quarter on.
    """
    p = m.problem
    t = len(p.quarters)
    capital = usd_to_musd(np.cumsum(p.money.capital_usd))
    m.lp.add_constraints(
        "capital", (t,), [*_spend_terms(m), (np.arange(t), m.released, -1.0)],
        upper=capital, elastic=money_weight_mw_per_musd(p))
    rate_musd_per_mw = usd_to_musd(p.money.tranche_usd_per_gw) * mw_to_gw(1.0)
    site_row, col, coef = _installed_mw_terms(m, lag=1)
    m.lp.add_constraints(
        "tranche", (t,), [(np.arange(t), m.released, 1.0),
                          (site_row % t, col, -rate_musd_per_mw * coef)], upper=0.0)


def define_target(m: BuildoutModel) -> None:
    """Facility power online by the target quarter reaches the target (when there is one).

    ``sum_{s,p} mw[s, p] * sum_{u <= T*} x[s, p, u] >= Target``  (MW)
    """
    p = m.problem
    if p.target is None:
        return
    k = p.target_index()
    m.lp.add_constraints("target", (1,), [(0, m.racks[:, :, : k + 1], m.rack_mw[:, :, None])],
                         lower=gw_to_mw(p.target.facility_gw))


def compute_coefficients(p: BuildoutProblem) -> np.ndarray:
    """(P, T) EFLOP-days one rack of platform p energised in quarter t delivers by the end."""
    return flops_to_eflops(p.platforms.rack_flops)[:, None] * remaining_days(p)[None, :]


def electricity_musd_per_rack(p: BuildoutProblem) -> np.ndarray:
    """(S, P, T) $M of electricity one rack energised in quarter t uses by the end.

    ``mw[s, p] * u * 24 H_t * e[s]``, with ``H_t`` from :func:`remaining_days`.
    """
    hours = days_to_hours(remaining_days(p))
    return usd_to_musd(p.rack_facility_mw()[:, :, None] * p.utilisation * hours[None, None, :]
                       * p.sites.electricity_usd_per_mwh[:, None, None])


def cost_coefficients_musd(p: BuildoutProblem) -> tuple[np.ndarray, np.ndarray]:
    """$M per rack ``(S, P, T)`` (price plus electricity to the end) and per MW of halls (S,)."""
    racks = usd_to_musd(p.platforms.rack_usd)[None, :, None] + electricity_musd_per_rack(p)
    halls = usd_to_musd(p.sites.build_usd_per_mw_it / p.sites.pue)
    return racks, halls


def define_compute_objective(m: BuildoutModel) -> None:
    """Maximise EFLOP-days delivered by the end of the horizon, less a tie-break on spending.

    ``max sum_{s,p,t} F_p * (D_t / 2 + sum_{u > t} D_u) * x[s, p, t]``
    """
    p = m.problem
    gain = compute_coefficients(p)
    m.lp.add_cost(m.racks, np.broadcast_to(gain[None], m.racks.shape))
    _spend_tie_break(m, float(gain.max()))


def _spend_tie_break(m: BuildoutModel, scale: float) -> None:
    racks, halls = cost_coefficients_musd(m.problem)
    unit = TIE_BREAK * scale / max(float(racks.max()), 1e-9)
    m.lp.add_cost(m.racks, -unit * racks)
    m.lp.add_cost(m.halls, -unit * np.broadcast_to(halls[:, None], m.halls.shape))


def define_cost_objective(m: BuildoutModel) -> None:
    """Minimise capex (racks, new halls) plus electricity to the end of the horizon, $M.

    ``min sum (price_p + mw[s,p] u H_t e_s) x[s,p,t] + sum hall_s b[s,t]``, with ``H_t`` the
    hours from mid-quarter ``t`` to the end, ``u`` utilisation, ``e_s`` the price per MWh.
    """
    racks, halls = cost_coefficients_musd(m.problem)
    m.lp.add_cost(m.racks, racks)
    m.lp.add_cost(m.halls, np.broadcast_to(halls[:, None], m.halls.shape))


def define_reach_objective(m: BuildoutModel, quarter: int) -> None:
    """Maximise facility power online by a quarter (to say how far short a target falls)."""
    m.lp.add_cost(m.racks[:, :, : quarter + 1],
                  np.broadcast_to(m.rack_mw[:, :, None], m.racks[:, :, : quarter + 1].shape))
    _spend_tie_break(m, float(m.rack_mw.max()))


def formulate(problem: BuildoutProblem, *, goal: Goal | None = None,
              elastic: bool = False) -> BuildoutModel:
    """Create the model and add every block; ``goal`` defaults to the problem's objective.

    ``goal='reach'`` maximises facility power by the target quarter and drops the target row.
    """
    goal = goal or problem.objective
    m = create_model(problem, goal=goal, elastic=elastic)
    start = time.perf_counter()
    define_site_power_limits(m)
    define_site_size_limits(m)
    define_build_lead_times(m)
    define_supply_limits(m)
    define_capital_limits(m)
    if goal == "reach":
        define_reach_objective(m, problem.target_index())
    else:
        define_target(m)
        if goal == "compute":
            define_compute_objective(m)
        else:
            define_cost_objective(m)
    m.build_s += time.perf_counter() - start
    return m
