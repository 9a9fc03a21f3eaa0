"""Optimised build-outs per sample: the build-out programme solved again for every sample
whose inputs it reads.

When a scenario's schedule comes from the build-out optimiser and a sampled input feeds the
programme (rack power and price of a build-out platform, the IT overhead, the cost of halls,
utilisation, the deal's tranches, the build-out's capital, supply and site power:
:func:`gigawatt.pipeline.inputs.buildout_paths`), each sample gets its own schedule:

1. the central programme is solved once, in the sweep's process, and its simplex basis kept;
2. each sample's programme is the central one with the sampled figures put in
   (:func:`vary_problem`: no catalog, no scenario parsing), solved in a kept HiGHS instance
   per worker from that basis (:class:`gigawatt.buildout.Resolver`); local worker
   processes, or a Ray cluster;
3. the racks and halls of every sample fold into one schedule with a sample axis
   (:func:`sampled_schedule`), which the vectorised stages take as they take a sampled ramp.

Every sample starts from the same basis, so its answer does not depend on the worker, the
chunking or the order of the samples.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from gigawatt import units
from gigawatt.buildout import Basis, BuildoutProblem, Resolver, central_basis
from gigawatt.buildout.inputs import per_quarter
from gigawatt.buildout.problem import rack_facility_mw, rack_it_kw
from gigawatt.buildout.quarters import quarter_index
from gigawatt.pipeline.inputs import Inputs, buildout_paths, buildout_problem, site_weighted
from gigawatt.pipeline.scaleout import network_usd_per_rack
from gigawatt.pipeline.schedule import Schedule, schedule_from_sites
from gigawatt.scenario.schema import Scenario
from gigawatt.sweep.sampling import buildout_amounts, chunks, scaled_amounts

POOLED_FROM = 64
"""Fewest samples sent to worker processes; fewer (a tornado's runs) are solved in place."""


@dataclass(frozen=True)
class Programme:
    """What a worker needs to solve the samples' programmes (picklable, no catalog).

    ``figures`` holds the central value of every path the programme reads; ``paths`` the
    sampled columns of the rows a worker gets; ``network_usd`` each platform's scale-out
    fabric per rack, USD, added to its sampled rack price; ``amounts`` the build-out's capital
    and supply per period, as the scenario gives them; ``power_mw`` the sites' power ramps
    as the catalog has them (a share of 1), MW.
    """

    key: str
    central: BuildoutProblem
    basis: Basis
    figures: dict[str, float]
    paths: tuple[str, ...]
    network_usd: dict[str, float]
    amounts: dict[str, dict[str, float]]
    power_mw: np.ndarray


def sampled_paths(scenario: Scenario, paths: Sequence[str]) -> tuple[str, ...]:
    """The sampled paths that the scenario's build-out programme reads (none: fixed schedule)."""
    reads = set(buildout_paths(scenario))
    return tuple(p for p in paths if p in reads)


def programme(scenario: Scenario, inputs: Inputs, paths: Sequence[str]) -> Programme:
    """The central programme, its basis and figures, for sweeping ``paths``."""
    figures: dict[str, float] = {}
    amounts = buildout_amounts(scenario)
    for path in buildout_paths(scenario):
        section, _, name = path.partition(".")
        if path in inputs.values:
            figures[path] = float(inputs.values[path])
        elif section == "investment" and scenario.investment is not None:
            figures[path] = float(getattr(scenario.investment, name).value)
        elif path in amounts:
            figures[path] = amounts[path].total
        elif path == "buildout.site_power_share":
            share = scenario.buildout.site_power_share if scenario.buildout else None
            figures[path] = float(share.value) if share is not None else 1.0
    central = buildout_problem(scenario, inputs.catalog, figures)
    announced = buildout_problem(scenario, inputs.catalog,
                                 {**figures, "buildout.site_power_share": 1.0})
    key = hashlib.sha256(scenario.model_dump_json().encode()).hexdigest()[:16]
    return Programme(key=f"{key}:{','.join(paths)}", central=central,
                     basis=central_basis(central), figures=figures, paths=tuple(paths),
                     network_usd={k: network_usd_per_rack(inputs.catalog, k)
                                  for k in central.platforms.names},
                     amounts={k: dict(a.per_period) for k, a in amounts.items()},
                     power_mw=announced.sites.power_mw)


def vary_problem(p: Programme, values: Mapping[str, float]) -> BuildoutProblem:
    """The central programme with the figures of ``values`` (paths of
    :func:`gigawatt.pipeline.inputs.buildout_paths`; others keep the central value), as
    :func:`gigawatt.pipeline.inputs.buildout_problem` would build it."""
    f = {**p.figures, **values}
    c = p.central
    names = c.platforms.names
    platforms = dataclasses.replace(
        c.platforms, rack_kw=_rack_kw(names, f),
        rack_usd=np.array([f[f"platforms.{k}.rack_price_usd"] + p.network_usd[k]
                           for k in names]))
    sites = dataclasses.replace(
        c.sites, build_usd_per_mw_it=np.full(len(c.sites.names),
                                             f["facility.build_usd_per_mw_it"]),
        power_mw=p.power_mw * f["buildout.site_power_share"])
    money = c.money
    if "investment.cap_usd" in f:
        money = dataclasses.replace(
            money, tranche_usd_per_gw=f["investment.usd_per_tranche"]
            / f["investment.gw_per_tranche"], tranche_cap_usd=f["investment.cap_usd"])
    if "buildout.capital_usd" in values:
        money = dataclasses.replace(money, capital_usd=per_quarter(
            scaled_amounts(p.amounts["buildout.capital_usd"], values["buildout.capital_usd"]),
            c.quarters, "capital_usd"))
    supply = c.supply_racks
    if any(f"buildout.platforms.{k}.supply_racks" in values for k in names):
        supply = np.array([per_quarter(
            scaled_amounts(p.amounts[path], values[path]) if path in values
            else p.amounts[path], c.quarters, f"supply_racks[{k}]")
            for k, path in ((k, f"buildout.platforms.{k}.supply_racks") for k in names)])
    return dataclasses.replace(c, sites=sites, platforms=platforms, money=money,
                               supply_racks=supply, utilisation=f["facility.utilisation"])


def _rack_kw(names: Sequence[str], f: Mapping[str, Any]) -> np.ndarray:
    """IT power per rack of each platform, kW, from the figures ``f`` (numbers: ``(P,)``;
    a column per sample: ``(m, P)``), as
    :func:`gigawatt.buildout.inputs.platforms_from_catalog` takes it."""
    return np.stack([rack_it_kw(f[f"platforms.{k}.rack_power_kw"],
                                f["facility.it_overhead_fraction"]) for k in names], axis=-1)


_SOLVERS: dict[str, Resolver] = {}
"""One kept solver per programme, per process (a worker serves many chunks)."""


def solve_rows(p: Programme, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Racks added ``(m, S, P, T)``, halls started ``(m, S, T)`` (MW) of each row's optimum,
    and the simplex iterations they took."""
    resolver = _SOLVERS.get(p.key)
    if resolver is None:
        _SOLVERS.clear()
        resolver = _SOLVERS[p.key] = Resolver(p.basis)
    s, n_p, t = p.central.shape
    racks = np.empty((len(rows), s, n_p, t))
    halls = np.empty((len(rows), s, t))
    before = resolver.iterations
    for i, row in enumerate(rows):
        racks[i], halls[i] = resolver.solve(vary_problem(p, dict(zip(p.paths, row,
                                                                     strict=True))))
    return racks, halls, resolver.iterations - before


@dataclass
class Solver:
    """Solves the samples' programmes in place, on a local process pool or on Ray.

    ``paths`` are the sweep's sampled columns; the programme's are picked from them.
    """

    programme: Programme
    paths: Sequence[str]
    workers: int = 1
    pool: Executor | None = None
    ray_address: str | None = None
    ray_map: Callable[[Callable[..., Any], tuple[Any, ...], list[np.ndarray]],
                      list[Any]] | None = None
    iterations: int = 0
    solved: int = 0
    pooled: int = 0
    """Samples sent to the pool or to Ray (the rest were solved in this process)."""

    def __call__(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Racks added and halls started of each row's optimum (see :func:`solve_rows`);
        ``rows`` hold the programme's own columns."""
        pooled = self.pool is not None or self.ray_map is not None
        if not pooled or len(rows) < POOLED_FROM:
            parts = [solve_rows(self.programme, rows)]
        else:
            blocks = [rows[s] for s in chunks(len(rows), self.workers * 4)]
            self.pooled += len(rows)
            if self.ray_map is not None:
                parts = self.ray_map(solve_rows, (self.programme,), blocks)
            else:
                assert self.pool is not None
                parts = list(self.pool.map(solve_rows, itertools.repeat(self.programme),
                                           blocks))
        self.iterations += sum(k for _, _, k in parts)
        self.solved += len(rows)
        return (np.concatenate([r for r, _, _ in parts]),
                np.concatenate([h for _, h, _ in parts]))

    def restage(self, inputs: Inputs, samples: np.ndarray, values: Mapping[str, Any]
                ) -> Inputs:
        """``inputs`` with each sample's own optimised schedule and its site-weighted price of
        electricity (``(samples, periods)``); ``samples`` has a column per sweep path."""
        columns = [list(self.paths).index(q) for q in self.programme.paths]
        rows = samples[:, columns]
        racks, halls = self(rows)
        schedule = sampled_schedule(self.programme, rows, racks, halls)
        price = site_weighted(schedule, [s.electricity_usd_per_mwh for s in inputs.sites],
                              values["facility.electricity_usd_per_mwh"])
        return dataclasses.replace(inputs, schedule=schedule, electricity_usd_per_mwh=price)

    def close(self) -> None:
        """Shut the local pool down (a Ray cluster is left as it is)."""
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)


def local_pool(workers: int) -> ProcessPoolExecutor | None:
    """A process pool for the programmes, or None for one worker (solved in place)."""
    return ProcessPoolExecutor(max_workers=workers) if workers > 1 else None


def sampled_schedule(p: Programme, rows: np.ndarray, racks: np.ndarray,
                     halls: np.ndarray) -> Schedule:
    """One schedule per sample, on a leading sample axis (as
    :func:`gigawatt.pipeline.inputs.gather_inputs` folds the central one)."""
    c = p.central
    names = c.platforms.names
    f = {k: np.full(len(rows), v) for k, v in p.figures.items()}
    f.update({path: rows[:, j] for j, path in enumerate(p.paths)})
    rack_kw = _rack_kw(names, f)  # (m, P)
    return schedule_from_sites(
        [quarter_index(q) for q in c.quarters], c.sites.names, names, racks,
        units.mw_to_w(rack_facility_mw(c.sites.pue, rack_kw)), units.kw_to_w(rack_kw),
        units.mw_to_w(p.power_mw[None] * f["buildout.site_power_share"][:, None, None]),
        units.mw_to_w(halls))
