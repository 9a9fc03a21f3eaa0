"""Uncertainty and sensitivity: the whole plan over many samples of its uncertain inputs.

Sampling (:mod:`gigawatt.sweep.sampling`)
    Every scenario number with a ``distribution`` is an uncertain input, the ramp, the
    frontier run, demand and the deal's terms included. ``N`` Latin-hypercube samples,
    optionally rank-correlated, clipped to each field's accepted range.
Evaluation (:mod:`gigawatt.sweep.evaluation`, :mod:`gigawatt.sweep.stages`)
    ``vectorised``: every stage on sample arrays at once. ``process`` / ``ray``: the scalar
    pipeline once per sample in worker processes. Samples are drawn up front from the seed,
    so every backend gives the same numbers.
Optimised build-outs (:mod:`gigawatt.sweep.buildouts`)
    When sampled inputs feed a scenario's build-out programme, the vectorised backend solves
    it once per sample, warm-started from the central solution, on ``workers`` local
    processes or on the Ray cluster at ``ray_address``; else one schedule serves every
    sample. The result's ``note`` says which.
Analysis (:mod:`gigawatt.sweep.analysis`)
    Quantiles with standard errors, cumulative distributions, probabilities of meeting
    targets, the tornado, the conditional tornado of the P90, first-order indices, and
    Sobol first-order and total-effect indices.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gigawatt.catalog import Catalog
from gigawatt.limits import MAX_SAMPLES, MAX_WORKERS
from gigawatt.pipeline import gather_inputs
from gigawatt.progress import Progress
from gigawatt.scenario.schema import Scenario
from gigawatt.sweep.analysis import (
    all_first_order,
    cdf,
    conditional_tornado,
    first_order_indices,
    parse_target,
    probability,
    sobol,
    summarise,
    tornado,
)
from gigawatt.sweep.evaluation import (
    DATE_OUTPUTS,
    OUTPUTS,
    SERVING_OUTPUTS,
    TRAINING_OUTPUTS,
    is_integer,
    iso_day,
    output_names,
    scalar_outputs,
    vectorised_outputs,
)
from gigawatt.sweep.sampling import (
    Marginal,
    SweepError,
    chunks,
    clip_to_ranges,
    correlation_of,
    field_range,
    latin_hypercube,
    uncertain_inputs,
    with_values,
)

__all__ = ["BACKENDS", "OUTPUTS", "SERVING_OUTPUTS", "TRAINING_OUTPUTS", "SweepError",
           "SweepResult", "first_order_indices", "latin_hypercube", "output_names",
           "parse_vary", "sweep", "with_values"]

BACKENDS = ("vectorised", "process", "ray")
FIXED_SCHEDULE_NOTE = ("no sampled input feeds the build-out programme: its one schedule, "
                       "solved at the central values, serves every sample")
PER_SAMPLE_NOTE = ("the build-out programme was solved for each of {solved:,} samples, "
                   "warm-started from the central solution ({iterations:.3g} simplex "
                   "iterations each on average), on {where}")
MIN_SAMPLES_FOR_INDICES = 200
SOBOL_MAX_BASE = 4096
"""Largest ``n`` of the Sobol design (``n (d + 2)`` evaluations)."""


@dataclass(frozen=True)
class SweepResult:
    """Samples of the uncertain inputs, the outputs they give, and what drives them."""

    scenario: str
    backend: str
    seed: int | None
    paths: tuple[str, ...]
    samples: np.ndarray
    outputs: dict[str, np.ndarray]
    clipped: dict[str, int]
    tornado: dict[str, list[dict[str, Any]]]
    first_order: dict[str, dict[str, float]] | None
    grid: bool
    note: str | None = None
    targets: list[dict[str, Any]] = field(default_factory=list)
    conditional: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    sobol: dict[str, dict[str, dict[str, float]]] | None = None
    sobol_evaluations: int = 0

    def summary(self) -> dict[str, dict[str, float]]:
        """P10, P50, P90, mean and the quantiles' standard errors of each output, numbers
        only (a date output in days since 1970-01-01; :meth:`dates` gives them as dates)."""
        return {name: summarise(name, y) for name, y in self.outputs.items()}

    def dates(self) -> dict[str, dict[str, str | None]]:
        """P10, P50, P90 and mean of each date output as ISO dates (None: never reached)."""
        out = {}
        for name in DATE_OUTPUTS:
            if name in self.outputs:
                q = summarise(name, self.outputs[name])
                out[name] = {k: iso_day(q[k]) for k in ("p10", "p50", "p90", "mean")}
        return out

    def histograms(self, bins: int = 20) -> dict[str, dict[str, list[float]]]:
        """Counts (of the finite values) and bin edges of each output (dates: day numbers)."""
        out = {}
        for name, y in self.outputs.items():
            finite = y[np.isfinite(y)]
            low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
            if not high > low:  # numpy widens one value by +-0.5: lost in large numbers' rounding
                pad = max(abs(low) * 1e-9, 0.5)
                low, high = low - pad, high + pad
            counts, edges = np.histogram(finite, bins=bins, range=(low, high))
            out[name] = {"counts": counts.astype(float).tolist(), "edges": edges.tolist()}
        return out

    def cdfs(self) -> dict[str, dict[str, list[Any]]]:
        """The cumulative distribution of each output (dates as ISO dates)."""
        out: dict[str, dict[str, list[Any]]] = {}
        for name, y in self.outputs.items():
            c: dict[str, list[Any]] = dict(cdf(name, y))
            if name in DATE_OUTPUTS:
                c["value"] = [iso_day(v) for v in c["value"]]
            out[name] = c
        return out

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``gigawatt sweep --json`` (non-finite numbers as null)."""
        return _finite(self._document())

    def _document(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "backend": self.backend,
            "note": self.note,
            "seed": self.seed,
            "samples": int(self.samples.shape[0]),
            "design": "grid" if self.grid else "latin-hypercube",
            "inputs": list(self.paths),
            "clipped": self.clipped,
            "outputs": self.summary(),
            "dates": self.dates(),
            "targets": self.targets,
            "sensitivity": self.tornado,
            "p90_drivers": self.conditional,
            "first_order_indices": self.first_order,
            "sobol_indices": self.sobol,
            "sobol_evaluations": self.sobol_evaluations,
            "histograms": self.histograms(),
            "cdf": self.cdfs(),
            "grid": ([{**dict(zip(self.paths, row.tolist(), strict=True)),
                       **{k: float(v[i]) for k, v in self.outputs.items()}}
                      for i, row in enumerate(self.samples)] if self.grid else None),
        }


def _finite(x: Any) -> Any:
    """``x`` with every NaN or infinite float replaced by None (JSON has neither)."""
    if isinstance(x, float):
        return x if np.isfinite(x) else None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_finite(v) for v in x]
    return x


def _pooled_outputs(scenario: Scenario, paths: Sequence[str], samples: np.ndarray,
                    backend: str, workers: int, ray_address: str | None,
                    progress: Progress | None = None) -> dict[str, np.ndarray]:
    parts = chunks(len(samples), workers * 4)
    if backend == "process":
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(scalar_outputs, scenario, tuple(paths), samples[s])
                       for s in parts]
            done = 0
            for future in as_completed(futures):
                done += len(future.result())
                if progress is not None:
                    progress(done, len(samples))
            blocks = [f.result() for f in futures]
    else:
        blocks = _ray_map(scenario, paths, [samples[s] for s in parts], ray_address)
        if progress is not None:
            progress(len(samples), len(samples))
    names = output_names(scenario)
    stacked = np.vstack(blocks) if blocks else np.zeros((0, len(names)))
    return {k: stacked[:, i] for i, k in enumerate(names)}


def _ray_map(scenario: Scenario, paths: Sequence[str], blocks: list[np.ndarray],
             address: str | None) -> list[np.ndarray]:
    return ray_map(scalar_outputs, (scenario, tuple(paths)), blocks, address)


def ray_map(fn: Callable[..., Any], shared: tuple[Any, ...], blocks: Sequence[np.ndarray],
            address: str | None) -> list[Any]:
    """``[fn(*shared, block) for block in blocks]`` as Ray tasks (``shared`` put once);
    a local Ray is started when ``address`` is None and none is running."""
    try:
        import ray
    except ImportError:
        raise SweepError("backend 'ray' needs Ray: pip install 'gigawatt[ray]'") from None
    if not ray.is_initialized():
        if address is not None:
            _check_reachable(address)
        host = (address or "").removeprefix("ray://").rpartition(":")[0]
        try:
            # A local Ray binds to loopback only, and a cluster on this machine's loopback is
            # joined from loopback; any other cluster is reached where it is.
            ray.init(address=address, include_dashboard=False, log_to_driver=False,
                     configure_logging=False,
                     _node_ip_address=("127.0.0.1" if address is None
                                       or host in ("127.0.0.1", "localhost") else None))
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise SweepError(f"--ray-address {address!r}: cannot connect to Ray: "
                             f"{str(exc).splitlines()[0]}") from None
    task = ray.remote(fn)
    refs = [ray.put(x) for x in shared]
    return list(ray.get([task.remote(*refs, b) for b in blocks]))


def _check_reachable(address: str, timeout_s: float = 3.0) -> None:
    """Fail fast, in one line, when nothing listens at a Ray address (``host:port``)."""
    import socket

    host, _, port = address.removeprefix("ray://").rpartition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout_s):
            return
    except (OSError, ValueError) as exc:
        raise SweepError(f"--ray-address {address!r}: nothing answers there ({exc}); "
                         "accepted: HOST:PORT of a running Ray head") from None


def _buildout_solver(scenario: Scenario, inputs: Any, paths: Sequence[str], workers: int,
                     ray_address: str | None) -> Any:
    """The per-sample build-out solver when sampled inputs feed the programme (else None)."""
    from gigawatt.sweep import buildouts

    reads = buildouts.sampled_paths(scenario, paths)
    if not reads:
        return None
    on_ray = None if ray_address is None else (
        lambda fn, shared, blocks: ray_map(fn, shared, blocks, ray_address))
    return buildouts.Solver(buildouts.programme(scenario, inputs, reads), paths, workers,
                            pool=None if on_ray else buildouts.local_pool(workers),
                            ray_address=ray_address, ray_map=on_ray)


def _note(scenario: Scenario, backend: str, solver: Any) -> str | None:
    if scenario.buildout is None or backend != "vectorised":
        return None
    if solver is None or not solver.solved:
        return FIXED_SCHEDULE_NOTE
    where = ("one process" if not solver.pooled
             else f"the Ray cluster at {solver.ray_address}" if solver.ray_address
             else f"{solver.workers} local processes")
    return PER_SAMPLE_NOTE.format(solved=solver.solved,
                                  iterations=solver.iterations / solver.solved, where=where)


def parse_vary(specs: Sequence[str]) -> dict[str, list[float]]:
    """``['facility.pue=1.1,1.2']`` -> ``{'facility.pue': [1.1, 1.2]}``."""
    out: dict[str, list[float]] = {}
    for spec in specs:
        path, sep, values = spec.partition("=")
        if not sep or not values:
            raise SweepError(f"--vary {spec!r}: expected FIELD=V1,V2,...")
        try:
            out[path.strip()] = [float(v) for v in values.split(",")]
        except ValueError:
            raise SweepError(f"--vary {spec!r}: values must be numbers") from None
        if not all(math.isfinite(v) for v in out[path.strip()]):
            raise SweepError(f"--vary {spec!r}: values must be finite numbers (no nan, inf)")
    return out


def _sobol_base(samples: int, d: int) -> int:
    """The power of two ``n`` with ``n (d + 2)`` about the sample count, within limits."""
    n = max(64, samples // (d + 2))
    return int(min(SOBOL_MAX_BASE, 2 ** int(np.floor(np.log2(n)))))


def sweep(scenario: Scenario, samples: int = 1000, seed: int | None = 0,
          vary: Mapping[str, Sequence[float]] | None = None, backend: str = "vectorised",
          workers: int = 2, ray_address: str | None = None,
          catalog: Catalog | None = None, targets: Sequence[str] = (),
          sobol_indices: bool | None = None, progress: Progress | None = None) -> SweepResult:
    """Run the plan over samples of the scenario's uncertain inputs (or over a grid).

    Parameters
    ----------
    scenario : a validated scenario; its fields with a ``distribution`` are sampled.
    samples : number of Latin-hypercube samples, >= 1 (ignored with ``vary``).
    seed : seed of the ``numpy.random.Generator`` that draws the samples.
    vary : a grid instead of sampling: ``{path: [values]}``, every combination is run.
    backend : ``vectorised``, ``process`` (local process pool) or ``ray``.
    workers : worker processes (or Ray tasks in flight) for the pooled backends.
    ray_address : an existing Ray cluster; a local Ray is started when None.
    targets : conditions such as ``first_gw_date<=2026-12-31``; each gets its probability.
    sobol_indices : Sobol first-order and total-effect indices (default: on the vectorised
        backend with at least 200 samples).
    progress : called with (evaluations done, evaluations in all) as samples finish, the
        tornado's and Sobol's runs included.
    """
    if backend not in BACKENDS:
        raise SweepError(f"backend {backend!r}; accepted: {', '.join(BACKENDS)}")
    if not 1 <= workers <= MAX_WORKERS:
        raise SweepError(f"--workers {workers}: accepted: 1 to {MAX_WORKERS}")
    if vary:
        points = math.prod(len(values) for values in vary.values())
        if points > MAX_SAMPLES:
            raise SweepError(f"--vary: {points:,} grid points; accepted: at most "
                             f"{MAX_SAMPLES:,} (the product of the value counts)")
        bad_value = next((v for values in vary.values() for v in values
                          if not math.isfinite(v)), None)
        if bad_value is not None:
            raise SweepError(f"--vary: {bad_value} is not a finite number")
    elif samples > MAX_SAMPLES:
        raise SweepError(f"--samples {samples:,}: accepted: at most {MAX_SAMPLES:,}")
    names = output_names(scenario)
    parsed = [parse_target(t, names, DATE_OUTPUTS) for t in targets]
    inputs = gather_inputs(scenario, catalog)
    uncertain = uncertain_inputs(scenario, inputs)
    if vary:
        known = sorted({*inputs.values, *uncertain})
        unknown = [p for p in vary if p not in known]
        if unknown:
            raise SweepError(f"--vary {unknown[0]}: not a numeric field of this scenario; "
                             f"accepted: {', '.join(known)}")
        paths = tuple(vary)
        grid = np.array(list(itertools.product(*vary.values())), dtype=float)
        drawn, clipped = grid, dict[str, int]()
        for j, path in enumerate(paths):
            low, high = field_range(path)
            bad = grid[(grid[:, j] < low) | (grid[:, j] > high), j]
            if bad.size:
                raise SweepError(f"--vary {path}: {bad[0]:g} is out of range; accepted: "
                                 f"[{low:g}, {high:g}]")
    else:
        if samples < 1:
            raise SweepError(f"--samples {samples}: must be at least 1")
        paths = tuple(uncertain)
        if not paths:
            raise SweepError(f"scenario {scenario.name} has no uncertain inputs: give a "
                             "field a distribution (e.g. pue: {triangular: [1.05, 1.15, 1.5]}) "
                             "or use --vary FIELD=V1,V2")
        raw = latin_hypercube([uncertain[p].distribution for p in paths], samples,
                              np.random.default_rng(seed), correlation_of(scenario, paths))
        drawn, clipped = clip_to_ranges(paths, raw)
    for j, path in enumerate(paths):
        if is_integer(path):
            drawn[:, j] = np.round(drawn[:, j])

    with_indices = not vary and len(drawn) >= MIN_SAMPLES_FOR_INDICES
    with_sobol = with_indices and (sobol_indices if sobol_indices is not None
                                   else backend == "vectorised")
    base = _sobol_base(len(drawn), len(paths)) if with_sobol else 0
    total = len(drawn) + (0 if vary else 2 * len(paths) + 1) + base * (len(paths) + 2)
    finished = 0

    def step(done: int, _: int) -> None:
        if progress is not None:
            progress(finished + done, total)

    solver = None
    if backend == "vectorised" and scenario.buildout is not None:
        solver = _buildout_solver(scenario, inputs, paths, workers, ray_address)

    def run_rows(rows: np.ndarray) -> dict[str, np.ndarray]:
        nonlocal finished
        if backend == "vectorised":
            # in blocks, so that a long vectorised sweep reports as it goes (and a schedule
            # per sample stays within memory)
            size = max(len(rows), 1) if progress is None and solver is None else 20_000
            blocks = []
            for first in range(0, len(rows), size):
                blocks.append(vectorised_outputs(scenario, inputs, paths,
                                                 rows[first:first + size],
                                                 solver.restage if solver else None))
                step(min(first + size, len(rows)), total)
            out = {k: np.concatenate([b[k] for b in blocks]) for k in blocks[0]}
        else:
            out = _pooled_outputs(scenario, paths, rows, backend, workers, ray_address,
                                  progress=step)
        finished += len(rows)
        return out

    try:
        results = run_rows(drawn)
        central = np.array([uncertain[p].central if p in uncertain else inputs.values[p]
                            for p in paths])
        swings = tornado(run_rows, paths, drawn, central) if not vary else {}
        indices = None
        conditional: dict[str, list[dict[str, Any]]] = {}
        sobol_result = None
        evaluations = 0
        if with_indices:
            orders = np.argsort(drawn, axis=0, kind="stable").T
            indices = all_first_order(paths, drawn, results, orders)
            conditional = conditional_tornado(paths, drawn, results, orders=orders)
            if with_sobol:
                def clipped_rows(rows: np.ndarray) -> dict[str, np.ndarray]:
                    fixed, _ = clip_to_ranges(paths, rows)
                    for j, path in enumerate(paths):
                        if is_integer(path):
                            fixed[:, j] = np.round(fixed[:, j])
                    return run_rows(fixed)

                sobol_result = sobol(clipped_rows, paths,
                                     [Marginal(uncertain[p].distribution) for p in paths], base,
                                     np.random.default_rng(None if seed is None else seed + 1))
                evaluations = base * (len(paths) + 2)
    finally:
        if solver is not None:
            solver.close()
    return SweepResult(scenario=scenario.name, backend=backend, seed=seed, paths=paths,
                       samples=drawn, outputs=results, clipped=clipped, tornado=swings,
                       first_order=indices, grid=bool(vary),
                       note=_note(scenario, backend, solver),
                       targets=[probability(t, results[t.output]) for t in parsed],
                       conditional=conditional, sobol=sobol_result,
                       sobol_evaluations=evaluations)
