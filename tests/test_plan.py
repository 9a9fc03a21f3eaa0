"""The whole pipeline on the default scenario: acceptance figures, golden values, JSON keys."""

from __future__ import annotations

import datetime as dt
import json
import math
import sys
from pathlib import Path

import pytest

from gigawatt.pipeline import plan

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
from update_golden import KEYS, headline

GOLDEN = Path(__file__).parent / "golden" / "openai-nvidia-10gw.json"
DESIGN_KEYS = {"scenario", "facility_gw", "it_gw", "gpus", "gpu_dies", "racks", "capex_usd",
               "investment_usd", "first_gw_date", "energy_twh_per_year", "timeline"}
TIMELINE_KEYS = {"period", "facility_gw", "gpus", "capex_usd", "investment_usd"}


def test_announcement_acceptance(announced_plan):
    d = announced_plan.to_dict()
    assert d["facility_gw"] >= 10
    first = dt.date.fromisoformat(d["first_gw_date"])
    assert dt.date(2026, 7, 1) <= first <= dt.date(2026, 12, 31)
    assert d["investment_usd"] == pytest.approx(100e9)
    assert d.keys() >= DESIGN_KEYS
    assert all(row.keys() >= TIMELINE_KEYS for row in d["timeline"])


def test_headline_matches_golden():
    golden = json.loads(GOLDEN.read_text())
    current = headline("openai-nvidia-10gw")
    assert golden.keys() == set(KEYS)
    for key, expected in golden.items():
        if isinstance(expected, float):
            assert current[key] == pytest.approx(expected, rel=1e-9), key
        else:
            assert current[key] == expected, key


def test_timeline_is_consistent_with_totals(announced_plan):
    d = announced_plan.to_dict()
    rows = d["timeline"]
    assert rows[-1]["gpus"] == d["gpus"]
    assert sum(r["capex_usd"] for r in rows) == pytest.approx(d["capex_usd"])
    assert sum(r["investment_usd"] for r in rows) == pytest.approx(d["investment_usd"])
    assert rows[-1]["capex_cumulative_usd"] == pytest.approx(d["capex_usd"])
    assert d["capex_usd"] == pytest.approx(
        d["capex_systems_usd"] + d["capex_network_usd"] + d["capex_facility_usd"])


def test_dies_are_two_per_rubin_and_four_per_rubin_ultra(announced_plan):
    rows = {r["period"]: r for r in announced_plan.to_dict()["timeline"]}
    assert rows["2026H2"]["gpu_dies"] == 2 * rows["2026H2"]["gpus"]
    ultra_added_gpus = rows["2028H1"]["gpus"] - rows["2027H2"]["gpus"]
    ultra_added_dies = rows["2028H1"]["gpu_dies"] - rows["2027H2"]["gpu_dies"]
    assert ultra_added_dies == 4 * ultra_added_gpus


def test_tranches_release_at_each_gigawatt(announced_plan):
    tranches = announced_plan.to_dict()["tranches"]
    assert [t["threshold_gw"] for t in tranches] == list(range(1, 11))
    assert tranches[0]["release_date"] == announced_plan.to_dict()["first_gw_date"]
    dates = [t["release_date"] for t in tranches]
    assert dates == sorted(dates)


def test_claims_check_covers_the_announcement(announced_plan):
    claims = {c.id: c for c in announced_plan.claims}
    assert {"gpus-4-5-million", "millions-of-gpus", "usd-50b-per-gw", "usd-35b-nvidia-per-gw",
            "first-gw-h2-2026"} <= claims.keys()
    # no claim restates an input: the tranche terms are inputs, the first GW comes from sites
    assert "usd-100b-investment" not in claims
    first = claims["first-gw-h2-2026"]
    assert first.metric == "first_gw_buildable_date" and "published power ramps" in first.reason
    assert claims["usd-50b-per-gw"].reading and claims["usd-50b-per-gw"].high == 60e9
    # Packages fall short of Huang's 4-5 million; dies exceed it. The reason must say which.
    gpus = claims["gpus-4-5-million"]
    assert gpus.verdict == "below"
    assert "dies" in gpus.reason and "kW" in gpus.reason
    for c in claims.values():
        assert c.reason and c.source


def test_json_is_strict(announced_plan):
    from gigawatt.report.tabular import to_json

    text = to_json(announced_plan.to_dict())
    assert "NaN" not in text
    assert json.loads(text)["scenario"] == "openai-nvidia-10gw"


def test_plan_without_investor_or_claims(announced):
    bare = announced.model_copy(update={"investment": None, "claims": []})
    d = plan(bare).to_dict()
    assert d["investment_usd"] == 0 and d["tranches"] == [] and d["claims"] == []
    assert not math.isnan(d["capex_usd"])


def test_first_gigawatt_by_hand(announced_plan):
    # 1 GW facility / PUE 1.15 = 869.6 MW IT; a VR NVL72 rack needs 190 kW x 1.136 = 215.84 kW.
    first = announced_plan.to_dict()["timeline"][0]
    racks = math.floor(1e9 / 1.15 / (190e3 * 1.136))
    assert first["racks"] == racks == 4028
    assert first["gpus"] == racks * 72
    assert first["capex_systems_usd"] == pytest.approx(racks * 7.8e6)
    assert first["capex_facility_usd"] == pytest.approx(1e3 / 1.15 * 20e6)


def test_plan_rechecks_a_scenario_built_in_code(announced):
    from gigawatt.errors import ScenarioError

    unpriced = announced.model_copy(update={"platforms": {}})
    with pytest.raises(ScenarioError, match=r"platforms\.vr-ultra-nvl144\.rack_price_usd"):
        plan(unpriced)


def test_buildable_date_counts_only_power_added_after_the_platform(catalog):
    import datetime as dt

    from gigawatt.pipeline.claims import buildable_gw_date

    abilene = catalog.site("stargate-abilene")
    # 600 MW online on 2026-04-30, 1,200 MW on 2026-12-31: only +600 MW after May 2026
    day, _ = buildable_gw_date([abilene], dt.date(2026, 5, 1), gw=0.6)
    assert day == dt.date(2026, 12, 31)
    day, reason = buildable_gw_date([abilene], dt.date(2026, 5, 1), gw=1.0)
    assert day is None and "only 600 MW" in reason
    # starting earlier, the same site adds its whole ramp
    day, _ = buildable_gw_date([abilene], dt.date(2025, 1, 1), gw=1.0)
    assert day == dt.date(2026, 12, 31)
