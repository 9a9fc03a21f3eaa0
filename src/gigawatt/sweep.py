"""Uncertainty and sensitivity: the plan over many samples of its uncertain inputs.

Sampling
    Every scenario number with a ``distribution`` is an uncertain input. ``N`` samples are
    drawn by Latin hypercube (one stratum of ``1/N`` per sample and input, strata paired at
    random), mapped through each distribution's inverse CDF, and clipped to the field's
    accepted range (normal and lognormal tails can leave it; the count is reported).
Evaluation
    ``vectorised``: the analytic pipeline runs once on ``(N, 1)`` columns of inputs.
    ``process`` / ``ray``: each sample runs the whole scalar pipeline (``plan``) in worker
    processes, for stages that do not vectorise. Samples are drawn up front from the seed,
    so every backend gives the same numbers, except for an optimised build-out: the
    vectorised path solves its programme once, at the central values, and holds that
    schedule fixed (racks, GPUs and power do not vary; prices, costs and energy do), while
    the pooled backends re-optimise every sample. The result's ``note`` says so.
Summary
    P10, P50, P90 and mean of each output, and a 20-bin histogram.
Sensitivity
    Tornado: each input at its own P10 and P90 with the others at their central values;
    inputs ranked by the swing ``|y(P90) - y(P10)|``. First-order (variance-based) index
    ``S_i = Var(E[y | x_i]) / Var(y)``, estimated by splitting the samples into ``B``
    equal-count bins of ``x_i`` (``B = min(20, N // 10)``); given when ``N >= 200``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from gigawatt.catalog import Catalog
from gigawatt.errors import GigawattError
from gigawatt.pipeline import evaluate, gather_inputs, outputs, plan
from gigawatt.scenario.schema import (
    Distribution,
    Facility,
    Finance,
    Platform,
    Scenario,
    Serving,
    accepted_range,
)
from gigawatt.validation import MAX_SAMPLES, MAX_WORKERS

OUTPUTS = ("gpus", "gpu_dies", "fp8_eflops", "capex_usd", "capex_usd_per_gw",
           "usd_per_gpu_hour", "opex_usd_per_year", "energy_twh_per_year", "water_gl_per_year",
           "emissions_mt_co2_per_year")
"""Headline outputs a sweep summarises (plus SERVING_OUTPUTS when the scenario serves)."""
SERVING_OUTPUTS = ("weekly_users_servable", "output_tokens_per_day",
                   "usd_per_million_output_tokens")


TRAINING_OUTPUTS = ("training_days", "training_goodput")
"""Outputs of the training search, which runs per sample: pooled backends only."""


def output_names(scenario: Scenario, pooled: bool = False) -> tuple[str, ...]:
    """The outputs a sweep of this scenario reports (training ones on pooled backends)."""
    return (OUTPUTS + (SERVING_OUTPUTS if scenario.serving is not None else ())
            + (TRAINING_OUTPUTS if pooled and scenario.training is not None else ()))

BACKENDS = ("vectorised", "process", "ray")
FIXED_SCHEDULE_NOTE = (
    "the build-out optimiser ran once, at the central values, and its schedule is held fixed "
    "across samples: racks, GPUs and facility power do not vary, prices, costs and energy do; "
    "--backend process re-optimises every sample")
MIN_SAMPLES_FOR_INDICES = 200


class SweepError(GigawattError):
    """A sweep cannot run as asked."""


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

    def summary(self) -> dict[str, dict[str, float]]:
        """P10, P50, P90 and mean of each output."""
        out = {}
        for name, y in self.outputs.items():
            p10, p50, p90 = np.percentile(y, [10, 50, 90])
            out[name] = {"p10": float(p10), "p50": float(p50), "p90": float(p90),
                         "mean": float(y.mean())}
        return out

    def histograms(self, bins: int = 20) -> dict[str, dict[str, list[float]]]:
        """Counts (of the finite values) and bin edges of each output."""
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

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``gigawatt sweep --json``."""
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
            "sensitivity": self.tornado,
            "first_order_indices": self.first_order,
            "histograms": self.histograms(),
            "grid": ([{**dict(zip(self.paths, row.tolist(), strict=True)),
                       **{k: float(v[i]) for k, v in self.outputs.items()}}
                      for i, row in enumerate(self.samples)] if self.grid else None),
        }


def _ppf(dist: Distribution, u: np.ndarray) -> np.ndarray:
    """Inverse CDF of a distribution at probabilities ``u``."""
    from scipy import stats

    p = dist.params
    if dist.form == "uniform":
        return p[0] + u * (p[1] - p[0])
    if dist.form == "triangular":
        lo, mode, hi = p
        if hi == lo:
            return np.full_like(u, lo)
        return stats.triang.ppf(u, (mode - lo) / (hi - lo), loc=lo, scale=hi - lo)
    if dist.form == "normal":
        return stats.norm.ppf(u, loc=p[0], scale=p[1]) if p[1] > 0 else np.full_like(u, p[0])
    if dist.form == "lognormal":
        return p[0] * np.exp(p[1] * stats.norm.ppf(u))
    choices = np.asarray(p, dtype=float)
    return choices[np.minimum((u * len(choices)).astype(int), len(choices) - 1)]


def latin_hypercube(distributions: Sequence[Distribution], n: int,
                    rng: np.random.Generator) -> np.ndarray:
    """``(n, d)`` samples, one column per distribution, by Latin hypercube."""
    from scipy.stats import qmc

    if not distributions:
        return np.zeros((n, 0))
    u = qmc.LatinHypercube(d=len(distributions), rng=rng).random(n)
    return np.column_stack([_ppf(d, u[:, j]) for j, d in enumerate(distributions)])


def _field_range(path: str) -> tuple[float, float]:
    section, *rest = path.split(".")
    models: dict[str, type[Facility | Finance | Platform | Serving]] = {
        "facility": Facility, "finance": Finance, "platforms": Platform, "serving": Serving}
    model = models[section]
    span = accepted_range(model, rest[-1])
    return span.low, span.high


def clip_to_ranges(paths: Sequence[str], samples: np.ndarray) -> tuple[np.ndarray, dict[str, int]]:
    """Samples clipped to each field's accepted range, and how many were clipped per field."""
    out = samples.copy()
    clipped = {}
    for j, path in enumerate(paths):
        low, high = _field_range(path)
        outside = (out[:, j] < low) | (out[:, j] > high)
        if outside.any():
            clipped[path] = int(outside.sum())
            out[:, j] = np.clip(out[:, j], low, high)
    return out, clipped


def with_values(scenario: Scenario, values: Mapping[str, float]) -> Scenario:
    """The scenario with the given paths set to new central values (distributions kept)."""
    data = scenario.model_dump()
    for path, value in values.items():
        *parents, last = path.split(".")
        node = data
        for part in parents:
            if node.get(part) is None:
                node[part] = {}
            node = node[part]
        current = node.get(last)
        node[last] = {**current, "value": float(value)} if isinstance(current, dict) else {
            "value": float(value), "status": "input"}
    return Scenario.model_validate(data)


def _scalar_outputs(scenario: Scenario, paths: Sequence[str], rows: np.ndarray) -> np.ndarray:
    """Run the whole scalar pipeline once per row; ``(rows, outputs)``."""
    names = output_names(scenario, pooled=True)
    out = np.empty((len(rows), len(names)))
    for i, row in enumerate(rows):
        headline = plan(with_values(scenario, dict(zip(paths, row, strict=True)))).headline
        out[i] = [np.nan if headline[k] is None else headline[k] for k in names]
    return out


def _vectorised_outputs(scenario: Scenario, catalog: Catalog | None, paths: Sequence[str],
                        samples: np.ndarray) -> dict[str, np.ndarray]:
    inputs = gather_inputs(scenario, catalog)
    values: dict[str, Any] = dict(inputs.values)
    for j, path in enumerate(paths):
        values[path] = samples[:, j:j + 1]
    raw = outputs(inputs.schedule, evaluate(inputs, values))
    return {k: np.broadcast_to(np.asarray(raw[k], dtype=float), (len(samples),)).copy()
            for k in output_names(scenario)}


def _chunks(n: int, parts: int) -> list[slice]:
    edges = np.linspace(0, n, max(1, min(parts, n)) + 1).astype(int)
    return [slice(a, b) for a, b in itertools.pairwise(edges) if b > a]


def _pooled_outputs(scenario: Scenario, paths: Sequence[str], samples: np.ndarray,
                    backend: str, workers: int, ray_address: str | None) -> dict[str, np.ndarray]:
    parts = _chunks(len(samples), workers * 4)
    if backend == "process":
        with ProcessPoolExecutor(max_workers=workers) as pool:
            blocks = list(pool.map(_scalar_outputs, itertools.repeat(scenario),
                                   itertools.repeat(tuple(paths)), [samples[s] for s in parts]))
    else:
        blocks = _ray_map(scenario, paths, [samples[s] for s in parts], ray_address)
    names = output_names(scenario, pooled=True)
    stacked = np.vstack(blocks) if blocks else np.zeros((0, len(names)))
    return {k: stacked[:, i] for i, k in enumerate(names)}


def _ray_map(scenario: Scenario, paths: Sequence[str], blocks: list[np.ndarray],
             address: str | None) -> list[np.ndarray]:
    try:
        import ray
    except ImportError:
        raise SweepError("backend 'ray' needs Ray: pip install 'gigawatt[ray]'") from None
    if not ray.is_initialized():
        if address is not None:
            _check_reachable(address)
        try:
            # A local Ray binds to loopback only; an existing cluster is reached where it is.
            ray.init(address=address, include_dashboard=False, log_to_driver=False,
                     configure_logging=False,
                     _node_ip_address="127.0.0.1" if address is None else None)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise SweepError(f"--ray-address {address!r}: cannot connect to Ray: "
                             f"{str(exc).splitlines()[0]}") from None
    task = ray.remote(_scalar_outputs)
    return list(ray.get([task.remote(scenario, tuple(paths), b) for b in blocks]))


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


def _tornado(evaluate_rows: Callable[[np.ndarray], dict[str, np.ndarray]], paths: Sequence[str],
             samples: np.ndarray, central: np.ndarray) -> dict[str, list[dict[str, Any]]]:
    d = len(paths)
    names = list(evaluate_rows(central[None, :]))
    if d == 0:
        return {k: [] for k in names}
    p10, p90 = np.percentile(samples, [10, 90], axis=0)
    rows = np.tile(central, (2 * d, 1))
    rows[np.arange(d), np.arange(d)] = p10
    rows[d + np.arange(d), np.arange(d)] = p90
    y = evaluate_rows(rows)
    result = {}
    for name in names:
        low, high = y[name][:d], y[name][d:]
        entries: list[dict[str, Any]] = [
            {"input": paths[j], "input_p10": float(p10[j]), "input_p90": float(p90[j]),
             "output_at_p10": float(low[j]), "output_at_p90": float(high[j]),
             "swing": float(abs(high[j] - low[j]))} for j in range(d)]
        result[name] = sorted(entries, key=lambda e: -e["swing"])
    return result


def first_order_indices(x: np.ndarray, y: np.ndarray) -> float:
    """``Var(E[y | x]) / Var(y)`` from equal-count bins of ``x`` (see the module docstring)."""
    var = float(np.var(y))
    if var == 0.0:
        return 0.0
    bins = max(2, min(20, len(x) // 10))
    order = np.argsort(x, kind="stable")
    groups = np.array_split(y[order], bins)
    means = np.array([g.mean() for g in groups])
    weights = np.array([len(g) for g in groups]) / len(y)
    return float(np.sum(weights * (means - y.mean()) ** 2) / var)


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


def sweep(scenario: Scenario, samples: int = 1000, seed: int | None = 0,
          vary: Mapping[str, Sequence[float]] | None = None, backend: str = "vectorised",
          workers: int = 2, ray_address: str | None = None,
          catalog: Catalog | None = None) -> SweepResult:
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
    inputs = gather_inputs(scenario, catalog)
    if vary:
        unknown = [p for p in vary if p not in inputs.values]
        if unknown:
            raise SweepError(f"--vary {unknown[0]}: not a numeric field of this scenario; "
                             f"accepted: {', '.join(sorted(inputs.values))}")
        paths = tuple(vary)
        grid = np.array(list(itertools.product(*vary.values())), dtype=float)
        drawn, clipped = grid, dict[str, int]()
        for j, path in enumerate(paths):
            low, high = _field_range(path)
            bad = grid[(grid[:, j] < low) | (grid[:, j] > high), j]
            if bad.size:
                raise SweepError(f"--vary {path}: {bad[0]:g} is out of range; accepted: "
                                 f"[{low:g}, {high:g}]")
    else:
        if samples < 1:
            raise SweepError(f"--samples {samples}: must be at least 1")
        paths = tuple(sorted(inputs.distributions))
        if not paths:
            raise SweepError(f"scenario {scenario.name} has no uncertain inputs: give a "
                             "field a distribution (e.g. pue: {triangular: [1.05, 1.15, 1.5]}) "
                             "or use --vary FIELD=V1,V2")
        raw = latin_hypercube([inputs.distributions[p] for p in paths], samples,
                              np.random.default_rng(seed))
        drawn, clipped = clip_to_ranges(paths, raw)

    def run_rows(rows: np.ndarray) -> dict[str, np.ndarray]:
        if backend == "vectorised":
            return _vectorised_outputs(scenario, catalog, paths, rows)
        return _pooled_outputs(scenario, paths, rows, backend, workers, ray_address)

    results = run_rows(drawn)
    central = np.array([inputs.values[p] for p in paths])
    tornado = _tornado(run_rows, paths, drawn, central) if not vary else {}
    indices = None
    if not vary and len(drawn) >= MIN_SAMPLES_FOR_INDICES:
        indices = {name: {p: first_order_indices(drawn[:, j], results[name])
                          for j, p in enumerate(paths)} for name in results}
    return SweepResult(scenario=scenario.name, backend=backend, seed=seed, paths=paths,
                       samples=drawn, outputs=results, clipped=clipped, tornado=tornado,
                       first_order=indices, grid=bool(vary),
                       note=(FIXED_SCHEDULE_NOTE if scenario.buildout is not None
                             and backend == "vectorised" else None))
