"""The build-out problem as plain arrays, and the checks that reject bad input in one line.

Shapes: ``S`` sites, ``P`` platforms, ``T`` quarters. Facility power is in MW at the meter
(IT power x PUE); rack power is IT power in kW; money is in US dollars.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from gigawatt.buildout.quarters import quarter_index
from gigawatt.errors import GigawattError, InfeasibleError
from gigawatt.units import gw_to_mw, kw_to_mw, mw_to_gw

Objective = Literal["compute", "cost"]
OBJECTIVES: tuple[Objective, ...] = ("compute", "cost")


class BuildoutError(GigawattError):
    """A build-out problem is malformed: one line naming the field, the value, what is accepted."""


class InfeasibleBuildout(BuildoutError, InfeasibleError):
    """No schedule meets every limit; the message says, in planner words, what is missing.
    The API answers it as 422 of problem type ``infeasible`` at ``scenario.buildout.target``.

    ``shortfalls`` holds one ``(family, amount, unit, where)`` row per limit that had to give.
    """

    def __init__(self, message: str,
                 shortfalls: tuple[tuple[str, float, str, str], ...] = ()) -> None:
        super().__init__(message)
        self.shortfalls = shortfalls


def _frozen_array(value: object, dtype: type = float) -> np.ndarray:
    array: np.ndarray = np.array(value, dtype=dtype)
    array.setflags(write=False)
    return array


def _freeze(obj: object, names: tuple[str, ...], dtype: type = float) -> None:
    for name in names:
        object.__setattr__(obj, name, _frozen_array(getattr(obj, name), dtype))


@dataclass(frozen=True)
class Sites:
    """Sites, each with its power ramp by quarter and its costs.

    Attributes
    ----------
    names : one name per site.
    power_mw : (S, T) facility power the site can draw in each quarter, MW; never decreasing.
    max_mw : (S,) largest facility power the site can hold, MW.
    pue : (S,) power usage effectiveness, facility / IT power, >= 1.
    lead_quarters : (S,) quarters from committing a new hall to energising it.
    committed_mw : (S,) facility power already under construction and financed, MW; it needs
        no lead time and no facility capex. Left out (empty): 0 at every site.
    build_usd_per_mw_it : (S,) cost of new halls (building, power, cooling) per MW of IT, USD.
        Left out: 0.
    electricity_usd_per_mwh : (S,) electricity price, USD/MWh. Left out: 0.
    """

    names: tuple[str, ...]
    power_mw: np.ndarray
    max_mw: np.ndarray
    pue: np.ndarray
    lead_quarters: np.ndarray
    committed_mw: np.ndarray = field(default_factory=lambda: np.zeros(0))
    build_usd_per_mw_it: np.ndarray = field(default_factory=lambda: np.zeros(0))
    electricity_usd_per_mwh: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def __post_init__(self) -> None:
        for name in ("committed_mw", "build_usd_per_mw_it", "electricity_usd_per_mwh"):
            if np.size(getattr(self, name)) == 0:
                object.__setattr__(self, name, np.zeros(len(self.names)))
        _freeze(self, ("power_mw", "max_mw", "pue", "committed_mw", "build_usd_per_mw_it",
                       "electricity_usd_per_mwh"))
        _freeze(self, ("lead_quarters",), int)


@dataclass(frozen=True)
class Platforms:
    """Rack-scale platforms that can be installed.

    Attributes
    ----------
    names : one name per platform (a catalog system ID).
    rack_kw : (P,) IT power per rack including its share of scale-out network and storage, kW.
    packages_per_rack : (P,) GPU packages per rack.
    rack_flops : (P,) peak FLOP/s per rack at the precision the plan counts.
    rack_usd : (P,) price per rack including its scale-out network, USD.
    release : quarter label from which each platform can be installed.
    """

    names: tuple[str, ...]
    rack_kw: np.ndarray
    packages_per_rack: np.ndarray
    rack_flops: np.ndarray
    rack_usd: np.ndarray
    release: tuple[str, ...]

    def __post_init__(self) -> None:
        _freeze(self, ("rack_kw", "packages_per_rack", "rack_flops", "rack_usd"))


@dataclass(frozen=True)
class Money:
    """Capital by quarter and an investor's tranches released by deployment.

    Attributes
    ----------
    capital_usd : (T,) new capital available in each quarter, USD; unspent money carries over.
    tranche_usd_per_gw : money the investor releases per GW of facility power deployed, USD.
    tranche_cap_usd : most the investor releases in all, USD.
    """

    capital_usd: np.ndarray
    tranche_usd_per_gw: float = 0.0
    tranche_cap_usd: float = 0.0

    def __post_init__(self) -> None:
        _freeze(self, ("capital_usd",))


@dataclass(frozen=True)
class Target:
    """Facility power that must be online by the end of a quarter."""

    facility_gw: float
    quarter: str


@dataclass(frozen=True)
class BuildoutProblem:
    """Everything the build-out optimiser needs, as plain numbers and arrays.

    Attributes
    ----------
    quarters : consecutive quarter labels of the horizon, e.g. ``('2026Q3', '2026Q4')``.
    sites, platforms, money : see :class:`Sites`, :class:`Platforms`, :class:`Money`.
    supply_racks : (P, T) racks of each platform deliverable in each quarter.
    objective : ``'compute'`` maximises EFLOP-days delivered over the horizon;
        ``'cost'`` meets ``target`` at least capex plus electricity.
    target : facility power online by a quarter; required by ``'cost'``, optional otherwise.
    utilisation : average draw as a share of installed power, for electricity cost.
    """

    quarters: tuple[str, ...]
    sites: Sites
    platforms: Platforms
    supply_racks: np.ndarray
    money: Money
    objective: Objective = "compute"
    target: Target | None = None
    utilisation: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "quarters", tuple(self.quarters))
        _freeze(self, ("supply_racks",))
        check_problem(self)

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(S, P, T)``."""
        return len(self.sites.names), len(self.platforms.names), len(self.quarters)

    def release_index(self) -> np.ndarray:
        """(P,) horizon index of each platform's first quarter (may lie outside the horizon)."""
        start = quarter_index(self.quarters[0])
        return np.array([quarter_index(q) - start for q in self.platforms.release])

    def target_index(self) -> int:
        """Horizon index of the target quarter."""
        assert self.target is not None
        return quarter_index(self.target.quarter) - quarter_index(self.quarters[0])

    def rack_facility_mw(self) -> np.ndarray:
        """(S, P) facility power one rack of each platform draws at each site, MW."""
        return rack_facility_mw(self.sites.pue, self.platforms.rack_kw)


def rack_it_kw(rack_power_kw: ArrayLike, it_overhead_fraction: ArrayLike) -> np.ndarray:
    """IT power per compute rack, kW: its own draw and its share of the IT power outside the
    compute racks (scale-out switches, storage, management), ``P_rack (1 + o)``."""
    return np.asarray(rack_power_kw, dtype=float) * (1.0 + np.asarray(it_overhead_fraction))


def rack_facility_mw(pue: np.ndarray, rack_kw: np.ndarray) -> np.ndarray:
    """Facility power one rack draws, MW: ``PUE x P_it / 1000``, ``(..., S, P)`` from the
    sites' PUE ``(S,)`` and racks' IT power ``(..., P)`` kW."""
    return pue[:, None] * kw_to_mw(rack_kw)[..., None, :]


def check_problem(p: BuildoutProblem) -> None:
    """Run every check, in the order a reader would fix the input."""
    check_quarters(p)
    check_shapes(p)
    check_non_negative(p)
    check_site_limits(p)
    check_power_ramps(p)
    check_releases(p)
    check_objective(p)
    check_target(p)


def check_quarters(p: BuildoutProblem) -> None:
    """The horizon is a non-empty run of consecutive quarters; releases are quarter labels."""
    if not p.quarters:
        raise BuildoutError("quarters: empty; accepted: one or more quarter labels")
    try:
        index = [quarter_index(q) for q in p.quarters]
        for q in p.platforms.release:
            quarter_index(q)
    except ValueError as exc:
        raise BuildoutError(f"quarters: {exc}") from None
    for k in range(1, len(index)):
        if index[k] != index[k - 1] + 1:
            raise BuildoutError(
                f"quarters: {p.quarters[k]!r} does not follow {p.quarters[k - 1]!r}; "
                "accepted: consecutive quarters")


Axes = tuple[tuple[str, ...], ...]


def _named_arrays(p: BuildoutProblem) -> dict[str, tuple[np.ndarray, Axes]]:
    """Every input array by its field path, with the labels along each of its axes."""
    sites, platforms, quarters = p.sites.names, p.platforms.names, p.quarters
    return {
        "sites.power_mw": (p.sites.power_mw, (sites, quarters)),
        "sites.max_mw": (p.sites.max_mw, (sites,)),
        "sites.pue": (p.sites.pue, (sites,)),
        "sites.lead_quarters": (p.sites.lead_quarters, (sites,)),
        "sites.committed_mw": (p.sites.committed_mw, (sites,)),
        "sites.build_usd_per_mw_it": (p.sites.build_usd_per_mw_it, (sites,)),
        "sites.electricity_usd_per_mwh": (p.sites.electricity_usd_per_mwh, (sites,)),
        "platforms.rack_kw": (p.platforms.rack_kw, (platforms,)),
        "platforms.packages_per_rack": (p.platforms.packages_per_rack, (platforms,)),
        "platforms.rack_flops": (p.platforms.rack_flops, (platforms,)),
        "platforms.rack_usd": (p.platforms.rack_usd, (platforms,)),
        "supply_racks": (p.supply_racks, (platforms, quarters)),
        "money.capital_usd": (p.money.capital_usd, (quarters,)),
    }


def check_shapes(p: BuildoutProblem) -> None:
    """Every array has one entry per site, platform or quarter, as its name says."""
    if not p.sites.names or not p.platforms.names:
        raise BuildoutError("sites and platforms: accepted: at least one of each")
    if len(p.platforms.release) != len(p.platforms.names):
        raise BuildoutError(f"platforms.release: {len(p.platforms.release)} labels for "
                            f"{len(p.platforms.names)} platforms; accepted: one per platform")
    for name, (array, axes) in _named_arrays(p).items():
        shape = tuple(len(labels) for labels in axes)
        if np.shape(array) != shape:
            raise BuildoutError(f"{name}: shape {np.shape(array)}; accepted: {shape} "
                                "(sites, platforms, quarters)")


def check_non_negative(p: BuildoutProblem) -> None:
    """No input is negative (a budget cannot be); rack power and site sizes are positive."""
    for name, (array, axes) in _named_arrays(p).items():
        positive = name in ("platforms.rack_kw", "sites.max_mw")
        bad = np.argwhere(~(array > 0) if positive else ~(array >= 0))
        if len(bad):
            index = tuple(int(i) for i in bad[0])
            where = ", ".join(axes[k][i] for k, i in enumerate(index))
            raise BuildoutError(f"{name}[{where}]: {array[index]:g} is not accepted; "
                                f"accepted: a number {'>' if positive else '>='} 0")
    for field_name in ("tranche_usd_per_gw", "tranche_cap_usd"):
        value = getattr(p.money, field_name)
        if not value >= 0:
            raise BuildoutError(f"money.{field_name}: {value:g} is not accepted; "
                                "accepted: >= 0")
    if not 0 < p.utilisation <= 1:
        raise BuildoutError(f"utilisation: {p.utilisation:g}; accepted: (0, 1]")


def check_site_limits(p: BuildoutProblem) -> None:
    """PUE is at least 1 and committed capacity fits in the site."""
    low = np.flatnonzero(p.sites.pue < 1.0)
    if len(low):
        i = int(low[0])
        raise BuildoutError(f"sites.pue[{p.sites.names[i]}]: {p.sites.pue[i]:g}; "
                            "accepted: >= 1 (facility power includes IT power)")
    over = np.flatnonzero(p.sites.committed_mw > p.sites.max_mw)
    if len(over):
        i = int(over[0])
        raise BuildoutError(f"sites.committed_mw[{p.sites.names[i]}]: "
                            f"{p.sites.committed_mw[i]:g} MW exceeds max_mw "
                            f"{p.sites.max_mw[i]:g}; accepted: at most max_mw")


def check_power_ramps(p: BuildoutProblem) -> None:
    """A site's power never goes backwards from one quarter to the next."""
    drop = np.argwhere(np.diff(p.sites.power_mw, axis=1) < 0)
    if len(drop):
        s, t = (int(i) for i in drop[0])
        raise BuildoutError(
            f"sites.power_mw[{p.sites.names[s]}]: falls from {p.sites.power_mw[s, t]:g} MW in "
            f"{p.quarters[t]} to {p.sites.power_mw[s, t + 1]:g} MW in {p.quarters[t + 1]}; "
            "a site's power ramp must not go backwards")


def check_releases(p: BuildoutProblem) -> None:
    """No platform is supplied before its release quarter."""
    release = p.release_index()
    early = np.argwhere((np.arange(len(p.quarters))[None, :] < release[:, None])
                        & (p.supply_racks > 0))
    if len(early):
        k, t = (int(i) for i in early[0])
        raise BuildoutError(
            f"supply_racks[{p.platforms.names[k]}, {p.quarters[t]}]: "
            f"{p.supply_racks[k, t]:g} racks before the platform's release in "
            f"{p.platforms.release[k]}; accepted: 0 before release")


def check_objective(p: BuildoutProblem) -> None:
    """The objective is known, and ``cost`` has a target to meet."""
    if p.objective not in OBJECTIVES:
        raise BuildoutError(f"objective: {p.objective!r}; accepted: {', '.join(OBJECTIVES)}")
    if p.objective == "cost" and p.target is None:
        raise BuildoutError("target: required by objective 'cost'; accepted: a facility_gw "
                            "and a quarter")


def check_target(p: BuildoutProblem) -> None:
    """The target quarter lies in the horizon and the sites can hold the target at all."""
    if p.target is None:
        return
    try:
        index = p.target_index()
    except ValueError as exc:
        raise BuildoutError(f"target.quarter: {exc}") from None
    if not 0 <= index < len(p.quarters):
        raise BuildoutError(f"target.quarter: {p.target.quarter!r} is outside the horizon; "
                            f"accepted: {p.quarters[0]} to {p.quarters[-1]}")
    first = min(p.platforms.release, key=quarter_index)
    if quarter_index(p.target.quarter) < quarter_index(first) and p.target.facility_gw > 0:
        raise BuildoutError(f"target.quarter: {p.target.quarter} comes before any platform is "
                            f"released (the first in {first}); accepted: {first} or later")
    room_gw = mw_to_gw(float(p.sites.max_mw.sum()))
    if not 0 <= gw_to_mw(p.target.facility_gw) <= p.sites.max_mw.sum() + 1e-9:
        raise BuildoutError(
            f"target.facility_gw: {p.target.facility_gw:g} GW is beyond the {room_gw:.3g} GW "
            f"every listed site together can hold; accepted: 0 to {room_gw:.3g}")


__all__ = ["OBJECTIVES", "BuildoutError", "BuildoutProblem", "InfeasibleBuildout", "Money",
           "Objective", "Platforms", "Sites", "Target", "check_problem"]
