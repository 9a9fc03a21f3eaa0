"""The plan's non-analytic stages on sample arrays: the ramp, the frontier run, failures,
the deal's tranches and the first-GW date, for ``N`` samples at once.

Each wraps the stage's own public functions, calling them once per distinct case across the
samples and broadcasting the answer back:

Ramp
    Each step's cumulative power is a column of samples, raised to the steps before it; the
    half-year calendar and the platform of each step are the scenario's (as
    :func:`gigawatt.pipeline.schedule.build_schedule`, on ``(S, periods)`` arrays).
Frontier run (:mod:`gigawatt.pipeline.frontier`)
    The host platform and the largest job ``n_s = floor(min(f_s G_s, S_s, F_s))`` per sample;
    job sizes ``n_s``, ``n_s / 2``, ... as there. The layout search answers "the fastest
    layout on at most ``n`` GPUs", whose step time depends only on the layout (not on ``n``);
    so its answer is a step function of ``n``: the best layout for ``q`` GPUs, using
    ``g <= q`` of them, is also the best for every ``n`` in ``[g, q]`` (a subset of the
    layouts that still holds it). Walking down the distinct sizes, one search covers a whole
    interval: a few searches serve every sample. Goodput (closed form,
    :func:`gigawatt.estimates.reliability.job_reliability`) depends on the job's GPUs and, on
    settled racks, on its length only through the cap of the checkpoint interval at the run's
    length; it is computed once per distinct GPU count at the shortest run of the group, and
    per sample only where that cap binds.
Fleet failures (:mod:`gigawatt.pipeline.fleet_failures`)
    Expected failures and GPU replacements per day are sums over platforms of rates per GPU
    times GPUs (settled racks): the rate per GPU of each platform is read once from
    :func:`gigawatt.estimates.reliability.fleet_reliability`, and linearity checked at a
    second size.
First-GW date, tranches
    The crossing day of :meth:`gigawatt.pipeline.schedule.Schedule.crossing_dates`, row by
    row; tranches released are those whose threshold the final power reaches.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from gigawatt import units
from gigawatt.catalog.modelfile import load_model
from gigawatt.pipeline.evaluate import Evaluation
from gigawatt.pipeline.fleet_failures import operations_of
from gigawatt.pipeline.frontier import JOB_FRACTIONS, _estimate, run_reliability
from gigawatt.pipeline.inputs import Inputs
from gigawatt.pipeline.schedule import Schedule, period_label, period_start
from gigawatt.scenario.checks import half_year_index
from gigawatt.scenario.schema import Scenario
from gigawatt.sweep.sampling import delay_path, ramp_path
from gigawatt.units import Param


def _column(value: Param, n: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(value, dtype=float).reshape(-1), (n,)) \
        if np.size(value) in (1, n) else np.asarray(value, dtype=float).reshape(n)


def sampled_ramp(scenario: Scenario, schedule: Schedule, values: Mapping[str, Param],
                 n: int) -> Schedule:
    """The ramp's schedule with a sample axis: ``facility_w`` ``(S, periods)``,
    ``added_facility_w_by_system`` ``(S, platforms, periods)``.

    Each step's power is raised to the steps before it; a delayed step lands its whole
    half-years later. Power at the end of a half-year is the most of the steps reached by then
    (as given, the power of the latest step), added by the platform of the step that gives it;
    the calendar runs from the first step to the latest landing of any sample.
    """
    assert scenario.ramp is not None
    steps = scenario.ramp.steps
    gw = np.column_stack([_column(values.get(ramp_path(s.period), s.facility_gw), n)
                          for s in steps])
    gw = np.maximum.accumulate(gw, axis=1)
    idx = np.array([half_year_index(s.period) for s in steps])
    delay = np.column_stack([np.round(_column(values.get(delay_path(s.period), 0.0), n))
                             for s in steps]).astype(int)
    landed = idx[None, :] + delay  # (S, J)
    span = np.arange(int(landed.min()), int(landed.max()) + 1)
    reached = landed[:, None, :] <= span[None, :, None]  # (S, P, J)
    power = np.where(reached, gw[:, None, :], -1.0)
    facility_w = units.gw_to_w(np.maximum(power.max(axis=2), 0.0))
    added = np.diff(facility_w, axis=-1, prepend=0.0)
    names = schedule.systems
    step_system = np.array([names.index(s.system) for s in steps])
    giver = step_system[np.argmax(power, axis=2)]  # (S, P): first of equal, as with_values
    mask = giver[:, None, :] == np.arange(len(names))[None, :, None]
    by_system = np.where(mask, added[:, None, :], 0.0)
    if len(span) != len(schedule.periods) or span[0] != half_year_index(schedule.periods[0]):
        labels = tuple(period_label(int(i)) for i in span)
        schedule = dataclasses.replace(
            schedule, periods=labels, starts=np.array([period_start(int(i)) for i in span]),
            ends=np.array([period_start(int(i) + 1) for i in span]))
    return dataclasses.replace(schedule, facility_w=facility_w,
                               added_facility_w_by_system=by_system)


def crossing_days(schedule: Schedule, facility_w: np.ndarray, threshold_w: float) -> np.ndarray:
    """Day number (days since 1970-01-01) on which each row of ``facility_w`` first reaches
    ``threshold_w``; NaN if never (the arithmetic of ``Schedule.crossing_dates``)."""
    f = np.atleast_2d(np.asarray(facility_w, dtype=float))
    rows = np.arange(len(f))
    periods = f.shape[1]
    k = (f < threshold_w).sum(axis=1)  # searchsorted(side="left") on a non-decreasing row
    reached = k < periods
    kc = np.minimum(k, periods - 1)
    before = np.where(kc > 0, f[rows, np.maximum(kc - 1, 0)], 0.0)
    step = f[rows, kc] - before
    frac = np.divide(threshold_w - before, step, out=np.zeros(len(f)),
                     where=reached & (step > 0))
    length = (schedule.ends[kc] - schedule.starts[kc]).astype(int)
    offset = np.maximum(np.ceil(np.clip(frac, 0.0, 1.0) * length) - 1, 0).astype(int)
    days = schedule.starts[kc].astype("datetime64[D]").astype(np.int64) + offset
    return np.where(reached, days.astype(float), np.nan)


def released_usd(final_w: np.ndarray, usd_per_tranche: np.ndarray, gw_per_tranche: np.ndarray,
                 cap_usd: np.ndarray) -> np.ndarray:
    """USD released by the end: tranches ``j = 1..n`` of ``usd_per_tranche`` (the last the
    rest of the cap, ``n = ceil(cap / usd)``) whose threshold ``j x gw_per_tranche`` the final
    facility power reaches (as :func:`gigawatt.pipeline.economics.tranche_schedule`)."""
    usd, gw, cap = (np.asarray(a, dtype=float) for a in (usd_per_tranche, gw_per_tranche,
                                                          cap_usd))
    ok = (usd > 0) & (cap > 0)
    n = np.where(ok, np.ceil(np.divide(cap, usd, out=np.zeros_like(cap), where=ok) - 1e-9), 0)
    guess = np.floor(units.w_to_gw(final_w) / gw)
    # exact comparison of the threshold in watts, as the plan makes it
    k = guess + 1
    for _ in range(3):
        k = np.where(units.gw_to_w(gw * k) <= final_w, k, k - 1)
    k = np.clip(k, 0, n)
    return np.where(ok, np.where(k >= n, cap, k * usd), 0.0)


def fleet_rates_per_gpu(inputs: Inputs, profile: str) -> tuple[np.ndarray, np.ndarray]:
    """Failures and GPU replacements per day per GPU of each platform (settled racks).

    Raises
    ------
    AssertionError
        if the reliability model stops being linear in GPUs (then this broadcast is wrong).
    """
    from gigawatt.estimates.reliability import fleet_reliability

    per_fail, per_swap = [], []
    for s in inputs.systems:
        small = fleet_reliability({s.id: 1000}, profile=profile, catalog=inputs.catalog)
        large = fleet_reliability({s.id: 64000}, profile=profile, catalog=inputs.catalog)
        assert np.isclose(large.failures_per_day, 64 * small.failures_per_day, rtol=1e-9)
        per_fail.append(small.failures_per_day / 1000)
        per_swap.append(small.gpu_replacements_per_day / 1000)
    return np.array(per_fail), np.array(per_swap)


_STAIRS: dict[tuple[Any, ...], list[tuple[int, int, Any]]] = {}
"""Intervals ``(g, q, run)`` of the search's step function found so far, by search: the
best layout on at most ``n`` GPUs is ``run`` for every ``n`` in ``[g, q]``."""


def _layouts(inputs: Inputs, scenario: Scenario, system_id: str, counts: np.ndarray
             ) -> dict[int, Any]:
    """The search's answer for each distinct GPU count, walking down the step function
    (module docstring): ``{n: TrainingResult or None}``."""
    t = scenario.training
    assert t is not None
    model = load_model(t.model, inputs.catalog)
    key = (model, system_id, t.seq_len, t.global_batch, t.precision, id(inputs.catalog))
    stairs = _STAIRS.setdefault(key, [])
    wanted = np.unique(counts[counts >= 1]).astype(int)[::-1]
    out: dict[int, Any] = {}
    i = 0
    while i < len(wanted):
        q = int(wanted[i])
        known = next(((g, top, r) for g, top, r in stairs if g <= q <= top), None)
        if known is not None:
            g, _, run = known
        else:
            run = _estimate(model, system_id, q, t.seq_len, t.global_batch, t.precision,
                            t.tokens.value, inputs.catalog)
            g = 1 if run is None else run.search.best.gpus
            stairs.append((g, q, run))
        if run is None:  # fewer GPUs hold a subset of the layouts: none fits either
            out.update({int(n): None for n in wanted[i:]})
            break
        while i < len(wanted) and wanted[i] >= g:
            out[int(wanted[i])] = run
            i += 1
    return out


def _goodputs(inputs: Inputs, scenario: Scenario, system_id: str, gpus: np.ndarray,
              replica: np.ndarray, days: np.ndarray, detection: np.ndarray | None,
              restart: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Closed-form goodput and mean time to interruption (min) per sample, as the plan's
    :func:`~gigawatt.pipeline.frontier.run_reliability` (the same GPUs are the same layout,
    so they share one replica size)."""
    t = scenario.training
    assert t is not None
    n = len(gpus)
    goodput, mtti = np.full(n, np.nan), np.full(n, np.nan)
    # -1: the scenario's (or the profile's) time; np.unique needs no NaN in its keys
    det = detection if detection is not None else np.full(n, -1.0)
    rst = restart if restart is not None else np.full(n, -1.0)
    fixed_det = None if t.detection_min is None else t.detection_min.value
    fixed_rst = None if t.restart_min is None else t.restart_min.value
    ok = np.isfinite(days) & (gpus >= 1)
    where = np.flatnonzero(ok)
    if not len(where):
        return goodput, mtti
    if detection is None and restart is None:  # one key: a 1-D unique is much faster
        ug, inverse = np.unique(gpus[ok], return_inverse=True)
        uniq = np.column_stack([ug, np.full(len(ug), -1.0), np.full(len(ug), -1.0)])
    else:
        uniq, inverse = np.unique(np.column_stack([gpus, det, rst])[ok], axis=0,
                                  return_inverse=True)
    inverse = inverse.reshape(-1)
    groups = np.split(where[np.argsort(inverse, kind="stable")],
                      np.cumsum(np.bincount(inverse, minlength=len(uniq)))[:-1])

    model = load_model(t.model, inputs.catalog)
    operations = operations_of(scenario)

    def call(g: float, d: float, a: float, b: float, r: float) -> Any:
        return run_reliability(inputs.catalog, system_id, int(g), max(d, 1e-3), t, operations,
                               model, r, detection_min=fixed_det if a < 0 else float(a),
                               restart_min=fixed_rst if b < 0 else float(b))

    for (g, a, b), members in zip(uniq, groups, strict=True):
        d = days[members]
        r = float(replica[members[0]])
        rel = call(g, float(d.min()), a, b, r)
        interval_s = units.minutes_to_s(rel.checkpoint_interval_min)
        if interval_s < units.days_to_s(max(float(d.min()), 1e-3)):
            goodput[members] = rel.goodput
            mtti[members] = units.s_to_minutes(units.hours_to_s(rel.mtti_hours))
            continue
        for m in members:  # the interval is capped at the run's length: per sample
            one = call(g, float(days[m]), a, b, r)
            goodput[m] = one.goodput
            mtti[m] = units.s_to_minutes(units.hours_to_s(one.mtti_hours))
    return goodput, mtti


def frontier_outputs(scenario: Scenario, inputs: Inputs, ev: Evaluation,
                     values: Mapping[str, Param], n: int) -> dict[str, np.ndarray]:
    """The frontier run on the last period's best single-site job, per sample (the keys of
    :func:`gigawatt.pipeline.frontier.frontier_headline` that a sweep reports)."""
    t = scenario.training
    assert t is not None
    systems = inputs.systems
    share = 1.0 - _column(values.get("serving.share_of_fleet", 0.0), n)
    cluster = _column(np.asarray(ev.network.largest_cluster_gpus)[..., -1], n)
    sites = inputs.schedule.sites
    best_n = np.zeros(n)
    best_flops = np.zeros(n)
    host = np.full(n, -1)
    for i, s in enumerate(systems):
        packages = _column(np.asarray(ev.fleet.packages_by_system)[..., i, -1], n)
        if sites is not None:
            # the largest single site at the end (racks (sites, ...) or, per sample,
            # (samples, sites, ...))
            cap = _column(np.asarray(sites.racks)[..., i, -1].max(axis=-1)
                          * s.packages_per_rack, n)
        else:
            site_gw = _column(values.get("training.max_site_facility_gw",
                                         t.max_site_facility_gw.value
                                         if t.max_site_facility_gw else 0.0), n)
            # the expression of pipeline.frontier.site_gpus, on arrays
            racks = np.floor(units.gw_to_w(site_gw) / _column(values["facility.pue"], n)
                             / (units.kw_to_w(_column(values[f"platforms.{s.id}.rack_power_kw"],
                                                      n))
                                * (1.0 + _column(values["facility.it_overhead_fraction"], n))))
            cap = racks * s.packages_per_rack
        jobs = np.floor(np.minimum(np.minimum(share * packages, cap), cluster))
        acc = inputs.catalog.accelerator_of(s)
        flops = jobs * (getattr(acc, f"{t.precision}_dense_tflops") or 0.0)
        better = flops > best_flops
        best_n, best_flops = np.where(better, jobs, best_n), np.where(better, flops, best_flops)
        host = np.where(better, i, host)
    tokens = _column(values.get("training.tokens", t.tokens.value), n)
    det = (_column(values["training.detection_min"], n)
           if "training.detection_min" in values else None)
    rst = (_column(values["training.restart_min"], n)
           if "training.restart_min" in values else None)
    names = ("training_days", "training_goodput", "largest_job_goodput", "training_job_gpus",
             "training_ideal_days", "training_mfu", "training_mtti_min",
             "training_largest_job_gpus")
    out = {k: np.full(n, np.nan) for k in names}
    out["training_largest_job_gpus"] = best_n.copy()
    for i, s in enumerate(systems):
        mine = np.flatnonzero(host == i)
        if not len(mine):
            continue
        sizes = np.stack([np.floor(best_n[mine] * f) for f in JOB_FRACTIONS])  # (F, m)
        runs = _layouts(inputs, scenario, s.id, sizes.reshape(-1))
        shape = sizes.shape
        uniq, inverse = np.unique(sizes.reshape(-1), return_inverse=True)
        table = np.full((len(uniq), 4), np.nan)
        for u, count in enumerate(uniq):
            run = runs.get(int(count))
            if run is not None:
                b = run.search.best
                table[u] = b.gpus, b.tokens_per_s, b.mfu, b.gpus / max(b.dp, 1)
        gpus, tps, mfu, replica = (table[inverse.reshape(-1), c].reshape(shape)
                                   for c in range(4))
        ideal = units.s_to_days(tokens[mine][None, :] / tps)
        goodput = np.full(shape, np.nan)
        mtti = np.full(shape, np.nan)
        for f in range(shape[0]):
            # as the plan: a run shorter than 1e-3 days counts as 1e-3
            g, m = _goodputs(inputs, scenario, s.id, np.nan_to_num(gpus[f], nan=0.0),
                             np.nan_to_num(replica[f], nan=1.0),
                             np.where(np.isfinite(ideal[f]), np.maximum(ideal[f], 1e-3),
                                      np.nan),
                             None if det is None else det[mine],
                             None if rst is None else rst[mine])
            goodput[f], mtti[f] = g, m
        days = np.where(np.isfinite(ideal), ideal / np.maximum(goodput, 1e-12), np.inf)
        has = np.isfinite(ideal)
        pick = np.argmin(np.where(has, days, np.inf), axis=0)  # first of equal: as the plan
        first = np.argmax(has, axis=0)  # the largest size that has a run
        any_run = has.any(axis=0)
        cols = np.arange(len(mine))

        def chosen(a: np.ndarray, at: np.ndarray = pick, has_run: np.ndarray = any_run,
                   cols: np.ndarray = cols) -> np.ndarray:
            return np.where(has_run, a[at, cols], np.nan)

        out["training_days"][mine] = chosen(days)
        out["training_goodput"][mine] = chosen(goodput)
        out["largest_job_goodput"][mine] = chosen(goodput, first)
        out["training_job_gpus"][mine] = chosen(gpus)
        out["training_ideal_days"][mine] = chosen(ideal)
        out["training_mfu"][mine] = chosen(mfu)
        out["training_mtti_min"][mine] = chosen(mtti)
    return out


def broadcast_rows(rows: Sequence[np.ndarray], n: int) -> list[np.ndarray]:
    """Each array as an ``(n,)`` column."""
    return [_column(r, n) for r in rows]
