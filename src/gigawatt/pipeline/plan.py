"""``plan()``: the stages composed, in the order the data flows.

inputs (scenario + catalog, schedule) -> evaluate (sizing, scale-out network, economics,
serving) -> frontier training -> fleet failures -> investment tranches -> claims -> result.
Each stage is a pure function on numbers and arrays in its own module of this package.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from gigawatt import units
from gigawatt.catalog import Catalog
from gigawatt.pipeline.buys import gigawatt_buys
from gigawatt.pipeline.claims import (
    buildable_values,
    check_claims,
    platform_shares,
    site_optics,
)
from gigawatt.pipeline.economics import Tranches, investment_per_period, tranche_schedule
from gigawatt.pipeline.evaluate import evaluate, outputs
from gigawatt.pipeline.fleet_failures import (
    fleet_failures,
    operations_headline,
    operations_of,
    operations_rows,
)
from gigawatt.pipeline.frontier import frontier_headline, frontier_run
from gigawatt.pipeline.inputs import gather_inputs
from gigawatt.pipeline.result import PlanResult, iso_date, json_number, site_rows
from gigawatt.pipeline.serving import kind_rows
from gigawatt.pipeline.yardstick import yardstick, yardstick_headline
from gigawatt.scenario.schema import Scenario
from gigawatt.version import __version__


def plan(scenario: Scenario, catalog: Catalog | None = None) -> PlanResult:
    """Run the whole pipeline on a validated scenario, at the central value of each input.

    Parameters
    ----------
    scenario : a validated scenario (see ``load_scenario``); its cross-checks are rerun here.
    catalog : the equipment catalog; the built-in one by default.
    """
    inputs = gather_inputs(scenario, catalog)
    schedule = inputs.schedule
    ev = evaluate(inputs, inputs.values)
    training = frontier_run(scenario, inputs, ev)
    operations = operations_of(scenario)
    failures = fleet_failures(inputs, ev, operations)

    inv = scenario.investment
    thresholds_gw, amounts = (
        tranche_schedule(inv.usd_per_tranche.value, inv.gw_per_tranche.value, inv.cap_usd.value)
        if inv else (np.zeros(0), np.zeros(0))
    )
    tranches = Tranches(thresholds_gw, amounts,
                        schedule.crossing_dates(units.gw_to_w(thresholds_gw)))
    investment = investment_per_period(tranches.release_dates, amounts, schedule.starts,
                                       schedule.ends)
    first_gw = schedule.crossing_dates(np.array([units.gw_to_w(1.0)]))[0]
    headline = {
        "scenario": scenario.name,
        "title": scenario.title,
        "gigawatt_version": __version__,
        "first_period": schedule.periods[0],
        "last_period": schedule.periods[-1],
        "facility_gw": float(units.w_to_gw(schedule.facility_w[-1])),
        **{k: json_number(v) for k, v in outputs(schedule, ev).items()},
        "investment_usd": tranches.released_usd,
        "tranches_released": int((~np.isnat(tranches.release_dates)).sum()),
        "first_gw_date": iso_date(first_gw),
        **{k: json_number(v[-1]) for k, v in failures.items()},
        **frontier_headline(training),
        **operations_headline(training, operations, inputs.catalog, scenario.training),
        **({"demand_kinds": kind_rows(ev.serving)} if ev.serving is not None else {}),
        **(yardstick_headline(yardstick(inputs.catalog, scenario.training, training,
                                        list(schedule.periods),
                                        scenario.training.yardstick_days))
           if scenario.training is not None and training is not None else {}),
        "gigawatt_buys": gigawatt_buys(scenario, inputs.catalog),
    }
    claim_values = {**headline, "first_gw_date": None if np.isnat(first_gw)
                    else dt.date.fromisoformat(str(first_gw))}
    claim_values.update(buildable_values(scenario.claims, inputs, headline["first_gw_date"]))
    shares = platform_shares(inputs, ev)
    return PlanResult(
        scenario=scenario,
        schedule=schedule,
        stages=ev,
        training=training,
        fleet_reliability=failures,
        tranches=tranches,
        investment_usd=investment,
        claims=check_claims(scenario.claims, claim_values, shares,
                            lambda gpus: site_optics(inputs, gpus)),
        assumptions=inputs.rows + operations_rows(operations),
        headline=headline,
        buildout=inputs.buildout,
        site_plan=tuple(site_rows(schedule.sites, schedule.periods, inputs.systems,
                                  inputs.sites) if schedule.sites is not None else ()),
    )
