"""The build-out optimiser: hand-solved programmes, every limit held, infeasible plans explained.

Hand-solved programmes run over 2026Q1 (90 days), 2026Q2 (91) and 2026Q3 (92). A rack
energised in quarter t counts from mid-quarter, so it runs D_t / 2 + sum of later quarters:
136 days from 2026Q1 and 45.5 days from 2026Q2 over a two-quarter horizon. Platform "one" is
a 1 MW rack at PUE 1 delivering 1 EFLOP/s for $1M, so racks, MW and EFLOP/s coincide.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gigawatt.buildout import (
    BuildoutError,
    BuildoutProblem,
    BuildoutResult,
    InfeasibleBuildout,
    Money,
    Platforms,
    Sites,
    Target,
    horizon,
    optimise_buildout,
)
from gigawatt.buildout.quarters import quarter_days, step_by_quarter
from gigawatt.units import mw_to_gw

TWO = ("2026Q1", "2026Q2")
THREE = ("2026Q1", "2026Q2", "2026Q3")
PLENTY_USD = 1e15


def one_mw_platform(release: str = "2026Q1", price_usd: float = 1e6) -> Platforms:
    return Platforms(("one",), rack_kw=np.array([1000.0]), packages_per_rack=np.array([72.0]),
                     rack_flops=np.array([1e18]), rack_usd=np.array([price_usd]),
                     release=(release,))


def sites(power_mw: list[list[float]], *, max_mw: list[float] | None = None,
          lead: list[int] | None = None, committed: list[float] | None = None,
          price: list[float] | None = None, hall_usd: float = 0.0) -> Sites:
    n = len(power_mw)
    names = tuple("abcdefgh"[:n])
    max_mw = max_mw or [1e4] * n
    return Sites(names, power_mw=np.array(power_mw, dtype=float), max_mw=np.array(max_mw),
                 pue=np.ones(n), lead_quarters=np.array(lead or [0] * n),
                 committed_mw=np.array(committed if committed is not None else max_mw),
                 build_usd_per_mw_it=np.full(n, hall_usd),
                 electricity_usd_per_mwh=np.array(price or [0.0] * n))


def problem(quarters: tuple[str, ...], site_set: Sites, supply: list[list[float]],
            capital: list[float] | None = None, platforms: Platforms | None = None,
            **kw: object) -> BuildoutProblem:
    money = kw.pop("money", None) or Money(
        capital_usd=np.array(capital or [PLENTY_USD] + [0.0] * (len(quarters) - 1)))
    return BuildoutProblem(quarters, site_set, platforms or one_mw_platform(),
                           np.array(supply, dtype=float), money, **kw)  # type: ignore[arg-type]


def assert_limits_hold(p: BuildoutProblem, r: BuildoutResult, tol: float = 1e-6) -> None:
    """Every constraint family of the programme, checked on the returned schedule."""
    scale = 1 + tol
    x = r.racks_added
    assert (x >= 0).all()
    # power per site and quarter
    assert (r.facility_mw <= p.sites.power_mw * scale + tol).all()
    # supply per platform and quarter
    assert (x.sum(axis=0) <= p.supply_racks * scale + tol).all()
    # nothing before release
    release = p.release_index()
    assert (x[:, np.arange(len(p.quarters))[None, :] < release[:, None]] == 0).all()
    # site size: committed + new halls
    assert (r.halls_started_mw.sum(axis=1)
            <= (p.sites.max_mw - p.sites.committed_mw) * scale + tol).all()
    # lead time: installed power within committed + halls started L quarters earlier
    t = np.arange(len(p.quarters))
    ready = np.array([[r.halls_started_mw[s, : max(0, k - p.sites.lead_quarters[s] + 1)].sum()
                       for k in t] for s in range(len(p.sites.names))])
    assert (r.facility_mw <= (p.sites.committed_mw[:, None] + ready) * scale + tol).all()
    # money per period: cumulative spend within cumulative capital plus tranches released
    spend = np.cumsum(r.capex_usd)
    available = np.cumsum(p.money.capital_usd) + np.cumsum(r.investment_usd)
    assert (spend <= available * scale + 1.0).all()
    assert np.cumsum(r.investment_usd)[-1] <= p.money.tranche_cap_usd * scale + 1.0
    # target
    if p.target is not None:
        assert r.facility_mw[:, p.target_index()].sum() >= 1e3 * p.target.facility_gw - 1e-3


# ---------------------------------------------------------------- hand-solved programmes


def test_supply_then_power_bind_with_known_optimum_and_shadow_prices():
    # 50 racks can come in Q1 (supply), the site holds 100 MW: 50 + 50 racks.
    p = problem(TWO, sites([[100, 100]]), [[50, 100]])
    r = optimise_buildout(p)
    assert r.objective_value == pytest.approx(50 * 136 + 50 * 45.5)
    assert r.racks_added[0, 0].tolist() == pytest.approx([50, 50])
    binding = {(b.constraint, b.period): b for b in r.binding}
    # One more Q1 rack displaces a Q2 rack: 136 - 45.5 EFLOP-days; one MW in Q2: 45.5.
    assert binding[("supply", "2026Q1")].shadow_price == pytest.approx(90.5, rel=1e-5)
    assert binding[("power", "2026Q2")].shadow_price == pytest.approx(45.5, rel=1e-5)
    assert ("power", "2026Q1") not in binding
    assert binding[("power", "2026Q2")].text == (
        "power at a in 2026Q2 limits the plan; 100 MW more there is worth 4,550 EFLOP-days")
    assert_limits_hold(p, r)


def test_shadow_price_matches_a_resolve_with_more_power():
    base = problem(TWO, sites([[100, 100]]), [[50, 100]])
    more = problem(TWO, sites([[100, 101]]), [[50, 100]])
    gain = optimise_buildout(more).objective_value - optimise_buildout(base).objective_value
    price = next(b for b in optimise_buildout(base).binding if b.constraint == "power")
    assert gain == pytest.approx(price.shadow_price, rel=1e-5)


def test_tranches_released_by_deployment_pay_for_the_next_quarter():
    # $10M buys 10 racks (10 MW) in Q1; $10B per GW releases $100M for Q2, capped at $50M.
    money = Money(capital_usd=np.array([10e6, 0.0]), tranche_usd_per_gw=10e9,
                  tranche_cap_usd=50e6)
    p = problem(TWO, sites([[1000, 1000]]), [[1000, 1000]], money=money)
    r = optimise_buildout(p)
    assert r.racks_added[0, 0].tolist() == pytest.approx([10, 50])
    assert r.investment_usd.tolist() == pytest.approx([0, 50e6])
    assert r.objective_value == pytest.approx(10 * 136 + 50 * 45.5)
    assert {b.constraint for b in r.binding} == {"capital"}
    assert_limits_hold(p, r)


def test_tranche_cap_above_release_rate_is_not_binding():
    money = Money(capital_usd=np.array([10e6, 0.0]), tranche_usd_per_gw=10e9,
                  tranche_cap_usd=1e12)
    r = optimise_buildout(problem(TWO, sites([[1000, 1000]]), [[1000, 1000]], money=money))
    assert r.racks_added[0, 0].tolist() == pytest.approx([10, 100])


def test_lead_time_delays_racks_until_halls_are_ready():
    # No committed halls, one quarter of lead: halls started in Q1 take racks in Q2.
    p = problem(THREE, sites([[100, 100, 100]], lead=[1], committed=[0.0], hall_usd=1e6),
                [[100, 100, 100]])
    r = optimise_buildout(p)
    assert r.racks_added[0, 0].tolist() == pytest.approx([0, 100, 0])
    assert r.halls_started_mw[0].tolist() == pytest.approx([100, 0, 0])
    assert r.objective_value == pytest.approx(100 * (45.5 + 92))
    assert_limits_hold(p, r)


def test_site_size_caps_new_halls():
    p = problem(TWO, sites([[100, 100]], max_mw=[60.0], committed=[0.0]), [[100, 100]])
    r = optimise_buildout(p)
    assert r.facility_mw[0].tolist() == pytest.approx([60, 60])
    assert any(b.constraint == "size" and b.where == "a" for b in r.binding)


def test_platform_waits_for_its_release():
    p = problem(TWO, sites([[100, 100]]), [[0, 100]], platforms=one_mw_platform("2026Q2"))
    r = optimise_buildout(p)
    assert r.racks_added[0, 0].tolist() == pytest.approx([0, 100])


def test_cost_objective_builds_late_at_the_cheapest_power():
    # Target 100 MW by Q2: electricity runs from mid-quarter to the end, so build in Q2, at
    # the $50/MWh site: $100M of racks + 100 MW x 45.5 days x 24 h x $50 x utilisation 0.5.
    p = problem(TWO, sites([[100, 100], [100, 100]], price=[50.0, 80.0]), [[100, 100]],
                objective="cost", target=Target(0.1, "2026Q2"), utilisation=0.5)
    r = optimise_buildout(p)
    energy = 100 * 45.5 * 24 * 50 * 0.5
    assert r.objective_value == pytest.approx(100e6 + energy, rel=1e-9)
    assert r.electricity_usd == pytest.approx(energy)
    assert r.racks_added[:, 0].ravel().tolist() == pytest.approx([0, 100, 0, 0])
    target = next(b for b in r.binding if b.constraint == "target")
    assert target.text.startswith("the target of 0.1 GW by 2026Q2 binds; each 100 MW more")
    assert_limits_hold(p, r)


def test_cost_objective_charges_halls_per_mw_of_it():
    # Halls at $20M per MW of IT and PUE 1.25 cost $16M per MW of facility power.
    site_set = Sites(("a",), power_mw=np.array([[0.0, 125.0]]), max_mw=np.array([500.0]),
                     pue=np.array([1.25]), lead_quarters=np.array([1]),
                     committed_mw=np.array([0.0]), build_usd_per_mw_it=np.array([20e6]))
    p = problem(TWO, site_set, [[0, 100]], objective="cost", target=Target(0.125, "2026Q2"))
    r = optimise_buildout(p)
    assert r.halls_started_mw[0].tolist() == pytest.approx([125, 0])
    assert r.capex_usd.tolist() == pytest.approx([125 * 16e6, 100e6])


# ---------------------------------------------------------------- infeasible plans


def test_infeasible_target_explains_the_missing_power():
    p = problem(TWO, sites([[100, 100], [0, 50]]), [[1000, 1000]], objective="cost",
                target=Target(0.5, "2026Q2"))
    with pytest.raises(InfeasibleBuildout) as caught:
        optimise_buildout(p)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("0.5 GW by the end of 2026Q2 is out of reach: at most 0.15 GW "
                              "can be online by then; it needs 0.35 GW more power than the "
                              "listed sites provide by 2026Q2")
    assert caught.value.shortfalls[0][:2] == ("power", pytest.approx(0.35))


def test_infeasible_target_names_supply_and_money_when_they_conflict():
    money = Money(capital_usd=np.array([20e6, 0.0]))
    p = problem(TWO, sites([[1000, 1000]]), [[10, 10]], objective="cost",
                target=Target(0.05, "2026Q2"), money=money)
    with pytest.raises(InfeasibleBuildout, match=r"at most 0\.02 GW") as caught:
        optimise_buildout(p)
    families = {row[0] for row in caught.value.shortfalls}
    assert families == {"supply", "capital"}
    assert "more one racks than supply allows" in str(caught.value)
    assert "$30M more capital by 2026Q2" in str(caught.value)


def test_compute_objective_with_unreachable_target_is_explained_too():
    p = problem(TWO, sites([[100, 100]]), [[50, 50]], target=Target(0.1, "2026Q1"))
    with pytest.raises(InfeasibleBuildout, match=r"50 more one racks than supply allows"):
        optimise_buildout(p)


# ---------------------------------------------------------------- bad input, one line each


def _raises_one_line(build, match: str) -> None:
    with pytest.raises(BuildoutError, match=match) as caught:
        build()
    assert "\n" not in str(caught.value)


def test_power_ramp_going_backwards_is_rejected():
    _raises_one_line(lambda: problem(TWO, sites([[100, 80]]), [[1, 1]]),
                     r"sites\.power_mw\[a\]: falls from 100 MW in 2026Q1 to 80 MW in 2026Q2; "
                     r"a site's power ramp must not go backwards")


def test_target_beyond_every_site_is_rejected():
    _raises_one_line(
        lambda: problem(TWO, sites([[100, 100], [50, 50]], max_mw=[100.0, 50.0]), [[1, 1]],
                        objective="cost", target=Target(0.2, "2026Q2")),
        r"target\.facility_gw: 0\.2 GW is beyond the 0\.15 GW every listed site together "
        r"can hold; accepted: 0 to 0\.15")


def test_platform_supplied_before_release_is_rejected():
    _raises_one_line(
        lambda: problem(TWO, sites([[100, 100]]), [[5, 5]], platforms=one_mw_platform("2026Q2")),
        r"supply_racks\[one, 2026Q1\]: 5 racks before the platform's release in 2026Q2; "
        r"accepted: 0 before release")


def test_target_before_every_release_is_rejected():
    _raises_one_line(
        lambda: problem(TWO, sites([[100, 100]]), [[0, 5]], platforms=one_mw_platform("2026Q2"),
                        target=Target(0.001, "2026Q1")),
        r"target\.quarter: 2026Q1 comes before any platform is released \(the first in "
        r"2026Q2\); accepted: 2026Q2 or later")


def test_negative_budget_is_rejected():
    _raises_one_line(lambda: problem(TWO, sites([[100, 100]]), [[5, 5]], capital=[1e9, -1e9]),
                     r"money\.capital_usd\[2026Q2\]: -1e\+09 is not accepted; accepted: a "
                     r"number >= 0")


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"objective": "cost"}, r"target: required by objective 'cost'"),
        ({"objective": "speed"}, r"objective: 'speed'; accepted: compute, cost"),
        ({"target": Target(0.05, "2027Q1")}, r"target\.quarter: '2027Q1' is outside the horizon"),
        ({"utilisation": 1.5}, r"utilisation: 1\.5; accepted: \(0, 1\]"),
        ({"money": Money(np.array([1.0, 1.0]), tranche_cap_usd=-1.0)},
         r"money\.tranche_cap_usd: -1 is not accepted"),
    ],
)
def test_bad_settings_name_the_field(change, match):
    _raises_one_line(lambda: problem(TWO, sites([[100, 100]]), [[5, 5]], **change), match)


def test_bad_arrays_name_the_field():
    _raises_one_line(lambda: problem(TWO, sites([[100, 100]]), [[5, 5, 5]]),
                     r"supply_racks: shape \(1, 3\); accepted: \(1, 2\)")
    _raises_one_line(lambda: problem(("2026Q1", "2026Q3"), sites([[1, 1]]), [[1, 1]]),
                     r"quarters: '2026Q3' does not follow '2026Q1'")
    low_pue = Sites(("a",), np.array([[1.0, 1.0]]), np.array([5.0]), np.array([0.9]),
                    np.array([0]))
    _raises_one_line(lambda: problem(TWO, low_pue, [[1, 1]]), r"sites\.pue\[a\]: 0\.9")
    _raises_one_line(lambda: problem(TWO, sites([[1, 1]], max_mw=[5.0], committed=[9.0]),
                                     [[1, 1]]),
                     r"sites\.committed_mw\[a\]: 9 MW exceeds max_mw 5")


def test_problem_arrays_are_read_only():
    p = problem(TWO, sites([[100, 100]]), [[5, 5]])
    with pytest.raises(ValueError, match="read-only"):
        p.supply_racks[0, 0] = 1e9


# ---------------------------------------------------------------- output and isolation


def test_result_is_json_with_timeline_and_site_schedules():
    r = optimise_buildout(problem(TWO, sites([[100, 100]]), [[50, 100]]))
    doc = json.loads(json.dumps(r.to_dict()))
    assert [row["period"] for row in doc["timeline"]] == list(TWO)
    for key in ("period", "facility_gw", "gpus", "capex_usd", "investment_usd"):
        assert key in doc["timeline"][0]
    assert doc["timeline"][-1]["gpus"] == pytest.approx(100 * 72)
    assert doc["sites"][0]["schedule"][1]["racks"] == {"one": pytest.approx(100)}
    assert doc["binding"][0]["constraint"] == "supply"
    assert doc["facility_gw"] == pytest.approx(0.1)


def test_timeline_folds_into_half_years_as_the_plan_has_them():
    p = problem(("2026Q2", "2026Q3", "2026Q4"), sites([[100, 100, 100]]), [[10, 20, 30]])
    halves = optimise_buildout(p).timeline("half-year")
    assert [h["period"] for h in halves] == ["2026H1", "2026H2"]
    assert [h["racks"] for h in halves] == pytest.approx([10, 60])
    assert [h["capex_usd"] for h in halves] == pytest.approx([10e6, 50e6])


def test_highspy_is_imported_only_by_the_buildout_package():
    code = ("import sys, gigawatt, gigawatt.cli, gigawatt.pipeline; "
            "assert 'highspy' not in sys.modules; import gigawatt.buildout; "
            "assert 'highspy' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_quarter_helpers():
    assert quarter_days(THREE).tolist() == [90, 91, 92]
    assert quarter_days(("2026Q4", "2028Q1")).tolist() == [92, 91]
    assert horizon("2026Q4", 2) == ("2026Q4", "2027Q1")
    import datetime as dt

    steps = step_by_quarter([dt.date(2026, 5, 1), dt.date(2026, 12, 31)], [300, 1200],
                            ("2026Q1", "2026Q2", "2026Q3", "2026Q4", "2027Q1"))
    assert steps.tolist() == [0, 300, 300, 1200, 1200]


# ---------------------------------------------------------------- properties


@st.composite
def random_problems(draw: st.DrawFn) -> BuildoutProblem:
    n_s, n_p, n_t = draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    quarters = horizon("2026Q1", n_t)
    max_mw = rng.uniform(10, 300, n_s)
    power = np.minimum(np.cumsum(rng.uniform(0, 150, (n_s, n_t)), axis=1), max_mw[:, None])
    site_set = Sites(tuple(f"s{i}" for i in range(n_s)), power, max_mw,
                     rng.uniform(1.0, 1.5, n_s), rng.integers(0, 3, n_s),
                     committed_mw=max_mw * rng.uniform(0, 1, n_s),
                     build_usd_per_mw_it=rng.uniform(0, 2e7, n_s),
                     electricity_usd_per_mwh=rng.uniform(30, 100, n_s))
    release = rng.integers(0, n_t, n_p)
    platforms = Platforms(tuple(f"p{k}" for k in range(n_p)), rng.uniform(50, 600, n_p),
                          np.full(n_p, 72.0), rng.uniform(1e17, 5e18, n_p),
                          rng.uniform(1e6, 4e7, n_p), tuple(quarters[k] for k in release))
    supply = rng.uniform(0, 400, (n_p, n_t)) * (np.arange(n_t)[None, :] >= release[:, None])
    money = Money(rng.uniform(0, 3e9, n_t), tranche_usd_per_gw=float(rng.uniform(0, 2e10)),
                  tranche_cap_usd=float(rng.uniform(0, 5e9)))
    return BuildoutProblem(quarters, site_set, platforms, supply, money)


@settings(max_examples=40, deadline=None)
@given(random_problems())
def test_every_limit_holds_in_the_output(p):
    assert_limits_hold(p, optimise_buildout(p))


@settings(max_examples=25, deadline=None)
@given(random_problems(), st.floats(1.0, 4.0))
def test_more_money_or_supply_never_lowers_compute(p, factor):
    base = optimise_buildout(p).objective_value
    richer = BuildoutProblem(p.quarters, p.sites, p.platforms, p.supply_racks,
                             Money(p.money.capital_usd * factor, p.money.tranche_usd_per_gw,
                                   p.money.tranche_cap_usd))
    more_racks = BuildoutProblem(p.quarters, p.sites, p.platforms, p.supply_racks * factor,
                                 p.money)
    assert optimise_buildout(richer).objective_value >= base * (1 - 1e-7) - 1e-6
    assert optimise_buildout(more_racks).objective_value >= base * (1 - 1e-7) - 1e-6


@settings(max_examples=25, deadline=None)
@given(random_problems())
def test_half_the_reachable_power_is_met_at_least_cost_within_limits(p):
    reached = optimise_buildout(p).facility_mw[:, -1].sum()
    target = Target(float(mw_to_gw(reached)) * 0.5, p.quarters[-1])
    costed = BuildoutProblem(p.quarters, p.sites, p.platforms, p.supply_racks, p.money,
                             objective="cost", target=target)
    r = optimise_buildout(costed)
    assert_limits_hold(costed, r)
