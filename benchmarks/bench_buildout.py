"""Time building and solving a build-out programme of 50 sites, 20 quarters and 4 platforms.

Sites are synthetic (seeded power ramps, sizes, PUE, lead times); platforms are the catalog's
GB200, GB300, Vera Rubin and Rubin Ultra racks. Prints the median build time (create the
variables, add every block, assemble the matrix, hand it to HiGHS) and solve time for each
objective, and their sum against the 2 s target; then the time to explain an infeasible
target (a phase-1 solve and a reach solve).

Then the sweep's programmes per sample on the built-in stargate-2025 scenario: the samples'
programmes (its uncertain inputs, Latin hypercube) solved warm (the central basis, one kept
solver) and cold (a new solver from scratch per sample) in this process, and warm on a local
process pool of ``--workers``; LP samples per second per core against the 50/s target, and
the ratio warm / cold.

    python benchmarks/bench_buildout.py [--repeat N] [--sites S] [--quarters T]
        [--lp-samples N] [--workers W]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from summary import record

from gigawatt.buildout import (
    BuildoutProblem,
    InfeasibleBuildout,
    Money,
    Sites,
    Target,
    formulate,
    horizon,
    optimise_buildout,
)
from gigawatt.buildout.inputs import platforms_from_catalog
from gigawatt.catalog import load_catalog
from gigawatt.pipeline import gather_inputs
from gigawatt.pipeline.scaleout import network_usd_per_rack
from gigawatt.scenario import load_scenario
from gigawatt.sweep import buildouts
from gigawatt.sweep.sampling import clip_to_ranges, latin_hypercube, uncertain_inputs

TARGET_S = 2.0
LP_PER_CORE_TARGET = 50.0
"""LP samples per second per core of stargate-2025 on the process backend (issue 18)."""
SYSTEMS = ("gb200-nvl72", "gb300-nvl72", "vr-nvl72", "vr-ultra-nvl144")


def synthetic_problem(rng: np.random.Generator, n_sites: int, n_quarters: int,
                      objective: str = "compute", target_gw: float | None = None
                      ) -> BuildoutProblem:
    """Seeded sites around catalog platforms; supply and money sized to bind sometimes."""
    quarters = horizon("2026Q1", n_quarters)
    # The catalog has no Rubin Ultra price; the default scenario assumes one (with its note).
    scenario, _ = load_scenario("openai-nvidia-10gw")
    ultra = scenario.platforms["vr-ultra-nvl144"]
    assert ultra.rack_price_usd is not None
    catalog = load_catalog()
    platforms = platforms_from_catalog(
        catalog, SYSTEMS, it_overhead_fraction=scenario.facility.it_overhead_fraction.value,
        rack_usd={"vr-ultra-nvl144": ultra.rack_price_usd.value
                  + network_usd_per_rack(catalog, "vr-ultra-nvl144")})
    max_mw = rng.uniform(100, 1500, n_sites)
    start = rng.integers(0, n_quarters // 2, n_sites)
    steps = rng.uniform(0, 1, (n_sites, n_quarters)) * (np.arange(n_quarters) >= start[:, None])
    power = max_mw[:, None] * np.minimum(1.0, np.cumsum(steps, axis=1) / 3)
    sites = Sites(
        names=tuple(f"site-{i:02d}" for i in range(n_sites)),
        power_mw=power, max_mw=max_mw, pue=rng.uniform(1.1, 1.35, n_sites),
        lead_quarters=rng.integers(2, 9, n_sites),
        committed_mw=max_mw * rng.uniform(0, 1, n_sites),
        build_usd_per_mw_it=np.full(n_sites, 2e7),
        electricity_usd_per_mwh=rng.uniform(50, 100, n_sites),
    )
    start_q = np.array([quarters.index(q) if q in quarters else 0 for q in platforms.release])
    released = np.arange(n_quarters)[None, :] >= start_q[:, None]
    supply = rng.uniform(500, 3000, (len(SYSTEMS), n_quarters)) * released
    money = Money(capital_usd=np.full(n_quarters, 30e9), tranche_usd_per_gw=10e9,
                  tranche_cap_usd=100e9)
    target = Target(target_gw, quarters[-5]) if target_gw is not None else None
    return BuildoutProblem(quarters, sites, platforms, supply, money,
                           objective=objective,  # type: ignore[arg-type]
                           target=target, utilisation=0.8)


def _time_model(problem: BuildoutProblem, repeat: int) -> tuple[float, float, int, int]:
    builds, solves = [], []
    for _ in range(repeat):
        model = formulate(problem)
        model.build()
        solution = model.solve()
        assert solution.status == "optimal", solution.message
        builds.append(model.build_s)
        solves.append(solution.solve_s)
    return statistics.median(builds), statistics.median(solves), model.lp.n_cols, model.lp.n_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sites", type=int, default=50)
    parser.add_argument("--quarters", type=int, default=20)
    parser.add_argument("--lp-samples", type=int, default=400)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    rng = np.random.default_rng(2025)
    compute = synthetic_problem(rng, args.sites, args.quarters)
    reach = optimise_buildout(compute).facility_mw[:, -5].sum() / 1e3
    cost = synthetic_problem(np.random.default_rng(2025), args.sites, args.quarters,
                             objective="cost", target_gw=round(0.8 * reach, 1))
    print(f"programme: {args.sites} sites x {args.quarters} quarters x {len(SYSTEMS)} "
          f"platforms; median of {args.repeat}")
    print(f"{'objective':34} {'columns':>8} {'rows':>7} {'build':>9} {'solve':>9} "
          f"{'total':>9} {'/target':>8}")
    for name, problem in (("compute (max EFLOP-days)", compute),
                          (f"cost (reach {cost.target.facility_gw:g} GW)", cost)):  # type: ignore[union-attr]
        build, solve, cols, rows = _time_model(problem, args.repeat)
        total = build + solve
        print(f"{name:34} {cols:8d} {rows:7d} {build * 1e3:7.1f}ms {solve * 1e3:7.1f}ms "
              f"{total * 1e3:7.1f}ms {total / TARGET_S:8.3f}")
        record(f"build + solve, {name}", total, "s", TARGET_S)
    infeasible = synthetic_problem(np.random.default_rng(2025), args.sites, args.quarters,
                                   objective="cost", target_gw=round(1.5 * reach, 1))
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        try:
            optimise_buildout(infeasible)
        except InfeasibleBuildout as exc:
            message = str(exc)
        times.append(time.perf_counter() - start)
    explain = statistics.median(times)
    print(f"{'infeasible target, explained':34} {'':>8} {'':>7} {'':>9} {'':>9} "
          f"{explain * 1e3:7.1f}ms {explain / TARGET_S:8.3f}")
    print(f"  {message[:160]}...")
    record("infeasible target explained", explain, "s", TARGET_S)
    bench_per_sample(args.lp_samples, args.workers)


def _cold(p: buildouts.Programme, rows: np.ndarray) -> np.ndarray:
    """Each row's programme solved from scratch in a new solver; racks added."""
    out = []
    for row in rows:
        model = formulate(buildouts.vary_problem(p, dict(zip(p.paths, row, strict=True))))
        model.build()
        solution = model.solve()
        assert solution.status == "optimal", solution.message
        out.append(np.maximum(solution.col_value[model.racks], 0.0))
    return np.array(out)


def bench_per_sample(n: int, workers: int) -> None:
    """Warm against cold in this process, and warm on a local pool, for stargate-2025."""
    scenario, _ = load_scenario("stargate-2025")
    inputs = gather_inputs(scenario)
    uncertain = uncertain_inputs(scenario, inputs)
    reads = buildouts.sampled_paths(scenario, tuple(uncertain))
    rows, _ = clip_to_ranges(reads, latin_hypercube(
        [uncertain[p].distribution for p in reads], n, np.random.default_rng(0)))
    programme = buildouts.programme(scenario, inputs, reads)
    buildouts.solve_rows(programme, rows[:2])  # the kept solver made, caches warm
    start = time.perf_counter()
    warm, _, iterations = buildouts.solve_rows(programme, rows)
    warm_s = time.perf_counter() - start
    start = time.perf_counter()
    cold = _cold(programme, rows)
    cold_s = time.perf_counter() - start
    pool = buildouts.local_pool(workers)
    solver = buildouts.Solver(programme, reads, workers, pool=pool)
    try:
        solver(rows[:buildouts.POOLED_FROM])  # workers started
        start = time.perf_counter()
        pooled, _ = solver(rows)
        pooled_s = time.perf_counter() - start
    finally:
        solver.close()
    # alternative optima move racks between equally good sites: compare per platform
    same = np.allclose(warm.sum(axis=1), cold.sum(axis=1), rtol=1e-6, atol=1e-3)
    print(f"\nstargate-2025: {n} sampled programmes ({', '.join(reads)})")
    print(f"  warm, one process: {n / warm_s:7.1f} LP samples/s "
          f"({iterations / n:.1f} simplex iterations each)")
    print(f"  cold, one process: {n / cold_s:7.1f} LP samples/s")
    print(f"  warm / cold: {cold_s / warm_s:.2f}x; racks per platform and quarter equal: {same}; "
          f"pool equals one process: {np.array_equal(pooled, warm)}")
    per_core = n / pooled_s / workers
    print(f"  warm, {workers} worker processes: {n / pooled_s:7.1f} LP samples/s, "
          f"{per_core:.1f} per core (target {LP_PER_CORE_TARGET:g})")
    record("stargate-2025 LP samples per second per core, process pool", per_core,
           "samples/s", LP_PER_CORE_TARGET, better="higher")
    record("stargate-2025 LP warm / cold speed-up", cold_s / warm_s, "x", 1.0,
           better="higher")


if __name__ == "__main__":
    main()
