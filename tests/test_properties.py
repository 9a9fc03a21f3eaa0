"""Hypothesis properties of the pipeline: monotone in power, never helped by a worse PUE."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gigawatt.pipeline import evaluate, gather_inputs, outputs
from gigawatt.scenario import Scenario, load_scenario
from gigawatt.scenario.schema import Assumption, RampStep

SYSTEMS = ["vr-nvl72", "gb300-nvl72", "gb200-nvl72"]
PERIODS = ["2026H2", "2027H1", "2027H2", "2028H1", "2028H2", "2029H1"]

ANNOUNCED = load_scenario("openai-nvidia-10gw")[0]
increments = st.lists(st.floats(min_value=0.0, max_value=3.0, allow_subnormal=False), min_size=1,
                      max_size=len(PERIODS))


def _with_ramp(base: Scenario, adds: list[float], systems: list[str]) -> Scenario:
    total, steps = 0.0, []
    for period, add, system in zip(PERIODS, adds, systems, strict=False):
        total += add
        steps.append(RampStep(period=period, facility_gw=total, system=system))
    ramp = base.ramp.model_copy(update={"steps": steps})
    return base.model_copy(update={"ramp": ramp, "claims": []})


def _headline(scenario: Scenario) -> dict[str, float]:
    """The plan's headline quantities of the analytic stages (sizing, network, economics):
    ``plan()`` puts exactly these in its headline, without the training and failure stages,
    which these properties do not concern."""
    inputs = gather_inputs(scenario)
    return {k: float(v) for k, v in outputs(inputs.schedule, evaluate(inputs, inputs.values))
            .items() if k in ("gpus", "capex_usd", "it_gw")}


def _with_pue(base: Scenario, pue: float) -> Scenario:
    facility = base.facility.model_copy(update={"pue": Assumption(value=pue, status="input")})
    return base.model_copy(update={"facility": facility})


@settings(max_examples=60, deadline=None)
@given(adds=increments, extra=st.floats(min_value=0.0, max_value=2.0),
       system=st.sampled_from(SYSTEMS), where=st.integers(min_value=0, max_value=5))
def test_more_power_never_means_fewer_gpus_or_less_capex(adds, extra, system, where):
    systems = [system] * len(adds)
    more = list(adds)
    more[min(where, len(more) - 1)] += extra
    small = _headline(_with_ramp(ANNOUNCED, adds, systems))
    large = _headline(_with_ramp(ANNOUNCED, more, systems))
    assert large["gpus"] >= small["gpus"]
    # sums of ~1e11 USD in a different order: equal to the last few bits
    assert large["capex_usd"] >= small["capex_usd"] * (1 - 1e-12)


@settings(max_examples=60, deadline=None)
@given(adds=increments, pue=st.floats(min_value=1.0, max_value=2.0),
       worse=st.floats(min_value=0.0, max_value=1.0), system=st.sampled_from(SYSTEMS))
def test_higher_pue_never_raises_gpus(adds, pue, worse, system):
    scenario = _with_ramp(ANNOUNCED, adds, [system] * len(adds))
    better = _headline(_with_pue(scenario, pue))
    worse_plan = _headline(_with_pue(scenario, min(pue + worse, 3.0)))
    assert worse_plan["gpus"] <= better["gpus"]
    assert worse_plan["it_gw"] <= better["it_gw"] + 1e-12
