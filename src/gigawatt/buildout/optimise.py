"""Solve a build-out problem, read the schedule back, and explain what binds or conflicts."""

from __future__ import annotations

import numpy as np

from gigawatt.buildout.blocks import (
    BuildoutModel,
    compute_coefficients,
    electricity_musd_per_rack,
    formulate,
)
from gigawatt.buildout.lp import Assembly, Basis, Solution, silent_highs
from gigawatt.buildout.problem import BuildoutError, BuildoutProblem, InfeasibleBuildout
from gigawatt.buildout.result import Binding, BuildoutResult
from gigawatt.units import flops_to_eflops, musd_to_usd, mw_to_gw

STEP = {"power": 100.0, "size": 100.0, "lead_time": 100.0, "supply": 100.0,
        "capital": 1000.0, "target": 100.0}
"""The relaxation each sentence prices: 100 MW, 100 racks, $1B (1000 $M)."""


def optimise_buildout(problem: BuildoutProblem) -> BuildoutResult:
    """Build, solve and read back the build-out programme.

    Raises
    ------
    InfeasibleBuildout
        when no schedule meets every limit; its message says what is missing.
    """
    model = formulate(problem)
    model.build()
    solution = model.solve()
    if solution.status == "infeasible":
        raise explain_infeasible(problem)
    if solution.status != "optimal":
        raise BuildoutError(f"solver: {solution.message}; the programme could not be solved")
    return extract(model, solution)


class Resolver:
    """Solves build-out programmes of one shape (a sweep's samples of one scenario) in one
    kept HiGHS instance, each from a warm start: the basis of the central solution.

    The matrix's fold (:class:`gigawatt.buildout.lp.Assembly`) is made once and reused while
    the sparsity pattern holds; only the numbers are passed per programme. Starting every
    sample from the same basis (not from the previous sample's) keeps a sample's answer
    independent of which worker solves it, and in what order.
    """

    def __init__(self, warm: Basis | None) -> None:
        self.warm = warm
        self.highs: object | None = None
        self.assembly: Assembly | None = None
        self.iterations = 0

    def solve(self, problem: BuildoutProblem) -> tuple[np.ndarray, np.ndarray]:
        """Racks added ``(S, P, T)`` and halls started ``(S, T)``, MW, of the optimum.

        Raises
        ------
        InfeasibleBuildout
            when no schedule meets every limit (its message says what is missing).
        """
        model = formulate(problem)
        if self.highs is None:
            self.highs = silent_highs()
        model.build(self.highs, self.assembly)
        self.assembly = model.lp.assembly
        solution = model.solve(self.warm)
        if solution.status == "infeasible":
            raise explain_infeasible(problem)
        if solution.status != "optimal":
            raise BuildoutError(f"solver: {solution.message}; the programme could not be "
                                "solved")
        self.iterations += solution.iterations
        return (np.maximum(solution.col_value[model.racks], 0.0),
                np.maximum(solution.col_value[model.halls], 0.0))


def central_basis(problem: BuildoutProblem) -> Basis:
    """The simplex basis of the optimum of ``problem`` (the warm start of :class:`Resolver`)."""
    model = formulate(problem)
    model.build()
    solution = model.solve()
    if solution.status != "optimal":
        raise BuildoutError(f"solver: {solution.message}; the programme could not be solved")
    return model.lp.basis()


def extract(m: BuildoutModel, solution: Solution) -> BuildoutResult:
    """The schedule, its money and its binding limits from a solved model."""
    p = m.problem
    x = np.maximum(solution.col_value[m.racks], 0.0)
    b = np.maximum(solution.col_value[m.halls], 0.0)
    racks = np.cumsum(x, axis=2)
    facility_mw = np.einsum("sp,spt->st", m.rack_mw, racks)
    installed_gw = mw_to_gw(facility_mw.sum(axis=0))
    hall_usd = p.sites.build_usd_per_mw_it / p.sites.pue
    capex = np.einsum("p,spt->t", p.platforms.rack_usd, x) + hall_usd @ b
    rate = p.money.tranche_usd_per_gw
    released = np.minimum(rate * np.concatenate([[0.0], installed_gw[:-1]]),
                          p.money.tranche_cap_usd)
    electricity = musd_to_usd(float((electricity_musd_per_rack(p) * x).sum()))
    compute = float((compute_coefficients(p)[None] * x).sum())
    value, unit = ((compute, "EFLOP-days") if p.objective == "compute"
                   else (musd_to_usd(solution.objective), "USD"))
    return BuildoutResult(
        objective=p.objective,
        objective_value=value,
        objective_unit=unit,
        quarters=p.quarters,
        site_names=p.sites.names,
        platform_names=p.platforms.names,
        racks_added=x,
        racks=racks,
        gpus=np.einsum("p,spt->st", p.platforms.packages_per_rack, racks),
        facility_mw=facility_mw,
        it_mw=facility_mw / p.sites.pue[:, None],
        halls_started_mw=b,
        capex_usd=capex,
        capital_usd=np.asarray(p.money.capital_usd, dtype=float),
        investment_usd=np.diff(released, prepend=0.0),
        eflops=flops_to_eflops(np.einsum("p,spt->t", p.platforms.rack_flops, racks)),
        compute_eflop_days=compute,
        electricity_usd=electricity,
        binding=binding_constraints(m, solution, value),
        build_s=m.build_s,
        solve_s=solution.solve_s,
    )


def _usd(amount: float) -> str:
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M")):
        if abs(amount) >= scale:
            return f"${amount / scale:,.3g}{suffix}"
    return f"${amount:,.0f}"


def _gain(p: BuildoutProblem, amount: float, plural: bool = False) -> str:
    if p.objective == "compute":
        return f"{'are' if plural else 'is'} worth {amount:,.0f} EFLOP-days"
    return f"would save {_usd(musd_to_usd(amount))}"


def binding_constraints(m: BuildoutModel, solution: Solution,
                        objective: float) -> tuple[Binding, ...]:
    """Limits with a non-zero shadow price, largest gain first, each in planner words.

    The shadow price is the row dual, ``d objective / d limit``; relaxing a ``<=`` limit never
    hurts, so its gain is the dual's magnitude.
    """
    p = m.problem
    # Objective units per programme unit: EFLOP-days stay, $M become USD.
    scale = 1.0 if p.objective == "compute" else musd_to_usd(1.0)
    tolerance = 1e-6 * max(1.0, abs(objective) / scale)
    found: list[Binding] = []
    for name, block in m.lp.blocks.items():
        if name not in STEP:
            continue
        duals = np.abs(solution.row_dual[block.rows])
        for index in zip(*np.nonzero(duals * STEP[name] > tolerance), strict=True):
            found.append(_binding(p, name, tuple(int(i) for i in index),
                                  float(duals[index]), scale))
    return tuple(sorted(found, key=lambda b: -b.value))


def _binding(p: BuildoutProblem, name: str, index: tuple[int, ...], dual: float,
             scale: float) -> Binding:
    per = "EFLOP-days" if p.objective == "compute" else "USD"
    gain = dual * STEP[name]
    price = dual * scale
    said = _gain(p, gain)
    if name == "capital":
        where, period = "", p.quarters[index[0]]
        unit, price = f"{per} per USD", price / musd_to_usd(1.0)
        text = f"money by {period} limits the plan; $1B more by then {said}"
    elif name == "supply":
        where, period = p.platforms.names[index[0]], p.quarters[index[1]]
        unit = f"{per} per rack"
        said = _gain(p, gain, plural=True)
        text = f"supply of {where} in {period} limits the plan; 100 more racks then {said}"
    elif name == "target":
        assert p.target is not None
        where, period, unit = "", p.target.quarter, f"{per} per MW"
        cost = (f"{gain:,.0f} EFLOP-days" if p.objective == "compute"
                else _usd(musd_to_usd(gain)))
        text = (f"the target of {p.target.facility_gw:g} GW by {period} binds; each 100 MW "
                f"more costs {cost}")
    else:
        where, unit = p.sites.names[index[0]], f"{per} per MW"
        period = p.quarters[index[1]] if name != "size" else ""
        text = {
            "power": f"power at {where} in {period} limits the plan; 100 MW more there {said}",
            "size": f"the size of {where} limits the plan; room for 100 MW more there {said}",
            "lead_time": f"build lead time at {where} limits the plan in {period}; 100 MW "
                         f"more halls ready by then {said}",
        }[name]
    return Binding(name, where, period, price, unit, gain * scale, text)


def reachable_gw(problem: BuildoutProblem) -> float:
    """Most facility power the sites, supply and money allow by the target quarter, GW."""
    model = formulate(problem, goal="reach")
    model.build()
    solution = model.solve()
    if solution.status != "optimal":
        raise BuildoutError(f"solver: {solution.message}; the reach programme failed")
    x = np.maximum(solution.col_value[model.racks[:, :, : problem.target_index() + 1]], 0.0)
    return float(mw_to_gw((model.rack_mw[:, :, None] * x).sum()))


def explain_infeasible(problem: BuildoutProblem) -> InfeasibleBuildout:
    """Say in planner words which limits conflict with the target, from a phase-1 programme.

    Each limit family (site power, site size, build lead time, supply, money) gets a slack
    per row, penalised per MW-equivalent; the cheapest set of violations that meets the
    target shows what is missing.
    """
    model = formulate(problem, elastic=True)
    model.build()
    solution = model.solve()
    if solution.status != "optimal":
        return InfeasibleBuildout(f"no schedule meets the target and the limits cannot "
                                  f"explain why ({solution.message})")
    target = problem.target
    assert target is not None
    slack = {name: np.maximum(solution.col_value[cols], 0.0)
             for name, cols in model.lp.slacks.items()}
    shortfalls = _shortfalls(problem, slack)
    reach = reachable_gw(problem)
    needs = "; ".join(text for _, _, _, _, text in shortfalls) or "more of every limit"
    message = (f"{target.facility_gw:g} GW by the end of {target.quarter} is out of reach: "
               f"at most {reach:.3g} GW can be online by then; it needs {needs}")
    return InfeasibleBuildout(message, tuple(row[:4] for row in shortfalls))


def _largest(names: tuple[str, ...], amounts: np.ndarray, fmt: str, n: int = 3) -> str:
    order = [i for i in np.argsort(-amounts)[:n] if amounts[i] > 1e-6]
    return ", ".join(f"{names[i]} {fmt.format(amounts[i])}" for i in order)


def _shortfalls(p: BuildoutProblem, slack: dict[str, np.ndarray]
                ) -> list[tuple[str, float, str, str, str]]:
    """``(family, amount, unit, where, sentence)`` for each family that had to give."""
    rows: list[tuple[str, float, str, str, str]] = []
    tol = 1e-6
    for family in ("power", "lead_time"):
        per_site_quarter = mw_to_gw(slack[family])
        by_quarter = per_site_quarter.sum(axis=0)
        if by_quarter.max() <= tol:
            continue
        t = int(np.argmax(by_quarter))
        q = p.quarters[t]
        top = _largest(p.sites.names, per_site_quarter[:, t], "{:.3g} GW")
        text = (f"{by_quarter[t]:.3g} GW more power than the listed sites provide by {q} "
                f"(largest: {top})" if family == "power" else
                f"{by_quarter[t]:.3g} GW more halls ready by {q} than build lead times allow "
                f"(largest: {top})")
        rows.append((family, float(by_quarter[t]), "GW", q, text))
    size = mw_to_gw(slack["size"])
    if size.sum() > tol:
        rows.append(("size", float(size.sum()), "GW", "",
                     f"{size.sum():.3g} GW more room than the sites' maximum sizes allow "
                     f"(largest: {_largest(p.sites.names, size, '{:.3g} GW')})"))
    supply = slack["supply"]
    for k, platform in enumerate(p.platforms.names):
        if supply[k].sum() > tol:
            q = p.quarters[int(np.argmax(supply[k]))]
            rows.append(("supply", float(supply[k].sum()), "racks", platform,
                         f"{supply[k].sum():,.0f} more {platform} racks than supply allows "
                         f"(most in {q})"))
    money = musd_to_usd(slack["capital"])
    if money.max() > 1.0:
        t = int(np.argmax(money))
        rows.append(("capital", float(money[t]), "USD", p.quarters[t],
                     f"{_usd(float(money[t]))} more capital by {p.quarters[t]}"))
    return rows
